"""Carrying out operations: the worker side of the commands.

A worker claims every due operation at once (``SKIP LOCKED``, with a lease of
``DANE_OPERATION_LEASE_SECONDS`` that it renews while it works), groups them by partition
zone, pushes the changes of all of them in a few large server transactions, waits until every
server shows them, and finishes each operation with a conditional state change. An operation
whose worker died is claimed again when its (short) lease runs out; one whose message was
lost is claimed by the periodic sweep. Transient DNS failures are retried with backoff;
when the attempts run out, or the server refuses, the operation fails with
DnssecOperationFailed and the database stops wanting its records (drift repair then brings
the server back in line).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, JSONField, Q
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from dnsops import metrics as dns_metrics
from dnsops.backends import get_backend
from dnsops.backends.base import ChangeBatch, DnsBackend, PermanentDnsError, TransientDnsError
from dnsops.models import Partition
from dnsops.provisioning import ensure_partition_once, push_names, set_desired_rrsets
from dnsops.tasks import repair_partition_drift
from domains import instruments, publishing, rollups
from domains.audit import Actor, audit_event, record_audit_event, record_audit_events
from domains.choices import AuditAction, ErrorCode, OperationKind, OperationState
from domains.leases import renewing_leases
from domains.models import AcceptedDomain, ActivityHourly, Operation
from domains.notifications import events as notifications
from domains.results import error_result, success_result_in_sql
from domains.transitions import (
    PROCESS_OPERATIONS,
    TRANSITIONS,
    WAKE_UP_EXPIRES,
    Move,
    enqueue,
    move_states,
)

logger = logging.getLogger(__name__)

#: Operations one claim takes at most. A worker drains a larger backlog claim after claim,
#: and wakes another worker process at each full claim, so that the processes share it (one
#: pushes while the other waits for visibility or finishes its operations).
CLAIM_LIMIT = 500
#: The steps a successful operation ends with.
FINISHING_STEPS = ("visible-on-all-servers", "state-updated")


def claim_due_operations(limit: int = CLAIM_LIMIT) -> list[Operation]:
    """Take every operation that is due (or whose worker's lease ran out) for this worker."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Operation.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=OperationState.PENDING, next_attempt_at__lte=now)
                | Q(state=OperationState.RUNNING, lease_until__lt=now)
            )
            .order_by("next_attempt_at")
            .values_list("pk", "attempts", "created_at", "kind")[:limit]
        )
        ids = [pk for pk, *_ in due]
        Operation.objects.filter(pk__in=ids).update(
            state=OperationState.RUNNING,
            lease_until=now + timedelta(seconds=settings.DANE_OPERATION_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        # Its first claim counts an operation as requested, in the hour it was created: once,
        # in the claim's transaction (the commands leave the shared counter row alone).
        rollups.add_activity(
            (created_at, ActivityHourly.Event.REQUESTED, kind)
            for _, attempts, created_at, kind in due
            if attempts == 0
        )
    return list(Operation.objects.filter(pk__in=ids).select_related("domain__partition", "tenant"))


def process_due_operations(backend: DnsBackend | None = None) -> int:
    """Claim and carry out the due operations, ``CLAIM_LIMIT`` at a time, until none is
    left; returns how many were claimed. A full claim wakes another worker process (not
    in-process on the embedded default) to claim the next ones meanwhile."""
    total = 0
    while operations := claim_due_operations():
        full = len(operations) >= CLAIM_LIMIT
        if full and not settings.CELERY_TASK_ALWAYS_EAGER:
            enqueue(PROCESS_OPERATIONS, expires=WAKE_UP_EXPIRES)
        with renewing_leases(operations):
            total += _carry_out_claimed(operations, backend)
        if not full:
            break
    return total


def _carry_out_claimed(operations: list[Operation], backend: DnsBackend | None) -> int:
    """Carry out the operations this worker claimed; returns how many."""
    by_partition: dict[int, list[Operation]] = defaultdict(list)
    for operation in operations:
        if operation.domain is None or operation.domain.partition is None:
            fail(operation, "The domain was deleted while the command was running.")
        elif operation.attempts > settings.DANE_OPERATION_MAX_ATTEMPTS:
            # Claimed again after its lease ran out, every time: its worker keeps dying on it.
            fail(operation, f"gave up after {operation.attempts - 1} attempts (no worker finished)")
        else:
            by_partition[operation.domain.partition.pk].append(operation)
    try:
        backend = backend or get_backend()
    except Exception as exc:  # a driver that cannot be configured: retried, never left running
        logger.error("DNS driver not usable", extra={"error": type(exc).__name__})
        for group in by_partition.values():
            _retry_all(group, f"The DNS driver is not usable now ({type(exc).__name__}).")
        return len(operations)
    for group in by_partition.values():
        partition = group[0].domain.partition  # type: ignore[union-attr]
        assert partition is not None
        _carry_out(backend, partition, group)
    return len(operations)


def _carry_out(backend: DnsBackend, partition: Partition, group: list[Operation]) -> None:
    """Provision the partition if needed, then publish the group's names and finish them."""
    try:
        if partition.provisioned_at is None:
            ensure_partition_once(partition, backend)
    except PermanentDnsError as exc:
        _fail_all(partition, group, exc)
        return
    except Exception as exc:  # anything else is retried, never left running
        logger.warning("DNS change not done", extra={"zone": partition.zone, "error": str(exc)})
        _retry_all(group, f"{partition.zone} could not be changed now ({type(exc).__name__}).")
        return
    refusal = _publish(backend, partition, group)
    if refusal is not None:
        _isolate_refusal(backend, partition, group, refusal)


def _publish(
    backend: DnsBackend, partition: Partition, group: list[Operation]
) -> PermanentDnsError | None:
    """One push of the group's names and the wait until every server shows them: the
    operations succeed, or are retried after a transient failure; a refusal is returned."""
    try:
        names = sorted(
            {
                name
                for operation in group
                if operation.domain is not None
                for name in publishing.owned_names(operation.domain, operation.feature)
            }
        )
        batches = push_names(partition, names, backend)
        _add_step(group, "published")
        wait_until_visible(backend, batches)
    except PermanentDnsError as exc:
        # The driver's text names records of other domains (other tenants): logs only.
        logger.error("DNS server refused", extra={"zone": partition.zone, "error": str(exc)})
        return exc
    except Exception as exc:  # anything else is retried, never left running
        logger.warning("DNS change not done", extra={"zone": partition.zone, "error": str(exc)})
        _retry_all(group, f"{partition.zone} could not be changed now ({type(exc).__name__}).")
        return None
    succeed_all(group)
    return None


def _isolate_refusal(
    backend: DnsBackend, partition: Partition, group: list[Operation], refusal: PermanentDnsError
) -> None:
    """The server refused the group's push: find the operations the refusal is about.

    The group is halved and each half pushed again (a push is the database's whole desired
    state for its names, so repeating one is harmless), down to the operations whose records
    the server will not take; the others succeed. When both halves are refused too, one
    operation pushed alone tells a zone-wide refusal (a bad key, a missing ACL: all fail,
    after four pushes instead of one per operation) from refused records in both halves.
    """
    if len(group) == 1:
        _fail_all(partition, group, refusal)
        return
    middle = len(group) // 2
    halves = (group[:middle], group[middle:])
    refusals = [_publish(backend, partition, half) for half in halves]
    if all(refusals):
        if _publish(backend, partition, group[:1]) is not None:
            _fail_all(partition, group, refusal)  # even one alone: the zone refuses
            return
        halves = (group[1:middle], group[middle:])  # the first succeeded alone
    for half, half_refusal in zip(halves, refusals, strict=True):
        if half and half_refusal is not None:
            _isolate_refusal(backend, partition, half, half_refusal)


def _fail_all(partition: Partition, group: list[Operation], refusal: PermanentDnsError) -> None:
    """Fail the group's operations for a refusal, then repair the zone once."""
    detail = f"The DNS server refused the change to {partition.zone}"
    for operation in group:
        fail(operation, f"{detail} ({refusal.rcode or 'refused'}).", repair=False)
    _queue_drift_repair(partition.pk)


def _retry_all(group: list[Operation], detail: str) -> None:
    """Schedule each operation's next attempt (the periodic sweep runs it when due)."""
    for operation in group:
        retry_or_fail(operation, detail)


def wait_until_visible(backend: DnsBackend, batches: Sequence[ChangeBatch]) -> None:
    """Poll until every server shows every batch (``DANE_VISIBILITY_TIMEOUT`` seconds)."""
    deadline = time.monotonic() + settings.DANE_VISIBILITY_TIMEOUT
    pending = list(batches)
    with dns_metrics.DNS_VISIBILITY_WAIT_SECONDS.labels(dns_metrics.backend_label(backend)).time():
        while pending:
            visible = backend.confirm_visible_many(pending)
            pending = [batch for batch, shown in zip(pending, visible, strict=True) if not shown]
            if pending and time.monotonic() > deadline:
                raise TransientDnsError(
                    f"{len(pending)} change batch(es) were not visible on every DNS server "
                    f"within {settings.DANE_VISIBILITY_TIMEOUT} s."
                )
            if pending:
                time.sleep(0.2)


class AppendedSteps(Func):
    """The operation's ``steps`` with ``steps`` appended, computed by the database, so that one
    UPDATE adds them to any number of operations."""

    output_field = JSONField()

    def __init__(self, *steps: str) -> None:
        super().__init__(F("steps"))
        self.steps = steps

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        """``steps || '["a", "b"]'::jsonb``."""
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"({sql} || %s::jsonb)", [*params, json.dumps(list(self.steps))]

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        """``json_insert(steps, '$[#]', 'a', '$[#]', 'b')`` (``$[#]``: after the last)."""
        sql, params = compiler.compile(self.get_source_expressions()[0])
        appended = ", ".join(["'$[#]', %s"] * len(self.steps))
        return f"json_insert({sql}, {appended})", [*params, *self.steps]


def _add_step(group: list[Operation], step: str) -> None:
    """Record that the group's operations went through ``step`` (one UPDATE)."""
    for operation in group:
        operation.steps = [*operation.steps, step]
    Operation.objects.filter(pk__in=[op.pk for op in group]).update(steps=AppendedSteps(step))


def _finish_state(
    operation: Operation, to: str, actor: Actor
) -> tuple[AcceptedDomain | None, bool]:
    """Move the domain's feature state from "working" to ``to`` through the state machine;
    the domain (row locked), and whether it moved."""
    transition = TRANSITIONS[OperationKind(operation.kind)]
    if operation.domain_id is None:
        return None, False
    domain = AcceptedDomain.objects.select_for_update().filter(pk=operation.domain_id).first()
    if domain is None:
        return None, False
    moved = move_states(
        [Move(domain.pk, domain.name, operation.tenant, {"operation": str(operation.id)})],
        transition.field,
        source=transition.working,
        target=to,
        actor=actor,
    )
    domain.refresh_from_db()
    return domain, bool(moved)


def succeed_all(operations: list[Operation]) -> None:
    """The records are visible everywhere: finish the operations and their domains' states
    in one transaction (a few statements per operation kind, whatever the number of
    operations)."""
    now = timezone.now()
    system = Actor.system()
    with transaction.atomic():
        running = set(
            Operation.objects.select_for_update()
            .filter(pk__in=[op.pk for op in operations], state=OperationState.RUNNING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Every domain row in one statement, in primary-key order like every other locker
        # (the status sweep, key rollover): no deadlock between them.
        list(
            AcceptedDomain.objects.select_for_update()
            .filter(pk__in=[op.domain_id for op in operations if op.domain_id is not None])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        finished = [operation for operation in operations if operation.pk in running]
        by_kind: dict[OperationKind, list[Operation]] = defaultdict(list)
        for operation in finished:
            by_kind[OperationKind(operation.kind)].append(operation)
        for kind, group in by_kind.items():
            transition = TRANSITIONS[kind]
            move_states(
                [
                    Move(op.domain_id, op.domain_name, op.tenant, {"operation": str(op.id)})
                    for op in group
                    if op.domain_id is not None
                ],
                transition.field,
                source=transition.working,
                target=transition.done,
                actor=system,
                also={"next_check_at": now, "checks_unchanged": 0},  # checks run soon after
            )
            Operation.objects.filter(pk__in=[op.pk for op in group]).update(
                state=OperationState.SUCCEEDED,
                steps=AppendedSteps(*FINISHING_STEPS),
                result=success_result_in_sql(kind),
                error_code="",
                error_detail="",
                lease_until=None,
                next_attempt_at=None,
                finished_at=now,
                updated_at=now,
            )
        for operation in finished:
            operation.state = OperationState.SUCCEEDED
            operation.steps = [*operation.steps, *FINISHING_STEPS]
            operation.finished_at = operation.updated_at = now
        record_audit_events(
            [
                audit_event(
                    AuditAction.OPERATION_SUCCEEDED,
                    actor=system,
                    tenant=operation.tenant,
                    target_type="operation",
                    target_id=str(operation.id),
                    data={
                        "kind": operation.kind,
                        "domain": operation.domain_name,
                        "attempts": operation.attempts,
                    },
                )
                for operation in finished
            ]
        )
        instruments.observe_operations(finished, OperationState.SUCCEEDED, now)
        rollups.count_activity((now, ActivityHourly.Event.SUCCEEDED, op.kind) for op in finished)


def retry_or_fail(operation: Operation, detail: str) -> None:
    """Schedule another attempt with backoff (the periodic sweep runs it when due), or fail
    when the attempts are used up."""
    if operation.attempts >= settings.DANE_OPERATION_MAX_ATTEMPTS:
        fail(operation, f"{detail} (gave up after {operation.attempts} attempts)")
        return
    base = settings.DANE_OPERATION_RETRY_BASE_SECONDS * 2 ** (operation.attempts - 1)
    delay = min(base, 600.0) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto
    next_attempt = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        updated = Operation.objects.filter(pk=operation.pk, state=OperationState.RUNNING).update(
            state=OperationState.PENDING,
            next_attempt_at=next_attempt,
            lease_until=None,
            error_detail=detail,
            updated_at=timezone.now(),
        )
        if not updated:  # another worker took it over (lease ran out) and finished it
            return
        record_audit_event(
            AuditAction.OPERATION_RETRY,
            actor=Actor.system(),
            tenant=operation.tenant,
            target_type="operation",
            target_id=str(operation.id),
            data={"attempt": operation.attempts, "next_attempt_at": next_attempt.isoformat()},
        )


def fail(operation: Operation, detail: str, *, repair: bool = True) -> None:
    """End the operation with DnssecOperationFailed; the database stops wanting what the
    command would have published, so the zone is never left half-done (``repair``: queue the
    drift repair that brings the server in line; callers failing many queue one)."""
    kind = OperationKind(operation.kind)
    code = ErrorCode.DNSSEC_OPERATION_FAILED
    with transaction.atomic():
        still_ours = (
            Operation.objects.select_for_update()
            .filter(pk=operation.pk, state=OperationState.RUNNING)
            .exists()
        )
        if not still_ours:  # another worker took it over (lease ran out) and finished it
            return
        domain, moved = _finish_state(operation, TRANSITIONS[kind].failed, Actor.system())
        if domain is not None and moved and domain.partition is not None:
            AcceptedDomain.objects.filter(pk=domain.pk).update(last_error=detail[:2000])
            if kind == OperationKind.ENABLE_DNSSEC:
                keys = [rrset.key for rrset in publishing.host_rrsets(domain)]
                set_desired_rrsets(domain.partition, [], keys)
            elif kind == OperationKind.ENABLE_DANE:
                set_desired_rrsets(domain.partition, [], [publishing.tlsa_key(domain)])
        Operation.objects.filter(pk=operation.pk).update(
            state=OperationState.FAILED,
            error_code=code,
            error_detail=detail[:2000],
            result=error_result(code, f"{operation.domain_name}: {detail}"),
            lease_until=None,
            next_attempt_at=None,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        record_audit_event(
            AuditAction.OPERATION_FAILED,
            actor=Actor.system(),
            tenant=operation.tenant,
            target_type="operation",
            target_id=str(operation.id),
            data={"kind": kind, "domain": operation.domain_name, "error": detail[:500]},
        )
        notifications.record_operation_failed(operation, detail)
        instruments.observe_operations([operation], OperationState.FAILED, timezone.now())
        rollups.count_activity(
            [(timezone.now(), ActivityHourly.Event.FAILED, f"{kind.value} {code.value}")]
        )
    partition_id = operation.domain.partition_id if operation.domain is not None else None
    if repair and partition_id is not None:
        _queue_drift_repair(partition_id)


def _queue_drift_repair(partition_id: int) -> None:
    """Ask a worker to repair the partition zone; if the broker is down the periodic repair
    will (the failures are recorded either way)."""
    try:
        repair_partition_drift.delay(partition_id)
    except Exception:
        logger.exception("could not queue a drift repair; the periodic repair will run")
