"""Per partition zone: when its TLSA set was first seen on **every** authoritative server.

The rollover gate (RFC 7671 §8.1-8.2) counts from that moment, so it is observed the way the
visibility wait of the commands is (each server asked, no recursion): a sample of the
partition's TLSA owners must answer with exactly the set. The observation is kept in
``dnsops.TlsaSetVisibility`` (one row per partition) because it is a fact about the DNS
servers, not about tenants; the product decides what it allows from it (``domains.rollover``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from dnsops.backends.base import ChangeBatch, DnsBackend, RRset, RRsetKey
from dnsops.models import Partition, TlsaSetVisibility


def normalised_set(records: Sequence[str]) -> list[str]:
    """The TLSA set as stored: lower-case presentation format, sorted, no duplicates."""
    return sorted({record.lower() for record in records})


def observe_tlsa_set(
    partition: Partition,
    owners: Sequence[str],
    records: Sequence[str],
    backend: DnsBackend,
    *,
    now: datetime,
) -> TlsaSetVisibility:
    """Ask every server whether ``owners`` (a sample is enough: one UPDATE carries a batch)
    publish exactly ``records``, and keep the answer: a new set starts unseen, and the first
    time every server shows it is ``now``. Returns the partition's observation."""
    wanted = normalised_set(records)
    visible = bool(owners) and backend.confirm_visible(_expected(partition, owners, wanted))
    row, _ = TlsaSetVisibility.objects.get_or_create(
        partition=partition, defaults={"records": wanted, "checked_at": now}
    )
    if row.records != wanted:
        row.records, row.first_seen_everywhere_at = wanted, None
    if visible and row.first_seen_everywhere_at is None:
        row.first_seen_everywhere_at = now
    row.checked_at = now
    row.save()
    return row


def wait_for_tlsa_set(
    partition: Partition,
    owners: Sequence[str],
    records: Sequence[str],
    backend: DnsBackend,
) -> TlsaSetVisibility:
    """Observe until every server shows the set or ``DANE_VISIBILITY_TIMEOUT`` passes (the
    observation then stays "not yet seen": the next probe round looks again)."""
    deadline = time.monotonic() + settings.DANE_VISIBILITY_TIMEOUT
    while True:
        row = observe_tlsa_set(partition, owners, records, backend, now=timezone.now())
        if row.first_seen_everywhere_at is not None or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def _expected(partition: Partition, owners: Sequence[str], records: list[str]) -> ChangeBatch:
    """The state to confirm, in the visibility wait's terms (the TTL is not compared)."""
    if not records:
        return ChangeBatch(partition.zone, deletes=[RRsetKey(owner, "TLSA") for owner in owners])
    ttl = settings.DANE_RECORD_TTL
    return ChangeBatch(
        partition.zone,
        upserts=[RRset(owner, "TLSA", ttl, tuple(records)) for owner in owners],
    )
