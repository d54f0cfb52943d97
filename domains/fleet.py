"""The fleet across every tenant, for the operators' overview (``/operator/``) and the
scrape-time gauges of ``/metrics``: read-only aggregates, no writes, no network.

Every read is an indexed query or a maintained rollup, never a scan of the history:

- domains by state, by migration step and by current finding code: one ``GROUP BY`` over
  the verified domains' ``(dnssec_state, dane_state, last_check_codes, migration_step)``
  (index-only on ``domain_fleet_states``; the step is the one ``domains.migration`` stored);
- domains stuck in ``pending_mx``: ``domain_pending_mx_since``;
- sweep lag: ``domain_check_due`` (the sweep's own index);
- operations: in flight and retrying through ``operation_due``; requested, succeeded and
  failed per hour (and so the last 24 hours) from the ``ActivityHourly`` rollup;
- check outcomes and codes per day: the ``CheckRunDaily`` rollup;
- outbound validations by verdict: ``ActivityHourly`` too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.utils import timezone

from dnsops.models import InboundKey
from domains.choices import IN_FLIGHT_STATES, OperationState
from domains.migration import STEPS
from domains.models import (
    DNSSEC_CHECKED_STATES,
    AcceptedDomain,
    ActivityHourly,
    CheckRunDaily,
    Operation,
)
from domains.rollups import hour_of

#: The days the trends and charts cover, ending today (UTC).
TREND_DAYS = 30
#: The hours of the operations chart, ending with the current hour.
OPERATION_HOURS = 24
#: How many codes the overview names (the most frequent now), and how many stuck domains.
TOP_CODES = 8
STUCK_LIMIT = 20


@dataclass(frozen=True)
class DomainGroup:
    """Verified domains that share their states, their last run's codes and their stored
    migration step."""

    dnssec_state: str
    dane_state: str
    codes: tuple[str, ...] | None  # None: never checked
    step: int | None  # None: an initial or self-service domain (no migration)
    count: int


def domain_groups() -> list[DomainGroup]:
    """Every verified domain, grouped by ``(dnssec_state, dane_state, last_check_codes,
    migration_step)`` (an index-only scan of ``domain_fleet_states``)."""
    rows = (
        AcceptedDomain.objects.filter(verified_at__isnull=False)
        .order_by()
        .values_list("dnssec_state", "dane_state", "last_check_codes", "migration_step")
        .annotate(count=Count("*"))
    )
    return [
        DomainGroup(dnssec, dane, None if codes is None else tuple(codes.split()), step, count)
        for dnssec, dane, codes, step, count in rows
    ]


def states(groups: list[DomainGroup]) -> Counter[tuple[str, str]]:
    """Verified domains by ``(dnssec_state, dane_state)``."""
    counts: Counter[tuple[str, str]] = Counter()
    for group in groups:
        counts[(group.dnssec_state, group.dane_state)] += group.count
    return counts


def funnel(groups: list[DomainGroup]) -> list[tuple[int, int]]:
    """``(step, domains at it)`` for steps 1 to 9 (the step each domain's service layer
    stored, ``domains.migration.refresh_steps``)."""
    counts: Counter[int] = Counter()
    for group in groups:
        if group.step is not None:
            counts[group.step] += group.count
    return [(step, counts[step]) for step in range(1, STEPS + 1)]


def findings_now(groups: list[DomainGroup]) -> list[tuple[str, int]]:
    """``(code, domains whose latest run has it)``, the most frequent first."""
    counts: Counter[str] = Counter()
    for group in groups:
        for code in set(group.codes or ()):
            counts[code] += group.count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class StuckDomain:
    """A domain waiting for its customer's MX change for longer than the setting."""

    name: str
    tenant: str
    since: datetime | None  # never None here (the filter); the column is nullable
    codes: str


def stuck_pending_mx(now: datetime, limit: int = STUCK_LIMIT) -> tuple[int, list[StuckDomain]]:
    """How many domains are in ``pending_mx`` since more than ``DANE_STUCK_PENDING_MX_DAYS``
    days, and the ``limit`` longest waiting, with their last codes."""
    cutoff = now - timedelta(days=settings.DANE_STUCK_PENDING_MX_DAYS)
    stuck = AcceptedDomain.objects.filter(
        dnssec_state="pending_mx", dnssec_state_since__lt=cutoff
    ).order_by("dnssec_state_since")
    rows = stuck.values_list("name", "tenant__slug", "dnssec_state_since", "last_check_codes")
    return stuck.count(), [
        StuckDomain(name, tenant, since, codes or "") for name, tenant, since, codes in rows[:limit]
    ]


@dataclass(frozen=True)
class SweepLag:
    """How far the status sweep is behind: checks due and not yet claimed."""

    overdue: int
    oldest_due: datetime | None
    seconds: float


def sweep_lag(now: datetime) -> SweepLag:
    """The domains whose ``next_check_at`` has passed, and how long ago the oldest one came."""
    row = AcceptedDomain.objects.filter(
        dnssec_state__in=DNSSEC_CHECKED_STATES, next_check_at__lt=now
    ).aggregate(overdue=Count("*"), oldest=Min("next_check_at"))
    oldest = row["oldest"]
    seconds = (now - oldest).total_seconds() if oldest is not None else 0.0
    return SweepLag(overdue=row["overdue"], oldest_due=oldest, seconds=seconds)


#: The operation events of the hourly rollup, in the overview's order.
OPERATION_EVENTS = (
    ActivityHourly.Event.REQUESTED,
    ActivityHourly.Event.SUCCEEDED,
    ActivityHourly.Event.FAILED,
)


@dataclass(frozen=True)
class OperationsSummary:
    """Operations in flight now, retrying now, and what happened in the last 24 hours."""

    in_flight: list[tuple[str, str, int]]  # (state, kind, count)
    retrying: list[tuple[str, int]]  # (kind, count): pending after a failed attempt
    last_day: list[tuple[str, int]]  # (event, count): requested, succeeded, failed
    failed_codes: list[tuple[str, str, int]]  # (kind, error code, count) failed since


def operations_in_flight() -> list[tuple[str, str, int]]:
    """Operations pending or running now, by state and kind (``operation_due``)."""
    in_flight = Operation.objects.filter(state__in=IN_FLIGHT_STATES).order_by()
    return sorted(in_flight.values_list("state", "kind").annotate(n=Count("*")))


def operations_retrying() -> list[tuple[str, int]]:
    """Operations pending after a failed attempt, by kind (``operation_due``)."""
    retrying = Operation.objects.filter(state=OperationState.PENDING, attempts__gt=0).order_by()
    return sorted(retrying.values_list("kind").annotate(n=Count("*")))


def first_hour(now: datetime, hours: int) -> datetime:
    """The start of the oldest of the ``hours`` hourly buckets ending with the current one."""
    return hour_of(now) - timedelta(hours=hours - 1)


def operations_summary(now: datetime) -> OperationsSummary:
    """The operations the overview shows: in flight (``operation_due``), and the last 24
    hourly buckets of the ``ActivityHourly`` rollup."""
    rows = (
        ActivityHourly.objects.filter(
            event__in=OPERATION_EVENTS, hour__gte=first_hour(now, OPERATION_HOURS)
        )
        .order_by()
        .values_list("event", "key")
        .annotate(n=Sum("count"))
    )
    totals: Counter[str] = Counter()
    failed: list[tuple[str, str, int]] = []
    for event, key, count in rows:
        totals[event] += count
        if event == ActivityHourly.Event.FAILED:
            kind, _, code = key.partition(" ")
            failed.append((kind, code, count))
    return OperationsSummary(
        in_flight=operations_in_flight(),
        retrying=operations_retrying(),
        last_day=[(event.value, totals[event]) for event in OPERATION_EVENTS],
        failed_codes=sorted(failed),
    )


def operations_per_hour(now: datetime, hours: int = OPERATION_HOURS) -> list[dict[str, Any]]:
    """Operations requested, succeeded and failed per hour over the last ``hours`` hours
    (oldest first), from the ``ActivityHourly`` rollup."""
    first = first_hour(now, hours)
    rows = (
        ActivityHourly.objects.filter(event__in=OPERATION_EVENTS, hour__gte=first)
        .order_by()
        .values_list("hour", "event")
        .annotate(n=Sum("count"))
    )
    counts = {(hour, event): n for hour, event, n in rows}
    series = []
    for index in range(hours):
        hour = first + timedelta(hours=index)
        row: dict[str, Any] = {"hour": hour}
        for event in OPERATION_EVENTS:
            row[event.value] = counts.get((hour, event.value), 0)
        series.append(row)
    return series


def trend_days(today: date, days: int = TREND_DAYS) -> list[date]:
    """The ``days`` days ending ``today``, oldest first."""
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def daily(kind: str, days: list[date], keys: list[str] | None = None) -> dict[str, list[int]]:
    """``key → count per day`` from the ``CheckRunDaily`` rollup (``keys``: only those)."""
    rows = CheckRunDaily.objects.filter(kind=kind, day__gte=days[0], day__lte=days[-1])
    if keys is not None:
        rows = rows.filter(key__in=keys)
    position = {day: index for index, day in enumerate(days)}
    series: dict[str, list[int]] = {key: [0] * len(days) for key in keys or ()}
    for day, key, count in rows.values_list("day", "key", "count"):
        series.setdefault(key, [0] * len(days))[position[day]] = count
    return dict(sorted(series.items()))


def outbound_verdicts(now: datetime, days: int = TREND_DAYS) -> list[tuple[str, int]]:
    """Outbound validations of the last ``days`` days (hourly buckets) by verdict, the most
    frequent first."""
    rows = (
        ActivityHourly.objects.filter(
            event=ActivityHourly.Event.VALIDATION, hour__gte=first_hour(now, days * 24)
        )
        .order_by()
        .values_list("key")
        .annotate(n=Sum("count"))
    )
    return sorted(rows, key=lambda item: (-item[1], item[0]))


def inbound_keys() -> list[InboundKey]:
    """The provider's inbound keys (a handful)."""
    return list(InboundKey.objects.order_by("not_after"))


@dataclass(frozen=True)
class Overview:
    """Everything the fleet overview shows."""

    now: datetime
    domains: int
    states: Counter[tuple[str, str]]
    funnel: list[tuple[int, int]]
    findings: list[tuple[str, int]]
    stuck_count: int
    stuck: list[StuckDomain]
    sweep: SweepLag
    operations: OperationsSummary
    days: list[date]
    outcomes: dict[str, list[int]]
    codes: dict[str, list[int]]
    hours: list[dict[str, Any]]
    verdicts: list[tuple[str, int]]


def overview(now: datetime | None = None) -> Overview:
    """The fleet overview at ``now`` (default: now)."""
    now = now or timezone.now()
    groups = domain_groups()
    findings = findings_now(groups)
    days = trend_days(now.date())
    top = [code for code, _count in findings[:TOP_CODES]]
    stuck_count, stuck = stuck_pending_mx(now)
    return Overview(
        now=now,
        domains=sum(group.count for group in groups),
        states=states(groups),
        funnel=funnel(groups),
        findings=findings[:TOP_CODES],
        stuck_count=stuck_count,
        stuck=stuck,
        sweep=sweep_lag(now),
        operations=operations_summary(now),
        days=days,
        outcomes=daily(CheckRunDaily.Kind.OUTCOME, days),
        codes=daily(CheckRunDaily.Kind.CODE, days, top),
        hours=operations_per_hour(now),
        verdicts=outbound_verdicts(now),
    )
