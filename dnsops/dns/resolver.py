"""The synchronous facade of the DNS client, for request handlers: one query, one answer.

A view or a task that needs one lookup calls :func:`query`: it asks the configured
DNSSEC-validating resolver (``DANE_RESOLVER``) through :class:`dnsops.dns.client.ResolverClient`
(DO set, the AD bit read, a deadline on every query) on an event loop of its own, and returns
the records of the type asked. Errors the caller may retry raise :class:`ResolverUnavailable`;
a SERVFAIL that an Extended DNS Error names a DNSSEC failure raises
:class:`DnssecValidationFailed`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import dns.rdatatype
from django.conf import settings

from dnsops.addresses import parse_server
from dnsops.dns.authoritative import AuthoritativeTtl, authoritative_ttl
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import CNAME, DNSSEC_EDE_CODES, Answer, LookupStatus

_RCODES = {
    LookupStatus.OK: "NOERROR",
    LookupStatus.NODATA: "NOERROR",
    LookupStatus.NXDOMAIN: "NXDOMAIN",
    LookupStatus.SERVFAIL: "SERVFAIL",
    LookupStatus.REFUSED: "REFUSED",
}


class ResolverUnavailable(Exception):
    """The resolver timed out, refused, or answered SERVFAIL; try again later."""


class DnssecValidationFailed(ResolverUnavailable):
    """SERVFAIL because the answer failed DNSSEC validation (an Extended DNS Error says so):
    the zone's owner must fix it; retrying does not help."""


@dataclass(frozen=True)
class Resolution:
    """What the resolver said about one name and type.

    ``records`` are the decoded data of the records of that type (see
    :class:`dnsops.dns.types.Record`: TXT a tuple of strings, TLSA a
    :class:`dnsops.dns.types.Tlsa`, ...).
    """

    rcode: str
    authenticated: bool
    records: tuple[Any, ...]
    aliases: tuple[str, ...] = ()  # the CNAME targets followed, in order


def resolver_address() -> tuple[str, int]:
    """``DANE_RESOLVER`` as (host, port); the port defaults to 53."""
    return parse_server(settings.DANE_RESOLVER)


def query(name: str, rdtype: str, *, timeout: float | None = None) -> Resolution:
    """Ask the validating resolver for ``name``/``rdtype`` with DO set, within ``timeout``
    seconds (``DANE_DNS_TIMEOUT`` when None)."""
    address = resolver_address()
    wanted = dns.rdatatype.from_text(rdtype)
    deadline = timeout if timeout is not None else settings.DANE_DNS_TIMEOUT
    answer = asyncio.run(_ask(address, name, wanted, deadline))
    rcode = _RCODES.get(answer.status)
    if answer.status is LookupStatus.TIMEOUT:
        host, port = address
        raise ResolverUnavailable(
            f"The resolver at {host}:{port} did not answer for {name} {rdtype}."
        )
    if answer.status is LookupStatus.UNREADABLE:
        raise ResolverUnavailable(f"Unreadable answer for {name} {rdtype}: {answer.detail}")
    if rcode not in ("NOERROR", "NXDOMAIN"):
        dnssec_errors = [
            f"EDE {error.info_code}" + (f" ({error.extra_text})" if error.extra_text else "")
            for error in answer.extended_errors
            if error.info_code in DNSSEC_EDE_CODES
        ]
        if dnssec_errors:
            raise DnssecValidationFailed(
                f"The answers for {name} fail DNSSEC validation: {'; '.join(dnssec_errors)}."
            )
        if rcode is None and not answer.detail.startswith("rcode "):
            raise ResolverUnavailable(f"The lookup of {name} {rdtype} failed: {answer.detail}")
        said = rcode or answer.detail.removeprefix("rcode ")
        raise ResolverUnavailable(f"The resolver answered {said} for {name} {rdtype}.")
    return Resolution(
        rcode=rcode,
        authenticated=answer.authenticated,
        records=tuple(answer.records(wanted)),
        aliases=tuple(answer.records(CNAME)),
    )


async def _ask(address: tuple[str, int], name: str, rdtype: int, timeout: float) -> Answer:
    """One query through a client of one socket, opened and closed for it."""
    async with ResolverClient(address, timeout=timeout, sockets=1) as client:
        return await client.query(name, rdtype)


def ttl_at_name_servers(name: str, rdtype: str) -> AuthoritativeTtl:
    """The TTL of ``name``/``rdtype`` as the name servers of its zone publish it, asked
    directly (:mod:`dnsops.dns.authoritative`) on ``DANE_AUTHORITATIVE_PORT``; addresses
    that are not public only with ``DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES``. Every
    query ends within ``DANE_DNS_TIMEOUT``."""
    return asyncio.run(name_server_ttl(name, rdtype))


async def name_server_ttl(name: str, rdtype: str) -> AuthoritativeTtl:
    """:func:`ttl_at_name_servers` in the caller's event loop (beside other lookups)."""
    return await authoritative_ttl(
        name,
        dns.rdatatype.from_text(rdtype),
        resolver=resolver_address(),
        port=settings.DANE_AUTHORITATIVE_PORT,
        timeout=settings.DANE_DNS_TIMEOUT,
        allow_private=settings.DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES,
    )


def txt_strings(resolution: Resolution) -> list[str]:
    """The TXT records of ``resolution``, each as its character-strings joined (RFC 7208)."""
    return ["".join(strings) for strings in resolution.records]
