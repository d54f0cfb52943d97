"""The builtin driver: signed zone files that validate, are served by a real Knot, are changed
incrementally, keep the key private and apply a batch whole or not at all."""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.backends.base import (
    BatchTooLarge,
    ChangeBatch,
    PermanentDnsError,
    RRset,
    RRsetKey,
)
from dnsops.backends.builtin import (
    BuiltinBackend,
    ZoneKey,
    _ZoneEditor,
    canonical_key,
    journal_path,
    published_serial,
    published_zone,
    zone_file_serial,
)
from dnsops.builtin_models import BuiltinRRset, BuiltinZone
from dnsops.models import Partition
from dnsops.tasks import refresh_signatures

TLSA = "3 1 1 " + "c0ffee" * 10 + "beef"
IN = dns.rdataclass.IN
RRSIG = dns.rdatatype.RRSIG
DNSKEY = dns.rdatatype.DNSKEY
NSEC = dns.rdatatype.NSEC


# --- helpers -------------------------------------------------------------------------------


def domain(zone: str, token: str, address: str = "192.0.2.25") -> list[RRset]:
    """The three RRsets of one MX host: A, AAAA and its TLSA."""
    host = f"{token}.{zone}"
    return [
        RRset(host, "A", 300, (address,)),
        RRset(host, "AAAA", 300, ("2001:db8::25",)),
        RRset(f"_25._tcp.{host}", "TLSA", 300, (TLSA,)),
    ]


def domains(zone: str, tokens: list[str]) -> list[RRset]:
    return [rrset for token in tokens for rrset in domain(zone, token)]


def removal(zone: str, token: str) -> list[RRsetKey]:
    return [rrset.key for rrset in domain(zone, token)]


def types_in_nsec(nsec: Any) -> set[int]:
    return {dns.rdatatype.from_text(t) for t in nsec.to_text().split()[1:]}


def assert_valid_zone_file(path: Path | io.StringIO, zone: str, dnskey: str) -> dns.zone.Zone:
    """Load the file with dnspython; every RRSIG verifies with the zone's DNSKEY, every RRset
    that must be signed is, and the NSEC chain is complete, in canonical order, with the right
    type bitmaps."""
    origin = dns.name.from_text(zone)
    loaded = dns.zone.from_file(
        str(path) if isinstance(path, Path) else path, origin=origin, relativize=False
    )
    dnskeys = loaded.find_rdataset(origin, "DNSKEY")
    assert [rdata.to_text() for rdata in dnskeys] == [dnskey]
    keys: dict[dns.name.Name, dns.node.Node | dns.rdataset.Rdataset] = {origin: dnskeys}
    for name, node in loaded.nodes.items():
        delegation = name != origin and node.get_rdataset(IN, dns.rdatatype.NS) is not None
        signatures = {rds.covers: rds for rds in node.rdatasets if rds.rdtype == RRSIG}
        expected = {
            rds.rdtype
            for rds in node.rdatasets
            if rds.rdtype != RRSIG and not (delegation and rds.rdtype == dns.rdatatype.NS)
        }
        assert set(signatures) == expected, name
        for rdataset in node.rdatasets:
            if rdataset.rdtype in expected:
                dns.dnssec.validate((name, rdataset), (name, signatures[rdataset.rdtype]), keys)
    with_data = sorted(
        name
        for name, node in loaded.nodes.items()
        if any(rds.rdtype not in (RRSIG, NSEC) for rds in node.rdatasets)
    )
    chained = sorted(name for name, node in loaded.nodes.items() if node.get_rdataset(IN, NSEC))
    assert chained == with_data
    assert chained[0] == origin
    for index, name in enumerate(chained):
        nsec = loaded.find_rdataset(name, NSEC)[0]
        assert nsec.next == chained[(index + 1) % len(chained)], name
        assert types_in_nsec(nsec) == {rds.rdtype for rds in loaded.nodes[name].rdatasets}
    return loaded


def snapshot(zone: str) -> list[tuple[Any, ...]]:
    rows = BuiltinRRset.objects.filter(zone__name=zone).order_by("canonical_key", "rdtype")
    zone_row = BuiltinZone.objects.values_list("serial", "key_tag", "dnskey").get(name=zone)
    return [*rows.values_list("owner", "rdtype", "ttl", "rdatas", "rrsig", "expires_at"), zone_row]


def free_port() -> int:
    """A loopback port free for both UDP and TCP."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


@dataclass
class Knot:
    """A Knot DNS instance of this test: loads the driver's zone file, signs nothing."""

    conf: Path
    port: int
    zone: str

    def knotc(self, *args: str) -> str:
        result = subprocess.run(
            ["knotc", "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def query(self, name: str, rdtype: str, timeout: float = 3.0) -> dns.message.Message:
        query = dns.message.make_query(name + ".", rdtype, want_dnssec=True, payload=4096)
        response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=timeout)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, "127.0.0.1", port=self.port, timeout=timeout)
        return response

    def serial(self) -> int | None:
        try:
            response = self.query(self.zone, "SOA", timeout=0.2)
        except (OSError, dns.exception.DNSException):
            return None
        if response.rcode() != dns.rcode.NOERROR or not response.answer:
            return None
        return int(response.answer[0][0].serial)

    def wait_for_serial(self, serial: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.serial() != serial:
            assert time.monotonic() < deadline, f"Knot did not serve serial {serial}"
            time.sleep(0.05)


@pytest.fixture
def start_knot(tmp_path: Path) -> Iterator[Callable[[str, Path], Knot]]:
    """Start a private knotd (own config, run dir and port) for a zone file; stopped by its
    pidfile when the test ends. The Knot of the stack is never touched."""
    if shutil.which("knotd") is None:
        pytest.skip("Knot DNS (knotd) is not installed")
    pidfiles: list[Path] = []

    def start(zone: str, zone_file: Path) -> Knot:
        run = tmp_path / f"knot-{len(pidfiles)}"
        run.mkdir()
        port = free_port()
        conf = run / "knot.conf"
        conf.write_text(
            f"""server:
    rundir: "{run}"
    listen: 127.0.0.1@{port}
    pidfile: "{run}/knotd.pid"
database:
    storage: "{run}/db"
log:
  - target: "{run}/knotd.log"
    any: info
template:
  - id: default
    storage: "{run}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: on
zone:
  - domain: {zone}.
    file: "{zone_file}"
    dnssec-signing: off
    dnssec-validation: on
"""
        )
        pidfiles.append(run / "knotd.pid")
        subprocess.run(["knotd", "-c", str(conf), "-d"], check=True, timeout=30)
        knot = Knot(conf, port, zone)
        deadline = time.monotonic() + 30
        while knot.serial() is None:
            log = (run / "knotd.log").read_text() if (run / "knotd.log").exists() else ""
            assert time.monotonic() < deadline, f"Knot did not load {zone}:\n{log}"
            time.sleep(0.05)
        return knot

    yield start
    for pidfile in pidfiles:
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def backend(settings: SettingsWrapper, tmp_path: Path) -> BuiltinBackend:
    settings.DANE_BUILTIN_KEY_DIR = tmp_path / "keys"
    settings.DANE_BUILTIN_ZONE_DIR = tmp_path / "zones"
    settings.DANE_DNS_SERVERS = []
    settings.DANE_BUILTIN_JOURNAL_MAX_BYTES = 8 * 1024 * 1024  # the embedded default's
    return BuiltinBackend.from_settings()


@pytest.fixture
def zone(backend: BuiltinBackend) -> str:
    name = f"z{uuid.uuid4().hex[:10]}.mx.provider.test"
    backend.ensure_zone(name)
    return name


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every signature the driver makes from now on, as (owner, type)."""
    made: list[tuple[str, str]] = []
    original = ZoneKey.sign

    def spy(self: ZoneKey, rrset: dns.rrset.RRset, *args: Any) -> Any:
        made.append((rrset.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(rrset.rdtype)))
        return original(self, rrset, *args)

    monkeypatch.setattr(ZoneKey, "sign", spy)
    return made


def published(backend: BuiltinBackend, zone: str) -> bytes:
    """The zone as published: its file with the journal applied."""
    target = io.BytesIO()
    published_zone(backend.zone_file_path(zone), target)
    return target.getvalue()


def check(backend: BuiltinBackend, zone: str) -> dns.zone.Zone:
    """The published zone validates (see ``assert_valid_zone_file``)."""
    return assert_valid_zone_file(
        io.StringIO(published(backend, zone).decode()), zone, backend.dnskeys(zone)[0]
    )


# --- canonical order -------------------------------------------------------------------------


def test_canonical_key_sorts_like_rfc4034() -> None:
    rng = random.Random(4034)  # noqa: S311 - test data
    alphabet = [b"a", b"B", b"z", b"-", b"_", b"0", b"\x00", b"\x01", b"\x02", b"\xff", b"*"]
    names = {dns.name.from_text("zone.test.")}
    for _ in range(600):
        labels = [
            b"".join(rng.choices(alphabet, k=rng.randint(1, 4))) for _ in range(rng.randint(0, 3))
        ]
        names.add(dns.name.Name([*labels, b"zone", b"test", b""]))
    by_key = sorted(names, key=canonical_key)
    assert by_key == sorted(names)  # dnspython compares names in canonical order
    for name in names:
        for other in names:
            assert canonical_key(other).startswith(canonical_key(name)) == other.is_subdomain(name)


@pytest.mark.parametrize(
    ("owner", "rdtype", "rdatas"),
    [
        ("H1.Zone.Test.", "A", ["192.0.2.25"]),
        ("*.wild.zone.test.", "TXT", ['"b"', '"a"', '"c c"']),
        ("zone.test.", "MX", ["10 Mail.Zone.Test.", "0 mx.other.test."]),
        ("_25._tcp.h.zone.test.", "TLSA", [TLSA]),
        ("h.zone.test.", "NSEC", ["i.zone.test. A AAAA RRSIG NSEC"]),
    ],
)
def test_the_signatures_validate_and_match_dnspythons_in_every_field(
    owner: str, rdtype: str, rdatas: list[str]
) -> None:
    key = ZoneKey(ec.generate_private_key(ec.SECP256R1()))
    origin = dns.name.from_text("zone.test.")
    rrset = dns.rrset.from_text_list(owner, 300, "IN", rdtype, rdatas)
    inception = timezone.now() - timedelta(hours=1)
    expiration = inception + timedelta(days=12)

    ours = key.sign(rrset, origin, inception, expiration)

    dns.dnssec.validate_rrsig(rrset, ours, {origin: dns.rrset.from_rdata(origin, 300, key.dnskey)})
    reference = dns.dnssec.sign(rrset, key._private_key, origin, key.dnskey, inception, expiration)
    assert ours.to_text().split()[:8] == reference.to_text().split()[:8]  # all but the signature


# --- (1) the written zone validates --------------------------------------------------------------


@pytest.mark.django_db
def test_zone_file_validates_after_adds_updates_and_deletes(
    backend: BuiltinBackend, zone: str
) -> None:
    loaded = check(backend, zone)
    assert {rds.rdtype for rds in loaded.nodes[dns.name.from_text(zone)].rdatasets} >= {
        dns.rdatatype.SOA,
        dns.rdatatype.NS,
        dns.rdatatype.DNSKEY,
        NSEC,
    }
    tokens = [f"h{i:03d}" for i in range(40)]
    backend.apply(ChangeBatch(zone, upserts=domains(zone, tokens)))
    check(backend, zone)

    extra = [
        RRset(f"*.wild.{zone}", "TXT", 60, ('"wildcard"',)),
        RRset(f"alias.{zone}", "CNAME", 60, (f"h001.{zone}",)),
        RRset(zone, "TXT", 60, ('"v=spf1 -all"',)),
        RRset(f"h002.{zone}", "A", 120, ("192.0.2.26", "192.0.2.27")),
    ]
    deletes = [key for token in tokens[::3] for key in removal(zone, token)]
    backend.apply(ChangeBatch(zone, upserts=extra, deletes=deletes))
    check(backend, zone)

    # Only the TLSA of a host goes: the host's own name stays, its TLSA owner leaves the chain.
    backend.apply(ChangeBatch(zone, deletes=[RRsetKey(f"_25._tcp.h004.{zone}", "TLSA")]))
    # Delete everything but the apex: the chain collapses to the apex alone.
    published = backend.list_rrsets(zone)
    backend.apply(ChangeBatch(zone, deletes=[rrset.key for rrset in published]))
    loaded = check(backend, zone)
    assert [name.to_text() for name in loaded.nodes] == [zone + "."]
    assert backend.list_rrsets(zone) == []


@pytest.mark.django_db
def test_delegations_are_signed_as_such_and_glue_is_refused(
    backend: BuiltinBackend, zone: str
) -> None:
    child_key = ec.generate_private_key(ec.SECP256R1())
    child_dnskey = dns.dnssec.make_dnskey(child_key.public_key(), 13, flags=257)
    child = f"child.{zone}"
    ds = dns.dnssec.make_ds(child + ".", child_dnskey, "SHA256").to_text()
    backend.apply(
        ChangeBatch(
            zone,
            upserts=[
                RRset(child, "NS", 3600, ("ns1.example.", "ns2.example.")),
                RRset(child, "DS", 3600, (ds,)),
                *domain(zone, "host"),
            ],
        )
    )
    loaded = check(backend, zone)
    nsec = loaded.find_rdataset(child + ".", NSEC)[0]
    assert types_in_nsec(nsec) == {dns.rdatatype.NS, dns.rdatatype.DS, NSEC, RRSIG}

    for bad in (
        ChangeBatch(zone, upserts=[RRset(f"ns.{child}", "A", 60, ("192.0.2.1",))]),
        ChangeBatch(zone, upserts=[RRset(f"host.{zone}", "NS", 60, ("ns.example.",))]),
        ChangeBatch(zone, upserts=[RRset(f"other.{zone}", "DS", 60, (ds,))]),
        ChangeBatch(zone, upserts=[RRset(f"_tcp.host.{zone}", "NS", 60, ("ns.example.",))]),
        ChangeBatch(zone, upserts=[RRset(f"host.{zone}", "CNAME", 60, ("elsewhere.example.",))]),
    ):
        before = snapshot(zone)
        with pytest.raises(PermanentDnsError):
            backend.apply(bad)
        assert snapshot(zone) == before


# --- (2) a real server loads the file ------------------------------------------------------------


def validated_answer(knot: Knot, name: str, rdtype: str, dnskeys: dns.rrset.RRset) -> list[str]:
    """The records Knot serves for ``name``/``rdtype``, after checking their RRSIG."""
    response = knot.query(name, rdtype)
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    kind = dns.rdatatype.from_text(rdtype)
    answer = response.find_rrset(response.answer, dns.name.from_text(name), IN, kind)
    rrsig = response.find_rrset(response.answer, answer.name, IN, RRSIG, kind)
    dns.dnssec.validate(answer, rrsig, {dnskeys.name: dnskeys})
    return sorted(rdata.to_text() for rdata in answer)


@pytest.mark.django_db
def test_knot_loads_serves_and_reloads_the_signed_zone(
    backend: BuiltinBackend, zone: str, start_knot: Callable[[str, Path], Knot]
) -> None:
    backend.journal_max_bytes = 0  # a server loads the file whole: every change is in it
    backend.apply(ChangeBatch(zone, upserts=domains(zone, ["alpha", "beta", "gamma"])))
    knot = start_knot(zone, backend.zone_file_path(zone))

    response = knot.query(zone, "DNSKEY")
    dnskeys = response.find_rrset(response.answer, dns.name.from_text(zone), IN, DNSKEY)
    assert [rdata.to_text() for rdata in dnskeys] == backend.dnskeys(zone)
    dnskey_sig = response.find_rrset(response.answer, dnskeys.name, IN, RRSIG, DNSKEY)
    dns.dnssec.validate(dnskeys, dnskey_sig, {dnskeys.name: dnskeys})
    assert dns.dnssec.make_ds(zone + ".", dnskeys[0], "SHA256").to_text() in backend.ds_records(
        zone
    )
    assert validated_answer(knot, f"beta.{zone}", "A", dnskeys) == ["192.0.2.25"]
    assert validated_answer(knot, f"beta.{zone}", "AAAA", dnskeys) == ["2001:db8::25"]
    assert validated_answer(knot, f"_25._tcp.beta.{zone}", "TLSA", dnskeys) == [TLSA]

    # A name that doesn't exist: NXDOMAIN, proven by signed NSEC records.
    response = knot.query(f"delta.{zone}", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    nsecs = [rrset for rrset in response.authority if rrset.rdtype == NSEC]
    assert nsecs
    for nsec in nsecs:
        sig = response.find_rrset(response.authority, nsec.name, IN, RRSIG, NSEC)
        dns.dnssec.validate(nsec, sig, {dnskeys.name: dnskeys})

    # Change the zone: Knot serves the new state after a reload, and confirm_visible knows.
    batch = ChangeBatch(
        zone,
        upserts=[*domain(zone, "delta"), RRset(f"alpha.{zone}", "A", 300, ("192.0.2.99",))],
        deletes=removal(zone, "gamma"),
    )
    backend.apply(batch)
    backend.servers = [("127.0.0.1", knot.port)]
    assert not backend.confirm_visible(batch)  # Knot still has the old serial
    knot.knotc("zone-reload", zone)
    knot.wait_for_serial(BuiltinZone.objects.get(name=zone).serial)
    assert backend.confirm_visible(batch)
    assert validated_answer(knot, f"delta.{zone}", "A", dnskeys) == ["192.0.2.25"]
    assert validated_answer(knot, f"_25._tcp.delta.{zone}", "TLSA", dnskeys) == [TLSA]
    assert validated_answer(knot, f"alpha.{zone}", "A", dnskeys) == ["192.0.2.99"]
    assert knot.query(f"gamma.{zone}", "A").rcode() == dns.rcode.NXDOMAIN


def feed_journal(knot: Knot, journal: str) -> None:
    """Apply a journal's steps to a running Knot as one control transaction (what a consumer
    of the journal does instead of reloading the file): the records removed unset, the new
    SOA and the records added set."""
    knot.knotc("zone-begin", knot.zone)
    soas = 0
    for line in journal.splitlines():
        if line.startswith(";"):
            continue
        owner, ttl, _, rdtype, rdata = line.split(maxsplit=4)
        if rdtype == "SOA":
            soas += 1
            if soas % 2 == 0:  # the new SOA replaces the old one
                knot.knotc("zone-set", knot.zone, owner, ttl, rdtype, *rdata.split())
        elif soas % 2:
            knot.knotc("zone-unset", knot.zone, owner, rdtype, *rdata.split())
        else:
            knot.knotc("zone-set", knot.zone, owner, ttl, rdtype, *rdata.split())
    knot.knotc("zone-commit", knot.zone)


@pytest.mark.django_db
def test_knot_applies_the_journal_without_reloading_the_file(
    backend: BuiltinBackend, zone: str, start_knot: Callable[[str, Path], Knot]
) -> None:
    backend.apply(ChangeBatch(zone, upserts=domains(zone, ["alpha", "beta", "gamma"])))
    backend.compact_zone_file(zone)
    knot = start_knot(zone, backend.zone_file_path(zone))
    response = knot.query(zone, "DNSKEY")
    dnskeys = response.find_rrset(response.answer, dns.name.from_text(zone), IN, DNSKEY)

    first = ChangeBatch(zone, upserts=domain(zone, "delta"), deletes=removal(zone, "gamma"))
    backend.apply(first)
    backend.apply(ChangeBatch(zone, upserts=[RRset(f"alpha.{zone}", "A", 300, ("192.0.2.99",))]))
    feed_journal(knot, journal_path(backend.zone_file_path(zone)).read_text())

    knot.wait_for_serial(BuiltinZone.objects.get(name=zone).serial)
    assert validated_answer(knot, f"delta.{zone}", "A", dnskeys) == ["192.0.2.25"]
    assert validated_answer(knot, f"_25._tcp.delta.{zone}", "TLSA", dnskeys) == [TLSA]
    assert validated_answer(knot, f"alpha.{zone}", "A", dnskeys) == ["192.0.2.99"]
    response = knot.query(f"gamma.{zone}", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    for nsec in [rrset for rrset in response.authority if rrset.rdtype == NSEC]:
        sig = response.find_rrset(response.authority, nsec.name, IN, RRSIG, NSEC)
        dns.dnssec.validate(nsec, sig, {dnskeys.name: dnskeys})
    backend.servers = [("127.0.0.1", knot.port)]
    assert backend.confirm_visible(first)


@pytest.mark.django_db
def test_confirm_visible_checks_the_database_and_the_file(
    backend: BuiltinBackend, zone: str
) -> None:
    batch = ChangeBatch(zone, upserts=domain(zone, "one"))
    assert not backend.confirm_visible(batch)
    backend.apply(batch)
    assert backend.confirm_visible(batch)  # no servers listed: the file is the product
    backend.servers = [("127.0.0.1", free_port())]  # a listed server that does not answer
    backend.timeout = 0.3
    assert not backend.confirm_visible(batch)
    backend.servers = []
    backend.zone_file_path(zone).unlink()
    assert not backend.confirm_visible(batch)
    backend.ensure_zone(zone)  # rewrites the missing file
    assert backend.confirm_visible(batch)
    assert not backend.confirm_visible(ChangeBatch(zone, deletes=removal(zone, "one")))


# --- (3) incremental signing -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_change_resigns_only_what_it_touches(
    backend: BuiltinBackend, zone: str, signatures: list[tuple[str, str]]
) -> None:
    backend.apply(ChangeBatch(zone, upserts=domains(zone, [f"h{i:03d}" for i in range(200)])))
    before = {(row[0], row[1]): row[4] for row in snapshot(zone)[:-1]}
    signatures.clear()

    backend.apply(ChangeBatch(zone, upserts=domain(zone, "h100a")))
    host, tlsa = f"h100a.{zone}", f"_25._tcp.h100a.{zone}"
    assert sorted(signatures) == sorted(
        [
            (host, "A"),
            (host, "AAAA"),
            (tlsa, "TLSA"),
            (host, "NSEC"),
            (tlsa, "NSEC"),
            (f"_25._tcp.h100.{zone}", "NSEC"),  # the predecessor: its next pointer moved
            (zone, "SOA"),
        ]
    )
    after = {(row[0], row[1]): row[4] for row in snapshot(zone)[:-1]}
    changed = {key for key in after if before.get(key) != after[key]}
    assert changed == set(signatures)
    check(backend, zone)

    signatures.clear()
    backend.apply(ChangeBatch(zone, deletes=removal(zone, "h050")))
    assert sorted(signatures) == sorted([(f"_25._tcp.h049.{zone}", "NSEC"), (zone, "SOA")])

    signatures.clear()
    backend.apply(ChangeBatch(zone, upserts=[RRset(f"h051.{zone}", "A", 300, ("192.0.2.1",))]))
    assert sorted(signatures) == sorted([(f"h051.{zone}", "A"), (zone, "SOA")])

    signatures.clear()
    serial = BuiltinZone.objects.get(name=zone).serial
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "h100a")))  # a retry: nothing to do
    assert signatures == []
    assert BuiltinZone.objects.get(name=zone).serial == serial
    check(backend, zone)


@pytest.mark.django_db
def test_a_small_change_splices_the_zone_file_instead_of_reading_the_zone(
    backend: BuiltinBackend, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.journal_max_bytes = 0  # as when servers load the file
    backend.apply(ChangeBatch(zone, upserts=domains(zone, [f"h{i:03d}" for i in range(200)])))
    whole_reads: list[str] = []
    full_lines = BuiltinBackend._zone_lines

    def counting(zone_row: BuiltinZone) -> Iterator[str]:
        whole_reads.append(zone_row.name)
        return full_lines(zone_row)

    monkeypatch.setattr(BuiltinBackend, "_zone_lines", staticmethod(counting))
    path = backend.zone_file_path(zone)
    changes = [
        ChangeBatch(zone, upserts=domain(zone, "h100a")),  # new names mid-chain
        ChangeBatch(zone, upserts=domain(zone, "zzz")),  # new last names: the chain wraps
        ChangeBatch(zone, upserts=domain(zone, "0first")),  # new first names after the apex
        ChangeBatch(zone, deletes=removal(zone, "h050")),
        ChangeBatch(zone, upserts=[RRset(f"h051.{zone}", "A", 60, ("192.0.2.1", "192.0.2.2"))]),
        ChangeBatch(zone, upserts=[RRset(zone, "TXT", 60, ('"v=spf1 -all"',))]),  # the apex
        ChangeBatch(zone, deletes=[RRsetKey(f"_25._tcp.h199.{zone}", "TLSA")]),  # the last one
    ]
    for batch in changes:
        backend.apply(batch)
        spliced = path.read_bytes()
        assert whole_reads == []
        assert spliced == "".join(full_lines(BuiltinZone.objects.get(name=zone))).encode()
        assert zone_file_serial(path) == BuiltinZone.objects.get(name=zone).serial
    check(backend, zone)


def applied_as_ixfr(base: bytes, journal: bytes, zone: str) -> dns.zone.Zone:
    """``base`` with the journal's difference sequences applied as RFC 1995 says (each: the
    old SOA, the records to delete, the new SOA, the records to add), by dnspython."""
    origin = dns.name.from_text(zone)
    applied = dns.zone.from_text(base.decode(), origin=origin, relativize=False)
    soas = 0
    with applied.writer() as txn:
        for line in journal.decode().splitlines():
            if line.startswith(";"):
                continue
            owner, ttl, _, rdtype, rdata = line.split(maxsplit=4)
            rrset = dns.rrset.from_text(owner, int(ttl), "IN", rdtype, rdata)
            if rrset.rdtype == dns.rdatatype.SOA:
                soas += 1
                if soas % 2:  # the old SOA: the one the zone has
                    assert txn.get(origin, dns.rdatatype.SOA)[0] == rrset[0]
                    txn.delete(rrset.name, rrset.to_rdataset())
                else:
                    txn.add(rrset.name, rrset.to_rdataset())
            elif soas % 2:
                assert txn.get(rrset.name, rrset.rdtype, rrset.covers) is not None
                txn.delete(rrset.name, rrset.to_rdataset())
            else:
                txn.add(rrset.name, rrset.to_rdataset())
    assert soas % 2 == 0
    return applied


@pytest.mark.django_db
def test_a_small_change_is_journaled_and_the_journal_applies_to_exactly_the_whole_zone(
    backend: BuiltinBackend, zone: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    backend.apply(ChangeBatch(zone, upserts=domains(zone, [f"h{i:03d}" for i in range(60)])))
    path = backend.zone_file_path(zone)
    base = path.read_bytes()
    whole_reads: list[str] = []
    full_lines = BuiltinBackend._zone_lines

    def counting(zone_row: BuiltinZone) -> Iterator[str]:
        whole_reads.append(zone_row.name)
        return full_lines(zone_row)

    monkeypatch.setattr(BuiltinBackend, "_zone_lines", staticmethod(counting))
    changes = [
        ChangeBatch(zone, upserts=domain(zone, "h030a")),  # new names mid-chain
        ChangeBatch(zone, upserts=domain(zone, "zzz")),  # new last names: the chain wraps
        ChangeBatch(zone, upserts=domain(zone, "0first")),  # new first names after the apex
        ChangeBatch(zone, deletes=removal(zone, "h050")),
        ChangeBatch(zone, upserts=[RRset(f"h051.{zone}", "A", 60, ("192.0.2.1", "192.0.2.2"))]),
        ChangeBatch(zone, upserts=[RRset(zone, "TXT", 60, ('"v=spf1 -all"',))]),  # the apex
        ChangeBatch(zone, deletes=[RRsetKey(f"_25._tcp.h059.{zone}", "TLSA")]),  # the last one
        ChangeBatch(zone, upserts=domain(zone, "h030a", address="192.0.2.7")),  # changed again
        ChangeBatch(zone, deletes=removal(zone, "h030a")),  # and gone
    ]
    sizes = []
    for batch in changes:
        backend.apply(batch)
        whole = "".join(full_lines(BuiltinZone.objects.get(name=zone))).encode()
        assert path.read_bytes() == base  # the zone file is not rewritten
        journal = journal_path(path).read_bytes()
        sizes.append(len(journal))
        assert published(backend, zone) == whole
        assert published_serial(path) == BuiltinZone.objects.get(name=zone).serial
        assert backend.confirm_visible(batch)
    assert whole_reads == []
    # A consumer of its own (dnspython) applying the journal gets the same zone.
    assert applied_as_ixfr(base, journal, zone) == dns.zone.from_text(
        whole.decode(), origin=zone + ".", relativize=False
    )
    assert sizes == sorted(sizes)  # appended to
    assert sizes[0] < 4000  # a host's step: a few KB

    # Past its limit the journal is folded into the file (from the two files, not the DB).
    backend.journal_max_bytes = sizes[-1] + 100
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "after")))
    assert not journal_path(path).exists()
    assert whole_reads == []
    assert path.read_bytes() == "".join(full_lines(BuiltinZone.objects.get(name=zone))).encode()
    assert zone_file_serial(path) == BuiltinZone.objects.get(name=zone).serial
    check(backend, zone)

    # For a server: the published zone written elsewhere, or the journal folded in on demand.
    backend.apply(ChangeBatch(zone, deletes=removal(zone, "after")))
    whole = "".join(full_lines(BuiltinZone.objects.get(name=zone))).encode()
    call_command("builtin_zone_file", zone, output=tmp_path / "served.zone")
    assert (tmp_path / "served.zone").read_bytes() == whole
    assert journal_path(path).exists()
    call_command("builtin_zone_file", zone, compact=True, stdout=io.StringIO())
    assert not journal_path(path).exists()
    assert whole_reads == []
    assert path.read_bytes() == whole
    with pytest.raises(CommandError, match="not hosted"):
        call_command("builtin_zone_file", "elsewhere.test", compact=True)


@pytest.mark.django_db
def test_a_journal_left_by_a_crash_is_never_applied_wrongly(
    backend: BuiltinBackend, zone: str
) -> None:
    backend.apply(ChangeBatch(zone, upserts=domains(zone, [f"h{i:03d}" for i in range(50)])))
    path, journal = backend.zone_file_path(zone), journal_path(backend.zone_file_path(zone))
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "one")))
    complete = published(backend, zone)

    # Torn while appending the next step: readers see the last complete step.
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "two")))
    journal.write_bytes(journal.read_bytes()[:-200])
    assert published(backend, zone) == complete
    assert published_serial(path) == zone_file_serial(
        path
    )  # not confirmed: the next write fixes it
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "three")))
    assert not journal.exists()  # written whole from the database
    loaded = check(backend, zone)
    assert dns.name.from_text(f"two.{zone}") in loaded.nodes

    # The file replaced (e.g. written whole) but its old journal still there: not applied.
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "four")))
    stale = journal.read_bytes()
    path.unlink()
    backend.ensure_zone(zone)
    journal.write_bytes(stale)
    assert published(backend, zone) == path.read_bytes()
    assert published_serial(path) == BuiltinZone.objects.get(name=zone).serial
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "five")))
    check(backend, zone)
    assert published_serial(path) == BuiltinZone.objects.get(name=zone).serial


@pytest.mark.django_db
def test_a_bulk_load_commits_batch_by_batch_and_writes_the_zone_file_once(
    backend: BuiltinBackend, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[str] = []
    write = BuiltinBackend.write_zone_file

    def counting(self: BuiltinBackend, name: str, change: Any = None) -> Path:
        writes.append(name)
        return write(self, name, change)

    monkeypatch.setattr(BuiltinBackend, "write_zone_file", counting)
    batches = [
        ChangeBatch(zone, upserts=domains(zone, [f"h{i:03d}" for i in range(first, first + 50)]))
        for first in range(0, 150, 50)
    ]

    assert backend.apply_in_bulk(zone, batches) == 450

    assert writes == [zone]  # once, at the end (apply would have written three times)
    loaded = check(backend, zone)
    assert len([name for name in loaded.nodes if name.labels[0].startswith(b"h")]) == 150
    assert len(backend.list_rrsets(zone)) == 450
    other = f"z{uuid.uuid4().hex[:10]}.mx.provider.test"
    with pytest.raises(PermanentDnsError, match="bulk load"):
        backend.apply_in_bulk(zone, [ChangeBatch(other, upserts=domain(other, "x"))])


@pytest.mark.django_db
def test_refresh_signatures_resigns_only_what_expires_soon(
    backend: BuiltinBackend, zone: str, signatures: list[tuple[str, str]]
) -> None:
    backend.apply(ChangeBatch(zone, upserts=domains(zone, [f"h{i}" for i in range(20)])))
    soon = timezone.now() + timedelta(days=1)
    due = [(f"h3.{zone}", "A"), (f"_25._tcp.h7.{zone}", "NSEC"), (zone, "DNSKEY")]
    for owner, rdtype in due:
        BuiltinRRset.objects.filter(zone__name=zone, owner=owner, rdtype=rdtype).update(
            expires_at=soon
        )
    signatures.clear()
    assert backend.refresh_signatures(zone, within=timedelta(days=5)) == 3
    assert sorted(signatures) == sorted([*due, (zone, "SOA")])
    assert not BuiltinRRset.objects.filter(
        zone__name=zone, expires_at__lt=timezone.now() + timedelta(days=10)
    ).exists()
    check(backend, zone)
    signatures.clear()
    assert backend.refresh_signatures(zone, within=timedelta(days=5)) == 0
    assert signatures == []
    with pytest.raises(ValueError, match="within"):
        backend.refresh_signatures(zone, within=timedelta(days=12))


@pytest.mark.django_db
def test_the_scheduled_refresh_resigns_every_partition_zone(
    backend: BuiltinBackend, zone: str, settings: SettingsWrapper
) -> None:
    settings.DANE_DNS_BACKEND = "builtin"
    settings.DANE_MX_PARENT_MANAGED = False
    Partition.objects.create(label=zone.split(".")[0], zone=zone, provisioned_at=timezone.now())
    backend.apply(ChangeBatch(zone, upserts=domains(zone, ["h1", "h2"])))
    soon = timezone.now() + timedelta(days=1)
    BuiltinRRset.objects.filter(zone__name=zone).update(expires_at=soon)  # as if 13 days passed

    refresh_signatures.apply(throw=True)  # what beat runs every 6 hours

    assert not BuiltinRRset.objects.filter(
        zone__name=zone, expires_at__lt=timezone.now() + timedelta(days=10)
    ).exists()
    check(backend, zone)


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_keep_one_valid_chain(backend: BuiltinBackend, zone: str) -> None:
    def send(tokens: list[str]) -> None:
        try:
            backend.apply(ChangeBatch(zone, upserts=domains(zone, tokens)))
        finally:
            connection.close()

    tokens = [f"c{i:03d}" for i in range(200)]
    random.Random(7).shuffle(tokens)  # noqa: S311 - test data
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(send, [tokens[i : i + 25] for i in range(0, len(tokens), 25)]))
    loaded = check(backend, zone)
    assert len(loaded.nodes) == 1 + 2 * len(tokens)
    assert len(backend.list_rrsets(zone)) == 3 * len(tokens)


# --- (4) the private key stays private -----------------------------------------------------------


@pytest.mark.django_db
def test_key_files_are_private_and_never_shown(
    backend: BuiltinBackend, zone: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_dir, key_file = tmp_path / "keys", tmp_path / "keys" / f"{zone}.key"
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in key_dir.iterdir()] == [key_file.name]
    pem = key_file.read_bytes()
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    value = private_key.private_numbers().private_value
    secrets = [str(value), f"{value:x}", f"{value:X}"] + [
        line for line in pem.decode().splitlines() if not line.startswith("-----")
    ]

    shown: list[str] = [repr(backend), repr(backend.keys), *map(repr, backend._key_cache.values())]
    for bad in (
        ChangeBatch(zone, upserts=[RRset(f"x.{zone}", "TLSA", 300, ("3 1 1 nothex",))]),
        ChangeBatch("not-hosted.test", upserts=domain("not-hosted.test", "x")),
        ChangeBatch(zone, upserts=[RRset(zone, "DNSKEY", 300, tuple(backend.dnskeys(zone)))]),
    ):
        with pytest.raises(PermanentDnsError) as failure:
            backend.apply(bad)
        shown += [str(failure.value), repr(failure.value)]

    # Someone swapped the key file: the error names the tags, never the keys.
    other = ec.generate_private_key(ec.SECP256R1())
    key_file.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o644)
    fresh = BuiltinBackend.from_settings()
    with pytest.raises(PermanentDnsError, match="not the key the zone is signed with") as failure:
        fresh.apply(ChangeBatch(zone, upserts=domain(zone, "x")))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # loose permissions were tightened
    shown += [str(failure.value), repr(failure.value)]
    key_file.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    with pytest.raises(PermanentDnsError, match="not an ECDSA P-256") as failure:
        BuiltinBackend.from_settings().apply(ChangeBatch(zone, upserts=domain(zone, "x")))
    shown += [str(failure.value), repr(failure.value)]
    key_file.unlink()
    with pytest.raises(PermanentDnsError, match="missing") as failure:
        BuiltinBackend.from_settings().ensure_zone(zone)  # never silently re-keyed
    shown += [str(failure.value), repr(failure.value)]

    shown += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    shown.append(backend.zone_file_path(zone).read_text())
    shown.append(repr(snapshot(zone)))
    text = "\n".join(shown)
    for secret in secrets:
        assert secret not in text


# --- (5) a failing batch changes nothing ---------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_batch_changes_nothing(
    backend: BuiltinBackend, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.apply(ChangeBatch(zone, upserts=domains(zone, [f"h{i}" for i in range(20)])))
    before = snapshot(zone)
    zone_file = published(backend, zone)

    invalid_in_the_middle = ChangeBatch(
        zone,
        upserts=[
            *domain(zone, "new1"),
            RRset(f"_25._tcp.new2.{zone}", "TLSA", 300, ("3 1 1 not-hex",)),
            *domain(zone, "new3"),
        ],
        deletes=removal(zone, "h5"),
    )
    with pytest.raises(PermanentDnsError, match="Invalid TLSA record"):
        backend.apply(invalid_in_the_middle)
    assert snapshot(zone) == before

    with pytest.raises(PermanentDnsError, match="not in the zone"):
        backend.apply(ChangeBatch(zone, upserts=[*domain(zone, "n"), *domain("example.org", "x")]))
    assert snapshot(zone) == before

    # A failure after rows were written (signatures, NSEC) rolls all of it back.
    def fail(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_ZoneEditor, "_bump_soa", fail)
    with pytest.raises(RuntimeError):
        backend.apply(ChangeBatch(zone, upserts=domain(zone, "late"), deletes=removal(zone, "h6")))
    assert snapshot(zone) == before
    assert published(backend, zone) == zone_file


# --- the rest of the interface -------------------------------------------------------------------


@pytest.mark.django_db
def test_ensure_zone_is_idempotent_and_follows_the_settings(
    backend: BuiltinBackend, zone: str, settings: SettingsWrapper
) -> None:
    before = snapshot(zone)
    backend.ensure_zone(zone)
    BuiltinBackend.from_settings().ensure_zone(zone + ".")
    assert snapshot(zone) == before
    assert backend.ds_records(zone)[0].split()[:3] == [str(before[-1][1]), "13", "2"]

    settings.DANE_ZONE_NAMESERVERS = ["ns1.provider.test", "ns2.provider.test"]
    BuiltinBackend.from_settings().ensure_zone(zone)
    loaded = check(backend, zone)
    nameservers = loaded.find_rdataset(zone + ".", "NS")
    assert sorted(rdata.to_text() for rdata in nameservers) == [
        "ns1.provider.test.",
        "ns2.provider.test.",
    ]
    assert loaded.find_rdataset(zone + ".", "SOA")[0].mname.to_text() == "ns1.provider.test."
    assert snapshot(zone)[-1][1:] == before[-1][1:]  # same key


@pytest.mark.django_db
def test_list_rrsets_and_batch_limits(backend: BuiltinBackend, zone: str) -> None:
    backend.apply(ChangeBatch(zone, upserts=domain(zone, "b") + domain(zone, "a")))
    assert backend.list_rrsets(zone) == domain(zone, "a") + domain(zone, "b")
    with pytest.raises(BatchTooLarge):
        backend.apply(ChangeBatch(zone, deletes=[RRsetKey(f"x.{zone}", "A")] * 20_001))
    with pytest.raises(PermanentDnsError, match="twice"):
        backend.apply(
            ChangeBatch(zone, upserts=domain(zone, "c"), deletes=[RRsetKey(f"c.{zone}", "A")])
        )
    with pytest.raises(PermanentDnsError, match="manages"):
        backend.apply(ChangeBatch(zone, upserts=[RRset(zone, "NS", 60, ("ns.example.",))]))
    with pytest.raises(PermanentDnsError, match="not hosted"):
        backend.list_rrsets("nowhere.test")
