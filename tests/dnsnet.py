"""Test-side handle on the DNS test network (deploy/stack.py): Knot serving the signed top
zone ``test.`` and Unbound validating with its DS as the trust anchor.

Tests change records over RFC 2136 (TSIG) and create customer zones through Knot's control
socket, then look at the result through the validating resolver, as a user's MTA would.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.tsig
import dns.update
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from dnsops.backends.knot_control import KnotControl

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@dataclass(frozen=True)
class Lookup:
    """What the validating resolver answered."""

    rcode: str
    authenticated: bool
    records: list[str]


# Knot's signing policy of each kind of customer zone (deploy/stack.py defines them).
SIGNING_POLICIES = {
    "signed": "ecdsa-csk",
    "bogus-ds": "ecdsa-csk",
    "expiring-signatures": "ecdsa-csk-short-rrsig",
}


@dataclass(frozen=True)
class DnsTestNetwork:
    """Where Knot (authoritative, signing) and Unbound (validating) listen, and the TSIG key."""

    authoritative: tuple[str, int]
    resolver: tuple[str, int]
    tsig_name: str
    tsig_secret: str
    top_zone: str
    control_socket: str

    @classmethod
    def from_environment(cls) -> DnsTestNetwork:
        """Read the variables deploy/stack.py wrote to var/stack/stack.env."""
        key_line = Path(os.environ["DANE_TSIG_KEY_FILE"]).read_text().strip()
        algorithm, name, secret = key_line.split(":")
        assert algorithm == "hmac-sha256"
        auth_host, auth_port = os.environ["DANE_DNS_SERVERS"].split(",")[0].rsplit(":", 1)
        res_host, res_port = os.environ["DANE_RESOLVER"].rsplit(":", 1)
        return cls(
            authoritative=(auth_host, int(auth_port)),
            resolver=(res_host, int(res_port)),
            tsig_name=name,
            tsig_secret=secret,
            top_zone=os.environ.get("DANE_TESTNET_TOP_ZONE", "test.").rstrip("."),
            control_socket=os.environ["DANE_KNOT_CONTROL_SOCKET"],
        )

    def check_running(self) -> None:
        """Fail fast when Knot does not answer for the top zone."""
        query = dns.message.make_query(self.top_zone + ".", "SOA")
        host, port = self.authoritative
        response = dns.query.udp(query, host, port=port, timeout=2)
        assert response.rcode() == dns.rcode.NOERROR, "the DNS test network is not running"

    def update(self, *changes: tuple[str, str, str, int, str], zone: str | None = None) -> None:
        """Apply ``(op, name, rdtype, ttl, rdata)`` changes (op: add/replace) in one UPDATE."""
        key = dns.tsig.Key(self.tsig_name, self.tsig_secret, "hmac-sha256")
        message = dns.update.UpdateMessage((zone or self.top_zone) + ".", keyring=key)
        for op, name, rdtype, ttl, rdata in changes:
            getattr(message, op)(name + ".", ttl, rdtype, rdata)
        response = dns.query.tcp(
            message, self.authoritative[0], port=self.authoritative[1], timeout=5
        )
        assert response.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(response.rcode())

    def delete(self, name: str, rdtype: str, *, zone: str | None = None) -> None:
        """Delete an RRset behind the control plane's back."""
        key = dns.tsig.Key(self.tsig_name, self.tsig_secret, "hmac-sha256")
        message = dns.update.UpdateMessage((zone or self.top_zone) + ".", keyring=key)
        message.delete(name + ".", rdtype)
        response = dns.query.tcp(
            message, self.authoritative[0], port=self.authoritative[1], timeout=5
        )
        assert response.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(response.rcode())

    def publish_txt(self, name: str, *values: str) -> None:
        """Replace the TXT RRset at ``name`` with ``values`` (TTL 1, so caches forget fast)."""
        quoted = [f'"{value}"' for value in values]
        self.update(
            ("replace", name, "TXT", 1, quoted[0]),
            *(("add", name, "TXT", 1, q) for q in quoted[1:]),
        )

    def wait_until_resolved(
        self, name: str, rdtype: str, records: list[str], timeout: float = 20
    ) -> None:
        """Wait until the validating resolver serves exactly ``records`` at ``name`` (a busy
        machine signs and serves a change later than the old RRset's 1 s TTL)."""
        deadline = time.monotonic() + timeout
        while self.resolve(name, rdtype).records != sorted(records):
            assert time.monotonic() < deadline, f"the resolver kept the old {rdtype} at {name}"
            time.sleep(0.25)

    def resolve(self, name: str, rdtype: str) -> Lookup:
        """Ask the validating resolver, as a sending MTA would (DO set, AD read)."""
        query = dns.message.make_query(name + ".", rdtype, want_dnssec=True)
        response = dns.query.udp(query, self.resolver[0], port=self.resolver[1], timeout=5)
        wanted = dns.rdatatype.from_text(rdtype)
        return Lookup(
            rcode=dns.rcode.to_text(response.rcode()),
            authenticated=bool(response.flags & dns.flags.AD),
            records=sorted(
                rdata.to_text()
                for rrset in response.answer
                if rrset.rdtype == wanted
                for rdata in rrset
            ),
        )

    def create_customer_zone(self, zone: str, kind: str = "signed") -> None:
        """A zone delegated from the top zone: ``signed`` (DS in the parent), ``unsigned``
        (no DS), ``bogus-ds`` (signed, but the parent's DS matches no key),
        ``expiring-signatures`` (signed, every signature expiring in 3 days) or
        ``expired-signatures`` (signed long ago: every signature has expired)."""
        if kind == "expired-signatures":
            self._create_expired_zone(zone)
            return
        if kind != "unsigned" and kind not in SIGNING_POLICIES:
            raise ValueError(f"no such kind of customer zone: {kind}")
        knot = KnotControl(self.control_socket)
        knot.create_zone(
            zone,
            policy=SIGNING_POLICIES.get(kind),
            acls=["update"],
            nameservers=["ns.test"],
            hostmaster="hostmaster.test",
        )
        delegation = [("replace", zone, "NS", 60, "ns.test.")]
        if kind != "unsigned":
            ds = self.current_ds(zone)
            if kind == "bogus-ds":
                ds = ds[:-1] + ("1" if ds.endswith("0") else "0")
            delegation.append(("replace", zone, "DS", 60, ds))
        self.update(*delegation)

    def _create_expired_zone(self, zone: str) -> None:
        """A Knot zone served as loaded (no signing policy), signed whole by dnspython (SOA,
        NS, DNSKEY, NSEC chain) with a validity window in January 2020, and a matching DS
        in the parent: a chain of trust whose every signature has expired."""
        knot = KnotControl(self.control_socket)
        knot.create_zone(
            zone,
            policy=None,
            acls=["update"],
            nameservers=["ns.test"],
            hostmaster="hostmaster.test",
        )
        origin = dns.name.from_text(zone + ".")
        host, port = self.authoritative
        response = dns.query.udp(dns.message.make_query(origin, "SOA"), host, port=port, timeout=2)
        [soa] = response.answer[0]  # what Knot made; signed again with the next serial
        signed = dns.zone.Zone(origin)
        with signed.writer() as txn:
            txn.add("@", 60, soa.replace(serial=soa.serial + 1))
            txn.add("@", 60, dns.rdata.from_text("IN", "NS", "ns.test."))
        key = ec.generate_private_key(ec.SECP256R1())
        dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, 257)
        dns.dnssec.sign_zone(
            signed,
            keys=[(key, dnskey)],
            inception=datetime(2020, 1, 1, tzinfo=UTC),
            expiration=datetime(2020, 2, 1, tzinfo=UTC),
        )
        knot.run("zone-begin", zone + ".")
        for name, rdataset in signed.iterate_rdatasets():
            if rdataset.rdtype == dns.rdatatype.NS:
                continue  # Knot has made the same NS record
            owner = name.derelativize(origin).to_text()
            for rdata in rdataset:
                rdtype = dns.rdatatype.to_text(rdataset.rdtype)
                knot.run("zone-set", zone + ".", owner, "60", rdtype, *rdata.to_text().split())
        knot.run("zone-commit", zone + ".")
        ds = dns.dnssec.make_ds(origin, dnskey, "SHA256").to_text()
        self.update(("replace", zone, "NS", 60, "ns.test."), ("replace", zone, "DS", 60, ds))

    def current_ds(self, zone: str) -> str:
        """The SHA-256 DS of the zone's key as Knot serves it (waits for signing)."""
        deadline = time.monotonic() + 10
        while True:
            query = dns.message.make_query(zone + ".", "DNSKEY")
            response = dns.query.udp(
                query, self.authoritative[0], port=self.authoritative[1], timeout=2
            )
            keys = [r for rrset in response.answer for r in rrset if r.flags & 1]
            if keys:
                return dns.dnssec.make_ds(zone + ".", keys[0], "SHA256").to_text()
            assert time.monotonic() < deadline, f"{zone} was not signed"
            time.sleep(0.05)

    def authoritative_control(self, action: str, *args: int) -> None:
        """Run ``knot_<action>`` of deploy/stack.py: restart, stop, start, signal."""
        sys.path.insert(0, str(DEPLOY))
        try:
            import stack

            getattr(stack, f"knot_{action}")(*args)
        finally:
            sys.path.remove(str(DEPLOY))

    def restart_authoritative(self) -> None:
        """Stop and start Knot with the project's script (nothing published may be lost)."""
        self.authoritative_control("restart")
