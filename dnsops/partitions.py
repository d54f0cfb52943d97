"""Placing a domain: a partition zone with room, and its MX token (SPEC §3)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection

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
    """The first active partition (by label) with room, read without a lock; None when none
    has. The place itself is taken by :func:`take_place`, at the end of the transaction.

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
    # SQL of its own, like take_place: every placement runs it, and building it through the
    # ORM (or a raw queryset) costs more than running it.
    first = (
        f"SELECT {_columns()} FROM {_table()} "  # noqa: S608 - the model's names
        "WHERE status = %s AND placed < capacity ORDER BY label LIMIT 1"
    )
    return next(iter(_partitions(first, [PartitionStatus.ACTIVE.value])), None)


def _table() -> str:
    return connection.ops.quote_name(Partition._meta.db_table)


@functools.cache
def _columns() -> str:
    """Every column of the model, in its fields' order (``_partitions`` reads them so)."""
    quote = connection.ops.quote_name
    return ", ".join(quote(field.column) for field in Partition._meta.concrete_fields)


@functools.cache
def _attnames() -> list[str]:
    """The attribute of each of :func:`_columns`, as ``Model.from_db`` takes them."""
    return [field.attname for field in Partition._meta.concrete_fields]


@functools.cache
def _converters(vendor: str) -> list[tuple[int, list[Any], Any]]:
    """The value converters of each column, as the ORM applies them to a row it reads: the
    JSON of ``ds_records`` everywhere, and SQLite's dates."""
    converters = []
    for index, field in enumerate(Partition._meta.concrete_fields):
        column = field.get_col(Partition._meta.db_table)
        own = field.get_db_converters(connection)  # type: ignore[attr-defined] # not in the stubs
        functions = connection.ops.get_db_converters(column) + own
        if functions:
            converters.append((index, functions, column))
    return converters


def _partitions(sql: str, params: list[Any]) -> list[Partition]:
    """The partitions a statement selecting (or returning) :func:`_columns` gives."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for index, functions, column in _converters(connection.vendor):
            for function in functions:
                row[index] = function(row[index], column, connection)
    return [Partition.from_db(connection.alias, _attnames(), row) for row in rows]


def take_place(partition: Partition) -> bool:
    """Take one place in ``partition`` for the transaction of the placement; False when it has
    no room any more (another placement took the last place since it was chosen).

    One statement raises the ``placed`` counter (``placed < capacity``, so the capacity
    holds however many placements race); the row stays locked until the transaction ends,
    so a caller takes its place last, just before it commits: concurrent placements then
    wait for each other's commit only, not for each other's commands. The placement that
    takes the last place marks the partition ``full``.
    """
    take = (
        f"UPDATE {_table()} SET placed = placed + 1 "  # noqa: S608
        f"WHERE id = %s AND status = %s AND placed < capacity RETURNING {_columns()}"
    )
    taken = _partitions(take, [partition.pk, PartitionStatus.ACTIVE.value])
    if not taken:
        return False
    partition.placed = taken[0].placed
    if partition.placed >= partition.capacity:
        _set_status(taken[0], PartitionStatus.FULL)
    return True


def release_place(partition_id: int) -> None:
    """Give back a place of the partition (a domain placed on it left), in the transaction of
    that change; a ``full`` partition that has room again is set ``active``."""
    give_back = (
        f"UPDATE {_table()} SET placed = placed - 1 "  # noqa: S608
        f"WHERE id = %s AND placed > 0 RETURNING {_columns()}"
    )
    for partition in _partitions(give_back, [partition_id]):
        if partition.status == PartitionStatus.FULL and partition.placed < partition.capacity:
            _set_status(partition, PartitionStatus.ACTIVE)


def _set_status(partition: Partition, status: PartitionStatus) -> None:
    """Move a partition (its row locked by this transaction) to ``status`` and report the
    change (the audit trail records it)."""
    Partition.objects.filter(pk=partition.pk).update(status=status)
    report_partition_change(
        PartitionEvent.STATUS_CHANGED,
        partition,
        {"from": partition.status, "to": status, "domains": partition.placed},
    )
