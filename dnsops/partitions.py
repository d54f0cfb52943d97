"""Placing a domain: a partition zone with room, and its MX token (SPEC §3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from django.db import connection, transaction
from django.db.models import F, Q

from dnsops.choices import PartitionStatus
from dnsops.events import PartitionEvent, report_partition_change
from dnsops.models import Partition
from dnsops.provisioning import sync_partitions_from_settings

MAX_LABEL = 63


def mx_token_candidates(alabel: str) -> Iterator[str]:
    """``contoso.com`` → ``contoso-com``; then forms with a short stable hash appended (for a
    collision, or when the joined labels exceed 63 octets)."""
    base = alabel.replace(".", "-")
    if base[2:4] == "--":  # "xn--…" would read as an (invalid) IDNA A-label
        base = "idn-" + base[4:]
    if len(base) <= MAX_LABEL:
        yield base
    digest = hashlib.sha256(alabel.encode()).hexdigest()
    for length in (6, 10, 16, 32):
        suffix = f"-{digest[:length]}"
        yield base[: MAX_LABEL - len(suffix)].rstrip("-") + suffix


def allocate_mx_token(alabel: str, is_taken: Callable[[str], bool]) -> str:
    """The first candidate token nobody else holds."""
    for candidate in mx_token_candidates(alabel):
        if not is_taken(candidate):
            return candidate
    raise RuntimeError(f"No free MX token for {alabel}.")  # 2^128 hash space: unreachable


def reserve_place() -> Partition | None:
    """Take one place in the first active partition (by label) with room; None when none has.

    One statement raises the partition's ``placed`` counter (``placed < capacity``, so the
    capacity holds however many placements race) and returns the row; called outside a
    transaction (as ``domains.commands`` does), the row is locked only for that statement,
    so concurrent placements do not wait for each other's commands. The placement that
    takes a partition's last place marks it ``full``. When none has room, the partitions
    listed in ``DANE_PARTITIONS`` that have no row yet are added first: an operator adds
    capacity by listing a new label (or by raising a partition's capacity and setting it
    ``active`` again). A place taken and not used is given back with :func:`release_place`.
    """
    partition = _take_first_place()
    if partition is None:
        sync_partitions_from_settings()
        partition = _take_first_place()
    return partition


def _take_first_place() -> Partition | None:
    """Raise the counter of the first active partition with room; that partition, or None."""
    table = connection.ops.quote_name(Partition._meta.db_table)
    take = (
        f"UPDATE {table} SET placed = placed + 1 WHERE id = (SELECT id FROM {table} "  # noqa: S608
        "WHERE status = %s AND placed < capacity ORDER BY label LIMIT 1) "
        "AND status = %s AND placed < capacity RETURNING *"
    )
    active = [PartitionStatus.ACTIVE.value] * 2
    while True:
        taken = list(Partition.objects.raw(take, active))
        if taken:
            partition = taken[0]
            if partition.placed >= partition.capacity:
                _set_status(partition, PartitionStatus.FULL, Q(placed__gte=F("capacity")))
            return partition
        # Another placement filled the one chosen between the statement's two reads: again.
        if not Partition.objects.filter(
            status=PartitionStatus.ACTIVE, placed__lt=F("capacity")
        ).exists():
            return None


def release_place(partition_id: int) -> None:
    """Give back a place of the partition (a domain placed on it left, or a reserved place
    was not used); a ``full`` partition that has room again is set ``active``."""
    table = connection.ops.quote_name(Partition._meta.db_table)
    give_back = (
        f"UPDATE {table} SET placed = placed - 1 "  # noqa: S608
        "WHERE id = %s AND placed > 0 RETURNING *"
    )
    for partition in Partition.objects.raw(give_back, [partition_id]):
        if partition.status == PartitionStatus.FULL and partition.placed < partition.capacity:
            _set_status(partition, PartitionStatus.ACTIVE, Q(placed__lt=F("capacity")))


def _set_status(partition: Partition, status: PartitionStatus, condition: Q) -> None:
    """Move a partition to ``status`` if ``condition`` still holds (a concurrent placement or
    release may have changed its counter), and report the change (the audit trail records
    it) in the same transaction."""
    with transaction.atomic():
        if not Partition.objects.filter(condition, pk=partition.pk, status=partition.status).update(
            status=status
        ):
            return
        report_partition_change(
            PartitionEvent.STATUS_CHANGED,
            partition,
            {"from": partition.status, "to": status, "domains": partition.placed},
        )
    partition.status = status
