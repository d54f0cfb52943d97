"""Zone provisioning: partitions on the DNS server, pushing the desired RRsets, drift repair.

The database (``ZoneRRset``) says what each partition zone must publish; these functions make
the server match it. Changes of many domains are coalesced into a few large batches (one
server transaction each; Knot's cost per transaction grows with the zone, so one transaction
per domain would not scale), and batches are sent concurrently.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import dns.rdata
import dns.rdataclass
import dns.rdatatype
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Q
from django.utils import timezone

from dnsops import metrics
from dnsops.backends import get_backend
from dnsops.backends.base import (
    BatchTooLarge,
    ChangeBatch,
    DnsBackend,
    DnsBackendError,
    RRset,
    RRsetKey,
)
from dnsops.choices import PartitionStatus
from dnsops.events import PartitionEvent, report_partition_change
from dnsops.models import Partition, ZoneRRset

logger = logging.getLogger(__name__)

#: The record types the control plane owns in a partition zone.
MANAGED_TYPES = ("A", "AAAA", "TLSA")
TLSA_PREFIX = "_25._tcp."
CONCURRENT_BATCHES = 4
#: First key of the PostgreSQL advisory locks that serialise publishing per partition.
PUBLISH_LOCK_CLASS = 0x44414E45  # "DANE"
#: How many of the RRsets a drift repair changed its audit event names.
DRIFT_NAMES_REPORTED = 20


def partition_zone(label: str) -> str:
    """``o-v1`` → ``o-v1.<DANE_MX_SUFFIX>``."""
    return f"{label}.{settings.DANE_MX_SUFFIX}"


def sync_partitions_from_settings() -> list[Partition]:
    """Make sure a Partition row exists for every label in ``DANE_PARTITIONS``."""
    partitions = []
    for label in settings.DANE_PARTITIONS:
        partition, created = Partition.objects.get_or_create(
            label=label,
            defaults={
                "zone": partition_zone(label),
                "capacity": settings.DANE_PARTITION_CAPACITY,
                "status": PartitionStatus.ACTIVE,
            },
        )
        if created:
            report_partition_change(
                PartitionEvent.ADDED, partition, {"capacity": partition.capacity}
            )
        partitions.append(partition)
    return partitions


def ensure_partition(partition: Partition, backend: DnsBackend | None = None) -> Partition:
    """Create and sign the partition zone, and publish its delegation (NS + DS) in the parent.

    The parent (``DANE_MX_SUFFIX``) is updated only when ``DANE_MX_PARENT_MANAGED`` is on,
    i.e. when the same DNS servers host it; otherwise the DS is stored for the operator.
    """
    backend = backend or get_backend()
    backend.ensure_zone(partition.zone)
    ds_records = backend.ds_records(partition.zone)
    if settings.DANE_MX_PARENT_MANAGED:
        nameservers = tuple(f"{ns}." for ns in settings.DANE_ZONE_NAMESERVERS)
        backend.apply(
            ChangeBatch(
                zone=settings.DANE_MX_SUFFIX,
                upserts=[
                    RRset(partition.zone, "NS", 3600, nameservers),
                    RRset(partition.zone, "DS", 3600, tuple(ds_records)),
                ],
            )
        )
    with transaction.atomic():
        Partition.objects.filter(pk=partition.pk).update(
            ds_records=ds_records, provisioned_at=timezone.now()
        )
        report_partition_change(
            PartitionEvent.PROVISIONED,
            partition,
            {"ds_records": ds_records, "parent_updated": bool(settings.DANE_MX_PARENT_MANAGED)},
        )
    partition.refresh_from_db()
    return partition


def refresh_signatures(backend: DnsBackend | None = None) -> int:
    """Re-sign what expires soon in every provisioned partition zone (and the parent, when
    managed) where the control plane signs them; how many RRsets were re-signed."""
    backend = backend or get_backend()
    zones = list(
        Partition.objects.filter(provisioned_at__isnull=False).values_list("zone", flat=True)
    )
    if settings.DANE_MX_PARENT_MANAGED:
        zones.append(settings.DANE_MX_SUFFIX)
    total = 0
    for zone in zones:
        try:
            total += backend.refresh_signatures(zone)
        except DnsBackendError as exc:
            logger.warning("signatures not refreshed", extra={"zone": zone, "error": str(exc)})
    return total


def ensure_partition_once(partition: Partition, backend: DnsBackend | None = None) -> Partition:
    """Provision the partition unless that is done; concurrent workers wait for the first.

    The row lock is held across the server calls on purpose: creating a zone happens once per
    partition, and Knot takes one configuration transaction at a time.
    """
    with transaction.atomic():
        locked = Partition.objects.select_for_update().get(pk=partition.pk)
        if locked.provisioned_at is None:
            ensure_partition(locked, backend)
    partition.refresh_from_db()
    return partition


def set_desired_rrsets(
    partition: Partition, upserts: Sequence[RRset], deletes: Sequence[RRsetKey] = ()
) -> None:
    """Record what the partition zone must publish; call inside the state change's transaction.

    Nothing is sent to the server here: ``push_names`` (or drift repair) does that.
    """
    if upserts:
        _upsert_rrsets(partition, upserts)
    if deletes:
        matching = Q()
        for key in deletes:
            matching |= Q(name=key.name, rdtype=key.rdtype)
        ZoneRRset.objects.filter(matching, partition=partition).delete()


#: The columns an upsert writes, in the model's order; a row that exists (same partition,
#: owner and type) takes the last three.
_UPSERT_FIELDS = ("partition", "name", "rdtype", "ttl", "rdatas", "updated_at")


@functools.cache
def _upsert_fields() -> list[Field[Any, Any]]:
    fields = [field for field in ZoneRRset._meta.concrete_fields if field.name in _UPSERT_FIELDS]
    assert tuple(field.name for field in fields) == _UPSERT_FIELDS
    return fields


@functools.cache
def _upsert_sql(vendor: str, rows: int) -> str:
    """``INSERT … ON CONFLICT DO UPDATE`` of ``rows`` ZoneRRset rows (PostgreSQL and SQLite
    spell it alike): what ``bulk_create(update_conflicts=True)`` sends, without building it
    through the ORM on every command (that cost a millisecond for two rows). ``vendor`` keys
    the cache: the quoting is the connection's."""
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in _upsert_fields()]
    row = f"({', '.join(['%s'] * len(columns))})"
    unique = ", ".join(columns[:3])
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[3:])
    return (
        f"INSERT INTO {quote(ZoneRRset._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} ON CONFLICT ({unique}) DO UPDATE SET {updates}"
    )


def _upsert_rrsets(partition: Partition, upserts: Sequence[RRset]) -> None:
    """Write ``upserts`` as the partition's desired rows (new, or replacing the TTL and
    records of the row of the same owner and type), in one statement."""
    fields = _upsert_fields()
    now = timezone.now()
    params: list[Any] = []
    for rrset in upserts:
        values = (partition.pk, rrset.name, rrset.rdtype, rrset.ttl, list(rrset.rdatas), now)
        params.extend(
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, values, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection.vendor, len(upserts)), params)


def _domain_group(name: str) -> str:
    """The MX host a record belongs to (its TLSA owner ``_25._tcp.<host>`` groups with it)."""
    return name.removeprefix(TLSA_PREFIX)


def desired_changes(partition: Partition, names: Iterable[str]) -> ChangeBatch:
    """The changes that make ``names`` match the database: upsert what is wanted, delete the
    managed types that are not."""
    names = sorted({name.rstrip(".").lower() for name in names})
    wanted = {
        (row.name, row.rdtype): RRset(row.name, row.rdtype, row.ttl, tuple(row.rdatas))
        for row in ZoneRRset.objects.filter(partition=partition, name__in=names)
    }
    deletes = [
        RRsetKey(name, rdtype)
        for name in names
        for rdtype in MANAGED_TYPES
        if (name, rdtype) not in wanted
    ]
    return ChangeBatch(partition.zone, upserts=list(wanted.values()), deletes=deletes)


def split_batch(batch: ChangeBatch, size: int) -> Iterator[ChangeBatch]:
    """Cut ``batch`` into batches of at most about ``size`` changes, never splitting the
    records of one MX host (its A/AAAA and TLSA go to the server together)."""
    changes: list[RRset | RRsetKey] = [*batch.upserts, *batch.deletes]
    changes.sort(key=lambda change: _domain_group(change.name))
    chunk: list[RRset | RRsetKey] = []
    for _, group in groupby(changes, key=lambda change: _domain_group(change.name)):
        members = list(group)
        if chunk and len(chunk) + len(members) > size:
            yield _as_batch(batch.zone, chunk)
            chunk = []
        chunk.extend(members)
    if chunk:
        yield _as_batch(batch.zone, chunk)


def _as_batch(zone: str, changes: Sequence[RRset | RRsetKey]) -> ChangeBatch:
    return ChangeBatch(
        zone,
        upserts=[c for c in changes if isinstance(c, RRset)],
        deletes=[c for c in changes if isinstance(c, RRsetKey)],
    )


def apply_in_batches(backend: DnsBackend, batch: ChangeBatch) -> list[ChangeBatch]:
    """Apply a large change set as concurrent server transactions; returns the batches sent.

    A batch the server cannot take in one transaction is halved and retried.
    """
    pieces = list(split_batch(batch, backend.max_changes_per_batch))
    sent: list[ChangeBatch] = []

    def send(piece: ChangeBatch) -> list[ChangeBatch]:
        try:
            backend.apply(piece)
        except BatchTooLarge:
            if len(piece) <= 1:
                raise
            half = max(1, len(piece) // 2)
            return [
                sent_piece for smaller in split_batch(piece, half) for sent_piece in send(smaller)
            ]
        return [piece]

    with ThreadPoolExecutor(max_workers=CONCURRENT_BATCHES) as pool:
        for result in pool.map(send, pieces):
            sent.extend(result)
    return sent


@contextlib.contextmanager
def publishing(partition: Partition) -> Iterator[None]:
    """Hold the partition's publishing lock: what reads its desired state and then changes
    its servers (pushes, drift repair) runs one at a time, so a repair working from an older
    read never undoes a newer push. A PostgreSQL session advisory lock (released with the
    session if the process dies); the embedded default on SQLite runs tasks in-process and
    needs none."""
    if connection.vendor != "postgresql":
        yield
        return
    key = [PUBLISH_LOCK_CLASS, partition.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def push_names(
    partition: Partition, names: Iterable[str], backend: DnsBackend | None = None
) -> list[ChangeBatch]:
    """Make the server publish exactly what the database wants at ``names``."""
    backend = backend or get_backend()
    with (
        publishing(partition),
        metrics.DNS_PUSH_SECONDS.labels(metrics.backend_label(backend)).time(),
    ):
        return apply_in_batches(backend, desired_changes(partition, names))


@dataclass
class Drift:
    """Differences between the database and the server for one partition zone."""

    missing: list[RRset] = field(default_factory=list)
    changed: list[RRset] = field(default_factory=list)
    unexpected: list[RRsetKey] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.changed or self.unexpected)

    def names(self) -> list[str]:
        """``name TYPE`` of every difference: missing, then changed, then unexpected."""
        changes: list[RRset | RRsetKey] = [*self.missing, *self.changed, *self.unexpected]
        return [f"{change.name} {change.rdtype}" for change in changes]

    def summary(self) -> dict[str, int]:
        """Counts, for logs and the audit trail."""
        return {
            "missing": len(self.missing),
            "changed": len(self.changed),
            "unexpected": len(self.unexpected),
        }


def detect_drift(partition: Partition, backend: DnsBackend | None = None) -> Drift:
    """Compare the partition's desired RRsets with what the server publishes."""
    backend = backend or get_backend()
    published = {
        rrset.key: rrset
        for rrset in backend.list_rrsets(partition.zone)
        if rrset.rdtype in MANAGED_TYPES and rrset.name != partition.zone
    }
    drift = Drift()
    for row in ZoneRRset.objects.filter(partition=partition).iterator(chunk_size=2000):
        wanted = RRset(row.name, row.rdtype, row.ttl, tuple(row.rdatas))
        served = published.pop(wanted.key, None)
        if served is None:
            drift.missing.append(wanted)
        elif _normalised(served) != _normalised(wanted):
            drift.changed.append(wanted)
    drift.unexpected = sorted(published)
    return drift


def _normalised(rrset: RRset) -> tuple[int, frozenset[str]]:
    kind = dns.rdatatype.from_text(rrset.rdtype)
    return rrset.ttl, frozenset(
        dns.rdata.from_text(dns.rdataclass.IN, kind, text).to_text() for text in rrset.rdatas
    )


def desired_digest(partition: Partition) -> str:
    """A digest of every desired RRset of the partition (changes when any row does)."""
    digest = hashlib.sha256()
    rows = (
        ZoneRRset.objects.filter(partition=partition)
        .order_by("name", "rdtype")
        .values_list("name", "rdtype", "ttl", "rdatas")
    )
    for row in rows.iterator(chunk_size=2000):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def repair_drift(partition: Partition, backend: DnsBackend | None = None) -> Drift:
    """Put the server back in line with the database; returns what was found (and fixed).

    A zone whose SOA serial and desired rows are both unchanged since its last comparison that
    found no drift is not read from the server again (its serial is one SOA query)."""
    backend = backend or get_backend()
    with publishing(partition):
        serial = backend.zone_serial(partition.zone)
        digest = desired_digest(partition)
        clean = Partition.objects.values_list("drift_clean_serial", "drift_clean_digest").get(
            pk=partition.pk
        )
        if serial is not None and clean == (serial, digest):
            logger.debug("partition zone unchanged", extra={"zone": partition.zone})
            Partition.objects.filter(pk=partition.pk).update(last_drift_check_at=timezone.now())
            return Drift()
        drift = detect_drift(partition, backend)
        Partition.objects.filter(pk=partition.pk).update(
            drift_clean_serial=None if drift else serial,
            drift_clean_digest="" if drift else digest,
        )
        if drift:
            summary = drift.summary()
            logger.warning("drift in partition zone", extra={"zone": partition.zone, **summary})
            apply_in_batches(
                backend,
                ChangeBatch(
                    partition.zone,
                    upserts=[*drift.missing, *drift.changed],
                    deletes=drift.unexpected,
                ),
            )
            with transaction.atomic():
                report_partition_change(
                    PartitionEvent.DRIFT_REPAIRED,
                    partition,
                    {**summary, "names": drift.names()[:DRIFT_NAMES_REPORTED]},
                )
    Partition.objects.filter(pk=partition.pk).update(last_drift_check_at=timezone.now())
    return drift
