"""How much a finding weighs, and the status a set of findings gives: the one scale of the
status checks (``dnsops.checks``) and the inbound publisher checks (``dnsops.inbound``)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding weighs in the status of what it was found in."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class SectionStatus(StrEnum):
    """The status of one set of checks (a validation section, the publisher checks)."""

    PASSED = "Passed"
    FAILED = "Failed"
    WARNING = "Warning"
    NOT_APPLICABLE = "NotApplicable"


def status_of(severities: Iterable[Severity], *, evaluated: bool = True) -> SectionStatus:
    """Failed if any error, else Warning if any warning, else Passed.

    Checks that could not be evaluated (``evaluated=False``) and found nothing are
    NotApplicable; informational findings never change the status.
    """
    found = set(severities)
    if Severity.ERROR in found:
        return SectionStatus.FAILED
    if Severity.WARNING in found:
        return SectionStatus.WARNING
    return SectionStatus.PASSED if evaluated else SectionStatus.NOT_APPLICABLE
