"""Check batches: the status checks of up to :data:`MAX_DOMAINS` of a tenant's domains (or all
of them) asked for at once, run on the ``checks`` queue, with progress and per-domain results.

Sharing the queue with the sweep: a batch runs as a chain of chunk tasks of
:data:`CHUNK_SIZE` domains, and the next chunk is enqueued only when the previous one has
finished. A batch therefore holds at most one worker slot of the ``checks`` queue at a time,
and the sweep's chunks queued meanwhile run between its chunks, so however large the batch,
the regular sweep is never starved (it keeps every other slot and its place in the queue).
A chunk lost with its worker comes back: ``acks_late`` redelivers it, and checking a domain
twice is harmless (an item is written only while it is still ``pending``).

A chain lost as a whole (the message of its first or next chunk never reached the broker,
or the broker lost it) is started again: each chunk marks the batch ``progressed_at``, and
the beat sweep :func:`resume_stalled_batches` enqueues the next chunk of every unfinished
batch that has not moved for :data:`RESUME_AFTER`, once (a conditional update claims it).

A tenant has at most ``DANE_CHECK_BATCHES_PER_TENANT`` batches unfinished (default 3; the
tenant's row is locked while one is counted and created, so concurrent requests cannot pass
the limit together); one more is refused with ``TooManyCheckBatches`` (429) and nothing is
stored. A batch unfinished for longer than :data:`UNFINISHED_COUNTS_FOR` (its chain stalled
with the broker down) stops counting, so a stalled batch never locks the tenant out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dnsops.checks.runner import CheckFailure, CheckOutcome, DnsStats, check_stream
from domains import checks
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.errors import InvalidRequest, TooManyCheckBatches, TooManyDomains, UnknownDomains
from domains.models import AcceptedDomain, CheckBatch, CheckBatchItem, CheckRun, Tenant
from domains.names import DomainNameError, parse_domain_name
from domains.transitions import enqueue

#: Domains one batch takes at most.
MAX_DOMAINS = 5000
#: Domains one chunk task checks (concurrently).
CHUNK_SIZE = 100
#: The chunk task, enqueued by name on the ``checks`` queue (``domains.tasks`` imports this).
RUN_CHECK_BATCH = "domains.tasks.run_check_batch"
#: How many names an error lists at most.
NAMES_IN_ERROR = 50
#: How long an unfinished batch counts against the tenant's limit of unfinished batches.
UNFINISHED_COUNTS_FOR = timedelta(hours=1)
#: An unfinished batch whose chain has not run a chunk for this long has lost it (a chunk
#: takes seconds; the sweep's own chunks wait in the queue a minute at most).
RESUME_AFTER = timedelta(minutes=5)
#: The most stalled batches one sweep starts again.
RESUME_LIMIT = 100

Outcome = CheckBatchItem.Outcome
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchProgress:
    """A batch and how far it is: ``done`` of ``total`` items, the count of each outcome."""

    batch: CheckBatch
    done: int
    counts: dict[str, int]

    @property
    def is_finished(self) -> bool:
        """Every item has its outcome."""
        return self.done >= self.batch.total


def _tenant_domains(tenant: Tenant, names: Sequence[str] | Literal["all"]) -> list[AcceptedDomain]:
    """The tenant's domains a batch names; bad input raises and changes nothing."""
    if names == "all":
        domains = list(
            AcceptedDomain.objects.filter(tenant=tenant).order_by("name")[: MAX_DOMAINS + 1]
        )
        if len(domains) > MAX_DOMAINS:
            raise TooManyDomains(
                f"The tenant has more than {MAX_DOMAINS} domains: name at most {MAX_DOMAINS} "
                "per batch."
            )
        return domains
    if not names:
        raise InvalidRequest('Name at least one domain, or "all".')
    if len(names) > MAX_DOMAINS:
        raise TooManyDomains(
            f"A batch takes at most {MAX_DOMAINS} domains; {len(names)} were named."
        )
    wanted: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for raw in names:
        try:
            wanted.setdefault(parse_domain_name(raw).alabel, str(raw))
        except DomainNameError as exc:
            invalid[str(raw)[:253]] = str(exc)
    if invalid:
        shown = dict(list(invalid.items())[:NAMES_IN_ERROR])
        raise InvalidRequest(f"{len(invalid)} names are not domain names.", invalid=shown)
    found = {
        domain.name: domain
        for domain in AcceptedDomain.objects.filter(tenant=tenant, name__in=list(wanted))
    }
    unknown = sorted(wanted[name] for name in wanted if name not in found)
    if unknown:
        raise UnknownDomains(
            f"{len(unknown)} of the names are not accepted domains of this tenant: "
            + ", ".join(unknown[:NAMES_IN_ERROR]),
            unknown=unknown[:NAMES_IN_ERROR],
        )
    return sorted(found.values(), key=lambda domain: domain.name)


def _skip_reason(domain: AcceptedDomain) -> tuple[str, str] | None:
    """Why ``domain`` cannot be checked (code, detail), or None."""
    if domain.is_initial or domain.is_self_service:
        return "DomainNotSupported", "an initial or self-service domain"
    if not domain.is_verified:
        return "EG002", "the domain is not verified"
    return None


def create_check_batch(
    tenant: Tenant, names: Sequence[str] | Literal["all"], *, actor: Actor
) -> CheckBatch:
    """Record a batch of the tenant's ``names`` (or ``"all"`` its domains) and start it
    after commit; audited. Domains that cannot be checked are ``skipped`` at once. Raises
    :class:`TooManyCheckBatches` when the tenant has ``DANE_CHECK_BATCHES_PER_TENANT``
    unfinished."""
    domains = _tenant_domains(tenant, names)
    now = timezone.now()
    with transaction.atomic():
        _check_unfinished_batches(tenant, now)
        batch = CheckBatch.objects.create(
            tenant=tenant, requested_by=actor.label, total=len(domains)
        )
        items = []
        for domain in domains:
            reason = _skip_reason(domain)
            item = CheckBatchItem(batch=batch, domain=domain, domain_name=domain.name)
            if reason is not None:
                item.outcome = Outcome.SKIPPED
                item.code, item.detail = reason
                item.finished_at = now
            items.append(item)
        CheckBatchItem.objects.bulk_create(items, batch_size=1000)
        if all(item.outcome != Outcome.PENDING for item in items):
            CheckBatch.objects.filter(pk=batch.pk).update(finished_at=now)
        record_audit_event(
            AuditAction.CHECK_BATCH_REQUESTED,
            actor=actor,
            tenant=tenant,
            target_type="check_batch",
            target_id=str(batch.pk),
            data={"total": len(domains), "all": names == "all"},
        )
        transaction.on_commit(partial(enqueue, RUN_CHECK_BATCH, str(batch.pk)))
    batch.refresh_from_db()
    return batch


def _check_unfinished_batches(tenant: Tenant, now: datetime) -> None:
    """Lock the tenant's row (the batches of one tenant are created one at a time) and raise
    :class:`TooManyCheckBatches` if it has its limit of batches unfinished."""
    limit = settings.DANE_CHECK_BATCHES_PER_TENANT
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).get()
    unfinished = CheckBatch.objects.filter(
        tenant=tenant, finished_at__isnull=True, created_at__gt=now - UNFINISHED_COUNTS_FOR
    ).count()
    if unfinished >= limit:
        raise TooManyCheckBatches(
            f"The tenant has {unfinished} check batches unfinished, the most it may have at "
            "once; start another when one has finished.",
            limit=limit,
        )


def run_check_batch(batch_id: str) -> int:
    """Check the batch's next chunk of pending domains, store their runs and outcomes, and
    enqueue the next chunk (or mark the batch finished); returns how many were checked."""
    key = uuid.UUID(batch_id)
    CheckBatch.objects.filter(pk=key, finished_at__isnull=True).update(progressed_at=timezone.now())
    pending = list(
        CheckBatchItem.objects.filter(batch_id=key, outcome=Outcome.PENDING)
        .select_related("domain__partition", "domain__tlsrpt_endpoint")
        .order_by("id")[:CHUNK_SIZE]
    )
    if not pending:
        CheckBatch.objects.filter(pk=key, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )
        return 0
    by_domain = {item.domain_id: item for item in pending if item.domain is not None}
    targets = [checks.target_of(item.domain) for item in pending if item.domain is not None]
    outcomes: list[CheckOutcome] = []
    failures: list[CheckFailure] = []
    config = checks.runner_config(concurrency=max(1, len(targets)))
    for result in check_stream(targets, config, DnsStats()):
        if isinstance(result, CheckFailure):
            failures.append(result)
        else:
            outcomes.append(result)
    runs = checks.store_outcomes(outcomes, CheckRun.Trigger.BATCH)
    now = timezone.now()
    for run in runs:
        CheckBatchItem.objects.filter(
            pk=by_domain[run.domain_id].pk, outcome=Outcome.PENDING
        ).update(
            outcome=Outcome.CHECKED,
            overall_status=run.overall_status,
            check_run_id=run.public_id,
            finished_at=now,
        )
    for failure in failures:
        _finish([by_domain[failure.target.key]], Outcome.FAILED, detail=str(failure.error)[:500])
    # Whatever is still pending lost its domain meanwhile (store_outcomes skips deleted ones).
    _finish(pending, Outcome.SKIPPED, code="DomainNotFound", detail="the domain was deleted")
    enqueue(RUN_CHECK_BATCH, batch_id)
    return len(runs)


def resume_stalled_batches() -> list[str]:
    """The beat sweep: enqueue the next chunk of every unfinished batch whose chain has not
    moved for :data:`RESUME_AFTER` (at most :data:`RESUME_LIMIT`, the longest stalled
    first); returns their ids. Each is claimed by a conditional update of ``progressed_at``,
    so concurrent sweeps start a chain once."""
    now = timezone.now()
    stalled = (
        CheckBatch.objects.filter(finished_at__isnull=True, progressed_at__lt=now - RESUME_AFTER)
        .order_by("progressed_at")
        .values_list("pk", "progressed_at")[:RESUME_LIMIT]
    )
    resumed = []
    for key, progressed_at in stalled:
        with transaction.atomic():
            claimed = CheckBatch.objects.filter(pk=key, progressed_at=progressed_at).update(
                progressed_at=now
            )
            if claimed:
                transaction.on_commit(partial(enqueue, RUN_CHECK_BATCH, str(key)))
                resumed.append(str(key))
    if resumed:
        logger.warning("check batches started again", extra={"batches": resumed})
    return resumed


def _finish(items: list[CheckBatchItem], outcome: str, *, code: str = "", detail: str = "") -> None:
    """Give ``items`` (still pending) their ``outcome``."""
    if items:
        CheckBatchItem.objects.filter(
            pk__in=[item.pk for item in items], outcome=Outcome.PENDING
        ).update(outcome=outcome, code=code, detail=detail, finished_at=timezone.now())


def batch_progress(tenant: Tenant, batch_id: str) -> BatchProgress | None:
    """The tenant's batch ``batch_id`` and its progress; None when it is not the tenant's
    (or not an id at all)."""
    try:
        key = uuid.UUID(batch_id)
    except ValueError:
        return None
    batch = CheckBatch.objects.filter(tenant=tenant, pk=key).first()
    if batch is None:
        return None
    counts = dict(batch.items.values("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    done = sum(n for outcome, n in counts.items() if outcome != Outcome.PENDING)
    return BatchProgress(
        batch, done, {outcome.value: counts.get(outcome.value, 0) for outcome in Outcome}
    )
