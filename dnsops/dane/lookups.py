"""The DNS lookups of outbound DANE validation, through the validating resolver (asyncio).

Every query sets DO (and AD, RFC 6840 §5.7) and the answer's AD bit says whether it is
DNSSEC-secure: the resolver is the provider's own validating resolver on a trusted path
(``DANE_RESOLVER``, RFC 7672 §2.1.1). A SERVFAIL is told apart: with a DNSSEC Extended DNS
Error (RFC 8914), or when the same query with CD set gets an answer, the data is *bogus*;
otherwise the lookup *failed* (as are timeouts, refusals and unreadable answers). Each lookup
is one step of the trace and gives the inputs :mod:`dnsops.dane.policy` decides on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncquery
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from dnsops.dane.policy import (
    AddressLookup,
    LookupSecurity,
    MxLookup,
    MxRecord,
    TlsaLookup,
    TlsaOutcome,
    TlsaSelection,
    select_tlsa_rrset,
)
from dnsops.dane.tlsa import TlsaRecord
from dnsops.dane.trace import Deadline, Trace

DNSSEC_ERROR_CODES = frozenset({1, 2, 5, 6, 7, 8, 9, 10, 11, 12})
"""Extended DNS Errors that mean a DNSSEC failure: unsupported DNSKEY algorithm or DS digest,
indeterminate, bogus, signature expired or not yet valid, DNSKEY/RRSIG/NSEC missing, no zone
key bit (RFC 8914 §4)."""

MAX_CNAME_HOPS = 8
"""The longest CNAME chain followed in an answer."""

MAX_LISTED_RECORDS = 10
"""How many records a step's detail lists before it only counts the rest."""

UDP_PAYLOAD = 1232
"""The EDNS buffer size advertised (DNS flag day 2020); larger answers come over TCP."""


class LookupFailed(Exception):
    """No usable answer came back: timeout, unreachable resolver, unreadable message."""


@dataclass(frozen=True)
class DnsAnswer:
    """One lookup as the policy needs it.

    ``records`` are those of the asked type at the end of the CNAME chain, whose last name is
    ``canonical_name`` when it differs from the name asked for.
    """

    security: LookupSecurity
    rcode: str
    detail: str
    records: tuple[dns.rdata.Rdata, ...] = ()
    canonical_name: str | None = None


class DaneResolver:
    """Asks the validating resolver at ``address`` and records each lookup in ``trace``."""

    def __init__(
        self, address: tuple[str, int], *, timeout: float, deadline: Deadline, trace: Trace
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.deadline = deadline
        self.trace = trace

    async def mx(self, domain: str) -> MxLookup:
        """The MX lookup of the destination (RFC 7672 §2.2.1)."""
        answer = await self._lookup(domain, "MX", step="mx", host=None)
        if answer.security in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            return MxLookup(answer.security)
        return MxLookup(
            answer.security,
            tuple(
                MxRecord(rdata.preference, rdata.exchange.to_text())  # type: ignore[attr-defined]
                for rdata in answer.records
            ),
            domain_exists=answer.rcode != "NXDOMAIN",
            canonical_name=answer.canonical_name,
        )

    async def addresses(self, host: str) -> AddressLookup:
        """The A and AAAA lookups of one host (RFC 7672 §2.2.2), IPv4 addresses first.

        A failure or bogus answer of either makes the host unusable. When the host is an
        alias whose chain is not secure throughout, the host's own CNAME is looked up to learn
        whether the *first* response is secure, which decides whether DANE may apply.
        """
        answers = await asyncio.gather(
            self._lookup(host, "A", step="a", host=host),
            self._lookup(host, "AAAA", step="aaaa", host=host),
        )
        for failure in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            if any(answer.security is failure for answer in answers):
                return AddressLookup(failure)
        addresses = tuple(
            rdata.address  # type: ignore[attr-defined]
            for answer in answers
            for rdata in answer.records
        )
        all_secure = all(answer.security is LookupSecurity.SECURE for answer in answers)
        canonical_name = next(
            (answer.canonical_name for answer in answers if answer.canonical_name), None
        )
        if canonical_name is None:
            security = LookupSecurity.SECURE if all_secure else LookupSecurity.INSECURE
            return AddressLookup(security, addresses)
        if all_secure:
            return AddressLookup(LookupSecurity.SECURE, addresses, canonical_name, True)
        first = await self._lookup(host, "CNAME", step="cname", host=host)
        return AddressLookup(first.security, addresses, canonical_name, False)

    async def tlsa_selection(self, candidates: Sequence[str], *, host: str) -> TlsaSelection:
        """The TLSA RRset of ``host``, looking up ``_25._tcp.<candidate>`` in order and only as
        far as needed (RFC 7672 §2.2.3).

        The port in the owner name stays 25 even when a test connects to another port: it
        names the destination's SMTP service.
        """
        lookups: list[tuple[str, TlsaLookup]] = []
        selection = select_tlsa_rrset(lookups)
        for candidate in candidates:
            lookups.append((candidate, await self._tlsa(candidate, host=host)))
            selection = select_tlsa_rrset(lookups)
            if selection.outcome is not TlsaOutcome.NONE:
                break
        return selection

    async def _tlsa(self, candidate: str, *, host: str) -> TlsaLookup:
        """The TLSA lookup at one candidate base domain (CNAMEs in the answer followed)."""
        answer = await self._lookup(f"_25._tcp.{candidate}", "TLSA", step="tlsa", host=host)
        if answer.security in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            return TlsaLookup(answer.security)
        return TlsaLookup(
            answer.security,
            tuple(
                TlsaRecord(rdata.usage, rdata.selector, rdata.mtype, rdata.cert)  # type: ignore[attr-defined]
                for rdata in answer.records
            ),
        )

    async def _lookup(self, name: str, rdtype: str, *, step: str, host: str | None) -> DnsAnswer:
        """One lookup, recorded as a step."""
        started = time.perf_counter()
        answer = await self._ask(name, rdtype)
        self.trace.add(
            step, answer.security, f"{name} {rdtype}: {answer.detail}", started=started, host=host
        )
        return answer

    async def _ask(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask, and read the security state and records of the answer."""
        try:
            response = await self._send(name, rdtype)
        except LookupFailed as exc:
            return DnsAnswer(LookupSecurity.FAILED, "no answer", str(exc))
        rcode = dns.rcode.to_text(response.rcode())
        if response.rcode() == dns.rcode.SERVFAIL:
            return await self._servfail(name, rdtype, response)
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return DnsAnswer(
                LookupSecurity.FAILED, rcode, f"the resolver answered {rcode}{_ede(response)}."
            )
        try:
            canonical_name, records = _records(response, name, rdtype)
        except LookupFailed as exc:
            return DnsAnswer(LookupSecurity.FAILED, rcode, str(exc))
        if response.flags & dns.flags.AD:
            security, how = LookupSecurity.SECURE, "DNSSEC-secure (AD)"
        else:
            security, how = LookupSecurity.INSECURE, "not DNSSEC-secure (no AD)"
        alias = f", via CNAME to {canonical_name}" if canonical_name else ""
        return DnsAnswer(
            security,
            rcode,
            f"{rcode}, {how}{alias}; {_listed(records)}",
            records,
            canonical_name,
        )

    async def _servfail(self, name: str, rdtype: str, response: dns.message.Message) -> DnsAnswer:
        """Tell a DNSSEC failure from another failure behind a SERVFAIL."""
        extended = _ede(response)
        if any(error.code in DNSSEC_ERROR_CODES for error in response.extended_errors()):
            return DnsAnswer(
                LookupSecurity.BOGUS,
                "SERVFAIL",
                f"SERVFAIL{extended}: the answer fails DNSSEC validation.",
            )
        try:
            unchecked = await self._send(name, rdtype, checking_disabled=True)
        except LookupFailed:
            unchecked = None
        if unchecked is not None and unchecked.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return DnsAnswer(
                LookupSecurity.BOGUS,
                "SERVFAIL",
                f"SERVFAIL{extended}, but with checking disabled (CD) the resolver answers "
                f"{dns.rcode.to_text(unchecked.rcode())}: the answer fails DNSSEC validation.",
            )
        return DnsAnswer(
            LookupSecurity.FAILED, "SERVFAIL", f"SERVFAIL{extended}: the lookup failed."
        )

    async def _send(
        self, name: str, rdtype: str, *, checking_disabled: bool = False
    ) -> dns.message.Message:
        """Send one query within the step budget (UDP, TCP when truncated)."""
        budget = self.deadline.budget(self.timeout)
        if budget <= 0:
            raise LookupFailed("the validation's time limit was reached before this lookup")
        host, port = self.address
        try:
            query = dns.message.make_query(name, rdtype, want_dnssec=True, payload=UDP_PAYLOAD)
            query.flags |= dns.flags.AD | (dns.flags.CD if checking_disabled else 0)
            async with asyncio.timeout(budget):
                response, _ = await dns.asyncquery.udp_with_fallback(
                    query, host, timeout=budget, port=port
                )
        except (TimeoutError, dns.exception.Timeout) as exc:
            raise LookupFailed(f"no answer from the resolver within {budget:.1f} s") from exc
        except OSError as exc:
            raise LookupFailed(f"the resolver at {host}:{port} cannot be reached ({exc})") from exc
        except dns.exception.DNSException as exc:
            raise LookupFailed(f"the query or its answer cannot be read ({exc})") from exc
        return response


def _records(
    response: dns.message.Message, name: str, rdtype: str
) -> tuple[str | None, tuple[dns.rdata.Rdata, ...]]:
    """The CNAME-expanded name (``None`` if not an alias) and the records of ``rdtype`` there."""
    original = current = dns.name.from_text(name)
    wanted = dns.rdatatype.from_text(rdtype)
    for _ in range(MAX_CNAME_HOPS + 1):
        rrset = response.get_rrset(response.answer, current, dns.rdataclass.IN, wanted)
        if rrset is not None:
            break
        alias = response.get_rrset(response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if alias is None:
            break
        current = alias[0].target
    else:
        raise LookupFailed(f"the CNAME chain is longer than {MAX_CNAME_HOPS} names")
    canonical_name = None if current == original else current.to_text(omit_final_dot=True)
    return canonical_name, tuple(rrset) if rrset is not None else ()


def _listed(records: Sequence[dns.rdata.Rdata]) -> str:
    """The records of an answer for a step's detail."""
    if not records:
        return "no records"
    shown = [rdata.to_text() for rdata in records[:MAX_LISTED_RECORDS]]
    more = len(records) - len(shown)
    return f"{len(records)} record(s): {'; '.join(shown)}" + (f"; and {more} more" if more else "")


def _ede(response: dns.message.Message) -> str:
    """The Extended DNS Errors of a response, for a step's detail."""
    errors = [
        f"EDE {error.code} {dns.edns.EDECode.to_text(error.code)}"
        + (f": {error.text}" if error.text else "")
        for error in response.extended_errors()
    ]
    return f" ({'; '.join(errors)})" if errors else ""
