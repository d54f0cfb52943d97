"""The ``rfc2136`` driver: dynamic UPDATE with TSIG (Knot, BIND, PowerDNS as targets).

Changes go to the primary (the first of ``DANE_DNS_SERVERS``) as one UPDATE message per batch,
which the server applies atomically (RFC 2136 §3.4). The server signs the changes itself
(Knot: ``dnssec-signing: on``). Zones are created through Knot's control socket when
``DANE_KNOT_CONTROL_SOCKET`` is set; on other servers they must exist already.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
import dns.xfr
import dns.zone
from django.conf import settings

from dnsops.addresses import parse_servers
from dnsops.backends.base import (
    DNSSEC_GENERATED_TYPES,
    BatchTooLarge,
    ChangeBatch,
    DnsBackend,
    PermanentDnsError,
    RRset,
    TransientDnsError,
)
from dnsops.backends.knot_control import KnotControl
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import AAAA, TLSA, A, LookupStatus, Tlsa

T = TypeVar("T")

# Largest message a TCP UPDATE can carry (RFC 1035 §4.2.2 length prefix).
MAX_MESSAGE_OCTETS = 65535


class TsigKey:
    """A TSIG key read from ``hmac-sha256:name:base64secret``; its repr hides the secret."""

    def __init__(self, algorithm: str, name: str, secret: str) -> None:
        self.algorithm = algorithm
        self.name = name
        self._key = dns.tsig.Key(name, secret, algorithm)

    @classmethod
    def from_file(cls, path: str) -> TsigKey:
        """Read the key file named by ``DANE_TSIG_KEY_FILE``."""
        try:
            algorithm, name, secret = Path(path).read_text().strip().split(":", 2)
        except (OSError, ValueError) as exc:
            raise PermanentDnsError(
                f"The TSIG key file {path} cannot be read as hmac-sha256:name:secret."
            ) from exc
        return cls(algorithm, name, secret)

    @property
    def key(self) -> dns.tsig.Key:
        """The dnspython key (to sign messages with)."""
        return self._key

    def __repr__(self) -> str:
        return f"TsigKey({self.algorithm}:{self.name}:***)"


def _fqdn(name: str) -> dns.name.Name:
    return dns.name.from_text(name.rstrip(".") + ".")


class Rfc2136Backend(DnsBackend):
    """Dynamic UPDATE + TSIG to the primary; queries to every server to confirm."""

    max_changes_per_batch = 900  # about 300 MX hosts: an UPDATE stays under 64 KiB

    def __init__(
        self,
        servers: list[tuple[str, int]],
        tsig: TsigKey,
        *,
        timeout: float = 10.0,
        knot: KnotControl | None = None,
    ) -> None:
        if not servers:
            raise PermanentDnsError("DANE_DNS_SERVERS names no server.")
        self.servers = servers
        self.primary = servers[0]
        self.tsig = tsig
        self.timeout = timeout
        self.knot = knot

    @classmethod
    def from_settings(cls) -> Rfc2136Backend:
        """The driver configured by DANE_DNS_SERVERS, DANE_TSIG_KEY_FILE and the Knot socket."""
        knot = (
            KnotControl(settings.DANE_KNOT_CONTROL_SOCKET)
            if settings.DANE_KNOT_CONTROL_SOCKET
            else None
        )
        return cls(
            parse_servers(settings.DANE_DNS_SERVERS),
            TsigKey.from_file(settings.DANE_TSIG_KEY_FILE),
            timeout=settings.DANE_DNS_TIMEOUT,
            knot=knot,
        )

    # --- queries -------------------------------------------------------------------------

    def _query(
        self, server: tuple[str, int], name: str, rdtype: str, *, dnssec: bool = False
    ) -> dns.message.Message:
        request = dns.message.make_query(_fqdn(name), rdtype, want_dnssec=dnssec)
        request.flags &= ~dns.flags.RD
        try:
            response, _ = dns.query.udp_with_fallback(
                request, server[0], port=server[1], timeout=self.timeout
            )
        except (dns.exception.DNSException, OSError) as exc:
            raise TransientDnsError(
                f"The DNS server {server[0]}:{server[1]} did not answer {name} {rdtype}."
            ) from exc
        return response

    def _serves_zone(self, zone: str) -> bool:
        response = self._query(self.primary, zone, "SOA")
        return response.rcode() == dns.rcode.NOERROR and any(
            rrset.rdtype == dns.rdatatype.SOA and rrset.name == _fqdn(zone)
            for rrset in response.answer
        )

    def zone_serial(self, zone: str) -> int | None:
        """The SOA serial the primary serves for ``zone`` (None: it serves no such zone)."""
        response = self._query(self.primary, zone, "SOA")
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA and rrset.name == _fqdn(zone):
                return int(rrset[0].serial)
        return None

    def dnskeys(self, zone: str) -> list[str]:
        """The zone's DNSKEY RRset as served by the primary."""
        response = self._query(self.primary, zone, "DNSKEY")
        return sorted(
            rdata.to_text()
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.DNSKEY
            for rdata in rrset
        )

    def ds_records(self, zone: str) -> list[str]:
        """DS (SHA-256) of the zone's key-signing keys (SEP flag set)."""
        records = []
        for text in self.dnskeys(zone):
            dnskey = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, text)
            if dnskey.flags & 0x0001:  # type: ignore[attr-defined]
                records.append(dns.dnssec.make_ds(_fqdn(zone), dnskey, "SHA256").to_text())
        return sorted(records)

    # --- zones ---------------------------------------------------------------------------

    def ensure_zone(self, zone: str) -> None:
        """Create the zone through Knot's control socket if the primary does not serve it."""
        if not self._serves_zone(zone):
            if self.knot is None:
                raise PermanentDnsError(
                    f"{zone} is not served by {self.primary[0]}:{self.primary[1]}, and no "
                    "DANE_KNOT_CONTROL_SOCKET is set to create it: create the zone, signed, "
                    "on the server."
                )
            self.knot.create_zone(
                zone,
                policy=settings.DANE_KNOT_DNSSEC_POLICY,
                acls=settings.DANE_KNOT_ACL,
                nameservers=settings.DANE_ZONE_NAMESERVERS,
                hostmaster=settings.DANE_ZONE_HOSTMASTER,
            )
        deadline = time.monotonic() + 20
        while not self.dnskeys(zone):
            if time.monotonic() > deadline:
                raise TransientDnsError(f"{zone} is served but not signed yet.")
            time.sleep(0.1)

    # --- changes -------------------------------------------------------------------------

    def _update_message(self, batch: ChangeBatch) -> dns.update.UpdateMessage:
        """The batch as one TSIG-signed UPDATE. An owner name (a host's A, AAAA and TLSA
        changes share it) and a record's data (every host of a partition has the same
        addresses) are parsed once per message: parsing is most of the cost of building one."""
        origin = _fqdn(batch.zone)
        message = dns.update.UpdateMessage(
            origin,
            keyring=self.tsig.key,
            keyname=self.tsig.key.name,
            keyalgorithm=self.tsig.key.algorithm,
        )
        owners: dict[str, dns.name.Name] = {}
        parsed: dict[tuple[str, str], dns.rdata.Rdata] = {}

        def owner(name: str) -> dns.name.Name:
            if name not in owners:
                owners[name] = _fqdn(name)
            return owners[name]

        def rdata(rdtype: str, text: str) -> dns.rdata.Rdata:
            if (rdtype, text) not in parsed:
                kind = dns.rdatatype.from_text(rdtype)
                parsed[(rdtype, text)] = dns.rdata.from_text(dns.rdataclass.IN, kind, text, origin)
            return parsed[(rdtype, text)]

        try:
            for key in batch.deletes:
                message.delete(owner(key.name), key.rdtype)
            for rrset in batch.upserts:
                if not rrset.rdatas:
                    message.delete(owner(rrset.name), rrset.rdtype)
                    continue
                records = [rdata(rrset.rdtype, text) for text in rrset.rdatas]
                message.replace(owner(rrset.name), rrset.ttl, *records)
        except (dns.exception.SyntaxError, ValueError) as exc:
            raise PermanentDnsError(f"A record for {batch.zone} is invalid: {exc}") from exc
        return message

    def apply(self, batch: ChangeBatch) -> None:
        """Send the batch as one UPDATE; the server applies all of it or none."""
        if not len(batch):
            return
        message = self._update_message(batch)
        try:
            response = dns.query.tcp(
                message, self.primary[0], port=self.primary[1], timeout=self.timeout
            )
        except dns.exception.TooBig as exc:
            raise BatchTooLarge(
                f"{len(batch)} changes do not fit in one UPDATE message; split the batch."
            ) from exc
        except dns.tsig.PeerError as exc:
            raise PermanentDnsError(
                f"The server rejected the TSIG key {self.tsig.name}: {type(exc).__name__}.",
                rcode="NOTAUTH",
            ) from exc
        except dns.exception.FormError as exc:
            raise PermanentDnsError(
                f"The server answered the UPDATE for {batch.zone} without a TSIG signature "
                f"(NOTAUTH): it does not accept the key {self.tsig.name} or is not authoritative "
                "for the zone.",
                rcode="NOTAUTH",
            ) from exc
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            raise TransientDnsError(
                f"The UPDATE for {batch.zone} to {self.primary[0]}:{self.primary[1]} failed: "
                f"{type(exc).__name__}."
            ) from exc
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        text = dns.rcode.to_text(rcode)
        if rcode == dns.rcode.SERVFAIL:
            raise TransientDnsError(f"The server answered SERVFAIL to the UPDATE for {batch.zone}.")
        raise PermanentDnsError(f"The server refused the UPDATE for {batch.zone}: {text}.", text)

    # --- what is published ---------------------------------------------------------------

    def list_rrsets(self, zone: str) -> list[RRset]:
        """A zone transfer (AXFR, signed with the TSIG key) of what the primary serves."""
        origin = _fqdn(zone)
        try:
            transferred = dns.zone.Zone(origin)
            query, _ = dns.xfr.make_query(
                transferred,
                keyring=self.tsig.key,
                keyname=self.tsig.key.name,
                keyalgorithm=self.tsig.key.algorithm,
            )
            dns.query.inbound_xfr(
                self.primary[0],
                transferred,
                query,
                port=self.primary[1],
                timeout=self.timeout,
                lifetime=max(self.timeout * 6, 60.0),
            )
        except dns.xfr.TransferError as exc:
            raise PermanentDnsError(
                f"The server refused the zone transfer of {zone}: {dns.rcode.to_text(exc.rcode)}.",
                dns.rcode.to_text(exc.rcode),
            ) from exc
        except dns.tsig.PeerError as exc:
            raise PermanentDnsError(f"The server rejected the TSIG key {self.tsig.name}.") from exc
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            raise TransientDnsError(f"The zone transfer of {zone} failed: {exc}") from exc
        published = []
        for name, rdataset in transferred.iterate_rdatasets():
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            if rdtype in DNSSEC_GENERATED_TYPES:
                continue
            if name == dns.name.empty and rdtype in ("SOA", "NS"):
                continue
            owner = name.derelativize(origin).to_text(omit_final_dot=True)
            published.append(
                RRset(owner, rdtype, rdataset.ttl, tuple(r.to_text() for r in rdataset))
            )
        return sorted(published, key=lambda rrset: (rrset.name, rrset.rdtype))

    def confirm_visible(self, batch: ChangeBatch) -> bool:
        """Every server answers a sample of the batch's RRsets as the batch left them."""
        return self.confirm_visible_many([batch])[0]

    def confirm_visible_many(self, batches: Sequence[ChangeBatch]) -> list[bool]:
        """For each batch, whether every server answers a sample of its RRsets as the batch
        left them.

        The sample is the first, the last and up to 30 evenly spaced changes: a server that
        shows those has loaded the transaction (a batch is one atomic UPDATE). The A, AAAA
        and TLSA questions of every batch to every server are in flight together (the async
        client of :mod:`dnsops.dns.client`, RD off); other types are asked one at a time.
        """
        expectations = [_expected_answers(batch) for batch in batches]
        fast = [
            {key: want for key, want in exp.items() if key[1] in _DECODED} for exp in expectations
        ]
        answers = asyncio.run(self._ask_all(fast))
        results = []
        for expected, quick in zip(expectations, answers, strict=True):
            results.append(
                quick
                and all(
                    self._serves_as(server, name, rdtype, wanted)
                    for server in self.servers
                    for (name, rdtype), wanted in expected.items()
                    if rdtype not in _DECODED
                )
            )
        return results

    async def _ask_all(
        self, expectations: list[dict[tuple[str, str], frozenset[object]]]
    ) -> list[bool]:
        """Ask every server every question of ``expectations`` at once; whether each batch's
        answers are all as expected (a server that does not answer: TransientDnsError)."""
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    ResolverClient(server, timeout=self.timeout, sockets=2)
                )
                for server in self.servers
            ]
            asked = [
                [
                    (
                        server,
                        name,
                        rdtype,
                        wanted,
                        client.query(name, _DECODED[rdtype], recursion=False),
                    )
                    for server, client in zip(self.servers, clients, strict=True)
                    for (name, rdtype), wanted in expected.items()
                ]
                for expected in expectations
            ]
            await asyncio.gather(*(item[-1] for questions in asked for item in questions))
        results = []
        for questions in asked:
            visible = True
            for server, name, rdtype, wanted, future in questions:
                answer = future.result()
                if answer.status is LookupStatus.TIMEOUT:
                    raise TransientDnsError(
                        f"The DNS server {server[0]}:{server[1]} did not answer {name} {rdtype}."
                    )
                if not answer.authoritative or answer.status not in _CONCLUSIVE:
                    visible = False  # not serving the zone (yet): nothing to conclude from
                elif frozenset(answer.records(_DECODED[rdtype])) != wanted:
                    visible = False
            results.append(visible)
        return results

    def _serves_as(
        self, server: tuple[str, int], name: str, rdtype: str, wanted: frozenset[object]
    ) -> bool:
        """Whether ``server`` answers ``name``/``rdtype`` (a type the async client does not
        decode) with exactly ``wanted`` (dnspython rdatas)."""
        response = self._query(server, name, rdtype)
        if not response.flags & dns.flags.AA or response.rcode() not in (
            dns.rcode.NOERROR,
            dns.rcode.NXDOMAIN,
        ):
            return False
        served = frozenset(
            rdata
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.from_text(rdtype)
            for rdata in rrset
        )
        return served == wanted


#: The record types the async client decodes, by presentation name.
_DECODED = {"A": A, "AAAA": AAAA, "TLSA": TLSA}
#: Answers a visibility check can conclude from (the others: the server is not serving yet).
_CONCLUSIVE = (LookupStatus.OK, LookupStatus.NODATA, LookupStatus.NXDOMAIN)


def _decoded(rdtype: str, text: str) -> object:
    """A record's data as :mod:`dnsops.dns.wire` decodes it from an answer (A/AAAA the
    address text, TLSA a :class:`Tlsa`); other types as the dnspython rdata."""
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
    if rdtype == "A":
        return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, text.strip()))
    if rdtype == "AAAA":
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text.strip()))
    if rdtype == "TLSA":
        return Tlsa(rdata.usage, rdata.selector, rdata.mtype, rdata.cert)  # type: ignore[attr-defined]
    return rdata


def _expected_answers(batch: ChangeBatch) -> dict[tuple[str, str], frozenset[object]]:
    """The sampled RRsets of ``batch`` and the records each must have once it is applied."""
    expected: dict[tuple[str, str], frozenset[object]] = {}
    for rrset in _sample(batch.upserts):
        expected[(rrset.name, rrset.rdtype)] = frozenset(
            _decoded(rrset.rdtype, text) for text in rrset.rdatas
        )
    for key in _sample(batch.deletes):
        expected[(key.name, key.rdtype)] = frozenset()
    return expected


def _sample(items: Sequence[T], size: int = 30) -> list[T]:
    """The first, the last and up to ``size`` evenly spaced items."""
    if len(items) <= size + 2:
        return list(items)
    step = len(items) / size
    picked = {0, len(items) - 1, *(int(i * step) for i in range(size))}
    return [items[i] for i in sorted(picked)]
