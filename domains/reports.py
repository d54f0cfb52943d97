"""Reads behind the report pages of the UI: a domain's check-run history with what changed
from one run to the next, the tenant's operations and audit trail filtered, and the retry
schedule of an outbound DANE validation. Everything is scoped to one tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from dnsops.dane.retry import attempt_times, expires_at, status_code_for
from dnsops.dane.verdicts import Verdict
from domains.models import AcceptedDomain, AuditEvent, CheckRun, DaneValidation, Operation, Tenant

#: The sections of a status document, as (label, key of the document).
SECTIONS = (
    ("DNS", "DnsValidation"),
    ("MX", "MxValidation"),
    ("MTA-STS", "MtaStsValidation"),
    ("TLS-RPT", "TlsRpt"),
)

#: Check runs the history page shows at most (newest first).
HISTORY_LIMIT = 60


@dataclass(frozen=True)
class SectionChange:
    """How one section differs from the run before: its status and the codes that came and
    went (a section missing from a run has the status ``None``)."""

    section: str
    status_before: str | None
    status_after: str | None
    codes_added: tuple[str, ...]
    codes_removed: tuple[str, ...]


@dataclass(frozen=True)
class HistoryEntry:
    """One check run in the history and what changed since the run before it."""

    run: CheckRun
    changes: tuple[SectionChange, ...]
    is_first: bool


def section_status(document: dict[str, Any], key: str) -> str | None:
    """The status of a section of a stored status document; TLS-RPT, which has none, is
    Passed when a valid record is published, Warning otherwise."""
    section = document.get(key)
    if section is None:
        return None
    if key == "TlsRpt":
        return "Passed" if section.get("Valid") else "Warning"
    status = section.get("Status")
    return str(status) if status is not None else None


def section_codes(document: dict[str, Any], key: str) -> list[str]:
    """The finding codes of a section of a stored status document, in order."""
    section = document.get(key) or {}
    return [str(finding["code"]) for finding in section.get("Findings", [])]


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> tuple[SectionChange, ...]:
    """The sections whose status or codes differ between two status documents."""
    changes = []
    for label, key in SECTIONS:
        old_codes, new_codes = section_codes(before, key), section_codes(after, key)
        old_status, new_status = section_status(before, key), section_status(after, key)
        added = tuple(code for code in new_codes if code not in old_codes)
        removed = tuple(code for code in old_codes if code not in new_codes)
        if added or removed or old_status != new_status:
            changes.append(SectionChange(label, old_status, new_status, added, removed))
    return tuple(changes)


def check_history(domain: AcceptedDomain, *, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The domain's latest ``limit`` check runs, newest first, each with what changed since
    the run before it (one query: the run before the oldest shown is read with them)."""
    runs = list(domain.check_runs.order_by("-started_at", "-id")[: limit + 1])
    entries = []
    for index, run in enumerate(runs[:limit]):
        previous = runs[index + 1] if index + 1 < len(runs) else None
        changes = () if previous is None else changes_between(previous.result, run.result)
        entries.append(HistoryEntry(run=run, changes=changes, is_first=previous is None))
    return entries


def get_check_run(domain: AcceptedDomain, run_id: uuid.UUID) -> CheckRun | None:
    """The domain's check run with the opaque id ``run_id`` (the API's ``CheckRun.Id``); None
    for another domain's or an unknown run."""
    return domain.check_runs.filter(public_id=run_id).first()


def operations_of(
    tenant: Tenant, *, state: str = "", kind: str = "", domain: str = ""
) -> QuerySet[Operation]:
    """The tenant's operations, newest first, filtered by state, kind and domain name part."""
    operations = Operation.objects.filter(tenant=tenant)
    if state:
        operations = operations.filter(state=state)
    if kind:
        operations = operations.filter(kind=kind)
    if domain:
        operations = operations.filter(domain_name__icontains=domain)
    return operations.order_by("-created_at")


def audit_trail(
    tenant: Tenant, *, action: str = "", actor: str = "", target: str = ""
) -> QuerySet[AuditEvent]:
    """The tenant's audit events, newest first, filtered by action, actor and target part."""
    events = AuditEvent.objects.filter(tenant=tenant)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor__icontains=actor)
    if target:
        events = events.filter(Q(target_id__icontains=target) | Q(target_type=target))
    return events.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class RetryAttempt:
    """One delivery attempt of a message that keeps failing, and the code it reports."""

    number: int
    at: datetime
    status_code: str | None


@dataclass(frozen=True)
class RetrySchedule:
    """When a deferred message would be tried again and when it expires (NDR, 5.x.x)."""

    attempts: tuple[RetryAttempt, ...]
    expires_at: datetime
    permanent_status_code: str | None


def retry_schedule(validation: DaneValidation) -> RetrySchedule | None:
    """The retry schedule of a validation whose message would be deferred (None otherwise)."""
    if validation.disposition != "deferred":
        return None
    verdict = Verdict(validation.verdict)
    first = validation.started_at
    attempts = tuple(
        RetryAttempt(number, at, status_code_for(verdict, first, at))
        for number, at in enumerate(attempt_times(first), start=1)
    )
    return RetrySchedule(attempts, expires_at(first), verdict.info.permanent_code)
