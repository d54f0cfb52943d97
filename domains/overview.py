"""Reads for the domains table of the UI: every domain of a tenant with its latest check run
(status, age) and its migration step, filters with counts, search and pages.

Two queries whatever the number of domains: the tenant's domains (each with the id of its
latest run) and the few fields of those runs the table shows, read from their JSON.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.fields.json import KT

from domains.migration import STEPS, MigrationStep, RunEvidence, migration_step
from domains.models import AcceptedDomain, CheckRun, Tenant

PAGE_SIZE = 50
#: The state filters, in the order of the chips.
STATE_FILTERS = (
    "unverified",
    "dnssec_off",
    "pending_mx",
    "dnssec_on",
    "dane_on",
    "failed",
)


@dataclass(frozen=True)
class DomainRow:
    """One line of the domains table."""

    name: str
    display_name: str
    verified: bool
    is_initial: bool
    dnssec_state: str
    dane_state: str
    last_status: str | None
    last_checked_at: datetime | None
    step: MigrationStep | None

    @property
    def states(self) -> set[str]:
        """The state filters this domain matches."""
        found = set()
        if not self.verified:
            found.add("unverified")
        elif self.dnssec_state in ("disabled", "disabling"):
            found.add("dnssec_off")
        if self.dnssec_state == "pending_mx":
            found.add("pending_mx")
        if self.dnssec_state == "enabled":
            found.add("dnssec_on")
        if self.dane_state == "enabled":
            found.add("dane_on")
        if "failed" in (self.dnssec_state, self.dane_state):
            found.add("failed")
        return found


@dataclass(frozen=True)
class DomainTable:
    """A page of the table, with the counts of every filter over the whole (searched) set."""

    rows: list[DomainRow]
    total: int
    page: int
    pages: int
    state_counts: dict[str, int]
    step_counts: dict[int, int]


def domain_rows(tenant: Tenant, *, search: str = "") -> list[DomainRow]:
    """Every domain of the tenant (matching ``search``), with its latest run and step."""
    latest = CheckRun.objects.filter(domain=OuterRef("pk")).order_by("-started_at", "-id")
    domains = AcceptedDomain.objects.filter(tenant=tenant)
    if search:
        needle = search.strip()
        domains = domains.filter(
            Q(name__icontains=needle.lower()) | Q(display_name__icontains=needle)
        )
    listed = list(
        domains.annotate(
            latest_run_id=Subquery(latest.values("id")[:1]),
            verified=ExpressionWrapper(Q(verified_at__isnull=False), output_field=BooleanField()),
        )
        .order_by("name")
        .values(
            "name",
            "display_name",
            "verified",
            "is_initial",
            "is_self_service",
            "dnssec_state",
            "dane_state",
            "mx_token",
            "partition__zone",
            "latest_run_id",
        )
    )
    run_ids = [d["latest_run_id"] for d in listed if d["latest_run_id"] is not None]
    runs: dict[int, dict[str, Any]] = {
        run["id"]: dict(run)
        for run in CheckRun.objects.filter(id__in=run_ids).values(
            "id",
            "overall_status",
            "started_at",
            mx_status=KT("result__MxValidation__Status"),
            mx_code=KT("result__MxValidation__Findings__0__code"),
            sts_code_0=KT("result__MtaStsValidation__Findings__0__code"),
            sts_code_1=KT("result__MtaStsValidation__Findings__1__code"),
            sts_mode=KT("result__MtaStsValidation__Policy__Mode"),
        )
    }
    return [_row(domain, runs.get(domain["latest_run_id"])) for domain in listed]


def _row(domain: dict[str, Any], run: dict[str, Any] | None) -> DomainRow:
    evidence = None
    if run is not None and run["mx_status"] is not None:
        evidence = RunEvidence(
            mx_status=run["mx_status"],
            mx_code=run["mx_code"],
            mta_sts_codes=tuple(c for c in (run["sts_code_0"], run["sts_code_1"]) if c),
            mta_sts_mode=run["sts_mode"],
        )
    verified = bool(domain["verified"])
    host = None
    if domain["mx_token"] and domain["partition__zone"]:
        host = f"{domain['mx_token']}.{domain['partition__zone']}"
    step = None
    if not domain["is_initial"] and not domain["is_self_service"]:
        step = migration_step(
            domain=domain["name"],
            verified=verified,
            dnssec_state=domain["dnssec_state"],
            dane_state=domain["dane_state"],
            expected_host=host,
            evidence=evidence,
        )
    return DomainRow(
        name=domain["name"],
        display_name=domain["display_name"],
        verified=verified,
        is_initial=domain["is_initial"],
        dnssec_state=domain["dnssec_state"],
        dane_state=domain["dane_state"],
        last_status=None if run is None else run["overall_status"],
        last_checked_at=None if run is None else run["started_at"],
        step=step,
    )


def domain_table(
    tenant: Tenant,
    *,
    search: str = "",
    state: str = "",
    step: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> DomainTable:
    """The page ``page`` of the tenant's domains filtered by ``state`` and ``step``."""
    rows = domain_rows(tenant, search=search)
    state_counts = Counter(name for row in rows for name in row.states)
    step_counts = Counter(row.step.number for row in rows if row.step is not None)
    if state in STATE_FILTERS:
        rows = [row for row in rows if state in row.states]
    if step is not None and 1 <= step <= STEPS:
        rows = [row for row in rows if row.step is not None and row.step.number == step]
    pages = max(1, -(-len(rows) // page_size))
    page = min(max(page, 1), pages)
    return DomainTable(
        rows=rows[(page - 1) * page_size : page * page_size],
        total=len(rows),
        page=page,
        pages=pages,
        state_counts={name: state_counts.get(name, 0) for name in STATE_FILTERS},
        step_counts={number: step_counts.get(number, 0) for number in range(1, STEPS + 1)},
    )
