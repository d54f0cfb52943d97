"""Queries through the configured DNSSEC-validating resolver (``DANE_RESOLVER``).

Every query has a deadline; the AD bit is read from the answer because the resolver is the
one the provider trusts. Errors the caller may retry raise :class:`ResolverUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
from django.conf import settings

from dnsops.addresses import parse_server
from dnsops.checks.dnssec import DNSSEC_EDE_CODES


class ResolverUnavailable(Exception):
    """The resolver timed out, refused, or answered SERVFAIL; try again later."""


class DnssecValidationFailed(ResolverUnavailable):
    """SERVFAIL because the answer failed DNSSEC validation (an Extended DNS Error says so):
    the zone's owner must fix it; retrying does not help."""


@dataclass(frozen=True)
class Answer:
    """What the resolver said about one name and type."""

    rcode: str
    authenticated: bool
    records: tuple[dns.rdata.Rdata, ...]
    aliases: tuple[str, ...] = ()  # the CNAME targets followed, in order


def resolver_address() -> tuple[str, int]:
    """``DANE_RESOLVER`` as (host, port); the port defaults to 53."""
    return parse_server(settings.DANE_RESOLVER)


def query(name: str, rdtype: str, *, timeout: float | None = None) -> Answer:
    """Ask the validating resolver for ``name``/``rdtype`` with DO set, within ``timeout``."""
    host, port = resolver_address()
    deadline = timeout if timeout is not None else settings.DANE_DNS_TIMEOUT
    request = dns.message.make_query(
        dns.name.from_text(name), dns.rdatatype.from_text(rdtype), want_dnssec=True
    )
    try:
        response, _ = dns.query.udp_with_fallback(request, host, timeout=deadline, port=port)
    except (dns.exception.Timeout, OSError) as exc:
        raise ResolverUnavailable(
            f"The resolver at {host}:{port} did not answer for {name} {rdtype}."
        ) from exc
    except dns.exception.DNSException as exc:
        raise ResolverUnavailable(f"Unreadable answer for {name} {rdtype}: {exc}") from exc
    rcode = dns.rcode.to_text(response.rcode())
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        dnssec_errors = [
            f"EDE {error.code}" + (f" ({error.text})" if error.text else "")
            for error in response.extended_errors()
            if error.code in DNSSEC_EDE_CODES
        ]
        if dnssec_errors:
            raise DnssecValidationFailed(
                f"The answers for {name} fail DNSSEC validation: {'; '.join(dnssec_errors)}."
            )
        raise ResolverUnavailable(f"The resolver answered {rcode} for {name} {rdtype}.")
    wanted = dns.rdatatype.from_text(rdtype)
    records = tuple(rdata for rrset in response.answer if rrset.rdtype == wanted for rdata in rrset)
    aliases = tuple(
        rdata.target.to_text(omit_final_dot=True)
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.CNAME
        for rdata in rrset
    )
    return Answer(
        rcode=rcode,
        authenticated=bool(response.flags & dns.flags.AD),
        records=records,
        aliases=aliases,
    )


def txt_strings(answer: Answer) -> list[str]:
    """The TXT records of ``answer``, each as its character-strings joined (RFC 7208 style)."""
    return [
        b"".join(rdata.strings).decode("utf-8", errors="replace")  # type: ignore[attr-defined]
        for rdata in answer.records
    ]
