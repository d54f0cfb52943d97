"""The RFC 7672 decisions of a DANE-aware sending MTA, as pure functions over lookup results.

The resolver and SMTP client do the I/O and feed these functions, step by step:

1. :func:`resolve_destination` reads the MX lookup: a verdict that stops here (bogus or
   failed lookup, no such domain, null MX) or the hosts in preference order (the domain itself
   when it has no MX records), and whether the MX RRset was DNSSEC-secure.
2. For each host, :func:`tlsa_base_candidates` says, from its address lookup, at which names
   to look for TLSA records (none when DANE cannot apply); :func:`select_tlsa_rrset` picks the
   TLSA RRset and base domain from those lookups (RFC 7672 §2.2.2, §2.2.3).
3. :func:`plan_host` combines these into what the session must do: skip the host, deliver
   with opportunistic TLS, require TLS, or require DANE authentication (with the SNI name,
   the usable records and the reference identifiers for :func:`dnsops.dane.verify.verify_chain`).
4. :func:`host_outcome` turns the SMTP session result and the chain verification into the
   host's verdict, and :func:`decide_destination` picks the overall outcome across hosts.

An insecure MX RRset turns DANE off for the whole destination (RFC 7672 §2.2.1 only says a
client MAY still use the hosts' TLSA records; like mox, we do not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from dnsops.dane.names import normalize_name, reference_identifiers
from dnsops.dane.tlsa import TlsaRecord, usable_records
from dnsops.dane.verdicts import Verdict
from dnsops.dane.verify import ChainMatch, ChainVerification
from dnsops.dns.types import LookupSecurity, MxRecord


@dataclass(frozen=True)
class DestinationMx:
    """The MX step of a destination as RFC 7672 reads it: its security and records.

    ``domain_exists`` is false for NXDOMAIN; empty ``records`` with an existing domain is
    NODATA. ``canonical_name`` is the CNAME-expanded domain when the domain is an alias.
    """

    security: LookupSecurity
    records: tuple[MxRecord, ...] = ()
    domain_exists: bool = True
    canonical_name: str | None = None


@dataclass(frozen=True)
class HostAddresses:
    """The A and AAAA lookups of one host together (RFC 7672 §2.2.2).

    ``security`` is that of the first response (the host's own CNAME or address records),
    which decides whether DANE can apply. ``canonical_name`` is the CNAME-expanded name when
    the host is an alias, and ``canonical_name_secure`` whether every step of that expansion
    validated as secure.
    """

    security: LookupSecurity
    addresses: tuple[str, ...] = ()
    canonical_name: str | None = None
    canonical_name_secure: bool = False


@dataclass(frozen=True)
class TlsaLookup:
    """The TLSA lookup at ``_25._tcp.<candidate>`` (CNAMEs in the answer already followed).

    Empty ``records`` with a secure or insecure answer is NODATA or NXDOMAIN.
    """

    security: LookupSecurity
    records: tuple[TlsaRecord, ...] = ()


class TlsaOutcome(StrEnum):
    """What the TLSA lookups of one host gave."""

    RECORDS = "records"
    NONE = "none"
    ERROR = "error"


@dataclass(frozen=True)
class TlsaSelection:
    """The TLSA RRset chosen for a host and the base domain it was found at.

    For ``ERROR``, ``base`` is the name whose lookup failed and ``security`` how it failed.
    """

    outcome: TlsaOutcome
    base: str | None = None
    records: tuple[TlsaRecord, ...] = ()
    security: LookupSecurity | None = None


@dataclass(frozen=True)
class Destination:
    """The MX step for a destination domain.

    ``verdict`` is set when the decision ends here; otherwise ``hosts`` lists the SMTP
    server names to try in order and ``mx_secure`` says whether DANE can apply to them.
    """

    domain: str
    reason: str
    verdict: Verdict | None = None
    hosts: tuple[str, ...] = ()
    mx_secure: bool = False
    implicit_mx: bool = False
    canonical_name: str | None = None


class Requirement(StrEnum):
    """What the SMTP session with a host must achieve."""

    SKIP = "skip"
    OPPORTUNISTIC_TLS = "opportunistic-tls"
    MANDATORY_TLS = "mandatory-tls"
    DANE = "dane"


@dataclass(frozen=True)
class HostPlan:
    """What to do with one host before connecting to it.

    ``verdict`` is the host's verdict if the session goes as required (for ``SKIP``, the
    reason the host is not used; for ``DANE``, ``pass`` once the chain verifies). For
    ``MANDATORY_TLS`` and ``DANE``, ``tlsa_base`` is also the SNI name; for ``DANE``,
    ``records`` are the usable records and ``reference_identifiers`` the DANE-TA names to
    verify the chain with.
    """

    host: str
    requirement: Requirement
    reason: str
    verdict: Verdict
    tlsa_base: str | None = None
    records: tuple[TlsaRecord, ...] = ()
    reference_identifiers: tuple[str, ...] = ()


class SessionOutcome(StrEnum):
    """How far the SMTP session with one address of a host got."""

    CONNECTION_FAILED = "connection-failed"
    STARTTLS_NOT_OFFERED = "starttls-not-offered"
    TLS_HANDSHAKE_FAILED = "tls-handshake-failed"
    TLS_ESTABLISHED = "tls-established"


@dataclass(frozen=True)
class HostOutcome:
    """The verdict for one host (or one of its addresses)."""

    host: str
    verdict: Verdict
    reason: str
    address: str | None = None
    match: ChainMatch | None = None

    @property
    def delivers(self) -> bool:
        """Whether mail is delivered through this host."""
        return self.verdict.info.delivers


class Disposition(StrEnum):
    """What happens to the message."""

    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCED = "bounced"


@dataclass(frozen=True)
class DestinationDecision:
    """The overall outcome for a destination: how the message fares and why.

    ``host_outcome`` is the host that delivered, or the last one tried when all failed.
    """

    disposition: Disposition
    verdict: Verdict
    reason: str
    host_outcome: HostOutcome | None = None


def resolve_destination(domain: str, mx: DestinationMx) -> Destination:
    """The MX step (RFC 7672 §2.1, §2.2.1; RFC 7505 for null MX; RFC 5321 §5.1 implicit MX)."""
    domain = normalize_name(domain)
    canonical_name = normalize_name(mx.canonical_name) if mx.canonical_name else None
    if mx.security is LookupSecurity.FAILED:
        return Destination(
            domain,
            f"The MX lookup for {domain} failed; the message waits, it never falls back to the "
            "domain's own address records.",
            Verdict.DNS_QUERY_FAILED,
        )
    if mx.security is LookupSecurity.BOGUS:
        return Destination(
            domain, f"The MX records of {domain} fail DNSSEC validation.", Verdict.DNSSEC_INVALID
        )
    secure = mx.security is LookupSecurity.SECURE
    if not mx.domain_exists:
        return Destination(domain, f"{domain} does not exist.", Verdict.DOMAIN_NOT_FOUND)
    exchanges = [normalize_name(record.host) for record in mx.records]
    if exchanges == [""]:
        return Destination(domain, f"{domain} publishes a null MX.", Verdict.NULL_MX)
    if not mx.records:
        return Destination(
            domain,
            f"{domain} has no MX records; the domain itself is the mail host.",
            hosts=(domain,),
            mx_secure=secure,
            implicit_mx=True,
            canonical_name=canonical_name,
        )
    best_preference: dict[str, int] = {}
    for record, exchange in zip(mx.records, exchanges, strict=True):
        if exchange:
            best_preference[exchange] = min(
                record.preference, best_preference.get(exchange, record.preference)
            )
    hosts = tuple(sorted(best_preference, key=best_preference.__getitem__))
    security_text = "DNSSEC-secure" if secure else "not DNSSEC-secure, so DANE does not apply"
    return Destination(
        domain,
        f"The MX records of {domain} are {security_text}; hosts in order: {', '.join(hosts)}.",
        hosts=hosts,
        mx_secure=secure,
        canonical_name=canonical_name,
    )


def tlsa_base_candidates(
    destination: Destination, host: str, addresses: HostAddresses
) -> tuple[str, ...]:
    """The names, in order, at which to look up TLSA records for ``host`` (RFC 7672 §2.2.2).

    Empty when DANE cannot apply: an insecure MX RRset, or a failed, bogus, empty or insecure
    first address response (then TLSA is not even queried). A host whose alias expansion is
    secure at every step is tried at the expanded name first, then at its own name; after an
    insecure expansion only its own name is a candidate.
    """
    if (
        not destination.mx_secure
        or addresses.security is not LookupSecurity.SECURE
        or not addresses.addresses
    ):
        return ()
    host = normalize_name(host)
    if addresses.canonical_name and addresses.canonical_name_secure:
        return tuple(dict.fromkeys((normalize_name(addresses.canonical_name), host)))
    return (host,)


def select_tlsa_rrset(lookups: Iterable[tuple[str, TlsaLookup]]) -> TlsaSelection:
    """The TLSA RRset of a host from the lookups at its candidates, in candidate order.

    The first candidate with a secure, non-empty RRset is the TLSA base domain (a CNAME in the
    TLSA answer does not move it, RFC 7672 §2.2.3); insecure answers and secure denials move
    on to the next candidate; any failed or bogus lookup makes the host unusable at once. The
    iterable is consumed lazily, so a generator can do each lookup only when it is needed.
    """
    for name, lookup in lookups:
        if lookup.security in (LookupSecurity.BOGUS, LookupSecurity.FAILED):
            return TlsaSelection(
                TlsaOutcome.ERROR, base=normalize_name(name), security=lookup.security
            )
        if lookup.security is LookupSecurity.SECURE and lookup.records:
            return TlsaSelection(
                TlsaOutcome.RECORDS, base=normalize_name(name), records=lookup.records
            )
    return TlsaSelection(TlsaOutcome.NONE)


def plan_host(
    destination: Destination,
    host: str,
    addresses: HostAddresses,
    tlsa: TlsaSelection | None = None,
) -> HostPlan:
    """What the session with ``host`` must achieve (RFC 7672 §2.1.2, §2.2, §2.2.2, §3.1.3).

    ``tlsa`` is the :func:`select_tlsa_rrset` result for the :func:`tlsa_base_candidates` of
    the host; it is required exactly when there are candidates.
    """
    host = normalize_name(host)
    if addresses.security is LookupSecurity.FAILED:
        return HostPlan(
            host,
            Requirement.SKIP,
            f"The address lookup for {host} failed.",
            Verdict.DNS_QUERY_FAILED,
        )
    if addresses.security is LookupSecurity.BOGUS:
        return HostPlan(
            host,
            Requirement.SKIP,
            f"The address records of {host} fail DNSSEC validation.",
            Verdict.DNSSEC_INVALID,
        )
    if not addresses.addresses:
        return HostPlan(
            host, Requirement.SKIP, f"{host} has no A or AAAA records.", Verdict.HOST_NOT_FOUND
        )
    if not destination.mx_secure:
        return HostPlan(
            host,
            Requirement.OPPORTUNISTIC_TLS,
            f"The MX records of {destination.domain} are not DNSSEC-secure, so DANE does not "
            f"apply to {host}.",
            Verdict.DANE_NOT_APPLICABLE,
        )
    if addresses.security is LookupSecurity.INSECURE:
        return HostPlan(
            host,
            Requirement.OPPORTUNISTIC_TLS,
            f"The address records of {host} are not DNSSEC-secure, so DANE does not apply "
            "and TLSA is not looked up.",
            Verdict.DANE_NOT_APPLICABLE,
        )
    if tlsa is None:
        raise ValueError(f"DANE may apply to {host}: select its TLSA RRset first.")
    if tlsa.outcome is TlsaOutcome.ERROR:
        how = "fails DNSSEC validation" if tlsa.security is LookupSecurity.BOGUS else "failed"
        return HostPlan(
            host,
            Requirement.SKIP,
            f"The TLSA lookup at _25._tcp.{tlsa.base} {how}; {host} cannot be used.",
            Verdict.DNSSEC_INVALID,
        )
    if tlsa.outcome is TlsaOutcome.NONE or tlsa.base is None:
        return HostPlan(
            host,
            Requirement.OPPORTUNISTIC_TLS,
            f"{host} has no DNSSEC-secure TLSA records: opportunistic TLS.",
            Verdict.NO_TLSA,
        )
    usable = usable_records(tlsa.records)
    if not usable:
        reasons = "; ".join(
            f"{record.usage} {record.selector} {record.matching_type}: {record.unusable_reason}"
            for record in tlsa.records
        )
        return HostPlan(
            host,
            Requirement.MANDATORY_TLS,
            f"No TLSA record at _25._tcp.{tlsa.base} is usable ({reasons}): TLS is mandatory "
            "but the server is not authenticated.",
            Verdict.UNAUTHENTICATED_TLS,
            tlsa_base=tlsa.base,
        )
    return HostPlan(
        host,
        Requirement.DANE,
        f"{len(usable)} usable TLSA record(s) at _25._tcp.{tlsa.base}: STARTTLS is mandatory "
        "and the server must authenticate.",
        Verdict.PASS,
        tlsa_base=tlsa.base,
        records=usable,
        reference_identifiers=reference_identifiers(
            tlsa_base=tlsa.base,
            mx_host=host,
            next_hop=destination.domain,
            expanded_next_hop=destination.canonical_name,
        ),
    )


def host_outcome(
    plan: HostPlan,
    session: SessionOutcome | None = None,
    verification: ChainVerification | None = None,
    *,
    address: str | None = None,
    session_detail: str | None = None,
) -> HostOutcome:
    """The verdict for a host (or one address of it) after its SMTP session.

    ``session`` is needed unless the plan skips the host; ``verification`` (the result of
    :func:`dnsops.dane.verify.verify_chain` with the plan's records and reference
    identifiers) is needed when the plan requires DANE and TLS was established.
    ``session_detail`` says what went wrong in a failed session (a timeout, a refusal); it is
    added to the reason of the failures it explains.
    """
    because = f": {session_detail}" if session_detail else ""
    if plan.requirement is Requirement.SKIP:
        return HostOutcome(plan.host, plan.verdict, plan.reason, address)
    if session is None:
        raise ValueError(f"The plan for {plan.host} needs the outcome of an SMTP session.")
    if session is SessionOutcome.CONNECTION_FAILED:
        return HostOutcome(
            plan.host,
            Verdict.CONNECTION_FAILED,
            f"No SMTP session with {address or plan.host} could be established{because}.",
            address,
        )
    if plan.requirement is Requirement.OPPORTUNISTIC_TLS:
        tls = {
            SessionOutcome.STARTTLS_NOT_OFFERED: "the server offers no STARTTLS: sent in clear",
            SessionOutcome.TLS_HANDSHAKE_FAILED: "the TLS handshake failed: retried in clear",
            SessionOutcome.TLS_ESTABLISHED: "TLS was established",
        }[session]
        return HostOutcome(plan.host, plan.verdict, f"{plan.reason} ({tls}).", address)
    if session is not SessionOutcome.TLS_ESTABLISHED:
        what = (
            "did not offer STARTTLS"
            if session is SessionOutcome.STARTTLS_NOT_OFFERED
            else "failed the TLS handshake"
        )
        return HostOutcome(
            plan.host,
            Verdict.STARTTLS_NOT_SUPPORTED,
            f"{plan.host} publishes TLSA records at _25._tcp.{plan.tlsa_base}, so TLS is "
            f"mandatory, but the server {what}{because}.",
            address,
        )
    if plan.requirement is Requirement.MANDATORY_TLS:
        return HostOutcome(plan.host, plan.verdict, plan.reason, address)
    if verification is None:
        raise ValueError(f"The plan for {plan.host} needs the verification of its chain.")
    return HostOutcome(
        plan.host, verification.verdict, verification.reason, address, verification.match
    )


def decide_destination(
    destination: Destination, outcomes: Sequence[HostOutcome]
) -> DestinationDecision:
    """The overall outcome: delivered by the first host that delivers, in the order tried.

    When every host fails the message is deferred (and retried, see
    :mod:`dnsops.dane.retry`) with the verdict of the last host tried; a null MX or a domain
    that does not exist bounces at once.
    """
    if destination.verdict is not None:
        retried = destination.verdict.info.temporary_code is not None
        return DestinationDecision(
            Disposition.DEFERRED if retried else Disposition.BOUNCED,
            destination.verdict,
            destination.reason,
        )
    for outcome in outcomes:
        if outcome.delivers:
            return DestinationDecision(
                Disposition.DELIVERED,
                outcome.verdict,
                f"Delivered through {outcome.host}: {outcome.reason}",
                outcome,
            )
    if not outcomes:
        raise ValueError(f"No host of {destination.domain} was tried.")
    last = outcomes[-1]
    return DestinationDecision(
        Disposition.DEFERRED,
        last.verdict,
        f"No host of {destination.domain} can take the message; the last one tried, "
        f"{last.host}: {last.reason}",
        last,
    )
