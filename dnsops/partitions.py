"""Placing a domain: a partition zone with room, and its MX token (SPEC §3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from django.db import transaction
from django.db.models import F

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

    Each partition's ``placed`` counter is raised by one conditional UPDATE
    (``placed < capacity``), so the capacity holds however many placements race, and the
    row is locked only for that statement when called outside a transaction (as
    ``domains.commands`` does): concurrent placements do not wait for each other's commands.
    The placement that takes a partition's last place marks it ``full``. When none has
    room, the partitions listed in ``DANE_PARTITIONS`` that have no row yet are added first:
    an operator adds capacity by listing a new label (or by raising a partition's capacity
    and setting it ``active`` again). A place taken and not used is given back with
    :func:`release_place`.
    """
    partition = _take_first_place()
    if partition is None:
        sync_partitions_from_settings()
        partition = _take_first_place()
    return partition


def _take_first_place() -> Partition | None:
    """Raise the counter of the first active partition with room; that partition, or None."""
    for candidate in Partition.objects.filter(status=PartitionStatus.ACTIVE).order_by("label"):
        with transaction.atomic():
            taken = Partition.objects.filter(
                pk=candidate.pk, status=PartitionStatus.ACTIVE, placed__lt=F("capacity")
            ).update(placed=F("placed") + 1)
            if not taken:
                continue
            partition = Partition.objects.get(pk=candidate.pk)
            if partition.placed >= partition.capacity:
                _set_status(partition, PartitionStatus.FULL)
            return partition
    return None


def release_place(partition_id: int) -> None:
    """Give back a place of the partition (a domain placed on it left, or a reserved place
    was not used); a ``full`` partition that has room again is set ``active``."""
    with transaction.atomic():
        Partition.objects.filter(pk=partition_id, placed__gt=0).update(placed=F("placed") - 1)
        partition = Partition.objects.get(pk=partition_id)
        if partition.status == PartitionStatus.FULL and partition.placed < partition.capacity:
            _set_status(partition, PartitionStatus.ACTIVE)


def _set_status(partition: Partition, status: PartitionStatus) -> None:
    """Move a partition to ``status`` and report the change (the audit trail records it)."""
    Partition.objects.filter(pk=partition.pk).update(status=status)
    report_partition_change(
        PartitionEvent.STATUS_CHANGED,
        partition,
        {"from": partition.status, "to": status, "domains": partition.placed},
    )
    partition.status = status
