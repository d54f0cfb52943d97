"""TLS-RPT service layer: the report URI of a domain, taking reports in (HTTPS and mail),
storing each once with its daily aggregates, counting refusals, and the retention purge."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from dnsops.tlsrpt.mail import DnsFunc, read_report_mail, verify_report_signature
from dnsops.tlsrpt.report import (
    MEDIA_TYPE_GZIP,
    ReportLimits,
    ReportRejected,
    read_report,
)
from dnsops.tlsrpt.report import (
    TlsReport as ParsedReport,
)
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.models import AcceptedDomain
from domains.tlsrpt.models import (
    Channel,
    TlsFailureDetail,
    TlsReport,
    TlsReportPolicy,
    TlsRptDaily,
    TlsRptEndpoint,
    TlsRptOrganizationDaily,
    TlsRptRefusal,
    new_tlsrpt_token,
)


class EndpointNotFound(Exception):
    """No domain has this report token (never issued, or rotated away)."""


class RateLimited(Exception):
    """The token sent more reports this minute than ``TLSRPT_RATE_PER_TOKEN`` allows."""

    def __init__(self, retry_after: int) -> None:
        """``retry_after``: seconds until the window ends."""
        super().__init__("Too many reports for this endpoint; retry later.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Ingested:
    """A report taken in: the stored row, and False when it was already stored (duplicate)."""

    report: TlsReport
    created: bool


def report_limits() -> ReportLimits:
    """The size and depth limits from the settings."""
    return ReportLimits(
        max_compressed=settings.TLSRPT_MAX_UPLOAD_BYTES,
        max_decompressed=settings.TLSRPT_MAX_REPORT_BYTES,
        max_depth=settings.TLSRPT_MAX_JSON_DEPTH,
    )


def endpoint_for(domain: AcceptedDomain) -> TlsRptEndpoint:
    """The domain's report endpoint, allocated on first use (the token is its default); a
    ``select_related("tlsrpt_endpoint")`` of the caller saves the query."""
    try:
        return domain.tlsrpt_endpoint
    except TlsRptEndpoint.DoesNotExist:
        endpoint, _ = TlsRptEndpoint.objects.get_or_create(domain=domain)
        return endpoint


def attach_endpoints(domains: Sequence[AcceptedDomain]) -> None:
    """Give each domain of a page read with ``select_related("tlsrpt_endpoint")`` its report
    endpoint, allocating the missing ones in one statement (and reading them in another), so
    a page costs the same queries whatever its size."""
    missing = []
    for domain in domains:
        try:
            domain.tlsrpt_endpoint  # noqa: B018 - cached by select_related: no query
        except TlsRptEndpoint.DoesNotExist:
            missing.append(domain)
    if not missing:
        return
    TlsRptEndpoint.objects.bulk_create(
        [TlsRptEndpoint(domain=domain) for domain in missing], ignore_conflicts=True
    )
    endpoints = {e.domain_id: e for e in TlsRptEndpoint.objects.filter(domain__in=missing)}
    for domain in missing:
        domain.tlsrpt_endpoint = endpoints[domain.pk]


def rua_for(domain: AcceptedDomain) -> str:
    """``https://<DANE_PUBLIC_URL host>/tlsrpt/<token>/``: where senders post the reports."""
    host = urlsplit(settings.DANE_PUBLIC_URL).netloc
    return f"https://{host}/tlsrpt/{endpoint_for(domain).token}/"


def tlsrpt_record(domain: AcceptedDomain) -> str:
    """The exact TXT value to publish at ``_smtp._tls.<domain>``."""
    return f"v=TLSRPTv1; rua={rua_for(domain)}"


def rotate_token(domain: AcceptedDomain, *, actor: Actor) -> TlsRptEndpoint:
    """A new report token for ``domain`` (the old URI stops working at once); audited."""
    with transaction.atomic():
        endpoint = endpoint_for(domain)  # the domain's cached one, so the caller sees the new
        TlsRptEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        endpoint.token = new_tlsrpt_token()
        endpoint.rotated_at = timezone.now()
        endpoint.save(update_fields=["token", "rotated_at"])
        record_audit_event(
            AuditAction.TLSRPT_TOKEN_ROTATED,
            actor=actor,
            tenant=domain.tenant,
            target_type="domain",
            target_id=domain.name,
        )
    return endpoint


def domain_of_token(token: str) -> AcceptedDomain:
    """The domain whose report URI carries ``token``; EndpointNotFound otherwise."""
    if not 16 <= len(token) <= 64:
        raise EndpointNotFound(token)
    endpoint = TlsRptEndpoint.objects.select_related("domain").filter(token=token).first()
    if endpoint is None:
        raise EndpointNotFound(token)
    return endpoint.domain


def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/min"`` as (120, 60): requests per window of seconds (s, min, hour, day)."""
    number, _, unit = rate.partition("/")
    windows = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(number), windows[unit.strip()[:1].lower()]


def check_rate(token: str) -> None:
    """Count one report against the token's allowance; RateLimited past it."""
    count, window = parse_rate(settings.TLSRPT_RATE_PER_TOKEN)
    now = int(timezone.now().timestamp())
    key = f"tlsrpt-rate:{token}:{now // window}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        used = 1
    if used > count:
        raise RateLimited(retry_after=window - now % window)


def count_refusal(channel: str, reason: str) -> None:
    """Add one to the refusal counter of today, ``channel`` and ``reason``."""
    _increment(
        TlsRptRefusal._meta.db_table,
        ("day", "channel", "reason"),
        ("count",),
        [(timezone.now().date(), channel, reason[:32], 1)],
    )


def _increment(
    table: str,
    key_columns: tuple[str, ...],
    amount_columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """One ``INSERT ... VALUES (...), ... ON CONFLICT (key) DO UPDATE SET c = c + excluded.c``
    (PostgreSQL and SQLite) adding ``rows`` (key values, then amounts; keys distinct and in a
    fixed order, so concurrent reports lock the rows in the same order)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (*key_columns, *amount_columns))
    row = "(" + ", ".join(["%s"] * (len(key_columns) + len(amount_columns))) + ")"
    updates = ", ".join(
        f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in amount_columns
    )
    sql = (
        f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([row] * len(rows))} "  # noqa: S608 - names from models
        f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for values in rows for value in values])


def _aggregate(domain: AcceptedDomain, day: date, parsed: ParsedReport) -> None:
    """Add the report's counts to the domain's daily aggregates (two statements)."""
    totals: dict[tuple[str, str], list[int]] = {}
    for policy in parsed.policies:
        summary = totals.setdefault((policy.policy_type, ""), [0, 0])
        summary[0] += policy.total_successful_session_count
        summary[1] += policy.total_failure_session_count
        for failure in policy.failure_details:
            totals.setdefault((policy.policy_type, failure.result_type), [0, 0])[1] += (
                failure.failed_session_count
            )
    _increment(
        TlsRptDaily._meta.db_table,
        ("domain_id", "day", "policy_type", "result_type"),
        ("successful_sessions", "failed_sessions", "reports"),
        [
            (domain.pk, day, policy_type, result_type, successful, failed, 1)
            for (policy_type, result_type), (successful, failed) in sorted(totals.items())
        ],
    )
    _increment(
        TlsRptOrganizationDaily._meta.db_table,
        ("domain_id", "day", "organization_name"),
        ("reports", "successful_sessions", "failed_sessions"),
        [
            (
                domain.pk,
                day,
                parsed.organization_name,
                1,
                parsed.total_successful_session_count,
                parsed.total_failure_session_count,
            )
        ],
    )


FAILURE_COLUMNS = (
    "policy_id",
    "report_id",
    "domain_id",
    "day",
    "policy_type",
    "result_type",
    "failed_session_count",
    "sending_mta_ip",
    "receiving_mx_hostname",
    "receiving_mx_helo",
    "receiving_ip",
    "additional_information",
    "failure_reason_code",
)


def _insert_failures(rows: list[tuple[Any, ...]]) -> None:
    """Insert failure-detail rows (``FAILURE_COLUMNS``): COPY on PostgreSQL (a large report
    has thousands), a multi-row INSERT elsewhere."""
    if not rows:
        return
    table = TlsFailureDetail._meta.db_table
    if connection.vendor == "postgresql":
        columns = ", ".join(FAILURE_COLUMNS)
        copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    TlsFailureDetail.objects.bulk_create(
        (TlsFailureDetail(**dict(zip(FAILURE_COLUMNS, row, strict=True))) for row in rows),
        batch_size=500,
    )


def store_report(
    domain: AcceptedDomain,
    parsed: ParsedReport,
    raw_json: bytes,
    *,
    channel: str,
    raw_gzip: bytes | None = None,
) -> Ingested:
    """Store ``parsed`` for ``domain`` once (organization + report-id), with its policies,
    failure details and aggregates, in one transaction; a duplicate changes nothing."""
    day = parsed.start.date()
    try:
        with transaction.atomic():
            report = TlsReport.objects.create(
                domain=domain,
                organization_name=parsed.organization_name,
                report_id=parsed.report_id,
                contact_info=parsed.contact_info,
                start_datetime=parsed.start,
                end_datetime=parsed.end,
                day=day,
                channel=channel,
                total_successful_session_count=parsed.total_successful_session_count,
                total_failure_session_count=parsed.total_failure_session_count,
                raw_gzip=raw_gzip if raw_gzip is not None else gzip.compress(raw_json, 6),
                raw_size=len(raw_json),
            )
            policies = TlsReportPolicy.objects.bulk_create(
                TlsReportPolicy(
                    report=report,
                    policy_type=policy.policy_type,
                    reported_policy_type=policy.reported_policy_type,
                    policy_domain=policy.policy_domain or "",
                    policy_string=list(policy.policy_string),
                    mx_host=list(policy.mx_host),
                    total_successful_session_count=policy.total_successful_session_count,
                    total_failure_session_count=policy.total_failure_session_count,
                )
                for policy in parsed.policies
            )
            _insert_failures(
                [
                    (
                        row.pk,
                        report.pk,
                        domain.pk,
                        day,
                        policy.policy_type,
                        failure.result_type,
                        failure.failed_session_count,
                        failure.sending_mta_ip,
                        failure.receiving_mx_hostname or "",
                        failure.receiving_mx_helo or "",
                        failure.receiving_ip,
                        failure.additional_information or "",
                        failure.failure_reason_code or "",
                    )
                    for row, policy in zip(policies, parsed.policies, strict=True)
                    for failure in policy.failure_details
                ]
            )
            _aggregate(domain, day, parsed)
    except IntegrityError:
        existing = TlsReport.objects.filter(
            domain=domain,
            organization_name=parsed.organization_name,
            report_id=parsed.report_id,
        ).first()
        if existing is None:
            raise
        return Ingested(existing, created=False)
    return Ingested(report, created=True)


def accept_https_report(
    domain: AcceptedDomain, token: str, body: bytes, media_type: str
) -> Ingested:
    """A report POSTed to ``/tlsrpt/<token>/`` (``domain``: ``domain_of_token(token)``):
    checked, limited, stored once. Raises RateLimited, or ReportRejected (counted, nothing
    stored)."""
    check_rate(token)
    try:
        parsed, raw_json = read_report(body, media_type, report_limits())
    except ReportRejected as exc:
        count_refusal(Channel.HTTPS, exc.reason)
        raise
    raw_gzip = body if media_type == MEDIA_TYPE_GZIP else None
    return store_report(domain, parsed, raw_json, channel=Channel.HTTPS, raw_gzip=raw_gzip)


def domain_for_mail(report_domain: str | None, parsed: ParsedReport) -> AcceptedDomain:
    """The verified domain a mailed report is about: the ``TLS-Report-Domain`` header or a
    policy-domain naming a verified domain, or (``tlsa`` policies) its MX host."""
    names = [report_domain, *(p.policy_domain for p in parsed.policies)]
    candidates = list(dict.fromkeys(name for name in names if name))
    verified = AcceptedDomain.objects.filter(verified_at__isnull=False)
    by_mx = Q()
    for name in candidates:
        label, _, zone = name.partition(".")
        by_mx |= Q(mx_token=label, partition__zone=zone)
    for domain in verified.filter(Q(name__in=candidates) | by_mx):
        return domain
    raise ReportRejected(
        "unknown-domain", f"No verified domain is named by the report ({', '.join(candidates)})."
    )


def accept_mail_report(message: bytes, dnsfunc: DnsFunc) -> Ingested:
    """A mailed report (RFC 8460 §5.3): DKIM of the submitter verified, then checked and
    stored once. Raises ReportRejected (counted, nothing stored)."""
    try:
        mail = read_report_mail(message, settings.TLSRPT_MAX_MAIL_BYTES)
        verify_report_signature(message, mail.submitter, dnsfunc)
        parsed, raw_json = read_report(mail.body, mail.media_type, report_limits())
        domain = domain_for_mail(mail.report_domain, parsed)
    except ReportRejected as exc:
        count_refusal(Channel.MAIL, exc.reason)
        raise
    raw_gzip = mail.body if mail.media_type == MEDIA_TYPE_GZIP else None
    return store_report(domain, parsed, raw_json, channel=Channel.MAIL, raw_gzip=raw_gzip)


def purge_expired_reports(now: datetime | None = None) -> int:
    """Delete reports and aggregates older than ``TLSRPT_RETENTION_DAYS``; audited."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TLSRPT_RETENTION_DAYS)
    with transaction.atomic():
        deleted, _ = TlsReport.objects.filter(end_datetime__lt=cutoff).delete()
        TlsRptDaily.objects.filter(day__lt=cutoff.date()).delete()
        TlsRptOrganizationDaily.objects.filter(day__lt=cutoff.date()).delete()
        TlsRptRefusal.objects.filter(day__lt=cutoff.date()).delete()
        if deleted:
            record_audit_event(
                AuditAction.TLSRPT_REPORTS_PURGED,
                actor=Actor.system(),
                tenant=None,
                target_type="tlsrpt",
                target_id="reports",
                data={"before": cutoff.isoformat(), "deleted_rows": deleted},
            )
    return deleted
