"""The actor of a change, the functions that write audit events, and the receiver that
records the partition events ``dnsops`` reports.

:func:`written_together` lets a transaction that records several events (a command: its state
change and the operation it requested) write them in one INSERT when its block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from dnsops.events import PartitionEvent
from dnsops.models import Partition
from domains import prepared
from domains.choices import AuditAction
from domains.models import AuditEvent, Tenant


@dataclass(frozen=True)
class Actor:
    """Who asked for a change: ``api-key:<prefix>``, ``user:<name>``, ``cli`` or ``system``."""

    label: str

    @classmethod
    def cli(cls) -> Actor:
        """An operator at the command line."""
        return cls("cli")

    @classmethod
    def system(cls) -> Actor:
        """The service itself (sweeps, tasks)."""
        return cls("system")


def audit_event(
    action: AuditAction,
    *,
    actor: Actor,
    tenant: Tenant | None,
    target_type: str,
    target_id: str,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved audit event, for ``record_audit_events``."""
    return AuditEvent(
        action=action,
        actor=actor.label,
        tenant=tenant,
        target_type=target_type,
        target_id=target_id,
        data=data or {},
    )


#: The events recorded inside a :func:`written_together` block, not written yet.
_held: ContextVar[list[AuditEvent] | None] = ContextVar("held_audit_events", default=None)


@contextmanager
def written_together() -> Iterator[None]:
    """Inside the transaction of a change: the audit events recorded in the block are written
    in one INSERT when the block ends without an error (still inside the transaction, so they
    commit with the change; on an error the transaction rolls back and they are dropped)."""
    _require_the_change_transaction()
    held: list[AuditEvent] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    prepared.insert_rows(held)


def record_audit_events(events: list[AuditEvent]) -> None:
    """Append many audit events at once; inside the transaction of the changes."""
    _require_the_change_transaction()
    held = _held.get()
    if held is not None:
        held.extend(events)
        return
    prepared.insert_rows(events)


def record_audit_event(
    action: AuditAction,
    *,
    actor: Actor,
    tenant: Tenant | None,
    target_type: str,
    target_id: str,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; must run inside the transaction that makes the change (inside
    :func:`written_together`, it is written when the block ends)."""
    event = audit_event(
        action,
        actor=actor,
        tenant=tenant,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
    _require_the_change_transaction()
    if _held.get() is not None:
        record_audit_events([event])
    else:
        event.save(force_insert=True)
    return event


def _require_the_change_transaction() -> None:
    """RuntimeError unless inside a transaction: an audit event commits with its change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit events are written inside the transaction of the change.")


def record_partition_change(
    sender: object, *, event: PartitionEvent, partition: Partition, data: dict[str, Any], **_: Any
) -> None:
    """Receiver of ``dnsops.events.partition_changed``: the audit event of a change to a
    partition (the provider's, no tenant's), in the transaction of the change."""
    record_audit_event(
        AuditAction(event.value),
        actor=Actor.system(),
        tenant=None,
        target_type="partition",
        target_id=partition.zone,
        data=data,
    )
