"""Placing a domain: a partition zone with room, and its MX token (SPEC §3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from django.db.models import Count, Q

from dnsops.choices import PartitionStatus
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
    """The first active partition holding fewer domains than its capacity (row locked)."""
    if not Partition.objects.exists():
        sync_partitions_from_settings()
    candidates = (
        Partition.objects.filter(status=PartitionStatus.ACTIVE)
        .annotate(used=Count("domains", filter=Q(domains__mx_token__isnull=False)))
        .order_by("label")
    )
    for partition in candidates:
        if partition.used < partition.capacity:
            return Partition.objects.select_for_update().get(pk=partition.pk)
    return None
