"""Status checks of accepted domains (Get-DnssecStatusForVerifiedDomain, SPEC §5): run them now,
keep every run as history, schedule the next one, sweep due domains, and move a domain from
``pending_mx`` to ``enabled`` once its MX section passes.

The API, the management command and the tasks call these functions; the checks themselves
are :mod:`dnsops.checks` (pure logic) fed by :mod:`dnsops.checks.runner` (DNS and HTTPS).

Schedule: a domain in ``pending_mx`` or ``enabled`` is due when ``next_check_at`` has come.
After a run the next one is ``DANE_CHECK_INTERVAL`` seconds away, doubled for every run in a
row whose findings did not change, up to ``DANE_CHECK_MAX_INTERVAL`` (±10 % jitter); a
command (enable/disable) sets it to now. No lock is held while DNS or HTTPS work runs.

Sweep, claim and lease (beat every 15 s, ``check-due-domains``):

- The sweep claims due domains with ``SKIP LOCKED``, pushes their ``next_check_at`` forward by
  :data:`CLAIM_LEASE` (60 s) and enqueues them in chunks of ``DANE_CHECK_BATCH_SIZE`` on the
  ``checks`` queue; each chunk carries the time of its claim.
- The worker that starts a chunk takes only the domains that no worker has started since
  that claim (``AcceptedDomain.check_started_at``, set as it takes them, row by row under the
  row's lock), sets their ``next_check_at`` to a lease of ``DANE_CHECK_LEASE_SECONDS`` (30 s)
  and renews it every third of that while the checks run (:mod:`domains.leases`); each stored
  run then sets the next check.
- A chunk that waits in the queue longer than its claim, whose message is lost, or whose
  worker died before starting it: its domains are due again when the claim runs out, and a
  sweep claims them into a new chunk at most 75 s (60 s + one beat) after the first claim.
  Whichever of the two chunks starts first checks them; the other finds them started since
  its claim and skips them, so nothing is checked twice at once, a backlog only adds cheap
  empty chunks (one per minute a chunk waits), and no domain starves behind its own
  re-dispatches. (The claim time is the beat's clock, the start the worker's: keep them in
  step, as NTP does; a skew only matters when it exceeds the gap between a re-claim and the
  other chunk's start.)
- A worker that dies while checking (or a message redelivered after Redis's visibility
  timeout while the first delivery still runs): the copy skips the domains (started after its
  claim); the lease runs out 30 s after the last heartbeat and the next sweep claims them anew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dnsops.checks.findings import SectionResult, SectionStatus
from dnsops.checks.runner import (
    CheckFailure,
    CheckOutcome,
    CheckTarget,
    DnsStats,
    FailureKind,
    RunnerConfig,
    check_one_beside,
    check_stream,
)
from dnsops.checks.status import DomainGate, StatusResult, evaluate
from dnsops.dns import resolver
from dnsops.dns.types import printable
from domains import errors, instruments, migration, rollups, selectors
from domains.audit import Actor
from domains.choices import DnssecState
from domains.leases import Renewal, heartbeat
from domains.models import DNSSEC_CHECKED_STATES, AcceptedDomain, CheckRun, Tenant
from domains.names import DomainNameError, parse_domain_name
from domains.notifications import events as notifications
from domains.tlsrpt import services as tlsrpt_services
from domains.transitions import Move, enqueue, move_states

logger = logging.getLogger(__name__)

#: How far the sweep's claim pushes ``next_check_at``: how long a chunk may wait in the queue
#: before its domains are claimed again into another chunk (the first of the two to start
#: checks them; then the worker's own lease, renewed while it works, takes over).
CLAIM_LEASE = timedelta(seconds=60)
#: Chunks one sweep dispatches at most (the next beat takes the rest).
MAX_CHUNKS_PER_SWEEP = 200
#: The task that checks one claimed chunk, enqueued by name (``domains.tasks`` imports this).
CHECK_DOMAINS = "domains.tasks.check_domains"
#: Results stored per transaction while a chunk is being checked.
WRITE_BATCH = 200


class DomainNotInService(errors.DomainNotFound):
    """EG001: not an accepted domain of the tenant (another tenant's domain looks the same).

    The API answers 404 with the error shape and the status document (``details``).
    """

    code = "EG001"


class CheckTimedOut(errors.DnsLookupFailed):
    """The checks asked for now did not finish within ``DANE_CHECK_TIMEOUT``; retry later."""

    code = "CheckTimedOut"


def runner_config(**overrides: Any) -> RunnerConfig:
    """The runner's configuration from the settings."""
    return RunnerConfig.from_settings(**overrides)


def target_of(domain: AcceptedDomain) -> CheckTarget:
    """What the runner needs to know about ``domain``."""
    return CheckTarget(
        key=domain.pk,
        domain=domain.name,
        dnssec_state=domain.dnssec_state,
        expected_host=domain.dnssec_mx_value,
        tlsrpt_rua=tlsrpt_services.rua_for(domain),
    )


def overall_status(result: StatusResult) -> str:
    """The worst status of the domain, DNS, MX and MTA-STS sections (NotApplicable aside)."""
    sections: list[SectionResult | None] = [
        result.domain_section,
        result.dns,
        result.mx,
        None if result.mta_sts is None else result.mta_sts.section,
    ]
    statuses = {section.status for section in sections if section is not None}
    for status in (SectionStatus.FAILED, SectionStatus.WARNING):
        if status in statuses:
            return status.value
    return SectionStatus.PASSED.value


def fingerprint(document: dict[str, Any]) -> str:
    """A digest of what the customer would see change in a result (``to_dict()``): the
    feature state, and each section's status and codes."""
    summary = {
        key: None if part is None else [part.get("Status"), [f["code"] for f in part["Findings"]]]
        for key, part in document.items()
        if key.endswith("Validation") or key == "TlsRpt"
    }
    summary["DnssecFeatureStatus"] = document["DnssecFeatureStatus"]
    encoded = json.dumps(summary, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


#: The sections of a status document that carry findings, in the order codes are listed.
FINDING_SECTIONS = (
    "DomainValidation",
    "DnsValidation",
    "MxValidation",
    "MtaStsValidation",
    "TlsRpt",
)


def finding_codes(document: dict[str, Any]) -> list[str]:
    """The codes of every finding of a result (``to_dict()``), section by section, as the
    fingerprint sees them."""
    return [
        finding["code"]
        for key in FINDING_SECTIONS
        if document.get(key) is not None
        for finding in document[key]["Findings"]
    ]


def next_check_delay(unchanged: int) -> timedelta:
    """``DANE_CHECK_INTERVAL`` doubled ``unchanged`` times, capped, with ±10 % jitter."""
    base = settings.DANE_CHECK_INTERVAL * 2 ** min(unchanged, 30)
    seconds = min(base, settings.DANE_CHECK_MAX_INTERVAL)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))  # noqa: S311 - jitter


# --- Get-DnssecStatusForVerifiedDomain -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DomainStatus:
    """A status document and the domain as it stands after it (re-read when checks ran now:
    a run may promote its state)."""

    domain: AcceptedDomain
    document: dict[str, Any]


def dnssec_status(tenant: Tenant, name: str, *, refresh: bool = False) -> dict[str, Any]:
    """The status document of the tenant's domain ``name``: see :func:`dnssec_status_of`."""
    return dnssec_status_of(tenant, name, refresh=refresh).document


def dnssec_status_of(tenant: Tenant, name: str, *, refresh: bool = False) -> DomainStatus:
    """The status document of the tenant's domain ``name`` (the latest run, or a run now when
    ``refresh`` is set or the domain was never checked), with the domain.

    Raises :class:`DomainNotInService` (EG001), ``errors.DomainNotSupported`` (initial or
    self-service domain) or :class:`CheckTimedOut`; an unverified domain gives the EG002
    document (nothing is looked up or stored). The stored status of a checked domain costs
    one query.
    """
    if not refresh:
        stored = selectors.latest_run_named(tenant, name)
        if stored is not None and stored.domain.is_verified and _is_offered(stored.domain):
            return DomainStatus(stored.domain, run_document(stored))
    domain = _checkable_domain(tenant, name)
    if not domain.is_verified:
        result = evaluate(
            domain.name,
            gate=DomainGate.NOT_VERIFIED,
            dnssec_feature_status=domain.dnssec_state,
            expected_host=domain.dnssec_mx_value,
            observations=None,
            provider=runner_config().provider,
        )
        return DomainStatus(domain, gate_document(result))
    run = None if refresh else latest_run(domain)
    if run is None:
        run = run_checks_now(domain)
        domain.refresh_from_db()
    return DomainStatus(domain, run_document(run))


def _is_offered(domain: AcceptedDomain) -> bool:
    """DNSSEC and DANE are offered for every domain but the initial and self-service ones."""
    return not (domain.is_initial or domain.is_self_service)


def _checkable_domain(tenant: Tenant, name: str) -> AcceptedDomain:
    """The tenant's domain ``name`` (verified or not); EG001 or DomainNotSupported otherwise."""
    try:
        domain = selectors.get_domain(tenant, name)
    except errors.DomainNotFound as exc:
        try:
            shown = parse_domain_name(name).alabel
        except DomainNameError:
            shown = printable(name, limit=253)
        result = evaluate(
            shown,
            gate=DomainGate.NOT_ACCEPTED,
            dnssec_feature_status=None,
            expected_host=None,
            observations=None,
            provider=runner_config().provider,
        )
        document = gate_document(result)
        raise DomainNotInService(result.domain_section.findings[0].message, **document) from exc
    if not _is_offered(domain):
        kind = "the tenant's initial domain" if domain.is_initial else "a self-service domain"
        raise errors.DomainNotSupported(
            f"{domain.name} is {kind}; DNSSEC and DANE are not offered for it."
        )
    return domain


def latest_run(domain: AcceptedDomain) -> CheckRun | None:
    """The domain's most recent check run."""
    return domain.check_runs.order_by("-started_at", "-id").first()


def gate_document(result: StatusResult) -> dict[str, Any]:
    """The cmdlet-shaped document of a result that EG001 or EG002 stopped."""
    stop = result.domain_section.findings[0]
    return {
        "Result": "Error",
        **result.to_dict(),
        "CheckRun": None,
        "ErrorData": {"ErrorCode": stop.code, "ErrorDetails": stop.message},
    }


def run_document(run: CheckRun) -> dict[str, Any]:
    """The cmdlet-shaped document of a stored run: the result and the run's metadata."""
    return {
        "Result": "Success",
        **run.result,
        "CheckRun": {
            "Id": str(run.public_id),
            "Trigger": run.trigger,
            "StartedAt": run.started_at.isoformat(),
            "FinishedAt": run.finished_at.isoformat(),
            "DurationSeconds": round(run.duration.total_seconds(), 3),
            "DnsQueries": run.dns_queries,
            "OverallStatus": run.overall_status,
        },
        "ErrorData": None,
    }


def run_checks_now(domain: AcceptedDomain) -> CheckRun:
    """Check ``domain`` now (within ``DANE_CHECK_TIMEOUT``) and store the run, with the MX
    TTL its own name servers give (:func:`dnsops.dns.resolver.name_server_ttl`: what the
    wizard's step 1 and the status report show), asked while the checks run: name servers
    that do not answer cost the slower of the two, not their sum."""
    outcome, at_name_servers = check_one_beside(
        target_of(domain), runner_config(), resolver.name_server_ttl(domain.name, "MX")
    )
    if isinstance(outcome, CheckFailure) and outcome.kind is FailureKind.RESOLVER_UNAVAILABLE:
        raise errors.DnsLookupFailed(
            f"The checks of {domain.name} could not look: {outcome.error}. Nothing was stored; "
            "retry later."
        )
    if isinstance(outcome, CheckFailure) and outcome.kind is FailureKind.MISCONFIGURED:
        raise errors.ServiceMisconfigured(
            f"The checks of {domain.name} cannot run: {outcome.error}. Nothing was stored; the "
            "service's operator has been told (logged)."
        )
    if isinstance(outcome, CheckFailure):
        raise CheckTimedOut(f"The checks of {domain.name} did not finish: {outcome.error}.")
    mx_ttl = None if at_name_servers is None else at_name_servers.ttl
    return store_outcomes([outcome], CheckRun.Trigger.REFRESH, mx_ttls={domain.pk: mx_ttl})[0]


# --- history, schedule, transition ---------------------------------------------------------


def store_outcomes(
    outcomes: Sequence[CheckOutcome], trigger: str, *, mx_ttls: dict[int, int | None] | None = None
) -> list[CheckRun]:
    """Store the runs, reschedule their domains (and store their migration step), and move
    each ``pending_mx`` domain whose MX section passed to ``enabled`` (conditional update +
    audit event), in one transaction. ``mx_ttls`` holds the MX TTL seen at the name servers
    of the domains (by id) whose runs asked for it.

    The domains' rows are locked (in id order) only while this writes; a domain deleted
    since its check started is skipped. The fingerprint holds statuses and codes, not names,
    so the rescheduling is one UPDATE per (fingerprint, unchanged count), with one jitter
    each.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = sorted({outcome.target.key for outcome in outcomes})
        domains = AcceptedDomain.objects.select_for_update(of=("self",)).select_related(
            "tenant", "partition"
        )
        locked = {domain.pk: domain for domain in domains.filter(pk__in=ids).order_by("pk")}
        runs: list[CheckRun] = []
        promoted: list[Move] = []
        schedules: dict[tuple[str, int, int | None], list[int]] = defaultdict(list)
        codes_of: dict[str, str] = {}  # fingerprint → its codes (same findings, same codes)
        for outcome in outcomes:
            domain = locked.get(outcome.target.key)
            if domain is None:
                continue
            result = outcome.result
            state = domain.dnssec_state
            if _mx_passed(result) and state == DnssecState.PENDING_MX:
                promoted.append(Move.of(domain, reason="the MX check passed"))
                result = dataclasses.replace(result, dnssec_feature_status=DnssecState.ENABLED)
                state = DnssecState.ENABLED
            document = result.to_dict()
            mark = fingerprint(document)
            unchanged = domain.checks_unchanged + 1 if mark == domain.check_fingerprint else 0
            evidence = migration.RunEvidence.from_document(document)
            step = migration.step_number(domain, evidence, dnssec_state=state)
            schedules[(mark, min(unchanged, 1000), step)].append(domain.pk)
            codes_of.setdefault(mark, " ".join(finding_codes(document))[:200])
            runs.append(
                CheckRun(
                    domain=domain,
                    trigger=trigger,
                    started_at=outcome.started_at,
                    finished_at=outcome.finished_at,
                    duration=timedelta(seconds=outcome.duration),
                    dns_queries=outcome.dns_queries,
                    overall_status=overall_status(result),
                    result=document,
                    mx_ttl=(mx_ttls or {}).get(domain.pk),
                )
            )
        move_states(
            promoted,
            "dnssec_state",
            source=DnssecState.PENDING_MX,
            target=DnssecState.ENABLED,
            actor=Actor.system(),
        )
        for (mark, unchanged, step), pks in schedules.items():  # findings repeat: few groups
            AcceptedDomain.objects.filter(pk__in=pks).update(
                check_fingerprint=mark,
                last_check_codes=codes_of[mark],
                checks_unchanged=unchanged,
                next_check_at=now + next_check_delay(unchanged),
                migration_step=step,
            )
        notifications.record_report_changes(
            r for r in runs if fingerprint(r.result) != r.domain.check_fingerprint
        )
        insert_check_runs(runs)
        rollups.add_check_runs(
            (run.started_at.date(), run.overall_status, finding_codes(run.result)) for run in runs
        )
    instruments.count_check_runs(run.overall_status for run in runs)
    return runs


CHECK_RUN_COLUMNS = (
    "domain_id",
    "public_id",
    "trigger",
    "started_at",
    "finished_at",
    "duration",
    "dns_queries",
    "overall_status",
    "result",
    "mx_ttl",
)


def insert_check_runs(runs: list[CheckRun]) -> None:
    """Write new runs: COPY for a sweep's batch on PostgreSQL, else a plain INSERT (one run,
    whose id is shown to the caller, or the embedded SQLite). (A bulk INSERT on PostgreSQL
    passes each column as one array literal, and quoting every JSON document into it cost
    more CPU than checking the domains.)"""
    if len(runs) <= 1 or connection.vendor != "postgresql":
        CheckRun.objects.bulk_create(runs)
        return
    columns = ", ".join(connection.ops.quote_name(column) for column in CHECK_RUN_COLUMNS)
    table = connection.ops.quote_name(CheckRun._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for run in runs:
            copy.write_row(
                (
                    run.domain_id,
                    run.public_id,
                    run.trigger,
                    run.started_at,
                    run.finished_at,
                    run.duration,
                    run.dns_queries,
                    run.overall_status,
                    json.dumps(run.result),
                    run.mx_ttl,
                )
            )


def _mx_passed(result: StatusResult) -> bool:
    """True when the MX section passed: the expected host is the only MX, at preference 0."""
    return result.mx is not None and result.mx.status is SectionStatus.PASSED


# --- sweeps ----------------------------------------------------------------------------------


def due_domains(now: datetime) -> QuerySet[AcceptedDomain]:
    """The domains whose scheduled checks are due at ``now`` (never-scheduled ones included)."""
    return AcceptedDomain.objects.filter(dnssec_state__in=DNSSEC_CHECKED_STATES).filter(
        Q(next_check_at__lte=now) | Q(next_check_at__isnull=True)
    )


def claim_due_domains(limit: int) -> list[int]:
    """Claim up to ``limit`` due domains (``SKIP LOCKED``): their ``next_check_at`` moves
    :data:`CLAIM_LEASE` ahead, so another sweep does not take them while their chunk waits in
    the queue, and a lost chunk's domains come back when the claim runs out.

    Call inside a transaction; the claim holds when it commits.
    """
    now = timezone.now()
    ids = list(
        due_domains(now)
        .select_for_update(skip_locked=True)
        .order_by(F("next_check_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )
    AcceptedDomain.objects.filter(pk__in=ids).update(next_check_at=now + CLAIM_LEASE)
    return ids


def dispatch_due_checks() -> int:
    """The beat sweep: claim due domains chunk by chunk and enqueue one ``check_domains`` task
    per chunk (with the time of its claim) after its claim commits; returns how many domains
    were dispatched."""
    dispatched = 0
    for _ in range(MAX_CHUNKS_PER_SWEEP):
        with transaction.atomic():
            claimed_at = timezone.now()
            ids = claim_due_domains(settings.DANE_CHECK_BATCH_SIZE)
            if ids:
                transaction.on_commit(partial(enqueue, CHECK_DOMAINS, ids, claimed_at.isoformat()))
        dispatched += len(ids)
        if len(ids) < settings.DANE_CHECK_BATCH_SIZE:
            break
    return dispatched


def take_check_claims(
    domain_ids: Sequence[int], claimed_at: datetime | None = None
) -> tuple[list[int], datetime]:
    """A worker starts checking ``domain_ids``, claimed at ``claimed_at``: it takes those still
    checked (``pending_mx``/``enabled``) that no worker started since the claim (without a
    claim time: all of them), marks them started and gives them a lease of
    ``DANE_CHECK_LEASE_SECONDS`` from now, which it renews while it works. Returns the ids
    taken and the lease.

    The rows are locked (in id order) while this writes, so of two chunks holding a domain
    (a claim that ran out and was claimed again) exactly one takes it.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DANE_CHECK_LEASE_SECONDS)
    candidates = AcceptedDomain.objects.filter(
        pk__in=list(domain_ids), dnssec_state__in=DNSSEC_CHECKED_STATES
    )
    if claimed_at is not None:
        candidates = candidates.filter(
            Q(check_started_at__isnull=True) | Q(check_started_at__lt=claimed_at)
        )
    with transaction.atomic():
        taken = list(
            candidates.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True)
        )
        AcceptedDomain.objects.filter(pk__in=taken).update(
            next_check_at=lease, check_started_at=now
        )
    return taken, lease


def _renew_check_claims(domain_ids: list[int]) -> Renewal:
    """The heartbeat's renewal: only domains still on the lease this worker set (a stored run
    has scheduled its next check instead)."""

    def renew(current: datetime, renewed: datetime) -> bool:
        held = AcceptedDomain.objects.filter(pk__in=domain_ids, next_check_at=current)
        return held.update(next_check_at=renewed) > 0

    return renew


def check_domains(domain_ids: Sequence[int], claimed_at: datetime | None = None) -> int:
    """Check the given domains, claimed by the sweep at ``claimed_at``, concurrently and store
    each run as results arrive (in batches of :data:`WRITE_BATCH`); returns how many runs
    were stored.

    Domains that left ``pending_mx``/``enabled`` meanwhile, or that another worker started
    since the claim (:func:`take_check_claims`), are skipped; the others are held by a short
    lease renewed while the checks run. A check that fails (time limit) stores nothing, and
    its domain comes back when that lease ends (so do a dead worker's).
    """
    ids, lease = take_check_claims(domain_ids, claimed_at)
    if not ids:
        return 0
    domains = AcceptedDomain.objects.filter(
        pk__in=ids, dnssec_state__in=DNSSEC_CHECKED_STATES, verified_at__isnull=False
    ).select_related("partition", "tlsrpt_endpoint")
    targets = [target_of(domain) for domain in domains]
    if not targets:
        return 0
    config = runner_config(concurrency=len(targets))
    stored = 0
    batch: list[CheckOutcome] = []
    stats = DnsStats()
    with heartbeat(lease, settings.DANE_CHECK_LEASE_SECONDS, _renew_check_claims(ids)):
        for item in check_stream(targets, config, stats):
            if isinstance(item, CheckFailure):
                logger.warning(
                    "status check failed",
                    extra={"domain": item.target.domain, "error": item.error},
                )
                continue
            batch.append(item)
            if len(batch) >= WRITE_BATCH:
                stored += len(store_outcomes(batch, CheckRun.Trigger.SCHEDULE))
                batch = []
        if batch:
            stored += len(store_outcomes(batch, CheckRun.Trigger.SCHEDULE))
    logger.info(
        "checked %d domains: %d DNS queries, %d retransmitted, %d timed out",
        stored,
        stats.queries,
        stats.retransmits,
        stats.timeouts,
    )
    return stored
