"""Reads of TLS-RPT data for the API and the pages, each scoped to one domain (which the
caller got through ``domains.selectors.get_domain``, so tenant isolation holds) or, for the
operators' views, across all domains."""

from __future__ import annotations

import gzip
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from domains.models import AcceptedDomain
from domains.tlsrpt.models import (
    TlsFailureDetail,
    TlsReport,
    TlsRptDaily,
    TlsRptOrganizationDaily,
    TlsRptRefusal,
)

#: Result types that, reported for the provider's own MX host, mean a fault senders see.
OWN_MX_FAULTS = ("tlsa-invalid", "dnssec-invalid", "validation-failure")
OWN_MX_FAULT_PREFIX = "certificate-"


@dataclass(frozen=True)
class DaySummary:
    """Sessions of one UTC day, with RFC 8460's field names."""

    date: date
    total_successful_session_count: int
    total_failure_session_count: int
    result_types: dict[str, int]


def first_day(days: int) -> date:
    """The first UTC day of the ``days`` days ending today."""
    return timezone.now().date() - timedelta(days=days - 1)


def processed_reports(domain: AcceptedDomain) -> QuerySet[TlsReport]:
    """The domain's reports whose details and aggregates are written (a report the intake
    has just stored shows once the worker has processed it)."""
    return TlsReport.objects.filter(domain=domain, processed_at__isnull=False)


def reports_of(
    domain: AcceptedDomain,
    *,
    since: date | None = None,
    until: date | None = None,
    result_type: str | None = None,
) -> QuerySet[TlsReport]:
    """The domain's processed reports, newest first; by UTC day and by a result type they
    contain."""
    reports = processed_reports(domain).defer("raw_gzip")
    if since is not None:
        reports = reports.filter(day__gte=since)
    if until is not None:
        reports = reports.filter(day__lte=until)
    if result_type:
        reports = reports.filter(
            pk__in=TlsFailureDetail.objects.filter(domain=domain, result_type=result_type).values(
                "report_id"
            )
        )
    return reports


def report_of(domain: AcceptedDomain, public_id: uuid.UUID) -> TlsReport | None:
    """One processed report of the domain with its policies and failure details, or None."""
    return (
        processed_reports(domain)
        .filter(public_id=public_id)
        .defer("raw_gzip")
        .prefetch_related("policies__failure_details")
        .first()
    )


def raw_report(domain: AcceptedDomain, public_id: uuid.UUID) -> tuple[TlsReport, bytes] | None:
    """(the processed report, its JSON as received, gzipped) or None."""
    report = processed_reports(domain).filter(public_id=public_id).first()
    if report is None:
        return None
    return report, bytes(report.raw_gzip)


def raw_json(report: TlsReport) -> bytes:
    """The report's JSON as received (decompressed; its size was bounded at intake)."""
    return gzip.decompress(bytes(report.raw_gzip))


def daily_summary(domain: AcceptedDomain, days: int) -> list[DaySummary]:
    """Every UTC day of the last ``days`` (oldest first, zero when no report came), from the
    daily aggregates: a few rows per day however many failure details were reported."""
    start = first_day(days)
    rows = TlsRptDaily.objects.filter(domain=domain, day__gte=start).values_list(
        "day", "result_type", "successful_sessions", "failed_sessions"
    )
    days_in_range = [start + timedelta(days=n) for n in range(days)]
    totals = {day: [0, 0] for day in days_in_range}
    result_types: dict[date, dict[str, int]] = {day: {} for day in days_in_range}
    for day, result_type, successful, failed in rows:
        if day not in totals:
            continue  # a report dated in the future
        if result_type:
            result_types[day][result_type] = result_types[day].get(result_type, 0) + failed
        else:
            totals[day][0] += successful
            totals[day][1] += failed
    return [
        DaySummary(day, totals[day][0], totals[day][1], dict(sorted(result_types[day].items())))
        for day in days_in_range
    ]


def policy_result_types(domain: AcceptedDomain, days: int) -> list[dict[str, Any]]:
    """Failed sessions per policy type and result type over the last ``days``."""
    return list(
        TlsRptDaily.objects.filter(domain=domain, day__gte=first_day(days))
        .exclude(result_type="")
        .values("policy_type", "result_type")
        .annotate(failed_sessions=Sum("failed_sessions"))
        .order_by("-failed_sessions", "policy_type", "result_type")
    )


def reporting_organizations(domain: AcceptedDomain, days: int) -> list[dict[str, Any]]:
    """Reports and sessions per reporting organization over the last ``days``."""
    return list(
        TlsRptOrganizationDaily.objects.filter(domain=domain, day__gte=first_day(days))
        .values("organization_name")
        .annotate(
            reports=Sum("reports"),
            successful_sessions=Sum("successful_sessions"),
            failed_sessions=Sum("failed_sessions"),
        )
        .order_by("-reports", "organization_name")
    )


def failure_groups(domain: AcceptedDomain, days: int, limit: int = 100) -> list[dict[str, Any]]:
    """Failed sessions grouped by result type, sending MTA, receiving MX and IP and reason."""
    return list(
        TlsFailureDetail.objects.filter(domain=domain, day__gte=first_day(days))
        .values(
            "result_type",
            "sending_mta_ip",
            "receiving_mx_hostname",
            "receiving_ip",
            "failure_reason_code",
        )
        .annotate(
            failed_sessions=Sum("failed_session_count"), reports=Count("report", distinct=True)
        )
        .order_by("-failed_sessions")[:limit]
    )


def own_mx_faults(domain: AcceptedDomain, days: int) -> QuerySet[TlsFailureDetail]:
    """Failures reported for the domain's MX host at the provider whose result type means a
    fault of ours (tlsa-invalid, dnssec-invalid, certificate-*, validation-failure), for the
    domain's history beside its check runs."""
    host = domain.dnssec_mx_value
    if host is None:
        return TlsFailureDetail.objects.none()
    faults = TlsFailureDetail.objects.filter(
        domain=domain, day__gte=first_day(days), receiving_mx_hostname=host.lower()
    )
    return faults.filter(result_type__in=OWN_MX_FAULTS) | faults.filter(
        result_type__startswith=OWN_MX_FAULT_PREFIX
    )


def reports_received_per_day(days: int) -> list[dict[str, Any]]:
    """Operators: reports stored per UTC day of receipt (``received_at``, not the day the
    report covers), all domains, over the last ``days`` days; ``pending``: those of them not
    processed yet. Only days with a report."""
    return list(
        TlsReport.objects.filter(received_at__gte=_start_of(first_day(days)))
        .annotate(received=TruncDate("received_at", tzinfo=UTC))
        .values("received")
        .annotate(reports=Count("id"), pending=Count("id", filter=Q(processed_at__isnull=True)))
        .order_by("received")
    )


def _start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def refusals_per_day(days: int) -> list[dict[str, Any]]:
    """Operators: reports refused per day, channel and reason."""
    refusals = TlsRptRefusal.objects.filter(day__gte=first_day(days)).order_by(
        "day", "channel", "reason"
    )
    return [
        {"day": row.day, "channel": row.channel, "reason": row.reason, "count": row.count}
        for row in refusals
    ]


def top_failing_domains(days: int, limit: int = 20) -> list[dict[str, Any]]:
    """Operators: the domains with the most failed sessions over the last ``days``."""
    return list(
        TlsRptDaily.objects.filter(day__gte=first_day(days), result_type="")
        .values("domain__name")
        .annotate(
            failed_sessions=Sum("failed_sessions"), successful_sessions=Sum("successful_sessions")
        )
        .filter(failed_sessions__gt=0)
        .order_by("-failed_sessions")[:limit]
    )


def result_types_over_time(days: int) -> list[dict[str, Any]]:
    """Operators: failed sessions per day and result type, all domains."""
    return list(
        TlsRptDaily.objects.filter(day__gte=first_day(days))
        .exclude(result_type="")
        .values("day", "result_type")
        .annotate(failed_sessions=Sum("failed_sessions"))
        .order_by("day", "result_type")
    )


@dataclass(frozen=True)
class PublishedState:
    """What the latest check run saw at ``_smtp._tls.<domain>``: ``published`` is None when
    the domain was not checked yet or the lookup failed; ``ours`` says whether one of the
    published report URIs is the provider's endpoint."""

    published: bool | None
    valid: bool
    rua: list[str]
    ours: bool
    checked_at: datetime | None


def published_state(domain: AcceptedDomain, rua: str) -> PublishedState:
    """The TLS-RPT section of the domain's latest check run, against our report URI ``rua``."""
    run = domain.check_runs.order_by("-started_at", "-id").only("started_at", "result").first()
    section = None if run is None else (run.result or {}).get("TlsRpt")
    if run is None or not section:
        return PublishedState(None, False, [], False, None if run is None else run.started_at)
    published_rua = [str(uri) for uri in section.get("Rua") or []]
    return PublishedState(
        section.get("Published"),
        bool(section.get("Valid")),
        published_rua,
        rua in published_rua,
        run.started_at,
    )


def own_mx_fault_days(domain: AcceptedDomain, days: int) -> dict[date, dict[str, int]]:
    """Per UTC day of the last ``days``, the failed sessions of each own-MX fault result type
    (only days with one): what the history marks beside the check runs."""
    rows = (
        own_mx_faults(domain, days)
        .values("day", "result_type")
        .annotate(failed_sessions=Sum("failed_session_count"))
        .order_by("day", "result_type")
    )
    marked: dict[date, dict[str, int]] = {}
    for row in rows:
        marked.setdefault(row["day"], {})[row["result_type"]] = row["failed_sessions"]
    return marked
