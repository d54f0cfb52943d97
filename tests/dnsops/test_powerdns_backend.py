"""The powerdns driver against a real PowerDNS Authoritative (deploy/stack_powerdns.py)."""

from __future__ import annotations

import copy
import http.server
import json
import socket
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.addresses import parse_server
from dnsops.backends.base import (
    BatchTooLarge,
    ChangeBatch,
    PermanentDnsError,
    RRset,
    RRsetKey,
    TransientDnsError,
)
from dnsops.backends.powerdns import ApiKey, PowerDnsBackend
from dnsops.provisioning import apply_in_batches

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import stack_powerdns

pytestmark = pytest.mark.dns

TLSA = "3 1 1 " + "c0ffee" * 10 + "beef"
TLSA_NEXT = "3 1 1 " + "0ddba11" * 9 + "f"


@pytest.fixture(scope="session")
def powerdns() -> Iterator[dict[str, str]]:
    """PowerDNS on loopback, its env lines as a dict; stopped at the end if started here."""
    started_here = stack_powerdns.server_pid() is None
    stack_powerdns.up()
    yield dict(line.split("=", 1) for line in stack_powerdns.env_lines())
    if started_here:
        stack_powerdns.down()


@pytest.fixture(autouse=True)
def powerdns_settings(settings: SettingsWrapper, powerdns: dict[str, str]) -> None:
    """Point the driver's settings at the test server (the driver is the configured one)."""
    for name, value in powerdns.items():
        setattr(settings, name, value)
    settings.DANE_ZONE_NAMESERVERS = ["ns.test"]
    settings.DANE_DNS_BACKEND = "powerdns"
    settings.DANE_DNS_SERVERS = [powerdns["DANE_POWERDNS_DNS"]]


@pytest.fixture
def backend() -> PowerDnsBackend:
    return PowerDnsBackend.from_settings()


def api(powerdns: dict[str, str], method: str, path: str, document: object = None) -> None:
    """A raw API call, for set-up and clean-up the driver does not offer."""
    key = Path(powerdns["DANE_POWERDNS_API_KEY_FILE"]).read_text().strip()
    body = json.dumps(document).encode() if document is not None else None
    request = urllib.request.Request(  # noqa: S310
        powerdns["DANE_POWERDNS_API_URL"] + path,
        data=body,
        method=method,
        headers={"X-API-Key": key},
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


@pytest.fixture
def zone(backend: PowerDnsBackend, powerdns: dict[str, str]) -> Iterator[str]:
    """A fresh partition zone on PowerDNS, deleted afterwards."""
    name = f"p-{uuid.uuid4().hex[:8]}.mx.provider.test"
    backend.ensure_zone(name)
    yield name
    api(powerdns, "DELETE", f"/zones/{name}.")


def query(
    powerdns: dict[str, str], name: str, rdtype: str, *, dnssec: bool = False
) -> dns.message.Message:
    """Ask PowerDNS's DNS port directly (no recursion)."""
    host, port = parse_server(powerdns["DANE_POWERDNS_DNS"])
    request = dns.message.make_query(name + ".", rdtype, want_dnssec=dnssec)
    request.flags &= ~dns.flags.RD
    response, _ = dns.query.udp_with_fallback(request, host, port=port, timeout=3)
    return response


def answer(response: dns.message.Message, name: str, rdtype: str) -> dns.rrset.RRset:
    return response.find_rrset(
        response.answer,
        dns.name.from_text(name + "."),
        dns.rdataclass.IN,
        dns.rdatatype.from_text(rdtype),
    )


def signatures(response: dns.message.Message, name: str, covers: str) -> dns.rrset.RRset:
    return response.find_rrset(
        response.answer,
        dns.name.from_text(name + "."),
        dns.rdataclass.IN,
        dns.rdatatype.RRSIG,
        dns.rdatatype.from_text(covers),
    )


def assert_signed(powerdns: dict[str, str], zone: str, name: str, rdtype: str) -> None:
    """The RRset at ``name`` comes with an RRSIG that validates against the zone's DNSKEY."""
    keys = query(powerdns, zone, "DNSKEY", dnssec=True)
    records = query(powerdns, name, rdtype, dnssec=True)
    origin = dns.name.from_text(zone + ".")
    keyring: dict[dns.name.Name, dns.node.Node | dns.rdataset.Rdataset] = {
        origin: answer(keys, zone, "DNSKEY")
    }
    dns.dnssec.validate(answer(keys, zone, "DNSKEY"), signatures(keys, zone, "DNSKEY"), keyring)
    dns.dnssec.validate(answer(records, name, rdtype), signatures(records, name, rdtype), keyring)


def host_rrsets(zone: str, token: str, address: str = "192.0.2.25") -> list[RRset]:
    """The A/AAAA/TLSA RRsets of one MX host, as the control plane publishes them."""
    host = f"{token}.{zone}"
    return [
        RRset(host, "A", 300, (address,)),
        RRset(host, "AAAA", 300, ("2001:db8::25",)),
        RRset(f"_25._tcp.{host}", "TLSA", 300, (TLSA, TLSA_NEXT)),
    ]


def test_zone_is_created_signed_and_served(
    backend: PowerDnsBackend, zone: str, powerdns: dict[str, str]
) -> None:
    backend.apply(ChangeBatch(zone, upserts=host_rrsets(zone, "contoso-com")))

    keys = query(powerdns, zone, "DNSKEY", dnssec=True)
    assert keys.rcode() == dns.rcode.NOERROR
    assert sorted(r.to_text() for r in answer(keys, zone, "DNSKEY")) == backend.dnskeys(zone)
    assert signatures(keys, zone, "DNSKEY")
    assert_signed(powerdns, zone, f"contoso-com.{zone}", "A")
    assert_signed(powerdns, zone, f"_25._tcp.contoso-com.{zone}", "TLSA")
    ns = query(powerdns, zone, "NS")
    assert [r.to_text() for r in answer(ns, zone, "NS")] == ["ns.test."]


def test_ds_matches_the_dnskey(backend: PowerDnsBackend, zone: str) -> None:
    origin = dns.name.from_text(zone + ".")
    expected = []
    for text in backend.dnskeys(zone):
        dnskey = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, text)
        if dnskey.flags & 0x0001:  # type: ignore[attr-defined]
            expected.append(dns.dnssec.make_ds(origin, dnskey, "SHA256").to_text())
    assert expected
    assert backend.ds_records(zone) == sorted(expected)
    assert all(ds.split()[2] == "2" for ds in backend.ds_records(zone))


def test_upsert_then_delete_a_aaaa_and_tlsa(
    backend: PowerDnsBackend, zone: str, powerdns: dict[str, str]
) -> None:
    rrsets = host_rrsets(zone, "fabrikam-com")
    upsert = ChangeBatch(zone, upserts=rrsets)
    backend.apply(upsert)
    assert backend.confirm_visible(upsert)
    host = f"fabrikam-com.{zone}"
    assert [r.to_text() for r in answer(query(powerdns, host, "AAAA"), host, "AAAA")] == [
        "2001:db8::25"
    ]
    assert backend.list_rrsets(zone) == sorted(rrsets, key=lambda r: (r.name, r.rdtype))

    moved = ChangeBatch(zone, upserts=[RRset(host, "A", 300, ("198.51.100.25",))])
    backend.apply(moved)
    assert backend.confirm_visible(moved)
    assert [r.rdatas for r in backend.list_rrsets(zone) if r.key == RRsetKey(host, "A")] == [
        ("198.51.100.25",)
    ]

    delete = ChangeBatch(zone, deletes=[rrset.key for rrset in rrsets])
    assert not backend.confirm_visible(delete)
    backend.apply(delete)
    assert backend.confirm_visible(delete)
    assert backend.list_rrsets(zone) == []
    assert query(powerdns, host, "A").rcode() == dns.rcode.NXDOMAIN
    backend.apply(delete)  # deleting what is gone is harmless (a retry)


def test_list_rrsets_round_trip(backend: PowerDnsBackend, zone: str) -> None:
    rrsets = [
        *host_rrsets(zone, "a-example"),
        *host_rrsets(zone, "b-example", address="192.0.2.26"),
        RRset(f"multi.{zone}", "A", 60, ("192.0.2.1", "192.0.2.2", "192.0.2.3")),
        RRset(f"upper.{zone}", "TLSA", 60, (TLSA.upper(),)),
        RRset(f"v6.{zone}", "AAAA", 60, ("2001:0db8:0000::0001",)),
    ]
    backend.apply(ChangeBatch(zone, upserts=rrsets))
    published = backend.list_rrsets(zone)
    assert [r.key for r in published] == sorted(r.key for r in rrsets)
    by_key = {r.key: r for r in published}
    assert by_key[RRsetKey(f"upper.{zone}", "TLSA")].rdatas == (TLSA,)
    assert by_key[RRsetKey(f"v6.{zone}", "AAAA")].rdatas == ("2001:db8::1",)
    assert by_key[RRsetKey(f"multi.{zone}", "A")] == rrsets[6]
    assert not any(r.name == zone for r in published)


def test_a_batch_with_one_invalid_record_changes_nothing(
    backend: PowerDnsBackend, zone: str
) -> None:
    backend.apply(ChangeBatch(zone, upserts=host_rrsets(zone, "before")))
    before = backend.list_rrsets(zone)
    bad = RRset(f"_25._tcp.broken.{zone}", "TLSA", 300, ("3 1 1 not-hex",))
    batch = ChangeBatch(
        zone,
        upserts=[
            RRset(f"before.{zone}", "A", 300, ("203.0.113.9",)),
            *host_rrsets(zone, "new-host"),
            bad,
        ],
        deletes=[RRsetKey(f"before.{zone}", "AAAA")],
    )
    with pytest.raises(PermanentDnsError) as error:
        backend.apply(batch)
    assert error.value.rcode == "HTTP 422"
    assert "HTTP 422" in str(error.value)
    assert f"broken.{zone}" in str(error.value)
    assert backend.list_rrsets(zone) == before


def test_a_record_outside_the_zone_is_refused_whole(backend: PowerDnsBackend, zone: str) -> None:
    inside = RRset(f"whole.{zone}", "A", 60, ("192.0.2.7",))
    outside = RRset("elsewhere.test", "A", 60, ("192.0.2.8",))
    with pytest.raises(PermanentDnsError, match="out of zone"):
        backend.apply(ChangeBatch(zone, upserts=[inside, outside]))
    assert backend.list_rrsets(zone) == []


def test_a_zone_the_server_lacks_is_a_permanent_404(backend: PowerDnsBackend) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}.mx.provider.test"
    with pytest.raises(PermanentDnsError) as error:
        backend.apply(
            ChangeBatch(missing, upserts=[RRset(f"a.{missing}", "A", 60, ("192.0.2.1",))])
        )
    assert error.value.rcode == "HTTP 404"


def test_wrong_api_key_is_permanent_and_names_neither_key(
    backend: PowerDnsBackend, zone: str, powerdns: dict[str, str]
) -> None:
    wrong = "wrong-" + uuid.uuid4().hex
    real = Path(powerdns["DANE_POWERDNS_API_KEY_FILE"]).read_text().strip()
    intruder = PowerDnsBackend(backend.api_url, ApiKey(wrong), backend.dns_servers)
    calls = [
        lambda: intruder.ensure_zone(zone),
        lambda: intruder.apply(ChangeBatch(zone, upserts=host_rrsets(zone, "x"))),
        lambda: intruder.ds_records(zone),
        lambda: intruder.list_rrsets(zone),
    ]
    for call in calls:
        with pytest.raises(PermanentDnsError) as error:
            call()
        assert error.value.rcode == "HTTP 401"
        for text in (str(error.value), repr(error.value), repr(error.value.__cause__)):
            assert wrong not in text
            assert real not in text
    for shown in (repr(intruder), repr(backend), repr(backend.api_key), str(backend.api_key)):
        assert wrong not in shown
        assert real not in shown


def test_ensure_zone_twice_is_harmless(
    backend: PowerDnsBackend, zone: str, powerdns: dict[str, str]
) -> None:
    backend.apply(ChangeBatch(zone, upserts=host_rrsets(zone, "kept")))
    keys, ds, published = backend.dnskeys(zone), backend.ds_records(zone), backend.list_rrsets(zone)
    backend.ensure_zone(zone)
    backend.ensure_zone(zone)
    assert (backend.dnskeys(zone), backend.ds_records(zone)) == (keys, ds)
    assert backend.list_rrsets(zone) == published
    assert_signed(powerdns, zone, f"kept.{zone}", "A")


def test_ensure_zone_signs_a_zone_that_exists_unsigned(
    backend: PowerDnsBackend, powerdns: dict[str, str]
) -> None:
    name = f"u-{uuid.uuid4().hex[:8]}.mx.provider.test"
    api(powerdns, "POST", "/zones", {"name": name + ".", "kind": "Native", "nameservers": []})
    try:
        assert backend.dnskeys(name) == []
        backend.ensure_zone(name)
        assert len(backend.ds_records(name)) == 1
        backend.apply(ChangeBatch(name, upserts=host_rrsets(name, "late")))
        assert_signed(powerdns, name, f"_25._tcp.late.{name}", "TLSA")
    finally:
        api(powerdns, "DELETE", f"/zones/{name}.")


def test_oversized_batches_are_refused_before_sending_and_split(
    backend: PowerDnsBackend, zone: str
) -> None:
    full_cert = "3 0 0 " + "ab" * 1200
    upserts = [RRset(f"_25._tcp.h{i:04d}.{zone}", "TLSA", 60, (full_cert,)) for i in range(1200)]
    batch = ChangeBatch(zone, upserts=upserts)
    with pytest.raises(BatchTooLarge):
        backend.apply(batch)
    assert backend.list_rrsets(zone) == []
    sent = apply_in_batches(backend, batch)  # concurrent PATCHes: the driver serialises them
    assert len(sent) > 1
    assert len(backend.list_rrsets(zone)) == 1200
    assert all(backend.confirm_visible(piece) for piece in sent)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Failing(http.server.BaseHTTPRequestHandler):
    """An API that answers every request with 503."""

    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()
        self.wfile.write(b'{"error": "backend unavailable"}')

    do_POST = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def failing_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/servers/localhost"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_api() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1/servers/localhost"


@pytest.mark.parametrize("kind", ["refused", "timeout", "5xx"])
def test_unreachable_or_failing_api_is_transient(
    kind: str,
    backend: PowerDnsBackend,
    request: pytest.FixtureRequest,
) -> None:
    urls = {
        "refused": lambda: f"http://127.0.0.1:{free_port()}/api/v1/servers/localhost",
        "timeout": lambda: request.getfixturevalue("silent_api"),
        "5xx": lambda: request.getfixturevalue("failing_api"),
    }
    down = PowerDnsBackend(urls[kind](), backend.api_key, backend.dns_servers, timeout=0.5)
    zone = "o-v1.mx.provider.test"
    with pytest.raises(TransientDnsError) as error:
        down.ensure_zone(zone)
    with pytest.raises(TransientDnsError):
        down.apply(ChangeBatch(zone, upserts=host_rrsets(zone, "x")))
    assert backend.api_key.reveal() not in str(error.value)


def test_server_stopped_is_transient_and_a_restart_keeps_everything(
    backend: PowerDnsBackend, zone: str, powerdns: dict[str, str]
) -> None:
    batch = ChangeBatch(zone, upserts=host_rrsets(zone, "restart-example"))
    backend.apply(batch)
    published, ds = backend.list_rrsets(zone), backend.ds_records(zone)

    stack_powerdns.down()
    try:
        with pytest.raises(TransientDnsError):
            backend.apply(batch)
        with pytest.raises(TransientDnsError):
            backend.ensure_zone(zone)
        with pytest.raises(TransientDnsError):
            backend.confirm_visible(batch)
    finally:
        stack_powerdns.up()

    assert backend.confirm_visible(batch)
    assert (backend.list_rrsets(zone), backend.ds_records(zone)) == (published, ds)
    assert_signed(powerdns, zone, f"_25._tcp.restart-example.{zone}", "TLSA")


def test_confirm_visible_asks_every_configured_server(
    settings: SettingsWrapper, zone: str, powerdns: dict[str, str]
) -> None:
    """A second server that does not serve the zone yet (a lagging secondary) → not visible."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as lagging:
        lagging.bind(("127.0.0.1", 0))
        lagging.settimeout(5)

        def refuse() -> None:
            for _ in range(64):
                try:
                    wire, peer = lagging.recvfrom(4096)
                except OSError:
                    return
                response = dns.message.make_response(dns.message.from_wire(wire))
                response.set_rcode(dns.rcode.REFUSED)
                lagging.sendto(response.to_wire(), peer)

        threading.Thread(target=refuse, daemon=True).start()
        settings.DANE_DNS_SERVERS = [
            powerdns["DANE_POWERDNS_DNS"],
            f"127.0.0.1:{lagging.getsockname()[1]}",
        ]
        both = PowerDnsBackend.from_settings()
        assert len(both.dns_servers) == 2
        batch = ChangeBatch(zone, upserts=host_rrsets(zone, "lagging"))
        both.apply(batch)
        assert not both.confirm_visible(batch)
        removal = ChangeBatch(zone, deletes=[RRsetKey(f"lagging.{zone}", "A")])
        both.apply(removal)
        alone = copy.copy(both)
        alone.dns_servers = both.dns_servers[:1]
        assert alone.confirm_visible(removal)  # gone from PowerDNS itself
        assert not both.confirm_visible(removal)  # a refusal is not an empty answer

    settings.DANE_DNS_BACKEND = "rfc2136"  # then DANE_DNS_SERVERS are Knot's, not asked
    assert PowerDnsBackend.from_settings().dns_servers == [
        parse_server(powerdns["DANE_POWERDNS_DNS"])
    ]


def test_missing_key_file_is_a_clear_permanent_error(settings: SettingsWrapper) -> None:
    settings.DANE_POWERDNS_API_KEY_FILE = "/nonexistent/api.key"
    with pytest.raises(PermanentDnsError, match="cannot be read"):
        PowerDnsBackend.from_settings()
    settings.DANE_POWERDNS_API_KEY_FILE = ""
    with pytest.raises(PermanentDnsError, match="DANE_POWERDNS_API_KEY_FILE"):
        PowerDnsBackend.from_settings()
