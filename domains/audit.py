"""The actor of a change, the functions that write audit events, and the receiver that
records the partition events ``dnsops`` reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from dnsops.events import PartitionEvent
from dnsops.models import Partition
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


def record_audit_events(events: list[AuditEvent]) -> None:
    """Append many audit events at once; inside the transaction of the changes."""
    _require_the_change_transaction()
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def record_audit_event(
    action: AuditAction,
    *,
    actor: Actor,
    tenant: Tenant | None,
    target_type: str,
    target_id: str,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; must run inside the transaction that makes the change."""
    _require_the_change_transaction()
    event = audit_event(
        action,
        actor=actor,
        tenant=tenant,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
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
