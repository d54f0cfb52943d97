"""Findings, their severities, and the status of a validation section derived from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dnsops.severity import SectionStatus, Severity, status_of

__all__ = ["Finding", "Section", "SectionResult", "SectionStatus", "Severity", "section_status"]


class Section(StrEnum):
    """Where a code is reported."""

    DOMAIN = "Domain"
    DNS = "DNS"
    MX = "MX"
    MTA_STS = "MTA-STS"
    TLS_RPT = "TLS-RPT"
    INBOUND_KEYS = "Inbound keys"


@dataclass(frozen=True)
class Finding:
    """One thing a check found: a stable code, what is wrong, and what to change.

    ``params`` are the values filled into the code's message and action templates (see
    ``catalogue``), kept so that the texts can be rendered again in another language.
    """

    code: str
    severity: Severity
    message: str
    action: str
    params: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The finding as JSON: ``{code, severity, message, action, params}``."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "action": self.action,
            "params": dict(self.params),
        }


def section_status(findings: Iterable[Finding], *, evaluated: bool = True) -> SectionStatus:
    """Failed if any error, else Warning if any warning, else Passed.

    A section that could not be evaluated (``evaluated=False``) and found nothing is
    NotApplicable; informational findings never change the status.
    """
    return status_of((finding.severity for finding in findings), evaluated=evaluated)


@dataclass(frozen=True)
class SectionResult:
    """A validation section: its status and its findings, in the order they were found."""

    status: SectionStatus
    findings: tuple[Finding, ...]

    @classmethod
    def from_findings(cls, findings: Iterable[Finding], *, evaluated: bool = True) -> SectionResult:
        """The section whose status :func:`section_status` derives from ``findings``."""
        kept = tuple(findings)
        return cls(section_status(kept, evaluated=evaluated), kept)

    @property
    def codes(self) -> list[str]:
        """The codes of the findings, in order."""
        return [finding.code for finding in self.findings]

    def to_dict(self) -> dict[str, object]:
        """The section as JSON: ``{"Status": ..., "Findings": [...]}``."""
        return {
            "Status": self.status.value,
            "Findings": [finding.to_dict() for finding in self.findings],
        }
