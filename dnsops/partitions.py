"""Placing a domain: a partition zone with room, and its MX token (SPEC §3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

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


def partition_with_room() -> Partition | None:
    """The first active partition holding fewer domains than its capacity (row locked).

    When none has room, the partitions listed in ``DANE_PARTITIONS`` that have no row yet
    are added first: an operator adds capacity by listing a new label (or by raising a
    partition's capacity and setting it ``active`` again).
    """
    partition = _first_with_room()
    if partition is None:
        sync_partitions_from_settings()
        partition = _first_with_room()
    return partition


def _first_with_room() -> Partition | None:
    """Walk the active partitions in label order, each row locked while its domains are
    counted (placements into one partition are serialised); one found full is marked
    ``full``, so later placements skip it without counting its domains again."""
    for candidate in Partition.objects.filter(status=PartitionStatus.ACTIVE).order_by("label"):
        partition = Partition.objects.select_for_update().get(pk=candidate.pk)
        if partition.status != PartitionStatus.ACTIVE:
            continue
        placed = partition.domains.filter(mx_token__isnull=False).count()
        if placed < partition.capacity:
            return partition
        _set_status(partition, PartitionStatus.FULL, placed)
    return None


def reopen_partition_if_room(partition_id: int) -> None:
    """Set a ``full`` partition ``active`` again once it holds fewer domains than its capacity
    (called when a domain placed on it is deleted, in that transaction)."""
    partition = Partition.objects.select_for_update().get(pk=partition_id)
    if partition.status != PartitionStatus.FULL:
        return
    placed = partition.domains.filter(mx_token__isnull=False).count()
    if placed < partition.capacity:
        _set_status(partition, PartitionStatus.ACTIVE, placed)


def _set_status(partition: Partition, status: PartitionStatus, placed: int) -> None:
    """Move a locked partition to ``status`` and report the change (the audit trail records it)."""
    Partition.objects.filter(pk=partition.pk).update(status=status)
    report_partition_change(
        PartitionEvent.STATUS_CHANGED,
        partition,
        {"from": partition.status, "to": status, "domains": placed},
    )
