"""TLS-RPT service layer: the report URI of a domain, taking reports in (HTTPS and mail),
storing each once, processing the stored ones into details and daily aggregates (the worker),
counting refusals, and the retention purge."""

from __future__ import annotations

import gzip
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from dnsops.tlsrpt.mail import DnsFunc, read_report_mail, verify_report_signature
from dnsops.tlsrpt.report import (
    MEDIA_TYPE_GZIP,
    ReportLimits,
    ReportRejected,
    parse_report,
    read_report,
)
from dnsops.tlsrpt.report import (
    TlsReport as ParsedReport,
)
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.models import AcceptedDomain
from domains.notifications import events as notifications
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
from domains.transitions import enqueue

logger = logging.getLogger(__name__)


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


#: How long a process remembers a token it found (it saves the intake a query a report; the
#: insert checks the token again, so a rotated one stores nothing and answers 404).
KNOWN_TOKEN_SECONDS = 30.0
MAX_KNOWN_TOKENS = 10_000
_known_tokens: dict[str, float] = {}


def check_token(token: str) -> None:
    """EndpointNotFound unless a domain's report URI carries ``token`` (or did within the last
    ``KNOWN_TOKEN_SECONDS``, as this process saw)."""
    if not 16 <= len(token) <= 64:
        raise EndpointNotFound(token)
    now = time.monotonic()
    if _known_tokens.get(token, 0.0) > now:
        return
    if not TlsRptEndpoint.objects.filter(token=token).exists():
        raise EndpointNotFound(token)
    if len(_known_tokens) >= MAX_KNOWN_TOKENS:
        _known_tokens.clear()
    _known_tokens[token] = now + KNOWN_TOKEN_SECONDS


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
        TlsRptRefusal,
        ("day", "channel", "reason"),
        ("count",),
        [(timezone.now().date(), channel, reason[:32], 1)],
    )


#: Rows per upsert statement (SQLite allows 32766 parameters, PostgreSQL 65535).
INCREMENT_ROWS = 2000


def _increment(
    model: type[models.Model],
    key_columns: tuple[str, ...],
    amount_columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET c = c + excluded.c`` adding ``rows`` (key
    values, then amounts; keys distinct and sorted, so concurrent workers lock the rows in the
    same order). PostgreSQL: one array per column (``unnest``), so one statement of a few
    parameters however many rows; elsewhere ``VALUES``, a statement per ``INCREMENT_ROWS``."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names, amounts = (*key_columns, *amount_columns), amount_columns
    insert = f"INSERT INTO {table} ({', '.join(quote(c) for c in names)}) "
    sums = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in amounts)
    upsert = f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET {sums}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [_concrete_field(model, c).db_type(connection) for c in names]
            arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
            cursor.execute(
                f"{insert}SELECT * FROM unnest({arrays}) {upsert}",  # noqa: S608 - model names
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        row = "(" + ", ".join(["%s"] * len(names)) + ")"
        for start in range(0, len(rows), INCREMENT_ROWS):
            chunk = rows[start : start + INCREMENT_ROWS]
            cursor.execute(
                f"{insert}VALUES {', '.join([row] * len(chunk))} {upsert}",
                [value for values in chunk for value in values],
            )


def _aggregate(reports: list[tuple[TlsReport, ParsedReport]]) -> None:
    """Add the counts of ``reports`` to their domains' daily aggregates (two statements)."""
    daily: dict[tuple[int, date, str, str], list[int]] = {}
    organizations: dict[tuple[int, date, str], list[int]] = {}
    for report, parsed in reports:
        totals: dict[tuple[str, str], list[int]] = {}
        for policy in parsed.policies:
            summary = totals.setdefault((policy.policy_type, ""), [0, 0])
            summary[0] += policy.total_successful_session_count
            summary[1] += policy.total_failure_session_count
            for failure in policy.failure_details:
                totals.setdefault((policy.policy_type, failure.result_type), [0, 0])[1] += (
                    failure.failed_session_count
                )
        for (policy_type, result_type), (successful, failed) in totals.items():
            row = daily.setdefault(
                (report.domain_id, report.day, policy_type, result_type), [0] * 3
            )
            row[0] += successful
            row[1] += failed
            row[2] += 1
        org = organizations.setdefault(
            (report.domain_id, report.day, parsed.organization_name), [0] * 3
        )
        org[0] += 1
        org[1] += parsed.total_successful_session_count
        org[2] += parsed.total_failure_session_count
    _increment(
        TlsRptDaily,
        ("domain_id", "day", "policy_type", "result_type"),
        ("successful_sessions", "failed_sessions", "reports"),
        [(*key, *amounts) for key, amounts in sorted(daily.items())],
    )
    _increment(
        TlsRptOrganizationDaily,
        ("domain_id", "day", "organization_name"),
        ("reports", "successful_sessions", "failed_sessions"),
        [(*key, *amounts) for key, amounts in sorted(organizations.items())],
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
        with (
            connection.wrap_database_errors,  # as Django's own errors (DataError, ...)
            connection.cursor() as cursor,
            cursor.cursor.copy(copy_sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    TlsFailureDetail.objects.bulk_create(
        (TlsFailureDetail(**dict(zip(FAILURE_COLUMNS, row, strict=True))) for row in rows),
        batch_size=500,
    )


def _commit_without_waiting_for_the_disk() -> None:
    """``SET LOCAL synchronous_commit = off`` for the current transaction (PostgreSQL): see
    ``ASYNC_COMMIT``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


#: Columns the intake writes; the rest keep their defaults (``processed_at`` NULL: pending).
PENDING_COLUMNS = (
    "public_id",
    "organization_name",
    "report_id",
    "contact_info",
    "start_datetime",
    "end_datetime",
    "day",
    "channel",
    "received_at",
    "total_successful_session_count",
    "total_failure_session_count",
    "raw_gzip",
    "raw_size",
)
#: PostgreSQL: the intake's statement commits without waiting for its WAL to reach the disk
#: (``synchronous_commit`` is read at commit, and a lone statement is its own transaction). A
#: crash of the database server within about three ``wal_writer_delay`` (600 ms by default)
#: may lose the last reports answered 201, never leaving the data inconsistent. RFC 8460 §5
#: makes reporting best-effort (a reporter drops what it cannot deliver after its retries), so
#: that is a gap in one day's figures of one reporter, for one disk flush less per report.
#: The processing commits the same way: a batch lost there is simply pending again.
ASYNC_COMMIT = ", set_config('synchronous_commit', 'off', true)"


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field of ``model`` whose column (or attribute) is ``name``."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _insert_pending(
    domain_sql: str, domain_param: Any, values: dict[str, Any]
) -> tuple[int, int] | None:
    """Insert one pending report in one statement (one round trip, committed on its own):
    ``domain_sql`` is a scalar subquery, or ``%s``, giving the domain id from
    ``domain_param``. The new row's id and domain id; None when the domain is gone (no such
    token) or the report is a duplicate."""
    quote = connection.ops.quote_name
    fields = [_concrete_field(TlsReport, column) for column in PENDING_COLUMNS]
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    async_commit = ASYNC_COMMIT if connection.vendor == "postgresql" else ""
    sql = (
        f"INSERT INTO {quote(TlsReport._meta.db_table)} "  # noqa: S608 - names from the model
        f"(domain_id, {', '.join(quote(f.column) for f in fields)}) "
        f"SELECT source.id, {', '.join(['%s'] * len(fields))} "
        f"FROM (SELECT {domain_sql} AS id) AS source{async_commit} WHERE source.id IS NOT NULL "
        "ON CONFLICT (domain_id, organization_name, report_id) DO NOTHING RETURNING id, domain_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, domain_param])
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def store_report(
    parsed: ParsedReport,
    raw_json: bytes,
    *,
    channel: str,
    raw_gzip: bytes | None = None,
    domain: AcceptedDomain | None = None,
    token: str | None = None,
) -> Ingested:
    """Store the validated report ``parsed`` once (organization + report-id) as a pending row
    and wake the worker that writes its details and aggregates (:func:`process_pending_reports`);
    a duplicate changes nothing. The report is ``domain``'s, or that of the domain whose report
    URI carries ``token`` (EndpointNotFound when none does, e.g. rotated meanwhile).

    One statement: RFC 8460 §5.4 lets the receiver answer before it processes the report.
    """
    values = {
        "public_id": uuid.uuid4(),
        "organization_name": parsed.organization_name,
        "report_id": parsed.report_id,
        "contact_info": parsed.contact_info,
        "start_datetime": parsed.start,
        "end_datetime": parsed.end,
        "day": parsed.start.date(),
        "channel": channel,
        "received_at": timezone.now(),
        "total_successful_session_count": parsed.total_successful_session_count,
        "total_failure_session_count": parsed.total_failure_session_count,
        "raw_gzip": raw_gzip if raw_gzip is not None else gzip.compress(raw_json, 6),
        "raw_size": len(raw_json),
    }
    if domain is not None:
        inserted = _insert_pending("%s", domain.pk, values)
        same_domain = Q(domain=domain)
    else:
        endpoints = connection.ops.quote_name(TlsRptEndpoint._meta.db_table)
        by_token = f"(SELECT domain_id FROM {endpoints} WHERE token = %s)"  # noqa: S608
        inserted = _insert_pending(by_token, token, values)
        same_domain = Q(domain__tlsrpt_endpoint__token=token)
    if inserted is not None:
        transaction.on_commit(wake_report_processing)  # at once outside a transaction
        pk, domain_id = inserted
        report = TlsReport(pk=pk, domain_id=domain_id, **values)
        if domain is not None:
            report.domain = domain
        return Ingested(report, created=True)
    existing = (
        TlsReport.objects.filter(same_domain)
        .filter(organization_name=parsed.organization_name, report_id=parsed.report_id)
        .first()
    )
    if existing is None:
        raise EndpointNotFound(token)
    return Ingested(existing, created=False)


#: The worker's task, enqueued by name (``domains.tasks`` imports this module).
PROCESS_TASK = "domains.tasks.process_tls_reports"
#: A wake-up runs this long after it is sent; reports committed meanwhile in the same process
#: send none (at most a few wake-ups a second per web process, however many reports come).
WAKE_DELAY = 0.25
_wake_covers_until = 0.0


def wake_report_processing() -> None:
    """Ask the worker to process the pending reports (after the report's commit), unless a
    wake-up this process sent has not run yet: it runs after this commit, so it finds the
    report. The beat sweep catches what a lost wake-up leaves pending."""
    global _wake_covers_until
    now = time.monotonic()
    if now < _wake_covers_until:
        return
    _wake_covers_until = now + WAKE_DELAY
    enqueue(PROCESS_TASK, countdown=WAKE_DELAY, expires=WAKE_DELAY + 60)


#: Reports processed per transaction by :func:`process_pending_reports`.
PROCESS_BATCH = 100


def process_pending_reports(batch_size: int = PROCESS_BATCH) -> int:
    """Write the policies, failure details and aggregates of the pending reports, a batch per
    transaction, until none is left; the number processed.

    Each batch is claimed with ``FOR UPDATE SKIP LOCKED`` and marked processed in the
    transaction that writes its rows, so concurrent workers share the work, a worker that dies
    leaves its batch pending (nothing lost), and no report is ever counted twice. A batch the
    database refuses is processed again one report at a time, so that one bad report cannot
    hold up the others.
    """
    processed = 0
    while True:
        claimed: list[int] = []
        try:
            count = _process_batch(batch_size, claimed)
        except DatabaseError:
            logger.exception("TLS-RPT batch refused by the database; one report at a time")
            count = sum(_process_alone(pk) for pk in claimed)
        if not claimed:
            return processed
        processed += count


#: What the processing reads of a pending report: the stored JSON, what the rows it writes
#: are keyed by, and what its ``domain.tlsrpt_failure`` event says.
PROCESSED_COLUMNS = (
    "id",
    "public_id",
    "domain_id",
    "day",
    "start_datetime",
    "organization_name",
    "report_id",
    "total_successful_session_count",
    "total_failure_session_count",
    "raw_gzip",
)


def _process_batch(batch_size: int, claimed: list[int], only: int | None = None) -> int:
    """Claim up to ``batch_size`` pending reports (``only``: that one), write their rows and
    mark them processed, in one transaction; their ids go into ``claimed``."""
    with transaction.atomic():
        _commit_without_waiting_for_the_disk()
        pending = TlsReport.objects.filter(processed_at__isnull=True)
        if only is not None:
            pending = pending.filter(pk=only)
        batch = list(
            pending.select_for_update(skip_locked=True)
            .order_by("id")
            .only(*PROCESSED_COLUMNS)[:batch_size]
        )
        claimed.extend(report.pk for report in batch)
        if batch:
            _write_details(batch)
            TlsReport.objects.filter(pk__in=claimed).update(processed_at=timezone.now())
    return len(batch)


def _process_alone(pk: int) -> int:
    """Process the pending report ``pk`` on its own; if the database refuses its rows, mark it
    processed without details (logged), as a report that no longer parses is."""
    try:
        return _process_batch(1, [], only=pk)
    except DatabaseError:
        logger.exception("TLS report %s refused by the database; kept without details", pk)
        TlsReport.objects.filter(pk=pk, processed_at__isnull=True).update(
            processed_at=timezone.now()
        )
        return 1


def _parsed(report: TlsReport) -> ParsedReport | None:
    """The stored report parsed again (it was validated at intake); None, logged, if it no
    longer parses (it is then kept without details rather than blocking the queue)."""
    try:
        return parse_report(json.loads(gzip.decompress(bytes(report.raw_gzip))))
    except (ReportRejected, ValueError, KeyError, TypeError, OSError, EOFError):
        logger.exception("TLS report %s does not parse; kept without details", report.pk)
        return None


def _write_details(batch: list[TlsReport]) -> None:
    """The policies (one INSERT), failure details (one COPY), aggregates (two upserts) and
    ``domain.tlsrpt_failure`` events (one read of the domains, one INSERT) of the reports in
    ``batch``."""
    parsed = [(report, found) for report in batch if (found := _parsed(report)) is not None]
    policies = TlsReportPolicy.objects.bulk_create(
        TlsReportPolicy(
            report_id=report.pk,
            policy_type=policy.policy_type,
            reported_policy_type=policy.reported_policy_type,
            policy_domain=policy.policy_domain or "",
            policy_string=list(policy.policy_string),
            mx_host=list(policy.mx_host),
            total_successful_session_count=policy.total_successful_session_count,
            total_failure_session_count=policy.total_failure_session_count,
        )
        for report, found in parsed
        for policy in found.policies
    )
    rows = iter(policies)
    failures: list[tuple[Any, ...]] = []
    for report, found in parsed:
        for policy in found.policies:
            policy_pk = next(rows).pk
            failures.extend(
                (
                    policy_pk,
                    report.pk,
                    report.domain_id,
                    report.day,
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
                for failure in policy.failure_details
            )
    _insert_failures(failures)
    _aggregate(parsed)
    failing = sorted(
        (report for report, _ in parsed if report.total_failure_session_count > 0),
        key=lambda report: (report.start_datetime, report.pk),
        reverse=True,  # TlsReport's order, as the events were written one by one
    )
    domains = AcceptedDomain.objects.select_related("tenant").in_bulk(
        {report.domain_id for report in failing}
    )
    for report in failing:
        report.domain = domains[report.domain_id]
    notifications.record_tlsrpt_failures(failing)


def accept_https_report(token: str, body: bytes, media_type: str) -> Ingested:
    """A report POSTed to ``/tlsrpt/<token>/`` (``check_token(token)`` passed): checked,
    limited, stored once for the domain the token is of. Raises RateLimited, ReportRejected
    (counted, nothing stored), or EndpointNotFound (the token was rotated meanwhile)."""
    check_rate(token)
    try:
        parsed, raw_json = read_report(body, media_type, report_limits())
    except ReportRejected as exc:
        count_refusal(Channel.HTTPS, exc.reason)
        raise
    raw_gzip = body if media_type == MEDIA_TYPE_GZIP else None
    return store_report(parsed, raw_json, channel=Channel.HTTPS, raw_gzip=raw_gzip, token=token)


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
    return store_report(parsed, raw_json, channel=Channel.MAIL, raw_gzip=raw_gzip, domain=domain)


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
