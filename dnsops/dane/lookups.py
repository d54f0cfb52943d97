"""The DNS lookups of outbound DANE validation: a tracing adapter over the DNS client.

Every lookup goes through :class:`dnsops.dns.client.ResolverClient` (DO set) and the
answer's AD bit says whether it is DNSSEC-secure: the resolver is the provider's own
validating resolver on a trusted path (``DANE_RESOLVER``, RFC 7672 §2.1.1). A SERVFAIL is
told apart: with a DNSSEC Extended DNS Error (RFC 8914), or when the same query with CD set
gets an answer, the data is *bogus*; otherwise the lookup *failed* (as are timeouts,
refusals and unreadable answers). Each lookup is one step of the trace and gives the inputs
:mod:`dnsops.dane.policy` decides on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.edns
import dns.rdatatype

from dnsops.dane.policy import (
    DestinationMx,
    HostAddresses,
    TlsaLookup,
    TlsaOutcome,
    TlsaSelection,
    select_tlsa_rrset,
)
from dnsops.dane.tlsa import TlsaRecord
from dnsops.dane.trace import Deadline, Trace
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import (
    AAAA,
    CNAME,
    MX,
    TLSA,
    A,
    Answer,
    LookupSecurity,
    LookupStatus,
    MxRecord,
    Record,
    answers_without_validation,
    is_dnssec_failure,
)
from dnsops.dns.wire import record_text

MAX_CNAME_HOPS = 8
"""The longest CNAME chain followed in an answer."""

MAX_LISTED_RECORDS = 10
"""How many records a step's detail lists before it only counts the rest."""

_ANSWERED = (LookupStatus.OK, LookupStatus.NODATA, LookupStatus.NXDOMAIN)


class LookupFailed(Exception):
    """No usable answer came back: the CNAME chain in the answer is too long."""


@dataclass(frozen=True)
class DnsAnswer:
    """One lookup as the policy needs it.

    ``records`` are the data of the records of the asked type at the end of the CNAME chain
    (see :class:`dnsops.dns.types.Record`), whose last name is ``canonical_name`` when it
    differs from the name asked for.
    """

    security: LookupSecurity
    rcode: str
    detail: str
    records: tuple[Any, ...] = ()
    canonical_name: str | None = None


class DaneResolver:
    """Asks the validating resolver through ``client`` and records each lookup in ``trace``;
    every lookup waits at most ``timeout`` seconds, cut to what is left of ``deadline``."""

    def __init__(
        self, client: ResolverClient, *, timeout: float, deadline: Deadline, trace: Trace
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.deadline = deadline
        self.trace = trace

    async def mx(self, domain: str) -> DestinationMx:
        """The MX lookup of the destination (RFC 7672 §2.2.1)."""
        answer = await self._lookup(domain, MX, step="mx", host=None)
        if answer.security in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            return DestinationMx(answer.security)
        return DestinationMx(
            answer.security,
            tuple(MxRecord(preference, host) for preference, host in answer.records),
            domain_exists=answer.rcode != "NXDOMAIN",
            canonical_name=answer.canonical_name,
        )

    async def addresses(self, host: str) -> HostAddresses:
        """The A and AAAA lookups of one host (RFC 7672 §2.2.2), IPv4 addresses first.

        A failure or bogus answer of either makes the host unusable. When the host is an
        alias whose chain is not secure throughout, the host's own CNAME is looked up to learn
        whether the *first* response is secure, which decides whether DANE may apply.
        """
        answers = await asyncio.gather(
            self._lookup(host, A, step="a", host=host),
            self._lookup(host, AAAA, step="aaaa", host=host),
        )
        for failure in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            if any(answer.security is failure for answer in answers):
                return HostAddresses(failure)
        addresses = tuple(address for answer in answers for address in answer.records)
        all_secure = all(answer.security is LookupSecurity.SECURE for answer in answers)
        canonical_name = next(
            (answer.canonical_name for answer in answers if answer.canonical_name), None
        )
        if canonical_name is None:
            security = LookupSecurity.SECURE if all_secure else LookupSecurity.INSECURE
            return HostAddresses(security, addresses)
        if all_secure:
            return HostAddresses(LookupSecurity.SECURE, addresses, canonical_name, True)
        first = await self._lookup(host, CNAME, step="cname", host=host)
        return HostAddresses(first.security, addresses, canonical_name, False)

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
        answer = await self._lookup(f"_25._tcp.{candidate}", TLSA, step="tlsa", host=host)
        if answer.security in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            return TlsaLookup(answer.security)
        return TlsaLookup(
            answer.security,
            tuple(
                TlsaRecord(tlsa.usage, tlsa.selector, tlsa.mtype, tlsa.cert)
                for tlsa in answer.records
            ),
        )

    async def _lookup(self, name: str, rdtype: int, *, step: str, host: str | None) -> DnsAnswer:
        """One lookup, recorded as a step."""
        started = time.perf_counter()
        answer = await self._ask(name, rdtype)
        type_text = dns.rdatatype.to_text(dns.rdatatype.RdataType(rdtype))
        self.trace.add(
            step,
            answer.security,
            f"{name} {type_text}: {answer.detail}",
            started=started,
            host=host,
        )
        return answer

    async def _ask(self, name: str, rdtype: int) -> DnsAnswer:
        """Ask, and read the security state and records of the answer."""
        answer = await self._query(name, rdtype)
        if answer.status is LookupStatus.SERVFAIL:
            return await self._servfail(name, rdtype, answer)
        if answer.status not in _ANSWERED:
            return _failed(answer)
        rcode = "NXDOMAIN" if answer.status is LookupStatus.NXDOMAIN else "NOERROR"
        try:
            canonical_name, records = _records(answer, name, rdtype)
        except LookupFailed as exc:
            return DnsAnswer(LookupSecurity.FAILED, rcode, str(exc))
        if answer.authenticated:
            security, how = LookupSecurity.SECURE, "DNSSEC-secure (AD)"
        else:
            security, how = LookupSecurity.INSECURE, "not DNSSEC-secure (no AD)"
        alias = f", via CNAME to {canonical_name}" if canonical_name else ""
        return DnsAnswer(
            security,
            rcode,
            f"{rcode}, {how}{alias}; {_listed(records)}",
            tuple(record.data for record in records),
            canonical_name,
        )

    async def _servfail(self, name: str, rdtype: int, answer: Answer) -> DnsAnswer:
        """Tell a DNSSEC failure from another failure behind a SERVFAIL."""
        extended = _ede(answer)
        if is_dnssec_failure(answer.extended_errors):
            return DnsAnswer(
                LookupSecurity.BOGUS,
                "SERVFAIL",
                f"SERVFAIL{extended}: the answer fails DNSSEC validation.",
            )
        unchecked = await self._query(name, rdtype, checking_disabled=True)
        if answers_without_validation(unchecked):
            said = "NXDOMAIN" if unchecked.status is LookupStatus.NXDOMAIN else "NOERROR"
            return DnsAnswer(
                LookupSecurity.BOGUS,
                "SERVFAIL",
                f"SERVFAIL{extended}, but with checking disabled (CD) the resolver answers "
                f"{said}: the answer fails DNSSEC validation.",
            )
        return DnsAnswer(
            LookupSecurity.FAILED, "SERVFAIL", f"SERVFAIL{extended}: the lookup failed."
        )

    async def _query(self, name: str, rdtype: int, *, checking_disabled: bool = False) -> Answer:
        """Send one query within the step budget (UDP, TCP when truncated)."""
        budget = self.deadline.budget(self.timeout)
        if budget <= 0:
            return Answer(
                LookupStatus.TIMEOUT,
                detail="the validation's time limit was reached before this lookup",
            )
        answer = await self.client.query(name, rdtype, cd=checking_disabled, timeout=budget)
        if answer.status is LookupStatus.TIMEOUT:
            return Answer(
                LookupStatus.TIMEOUT, detail=f"no answer from the resolver within {budget:.1f} s"
            )
        return answer


def _failed(answer: Answer) -> DnsAnswer:
    """A lookup that got no usable answer: a refusal, another rcode, a time-out, a message
    that cannot be read."""
    if answer.status is LookupStatus.REFUSED or answer.detail.startswith("rcode "):
        rcode = answer.detail.removeprefix("rcode ") or "REFUSED"
        return DnsAnswer(
            LookupSecurity.FAILED, rcode, f"the resolver answered {rcode}{_ede(answer)}."
        )
    if answer.status is LookupStatus.TIMEOUT:
        return DnsAnswer(LookupSecurity.FAILED, "no answer", answer.detail)
    return DnsAnswer(
        LookupSecurity.FAILED,
        "no answer",
        f"the query or its answer cannot be read ({answer.detail})",
    )


def _records(answer: Answer, name: str, rdtype: int) -> tuple[str | None, tuple[Record, ...]]:
    """The CNAME-expanded name (``None`` if not an alias) and the records of ``rdtype`` there.

    Only CNAME records carry their owner (:class:`dnsops.dns.types.Record`); the records of
    ``rdtype`` are those the resolver put at the end of the chain.
    """
    original = current = name.removesuffix(".")
    if rdtype == CNAME:
        found = tuple(
            record
            for record in answer.answer
            if record.rdtype == CNAME and record.owner.lower() == original.lower()
        )
        return None, found
    aliases = {
        record.owner.lower(): str(record.data) for record in answer.answer if record.rdtype == CNAME
    }
    for _ in range(MAX_CNAME_HOPS + 1):
        target = aliases.get(current.lower())
        if target is None:
            break
        current = target
    else:
        raise LookupFailed(f"the CNAME chain is longer than {MAX_CNAME_HOPS} names")
    canonical_name = None if current.lower() == original.lower() else current
    return canonical_name, tuple(record for record in answer.answer if record.rdtype == rdtype)


def _listed(records: Sequence[Record]) -> str:
    """The records of an answer for a step's detail."""
    if not records:
        return "no records"
    shown = [record_text(record) for record in records[:MAX_LISTED_RECORDS]]
    more = len(records) - len(shown)
    return f"{len(records)} record(s): {'; '.join(shown)}" + (f"; and {more} more" if more else "")


def _ede(answer: Answer) -> str:
    """The Extended DNS Errors of an answer, for a step's detail."""
    errors = [
        f"EDE {error.info_code} {dns.edns.EDECode.to_text(error.info_code)}"
        + (f": {error.extra_text}" if error.extra_text else "")
        for error in answer.extended_errors
    ]
    return f" ({'; '.join(errors)})" if errors else ""
