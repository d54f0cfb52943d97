"""What a domain's own authoritative servers say, asked directly (not the resolver's cached
copy): the TTL of an RRset as its zone's name servers publish it (the MX TTL that step 1 of
the migration lowers).

The zone and its name servers are found through the validating resolver (SOA, NS, then the
A/AAAA of each server); each server is then asked with RD off through a client of its own
(:class:`dnsops.dns.client.ResolverClient`), and only an authoritative answer (AA set) counts.
Like every connection the service makes to an address a customer's DNS names, a server whose
address is not public (:func:`dnsops.addresses.is_public_address`) is not asked unless
``allow_private`` is set (tests: the test network is on loopback).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from dnsops.addresses import is_public_address
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import AAAA, NS, SOA, A, Answer, LookupStatus, normalize_host

#: Name servers asked at most (a hostile NS RRset cannot make the lookup explode).
MAX_SERVERS = 8


@dataclass(frozen=True)
class ServerAnswer:
    """One name server's answer: the RRset's TTL there, or why there is none."""

    host: str
    address: str
    ttl: int | None
    error: str = ""


@dataclass(frozen=True)
class AuthoritativeTtl:
    """The TTL of ``name``/``rdtype`` at each of its zone's name servers."""

    zone: str | None
    servers: tuple[ServerAnswer, ...] = ()
    not_asked: tuple[str, ...] = ()  # addresses left out: not public
    error: str = ""

    @property
    def ttl(self) -> int | None:
        """The highest TTL the servers give (how long a resolver may keep the RRset), or None
        when no server answered with it."""
        ttls = [server.ttl for server in self.servers if server.ttl is not None]
        return max(ttls) if ttls else None


async def authoritative_ttl(
    name: str,
    rdtype: int,
    *,
    resolver: tuple[str, int],
    port: int = 53,
    timeout: float = 3.0,
    allow_private: bool = False,
) -> AuthoritativeTtl:
    """Ask the name servers of ``name``'s zone for ``name``/``rdtype`` (RD off), each within
    ``timeout`` seconds, on ``port``."""
    async with ResolverClient(resolver, timeout=timeout, sockets=1) as client:
        soa = await client.query(name, SOA)
        zone = soa.zone_apex() if soa.status in (LookupStatus.OK, LookupStatus.NODATA) else None
        if zone is None:
            return AuthoritativeTtl(None, error=f"the zone of {name} was not found ({soa.status})")
        ns = await client.query(zone, NS)
        hosts = sorted({normalize_host(host) for host in ns.records(NS)})[:MAX_SERVERS]
        if not hosts:
            return AuthoritativeTtl(zone, error=f"no NS records at {zone} ({ns.status})")
        lookups = await asyncio.gather(
            *(client.query(host, family) for host in hosts for family in (A, AAAA))
        )
    targets = []
    not_asked = []
    for index, answer in enumerate(lookups):
        host = hosts[index // 2]
        for address in answer.records(A if index % 2 == 0 else AAAA):
            if allow_private or is_public_address(address):
                targets.append((host, address))
            else:
                not_asked.append(address)
    answers = await asyncio.gather(
        *(_ask(host, address, port, name, rdtype, timeout) for host, address in targets)
    )
    return AuthoritativeTtl(zone, tuple(answers), tuple(not_asked))


async def _ask(
    host: str, address: str, port: int, name: str, rdtype: int, timeout: float
) -> ServerAnswer:
    """One server's answer for ``name``/``rdtype``."""
    try:
        async with ResolverClient((address, port), timeout=timeout, sockets=1) as server:
            answer: Answer = await server.query(name, rdtype, recursion=False)
    except OSError as exc:  # e.g. no route to an IPv6 server
        return ServerAnswer(host, address, None, str(exc))
    if answer.status is not LookupStatus.OK:
        return ServerAnswer(host, address, None, answer.detail or str(answer.status))
    if not answer.authoritative:
        return ServerAnswer(host, address, None, "not authoritative for the zone (AA not set)")
    return ServerAnswer(host, address, answer.ttl(rdtype))
