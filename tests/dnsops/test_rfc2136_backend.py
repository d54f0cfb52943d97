"""The rfc2136 driver and zone provisioning against the real Knot, checked through Unbound."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection

from dnsops.backends.base import (
    BatchTooLarge,
    ChangeBatch,
    PermanentDnsError,
    RRset,
    RRsetKey,
    TransientDnsError,
)
from dnsops.backends.rfc2136 import Rfc2136Backend, TsigKey
from dnsops.models import Partition, ZoneRRset
from dnsops.provisioning import (
    apply_in_batches,
    detect_drift,
    ensure_partition,
    publishing,
    push_names,
    repair_drift,
)
from dnsops.tasks import repair_all_drift, repair_partition_drift
from tests.dblocks import wait_until_blocked_on_a_lock
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

TLSA = "3 1 1 " + "c0ffee" * 10 + "beef"


@pytest.fixture
def backend(dnsnet: DnsTestNetwork) -> Rfc2136Backend:
    return Rfc2136Backend.from_settings()


@pytest.fixture
def partition(backend: Rfc2136Backend) -> Partition:
    """A fresh partition zone, created on Knot, signed, delegated with DS from its parent."""
    label = f"p-{uuid.uuid4().hex[:8]}"
    partition = Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")
    return ensure_partition(partition, backend)


def want(partition: Partition, token: str) -> list[str]:
    """Desired A/AAAA/TLSA rows for one MX host, as the command layer writes them."""
    host = f"{token}.{partition.zone}"
    rows = [
        (host, "A", ["192.0.2.25"]),
        (host, "AAAA", ["2001:db8::25"]),
        (f"_25._tcp.{host}", "TLSA", [TLSA]),
    ]
    for name, rdtype, rdatas in rows:
        ZoneRRset.objects.create(
            partition=partition, name=name, rdtype=rdtype, ttl=300, rdatas=rdatas
        )
    return [host, f"_25._tcp.{host}"]


def test_partition_zone_is_signed_and_delegated_securely(
    partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    assert partition.ds_records
    assert partition.provisioned_at
    answer = dnsnet.resolve(partition.zone, "SOA")
    assert answer.rcode == "NOERROR"
    assert answer.authenticated
    assert dnsnet.resolve(partition.zone, "DS").records == sorted(partition.ds_records)


def test_ensure_partition_twice_changes_nothing(
    partition: Partition, backend: Rfc2136Backend
) -> None:
    before = backend.dnskeys(partition.zone)
    again = ensure_partition(partition, backend)
    assert backend.dnskeys(partition.zone) == before
    assert again.ds_records == partition.ds_records


def test_published_records_validate_with_ad(
    partition: Partition, backend: Rfc2136Backend, dnsnet: DnsTestNetwork
) -> None:
    names = want(partition, "contoso-com")
    batches = push_names(partition, names, backend)
    assert all(backend.confirm_visible(batch) for batch in batches)

    host = f"contoso-com.{partition.zone}"
    a = dnsnet.resolve(host, "A")
    assert (a.records, a.authenticated) == (["192.0.2.25"], True)
    aaaa = dnsnet.resolve(host, "AAAA")
    assert (aaaa.records, aaaa.authenticated) == (["2001:db8::25"], True)
    tlsa = dnsnet.resolve(f"_25._tcp.{host}", "TLSA")
    assert tlsa.authenticated
    assert tlsa.records == [TLSA]

    ZoneRRset.objects.filter(partition=partition).delete()
    push_names(partition, names, backend)
    assert [r for r in backend.list_rrsets(partition.zone) if r.name in names] == []
    assert not detect_drift(partition, backend)


def test_bad_tsig_is_a_permanent_error_without_the_secret(
    partition: Partition, backend: Rfc2136Backend
) -> None:
    wrong = TsigKey("hmac-sha256", backend.tsig.name, "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA==")
    intruder = Rfc2136Backend(backend.servers, wrong)
    with pytest.raises(PermanentDnsError) as error:
        intruder.apply(
            ChangeBatch(
                partition.zone, upserts=[RRset(f"x.{partition.zone}", "A", 60, ("192.0.2.1",))]
            )
        )
    assert error.value.rcode == "NOTAUTH"
    assert "d3Jvbmc" not in str(error.value)
    assert backend.tsig.key.secret.hex() not in repr(backend.tsig)
    assert "***" in repr(backend.tsig)


def test_update_for_a_zone_the_server_does_not_have_names_the_rcode(
    backend: Rfc2136Backend,
) -> None:
    with pytest.raises(PermanentDnsError) as error:
        backend.apply(
            ChangeBatch(
                "nowhere.example", upserts=[RRset("a.nowhere.example", "A", 60, ("192.0.2.1",))]
            )
        )
    assert error.value.rcode == "NOTAUTH"
    assert "NOTAUTH" in str(error.value)


def test_server_down_is_transient(backend: Rfc2136Backend, partition: Partition) -> None:
    down = Rfc2136Backend([("127.0.0.1", 9)], backend.tsig, timeout=1)
    batch = ChangeBatch(
        partition.zone, upserts=[RRset(f"x.{partition.zone}", "A", 60, ("192.0.2.1",))]
    )
    with pytest.raises(TransientDnsError):
        down.apply(batch)
    with pytest.raises(TransientDnsError):
        down.ensure_zone(partition.zone)


def test_a_batch_applies_whole_or_not_at_all(
    partition: Partition, backend: Rfc2136Backend, dnsnet: DnsTestNetwork
) -> None:
    inside = RRset(f"whole.{partition.zone}", "A", 60, ("192.0.2.7",))
    outside = RRset("elsewhere.test", "A", 60, ("192.0.2.8",))
    with pytest.raises(PermanentDnsError) as error:
        backend.apply(ChangeBatch(partition.zone, upserts=[inside, outside]))
    assert error.value.rcode == "NOTZONE"
    assert not [r for r in backend.list_rrsets(partition.zone) if r.name == inside.name]


def test_oversized_batches_are_split_not_lost(
    partition: Partition, backend: Rfc2136Backend
) -> None:
    upserts = [
        RRset(f"_25._tcp.h{i:05d}.{partition.zone}", "TLSA", 60, (TLSA, TLSA.replace("c0", "d1")))
        for i in range(1400)
    ]
    batch = ChangeBatch(partition.zone, upserts=upserts)
    with pytest.raises(BatchTooLarge):
        backend.apply(batch)
    sent = apply_in_batches(backend, batch)
    assert len(sent) > 1
    published = [r for r in backend.list_rrsets(partition.zone) if r.rdtype == "TLSA"]
    assert len(published) == 1400


def test_drift_is_detected_and_repaired(
    partition: Partition, backend: Rfc2136Backend, dnsnet: DnsTestNetwork
) -> None:
    names = want(partition, "fabrikam-com") + want(partition, "litware-com")
    push_names(partition, names, backend)
    host = f"fabrikam-com.{partition.zone}"
    dnsnet.delete(host, "AAAA", zone=partition.zone)
    dnsnet.update(
        ("replace", f"litware-com.{partition.zone}", "A", 300, "198.51.100.66"), zone=partition.zone
    )
    dnsnet.update(("add", f"rogue.{partition.zone}", "A", 300, "203.0.113.1"), zone=partition.zone)

    drift = detect_drift(partition, backend)
    assert [r.key for r in drift.missing] == [RRsetKey(host, "AAAA")]
    assert [r.key for r in drift.changed] == [RRsetKey(f"litware-com.{partition.zone}", "A")]
    assert drift.unexpected == [RRsetKey(f"rogue.{partition.zone}", "A")]

    repaired = repair_drift(partition, backend)
    assert repaired.summary() == {"missing": 1, "changed": 1, "unexpected": 1}
    assert not detect_drift(partition, backend)
    assert dnsnet.resolve(f"litware-com.{partition.zone}", "A").records == ["192.0.2.25"]
    partition.refresh_from_db()
    assert partition.last_drift_check_at is not None


def test_a_drift_repair_of_an_unchanged_zone_reads_nothing_from_the_server(
    partition: Partition,
    backend: Rfc2136Backend,
    dnsnet: DnsTestNetwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    push_names(partition, want(partition, "contoso-com"), backend)
    listed: list[str] = []
    list_rrsets = backend.list_rrsets

    def listing(zone: str) -> list[RRset]:
        listed.append(zone)
        return list_rrsets(zone)

    monkeypatch.setattr(backend, "list_rrsets", listing)
    assert not repair_drift(partition, backend)  # a clean comparison, remembered
    assert listed == [partition.zone]
    assert not repair_drift(partition, backend)
    assert listed == [partition.zone]  # unchanged: only its SOA serial was asked

    rogue = f"rogue.{partition.zone}"
    dnsnet.update(("add", rogue, "A", 300, "203.0.113.1"), zone=partition.zone)
    assert repair_drift(partition, backend).unexpected == [RRsetKey(rogue, "A")]
    assert not dnsnet.resolve(rogue, "A").records
    assert not repair_drift(partition, backend)  # compared again after the repair
    assert len(listed) == 3

    names = want(partition, "fabrikam-com")  # wanted, not pushed: the serial is the same
    assert len(repair_drift(partition, backend).missing) == 3
    assert dnsnet.resolve(names[0], "A").records == ["192.0.2.25"]
    assert len(listed) == 4


def test_the_periodic_repair_spreads_the_partitions_over_its_interval(
    partition: Partition, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = [partition] + [
        Partition.objects.create(
            label=f"s{index}-{partition.label}",
            zone=f"s{index}-{partition.zone}",
            provisioned_at=partition.provisioned_at,
        )
        for index in range(3)
    ]
    queued: list[tuple[int, float]] = []
    monkeypatch.setattr(
        repair_partition_drift,
        "apply_async",
        lambda args, countdown: queued.append((args[0], countdown)),
    )
    repair_all_drift()
    interval = settings.CELERY_BEAT_SCHEDULE["repair-drift"]["schedule"]
    provisioned = Partition.objects.filter(provisioned_at__isnull=False).count()
    assert {pk for pk, _ in queued} >= {zone.pk for zone in zones}
    delays = sorted(delay for _, delay in queued)
    assert len(delays) == provisioned
    assert delays[0] == 0
    assert delays[-1] < interval
    assert delays[-1] == pytest.approx(0.9 * interval * (provisioned - 1) / provisioned, abs=0.1)


@pytest.mark.django_db(transaction=True)
def test_a_drift_repair_waits_for_a_push_under_way(
    partition: Partition, backend: Rfc2136Backend, dnsnet: DnsTestNetwork
) -> None:
    names = want(partition, "contoso-com")  # wanted, not yet published
    held, release = threading.Event(), threading.Event()
    repaired: list[object] = []

    def push_under_way() -> None:
        try:
            with publishing(partition):
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def repair() -> None:
        try:
            repaired.append(repair_drift(partition, backend))
        finally:
            connection.close()

    pusher, repairer = threading.Thread(target=push_under_way), threading.Thread(target=repair)
    pusher.start()
    assert held.wait(10)
    repairer.start()
    wait_until_blocked_on_a_lock()
    # What the push carries out meanwhile: Disable, so the rows are no longer wanted. A repair
    # that had not waited would have published them from its older read.
    ZoneRRset.objects.filter(partition=partition).delete()
    release.set()
    pusher.join(10)
    repairer.join(30)

    assert repaired, "the repair did not finish"
    assert not detect_drift(partition, backend)
    assert not dnsnet.resolve(names[0], "A").records


def test_records_and_chain_survive_a_knot_restart(
    partition: Partition, backend: Rfc2136Backend, dnsnet: DnsTestNetwork
) -> None:
    names = want(partition, "restart-example")
    push_names(partition, names, backend)

    dnsnet.restart_authoritative()

    assert not detect_drift(partition, backend)
    host = f"restart-example.{partition.zone}"
    tlsa = dnsnet.resolve(f"_25._tcp.{host}", "TLSA")
    assert (tlsa.records, tlsa.authenticated) == ([TLSA], True)
    assert dnsnet.resolve(partition.zone, "DS").records == sorted(partition.ds_records)


@pytest.mark.parametrize(
    ("kind", "rcode", "authenticated"),
    [
        ("signed", "NOERROR", True),
        ("unsigned", "NOERROR", False),
        ("bogus-ds", "SERVFAIL", False),
        ("expired-signatures", "SERVFAIL", False),
    ],
)
def test_customer_zones_of_the_test_network(
    dnsnet: DnsTestNetwork, kind: str, rcode: str, authenticated: bool
) -> None:
    zone = f"{kind}-{uuid.uuid4().hex[:8]}.test"
    dnsnet.create_customer_zone(zone, kind)
    answer = dnsnet.resolve(zone, "SOA")
    assert (answer.rcode, answer.authenticated) == (rcode, authenticated)


def test_confirm_visible_many_tells_each_batch_apart(
    partition: Partition, backend: Rfc2136Backend
) -> None:
    """All batches' sample questions are asked at once; each batch gets its own answer."""
    shown = push_names(partition, want(partition, "shown"), backend)
    host = f"later.{partition.zone}"
    not_yet = ChangeBatch(
        partition.zone,
        upserts=[
            RRset(host, "A", 300, ("192.0.2.26",)),
            RRset(host, "AAAA", 300, ("2001:db8::1a",)),
        ],
    )
    gone = ChangeBatch(partition.zone, deletes=[RRsetKey(f"shown.{partition.zone}", "A")])
    assert backend.confirm_visible_many([*shown, not_yet, gone]) == [True] * len(shown) + [
        False,
        False,
    ]
    backend.apply(not_yet)
    backend.apply(gone)
    assert backend.confirm_visible_many([not_yet, gone]) == [True, True]
    moved = ChangeBatch(partition.zone, upserts=[RRset(host, "AAAA", 300, ("2001:db8::0:1b",))])
    assert backend.confirm_visible_many([moved]) == [False]  # the old address is still served
    backend.apply(moved)
    assert backend.confirm_visible_many([moved]) == [True]  # 2001:db8::1b, however written
