"""The operators' view of the partition zones: per partition the domains placed against its
capacity, its status, how its servers serve it (:mod:`dnsops.zone_health`, which asks them
over DNS) and the last drift repair with what it changed (from the audit trail); and the
operator's "repair drift now", audited.

A service, not a selector: it touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import transaction

from dnsops.models import Partition
from dnsops.zone_health.assess import ZoneHealth
from dnsops.zone_health.probe import partitions_health
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.errors import PartitionNotKnown
from domains.models import AuditEvent
from domains.transitions import enqueue

#: The drift repair task of one partition, enqueued by name.
REPAIR_PARTITION_DRIFT = "dnsops.tasks.repair_partition_drift"


@dataclass(frozen=True)
class PartitionZone:
    """One row of the partitions page."""

    partition: Partition
    placed: int
    health: ZoneHealth | None  # None: not provisioned yet (the servers do not have it)
    last_repair: AuditEvent | None  # the last drift repair that changed something
    last_requested: AuditEvent | None  # the last repair an operator asked for

    @property
    def fill_percent(self) -> int:
        """Domains placed as a share of the capacity."""
        capacity = self.partition.capacity
        return min(100, round(100 * self.placed / capacity)) if capacity else 100

    @property
    def is_red(self) -> bool:
        """The servers serve the zone wrongly (see ``dnsops.zone_health.assess``)."""
        return self.health is not None and self.health.is_red

    @property
    def last_checked_at(self) -> datetime | None:
        """When drift repair last compared (or skipped, unchanged) the zone."""
        return self.partition.last_drift_check_at


def partition_zones() -> list[PartitionZone]:
    """Every partition, red ones first (then by label); the servers are asked at once."""
    partitions = list(Partition.objects.order_by("label"))  # ``placed``: the stored counter
    health = partitions_health([p for p in partitions if p.provisioned_at is not None])
    rows = [
        PartitionZone(
            partition=partition,
            placed=partition.placed,
            health=health.get(partition.pk),
            last_repair=_latest_event(AuditAction.PARTITION_DRIFT_REPAIRED, partition),
            last_requested=_latest_event(AuditAction.PARTITION_DRIFT_REPAIR_REQUESTED, partition),
        )
        for partition in partitions
    ]
    return sorted(rows, key=lambda row: (not row.is_red, row.partition.label))


def _latest_event(action: AuditAction, partition: Partition) -> AuditEvent | None:
    """The partition's latest audit event of ``action`` (few partitions: one query each)."""
    return (
        AuditEvent.objects.filter(action=action, target_type="partition", target_id=partition.zone)
        .order_by("-occurred_at", "-id")
        .first()
    )


def request_drift_repair(partition_id: int, *, actor: Actor) -> Partition:
    """Run the drift repair of one partition now (on a worker, after commit); audited."""
    with transaction.atomic():
        partition = Partition.objects.filter(pk=partition_id).first()
        if partition is None:
            raise PartitionNotKnown(f"There is no partition {partition_id}.")
        record_audit_event(
            AuditAction.PARTITION_DRIFT_REPAIR_REQUESTED,
            actor=actor,
            tenant=None,
            target_type="partition",
            target_id=partition.zone,
        )
        transaction.on_commit(partial(enqueue, REPAIR_PARTITION_DRIFT, partition.pk))
    return partition
