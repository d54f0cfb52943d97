"""Reads for the domains table of the UI: one page of a tenant's domains with their latest
check run (status, age) and migration step, filters with counts, search and pages.

The step is the number :mod:`domains.migration` stored on each domain, so filters and counts
are SQL: one query counts every state filter, one groups the domains by step (both filters at
once need one more count), one reads the page (each row with the id of its latest run), one
the few fields of those runs — a constant number of queries whatever the number of domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from domains.migration import STEPS
from domains.models import AcceptedDomain, CheckRun, Tenant

PAGE_SIZE = 50

#: The state filters, in the order of the chips, and the domains each one matches.
STATE_FILTERS: dict[str, Q] = {
    "unverified": Q(verified_at__isnull=True),
    "dnssec_off": Q(verified_at__isnull=False, dnssec_state__in=("disabled", "disabling")),
    "pending_mx": Q(dnssec_state="pending_mx"),
    "dnssec_on": Q(dnssec_state="enabled"),
    "dane_on": Q(dane_state="enabled"),
    "failed": Q(dnssec_state="failed") | Q(dane_state="failed"),
}


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
    step: int | None


@dataclass(frozen=True)
class DomainTable:
    """A page of the table, with the counts of every filter over the whole (searched) set."""

    rows: list[DomainRow]
    total: int
    page: int
    pages: int
    state_counts: dict[str, int]
    step_counts: dict[int, int]


def searched_domains(tenant: Tenant, search: str = "") -> QuerySet[AcceptedDomain]:
    """The tenant's domains whose name (A- or U-label) contains ``search``."""
    domains = AcceptedDomain.objects.filter(tenant=tenant)
    needle = search.strip()
    if needle:
        domains = domains.filter(
            Q(name__icontains=needle.lower()) | Q(display_name__icontains=needle)
        )
    return domains


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
    domains = searched_domains(tenant, search)
    counts = domains.aggregate(
        all=Count("pk"),
        **{name: Count("pk", filter=matches) for name, matches in STATE_FILTERS.items()},
    )
    by_step = dict(
        domains.filter(migration_step__isnull=False)
        .order_by()
        .values_list("migration_step")
        .annotate(count=Count("pk"))
    )
    total = counts["all"]
    if state in STATE_FILTERS:
        domains = domains.filter(STATE_FILTERS[state])
        total = counts[state]
    if step is not None and 1 <= step <= STEPS:
        domains = domains.filter(migration_step=step)
        total = by_step.get(step, 0) if state not in STATE_FILTERS else domains.count()
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    return DomainTable(
        rows=_rows(domains.order_by("name")[(page - 1) * page_size : page * page_size]),
        total=total,
        page=page,
        pages=pages,
        state_counts={name: counts[name] for name in STATE_FILTERS},
        step_counts={number: by_step.get(number, 0) for number in range(1, STEPS + 1)},
    )


def _rows(domains: QuerySet[AcceptedDomain]) -> list[DomainRow]:
    """The table's rows of one page of domains, with their latest runs (two queries)."""
    latest = CheckRun.objects.filter(domain=OuterRef("pk")).order_by("-started_at", "-id")
    listed = list(
        domains.annotate(latest_run_id=Subquery(latest.values("id")[:1])).values(
            "name",
            "display_name",
            "verified_at",
            "is_initial",
            "dnssec_state",
            "dane_state",
            "migration_step",
            "latest_run_id",
        )
    )
    run_ids = [d["latest_run_id"] for d in listed if d["latest_run_id"] is not None]
    runs = {
        run["id"]: run
        for run in CheckRun.objects.filter(id__in=run_ids).values(
            "id", "overall_status", "started_at"
        )
    }
    rows = []
    for domain in listed:
        run = runs.get(domain["latest_run_id"])
        rows.append(
            DomainRow(
                name=domain["name"],
                display_name=domain["display_name"],
                verified=domain["verified_at"] is not None,
                is_initial=domain["is_initial"],
                dnssec_state=domain["dnssec_state"],
                dane_state=domain["dane_state"],
                last_status=None if run is None else run["overall_status"],
                last_checked_at=None if run is None else run["started_at"],
                step=domain["migration_step"],
            )
        )
    return rows
