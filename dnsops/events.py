"""Events the DNS machinery reports about the provider's partitions.

``dnsops`` knows nothing of tenants or the audit trail: it sends ``partition_changed`` (a
Django signal, delivered synchronously inside the transaction of the change) and the product
app records each one as an audit event (``domains.audit.record_partition_change``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.dispatch import Signal

from dnsops.models import Partition


class PartitionEvent(StrEnum):
    """What happened to a partition (the values are the audit actions that record them)."""

    ADDED = "partition.added"
    PROVISIONED = "partition.provisioned"
    STATUS_CHANGED = "partition.status"
    TLSA_REPUBLISHED = "partition.tlsa_republished"
    DRIFT_REPAIRED = "partition.drift_repaired"


#: Sent with ``event`` (a PartitionEvent), ``partition`` and ``data`` (a JSON-able dict).
partition_changed = Signal()


def report_partition_change(
    event: PartitionEvent, partition: Partition, data: dict[str, Any]
) -> None:
    """Tell the receivers (the audit trail) about a change to a partition, in its transaction."""
    partition_changed.send(sender=Partition, event=event, partition=partition, data=data)
