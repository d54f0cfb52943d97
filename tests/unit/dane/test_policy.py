"""The RFC 7672 decision logic, from MX lookup to the destination's outcome.

``analyze`` below plays the resolver and SMTP client: it feeds canned lookup results and a
session outcome through the policy functions in the order the real analyzer will.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509

from dnsops.dane.policy import (
    Destination,
    DestinationDecision,
    DestinationMx,
    Disposition,
    HostAddresses,
    HostOutcome,
    HostPlan,
    Requirement,
    SessionOutcome,
    TlsaLookup,
    TlsaOutcome,
    TlsaSelection,
    decide_destination,
    host_outcome,
    plan_host,
    resolve_destination,
    select_tlsa_rrset,
    tlsa_base_candidates,
)
from dnsops.dane.retry import status_code_for
from dnsops.dane.tlsa import TlsaRecord, tlsa_for_certificate
from dnsops.dane.verdicts import Verdict
from dnsops.dane.verify import verify_chain
from dnsops.dns.types import LookupSecurity, MxRecord
from tests.unit.dane.pki import NOW, Pki, ca, leaf, load_vector, mox_pki, standard_pki

SECURE = LookupSecurity.SECURE
INSECURE = LookupSecurity.INSECURE
BOGUS = LookupSecurity.BOGUS
FAILED = LookupSecurity.FAILED
DOMAIN = "example.com"
MX1 = "mx1.example.com"
MX2 = "mx2.example.com"
ADDRESSES = HostAddresses(SECURE, ("192.0.2.25",))


def tlsa(certificate: x509.Certificate, parameters: str) -> TlsaRecord:
    """The TLSA record ``"u s m"`` for a certificate."""
    usage, selector, matching_type = (int(part) for part in parameters.split())
    return tlsa_for_certificate(certificate, usage, selector, matching_type)


def mx(*hosts: str, security: LookupSecurity = SECURE) -> DestinationMx:
    """An MX answer listing ``hosts`` at preferences 10, 20, ..."""
    return DestinationMx(
        security, tuple(MxRecord(10 * (index + 1), host) for index, host in enumerate(hosts))
    )


@dataclass(frozen=True)
class Host:
    """What the network would say about one host: addresses, TLSA answers, the session."""

    addresses: HostAddresses = ADDRESSES
    tlsa: Mapping[str, TlsaLookup] = field(default_factory=dict)
    session: SessionOutcome = SessionOutcome.TLS_ESTABLISHED
    chain: Sequence[x509.Certificate] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything the simulated analyzer produced."""

    destination: Destination
    plans: list[HostPlan]
    outcomes: list[HostOutcome]
    decision: DestinationDecision


def analyze(mx_lookup: DestinationMx, hosts: Mapping[str, Host], domain: str = DOMAIN) -> Analysis:
    """Run the policy steps for ``domain`` over canned lookups and sessions."""
    destination = resolve_destination(domain, mx_lookup)
    plans: list[HostPlan] = []
    outcomes: list[HostOutcome] = []
    for name in destination.hosts:
        host = hosts[name]
        candidates = tlsa_base_candidates(destination, name, host.addresses)
        selection = (
            select_tlsa_rrset(
                (candidate, host.tlsa.get(candidate, TlsaLookup(SECURE)))
                for candidate in candidates
            )
            if candidates
            else None
        )
        plan = plan_host(destination, name, host.addresses, selection)
        plans.append(plan)
        verification = (
            verify_chain(
                host.chain, plan.records, reference_identifiers=plan.reference_identifiers, now=NOW
            )
            if plan.requirement is Requirement.DANE
            and host.session is SessionOutcome.TLS_ESTABLISHED
            else None
        )
        outcome = host_outcome(
            plan,
            None if plan.requirement is Requirement.SKIP else host.session,
            verification,
            address=host.addresses.addresses[0] if host.addresses.addresses else None,
        )
        outcomes.append(outcome)
        if outcome.delivers:
            break
    return Analysis(destination, plans, outcomes, decide_destination(destination, outcomes))


def secure_tlsa(*records: TlsaRecord) -> TlsaLookup:
    """A DNSSEC-secure TLSA RRset."""
    return TlsaLookup(SECURE, records)


def dane_host(
    pki: Pki, *records: TlsaRecord, chain: Sequence[x509.Certificate] = (), name: str = MX1
) -> Host:
    """Host ``name`` with secure addresses, ``records`` at its own name, presenting ``chain``."""
    return Host(tlsa={name: secure_tlsa(*records)}, chain=chain or pki.chain)


def single_host_verdict(pki: Pki, host: Host) -> Verdict:
    """The verdict for MX1 alone behind a secure MX RRset."""
    analysis = analyze(mx(MX1), {MX1: host})
    assert len(analysis.outcomes) == 1
    return analysis.outcomes[0].verdict


# --- the per-destination / per-host decision table (dane-smtp-decisions.json) ------------------

DECISIONS: dict[str, Callable[[Pki], Verdict]] = {}
NOT_MODELLED = {
    "mx-insecure-mandatory": "no destination is configured for mandatory DANE (RFC 7672 §6)",
    "ta-nexthop-name-insecure-mx": "DANE is never applied after an insecure MX lookup, so "
    "there is no DANE-TA name check to fail (see mx-insecure-opportunistic)",
    "address-literal": "the caller never does DNS or DANE for an address-literal next hop",
    "audit-only": "there is no audit-only mode",
}


def decision(case_id: str) -> Callable[[Callable[[Pki], Verdict]], Callable[[Pki], Verdict]]:
    """Register the scenario for one case of the decision table; it returns the verdict."""

    def register(scenario: Callable[[Pki], Verdict]) -> Callable[[Pki], Verdict]:
        DECISIONS[case_id] = scenario
        return scenario

    return register


@decision("mx-fail")
def _mx_fail(pki: Pki) -> Verdict:
    analysis = analyze(DestinationMx(FAILED), {})
    assert analysis.destination.hosts == ()
    assert analysis.decision.disposition is Disposition.DEFERRED
    return analysis.decision.verdict


@decision("mx-bogus")
def _mx_bogus(pki: Pki) -> Verdict:
    analysis = analyze(DestinationMx(BOGUS, (MxRecord(10, MX1),)), {})
    assert analysis.destination.hosts == ()
    assert analysis.decision.disposition is Disposition.DEFERRED
    return analysis.decision.verdict


@decision("mx-indeterminate")
def _mx_indeterminate(pki: Pki) -> Verdict:
    # The resolver layer reports RFC 4035 "indeterminate" as BOGUS (LookupSecurity's contract).
    return _mx_bogus(pki)


@decision("mx-insecure-opportunistic")
def _mx_insecure(pki: Pki) -> Verdict:
    host = dane_host(pki, TlsaRecord(3, 1, 1, bytes(32)))
    analysis = analyze(mx(MX1, security=INSECURE), {MX1: host})
    assert analysis.plans[0].requirement is Requirement.OPPORTUNISTIC_TLS
    assert analysis.decision.disposition is Disposition.DELIVERED
    return analysis.decision.verdict


@decision("mx-nodata")
def _mx_nodata(pki: Pki) -> Verdict:
    domain_leaf = leaf(pki.intermediate, DOMAIN).certificate
    host = Host(
        tlsa={DOMAIN: secure_tlsa(tlsa(pki.intermediate.certificate, "2 0 1"))},
        chain=[domain_leaf, pki.intermediate.certificate],
    )
    analysis = analyze(DestinationMx(SECURE), {DOMAIN: host})
    assert analysis.destination.implicit_mx
    assert analysis.destination.hosts == (DOMAIN,)
    assert analysis.plans[0].tlsa_base == DOMAIN
    assert analysis.plans[0].reference_identifiers == (DOMAIN,)
    return analysis.decision.verdict


@decision("null-mx")
def _null_mx(pki: Pki) -> Verdict:
    analysis = analyze(DestinationMx(SECURE, (MxRecord(0, "."),)), {})
    assert analysis.decision.disposition is Disposition.BOUNCED
    assert status_code_for(analysis.decision.verdict, NOW, NOW) == "5.1.10"
    return analysis.decision.verdict


@decision("mx-pref")
def _mx_pref(pki: Pki) -> Verdict:
    without_tlsa = Host()
    with_tlsa = dane_host(pki, tlsa(pki.leaf.certificate, "3 1 1"))
    analysis = analyze(
        DestinationMx(SECURE, (MxRecord(20, MX2), MxRecord(10, MX1))),
        {MX1: without_tlsa, MX2: with_tlsa},
    )
    assert analysis.destination.hosts == (MX1, MX2)
    assert analysis.decision.host_outcome is not None
    assert analysis.decision.host_outcome.host == MX1
    return analysis.decision.verdict


@decision("host-addr-fail")
def _host_addr_fail(pki: Pki) -> Verdict:
    failing = Host(addresses=HostAddresses(FAILED))
    analysis = analyze(mx(MX1, MX2), {MX1: failing, MX2: Host()})
    assert [outcome.verdict for outcome in analysis.outcomes] == [
        Verdict.DNS_QUERY_FAILED,
        Verdict.NO_TLSA,
    ]
    assert analysis.decision.disposition is Disposition.DELIVERED
    alone = analyze(mx(MX1), {MX1: failing})
    assert alone.decision.disposition is Disposition.DEFERRED
    return alone.decision.verdict


@decision("host-addr-insecure")
def _host_addr_insecure(pki: Pki) -> Verdict:
    insecure = Host(
        addresses=HostAddresses(INSECURE, ("192.0.2.25",)),
        tlsa={MX1: secure_tlsa(TlsaRecord(3, 1, 1, bytes(32)))},
    )
    destination = resolve_destination(DOMAIN, mx(MX1))
    assert tlsa_base_candidates(destination, MX1, insecure.addresses) == ()
    return single_host_verdict(pki, insecure)


@decision("host-noaddr")
def _host_noaddr(pki: Pki) -> Verdict:
    return single_host_verdict(pki, Host(addresses=HostAddresses(SECURE)))


@decision("tlsa-usable")
def _tlsa_usable(pki: Pki) -> Verdict:
    failing = dane_host(pki, TlsaRecord(3, 1, 1, bytes(32)))
    passing = dane_host(pki, tlsa(pki.leaf.certificate, "3 1 1"), name=MX2)
    analysis = analyze(mx(MX1, MX2), {MX1: failing, MX2: passing})
    assert [plan.requirement for plan in analysis.plans] == [Requirement.DANE, Requirement.DANE]
    assert [outcome.verdict for outcome in analysis.outcomes] == [
        Verdict.TLSA_INVALID,
        Verdict.PASS,
    ]
    deferred = analyze(mx(MX1), {MX1: failing})
    assert deferred.decision.disposition is Disposition.DEFERRED
    return analysis.decision.verdict


@decision("tlsa-all-unusable")
def _tlsa_all_unusable(pki: Pki) -> Verdict:
    unusable = (
        tlsa(pki.root.certificate, "0 0 1"),
        tlsa(pki.leaf.certificate, "1 1 1"),
        TlsaRecord(3, 1, 1, bytes(16)),
        TlsaRecord(3, 9, 1, bytes(32)),
    )
    tls_works = dane_host(pki, *unusable)
    no_tls = Host(tlsa=tls_works.tlsa, session=SessionOutcome.STARTTLS_NOT_OFFERED)
    analysis = analyze(mx(MX1), {MX1: tls_works})
    assert analysis.plans[0].requirement is Requirement.MANDATORY_TLS
    assert analysis.plans[0].tlsa_base == MX1
    assert single_host_verdict(pki, no_tls) is Verdict.STARTTLS_NOT_SUPPORTED
    assert analysis.decision.disposition is Disposition.DELIVERED
    return analysis.decision.verdict


@decision("tlsa-insecure")
def _tlsa_insecure(pki: Pki) -> Verdict:
    host = Host(tlsa={MX1: TlsaLookup(INSECURE, (TlsaRecord(3, 1, 1, bytes(32)),))})
    return single_host_verdict(pki, host)


@decision("tlsa-denied")
def _tlsa_denied(pki: Pki) -> Verdict:
    return single_host_verdict(pki, Host(tlsa={MX1: TlsaLookup(SECURE)}))


@decision("tlsa-bogus")
def _tlsa_bogus(pki: Pki) -> Verdict:
    failed = single_host_verdict(pki, Host(tlsa={MX1: TlsaLookup(FAILED)}))
    assert failed is Verdict.DNSSEC_INVALID
    return single_host_verdict(pki, Host(tlsa={MX1: TlsaLookup(BOGUS)}))


@decision("no-starttls")
def _no_starttls(pki: Pki) -> Verdict:
    records = dane_host(pki, tlsa(pki.leaf.certificate, "3 1 1")).tlsa
    handshake_failed = Host(tlsa=records, session=SessionOutcome.TLS_HANDSHAKE_FAILED)
    assert single_host_verdict(pki, handshake_failed) is Verdict.STARTTLS_NOT_SUPPORTED
    return single_host_verdict(pki, Host(tlsa=records, session=SessionOutcome.STARTTLS_NOT_OFFERED))


@decision("ee-ignores-name-and-date")
def _ee_ignores_name_and_date(pki: Pki) -> Verdict:
    stale = leaf(
        None,
        "unrelated.example.net",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=90),
    ).certificate
    return single_host_verdict(pki, dane_host(pki, tlsa(stale, "3 1 1"), chain=[stale]))


@decision("ee-mismatch")
def _ee_mismatch(pki: Pki) -> Verdict:
    return single_host_verdict(pki, dane_host(pki, TlsaRecord(3, 1, 1, bytes(32))))


@decision("ta-name-mismatch")
def _ta_name_mismatch(pki: Pki) -> Verdict:
    other = leaf(pki.intermediate, "mail.example.net").certificate
    host = dane_host(
        pki,
        tlsa(pki.intermediate.certificate, "2 0 1"),
        chain=[other, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("ta-nexthop-name-secure-mx")
def _ta_nexthop_name(pki: Pki) -> Verdict:
    next_hop_only = leaf(pki.intermediate, DOMAIN).certificate
    host = dane_host(
        pki,
        tlsa(pki.intermediate.certificate, "2 0 1"),
        chain=[next_hop_only, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("ta-missing-from-chain")
def _ta_missing_from_chain(pki: Pki) -> Verdict:
    host = dane_host(
        pki,
        tlsa(pki.root.certificate, "2 0 1"),
        chain=[pki.leaf.certificate, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("ta-full-cert-not-sent")
def _ta_full_cert_not_sent(pki: Pki) -> Verdict:
    host = dane_host(
        pki,
        tlsa(pki.root.certificate, "2 0 0"),
        chain=[pki.leaf.certificate, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("ta-expired-leaf")
def _ta_expired_leaf(pki: Pki) -> Verdict:
    expired = leaf(pki.intermediate, MX1, not_after=NOW - timedelta(hours=1)).certificate
    host = dane_host(
        pki,
        tlsa(pki.intermediate.certificate, "2 0 1"),
        chain=[expired, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("ta-wildcard")
def _ta_wildcard(pki: Pki) -> Verdict:
    wildcard = leaf(pki.intermediate, "*.example.com").certificate
    host = dane_host(
        pki,
        tlsa(pki.intermediate.certificate, "2 0 1"),
        chain=[wildcard, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("ta-partial-wildcard")
def _ta_partial_wildcard(pki: Pki) -> Verdict:
    partial = leaf(pki.intermediate, "mx*.example.com").certificate
    host = dane_host(
        pki,
        tlsa(pki.intermediate.certificate, "2 0 1"),
        chain=[partial, pki.intermediate.certificate],
    )
    return single_host_verdict(pki, host)


@decision("agility")
def _agility(pki: Pki) -> Verdict:
    sha256 = tlsa(pki.leaf.certificate, "3 1 1")
    wrong_sha512 = TlsaRecord(3, 1, 2, bytes(64))
    full = tlsa(pki.leaf.certificate, "3 1 0")
    analysis = analyze(mx(MX1), {MX1: dane_host(pki, sha256, wrong_sha512, full)})
    assert analysis.plans[0].records == (wrong_sha512, full)
    assert single_host_verdict(pki, dane_host(pki, sha256, wrong_sha512)) is Verdict.TLSA_INVALID
    return analysis.decision.verdict


@decision("malformed-plus-good")
def _malformed_plus_good(pki: Pki) -> Verdict:
    good = tlsa(pki.leaf.certificate, "3 1 1")
    analysis = analyze(mx(MX1), {MX1: dane_host(pki, TlsaRecord(3, 1, 1, good.data[:16]), good)})
    assert analysis.plans[0].records == (good,)
    return analysis.decision.verdict


@decision("sni")
def _sni(pki: Pki) -> Verdict:
    target = "smtp.provider.example"
    aliased = Host(
        addresses=HostAddresses(SECURE, ("192.0.2.25",), target, canonical_name_secure=True),
        tlsa={target: secure_tlsa(tlsa(pki.leaf.certificate, "3 1 1"))},
        chain=pki.chain,
    )
    analysis = analyze(mx(MX1), {MX1: aliased})
    assert analysis.plans[0].tlsa_base == target
    assert analysis.plans[0].reference_identifiers[0] == target
    return analysis.decision.verdict


DECISION_CASES = load_vector("dane-smtp-decisions.json")["cases"]
EXPECTED_VERDICTS = {
    "mx-fail": Verdict.DNS_QUERY_FAILED,
    "mx-bogus": Verdict.DNSSEC_INVALID,
    "mx-indeterminate": Verdict.DNSSEC_INVALID,
    "mx-insecure-opportunistic": Verdict.DANE_NOT_APPLICABLE,
    "mx-nodata": Verdict.PASS,
    "null-mx": Verdict.NULL_MX,
    "mx-pref": Verdict.NO_TLSA,
    "host-addr-fail": Verdict.DNS_QUERY_FAILED,
    "host-addr-insecure": Verdict.DANE_NOT_APPLICABLE,
    "host-noaddr": Verdict.HOST_NOT_FOUND,
    "tlsa-usable": Verdict.PASS,
    "tlsa-all-unusable": Verdict.UNAUTHENTICATED_TLS,
    "tlsa-insecure": Verdict.NO_TLSA,
    "tlsa-denied": Verdict.NO_TLSA,
    "tlsa-bogus": Verdict.DNSSEC_INVALID,
    "no-starttls": Verdict.STARTTLS_NOT_SUPPORTED,
    "ee-ignores-name-and-date": Verdict.PASS,
    "ee-mismatch": Verdict.TLSA_INVALID,
    "ta-name-mismatch": Verdict.CERTIFICATE_HOST_MISMATCH,
    "ta-nexthop-name-secure-mx": Verdict.PASS,
    "ta-missing-from-chain": Verdict.TLSA_INVALID,
    "ta-full-cert-not-sent": Verdict.PASS,
    "ta-expired-leaf": Verdict.CERTIFICATE_EXPIRED,
    "ta-wildcard": Verdict.PASS,
    "ta-partial-wildcard": Verdict.CERTIFICATE_HOST_MISMATCH,
    "agility": Verdict.PASS,
    "malformed-plus-good": Verdict.PASS,
    "sni": Verdict.PASS,
}


def test_every_decision_case_is_modelled_or_explained() -> None:
    ids = {case["id"] for case in DECISION_CASES}

    assert set(DECISIONS) == set(EXPECTED_VERDICTS)
    assert ids == set(DECISIONS) | set(NOT_MODELLED)
    assert not set(DECISIONS) & set(NOT_MODELLED)


@pytest.mark.parametrize(
    "case", [case for case in DECISION_CASES if case["id"] in DECISIONS], ids=lambda c: c["id"]
)
def test_decision_table(case: Any) -> None:
    verdict = DECISIONS[case["id"]](standard_pki())

    assert verdict is EXPECTED_VERDICTS[case["id"]]
    if case.get("tlsrpt"):
        assert verdict.info.tlsrpt_result_type == case["tlsrpt"].split(" ")[0]
    codes = re.match(r"4/5\.(\d+\.\d+)", case.get("exo", ""))
    if codes:
        assert verdict.info.temporary_code == f"4.{codes[1]}"
        assert verdict.info.permanent_code == f"5.{codes[1]}"


# --- TLSA base domain (dane-tlsa-base-domain.json, mox GatherTLSA) -----------------------------

BASE_DOMAIN = load_vector("dane-tlsa-base-domain.json")
LIST0 = (TlsaRecord(3, 1, 1, bytes(range(32))),)
LIST1 = (TlsaRecord(3, 0, 1, bytes(range(1, 33))),)
MOX_TLSA_DNS = {
    "_25._tcp.host0.example": TlsaLookup(SECURE, LIST0),
    "_25._tcp.host1.example": TlsaLookup(SECURE, LIST1),
    "_25._tcp.inauthentic.example": TlsaLookup(INSECURE, LIST1),
    "_25._tcp.temperror-cname.example": TlsaLookup(FAILED),
    "_25._tcp.cname.example": TlsaLookup(SECURE, LIST1),
    "_25._tcp.cnameloop.example": TlsaLookup(FAILED),
    "_25._tcp.cname-to-inauthentic.example": TlsaLookup(INSECURE, LIST1),
    "_25._tcp.danglingcname.example": TlsaLookup(SECURE),
}
"""The vector's DNS as our resolver layer would report it (CNAMEs followed, loops failed)."""


def test_the_canned_tlsa_dns_is_the_vectors() -> None:
    assert set(MOX_TLSA_DNS) == set(BASE_DOMAIN["mox_GatherTLSA"]["dns"])


@pytest.mark.parametrize(
    "case",
    BASE_DOMAIN["mox_GatherTLSA"]["cases"],
    ids=lambda c: f"{c['host']}-{c['expanded']}-{c['expanded_secure']}",
)
def test_mox_tlsa_base_domain_cases(case: Any) -> None:
    destination = resolve_destination(DOMAIN, mx(case["host"]))
    addresses = HostAddresses(
        SECURE, ("192.0.2.1",), case["expanded"], canonical_name_secure=case["expanded_secure"]
    )
    candidates = tlsa_base_candidates(destination, case["host"], addresses)

    selection = select_tlsa_rrset((name, MOX_TLSA_DNS[f"_25._tcp.{name}"]) for name in candidates)

    if "error" in case:
        assert selection.outcome is TlsaOutcome.ERROR
        assert selection.security is FAILED
    elif case["records"] is None:
        assert selection == TlsaSelection(TlsaOutcome.NONE)
    else:
        assert selection.outcome is TlsaOutcome.RECORDS
        assert selection.records == {"list0": LIST0, "list1": LIST1}[case["records"]]
        assert selection.base == case["base"]
    assert (selection.outcome is not TlsaOutcome.NONE) is case["dane_required"]


def test_tlsa_lookups_stop_at_the_first_decisive_candidate() -> None:
    asked: list[str] = []

    def lookups() -> Any:
        for name, lookup in (("first.example", TlsaLookup(SECURE, LIST0)), ("never.example", None)):
            asked.append(name)
            yield name, lookup

    assert select_tlsa_rrset(lookups()).base == "first.example"
    assert asked == ["first.example"]


def test_an_error_at_the_expanded_name_makes_the_host_unusable() -> None:
    selection = select_tlsa_rrset(
        [("expanded.example", TlsaLookup(BOGUS)), ("host.example", TlsaLookup(SECURE, LIST0))]
    )

    assert selection == TlsaSelection(TlsaOutcome.ERROR, base="expanded.example", security=BOGUS)


# --- destinations (mox GatherDestinations) -----------------------------------------------------

GATHER_EXPECTED: dict[str, tuple[DestinationMx, Verdict | None, tuple[str, ...], bool]] = {
    "basic.example": (
        DestinationMx(SECURE, (MxRecord(10, "mail.basic.example"),)),
        None,
        ("mail.basic.example",),
        True,
    ),
    "justhost.example": (DestinationMx(SECURE), None, ("justhost.example",), True),
    "cname.example": (
        DestinationMx(
            SECURE, (MxRecord(10, "mail.basic.example"),), canonical_name="basic.example"
        ),
        None,
        ("mail.basic.example",),
        True,
    ),
    "nullmx.example": (DestinationMx(SECURE, (MxRecord(0, "."),)), Verdict.NULL_MX, (), False),
    "temperror-mx.example": (DestinationMx(FAILED), Verdict.DNS_QUERY_FAILED, (), False),
    "cname-to-inauthentic.example": (
        DestinationMx(INSECURE, (MxRecord(10, "mail.basic.example"),)),
        None,
        ("mail.basic.example",),
        False,
    ),
}
"""Per next hop: the MX lookup our resolver layer would report, and the expected step."""
GATHER_NOT_MODELLED = {
    "danglingcname.example": "the resolver reports NXDOMAIN: domain-not-found at once, where "
    "mox defers the discovery to the address lookup of the CNAME target",
    "cnameloop.example": "CNAME loops and chain limits are the resolver layer's",
    "cnamelimit1.example": "CNAME loops and chain limits are the resolver layer's",
    "10.0.0.1": "address literals never reach the MX step",
}
GATHER_CASES = BASE_DOMAIN["mox_GatherDestinations"]["cases"]


def test_every_destination_case_is_modelled_or_explained() -> None:
    nexthops = {case["nexthop"] for case in GATHER_CASES}

    assert nexthops == set(GATHER_EXPECTED) | set(GATHER_NOT_MODELLED)


@pytest.mark.parametrize(
    "case",
    [case for case in GATHER_CASES if case["nexthop"] in GATHER_EXPECTED],
    ids=lambda case: case["nexthop"],
)
def test_mox_destination_cases(case: Any) -> None:
    lookup, verdict, hosts, mx_secure = GATHER_EXPECTED[case["nexthop"]]

    destination = resolve_destination(case["nexthop"], lookup)

    assert destination.verdict is verdict
    assert destination.hosts == hosts
    assert destination.mx_secure is mx_secure
    if isinstance(case.get("hosts"), list):
        assert list(destination.hosts) == case["hosts"]
    if "effective_domain" in case:
        assert (destination.canonical_name or destination.domain) == case["effective_domain"]
    if case.get("result", "").startswith("permanent"):
        assert decide_destination(destination, []).disposition is Disposition.BOUNCED
    if case.get("result", "").startswith("temporary"):
        assert decide_destination(destination, []).disposition is Disposition.DEFERRED


def test_expanded_next_hop_is_a_reference_identifier() -> None:
    destination = resolve_destination("cname.example", GATHER_EXPECTED["cname.example"][0])
    selection = TlsaSelection(TlsaOutcome.RECORDS, "mail.basic.example", LIST0)

    plan = plan_host(destination, "mail.basic.example", ADDRESSES, selection)

    assert plan.reference_identifiers == ("mail.basic.example", "cname.example", "basic.example")


# --- MX step details ---------------------------------------------------------------------------


def test_nxdomain_bounces_at_once() -> None:
    destination = resolve_destination(DOMAIN, DestinationMx(SECURE, domain_exists=False))
    decision = decide_destination(destination, [])

    assert destination.verdict is Verdict.DOMAIN_NOT_FOUND
    assert decision.disposition is Disposition.BOUNCED
    assert status_code_for(decision.verdict, NOW, NOW) == "5.4.310"


def test_mx_hosts_are_ordered_by_preference_and_deduplicated() -> None:
    records = (
        MxRecord(30, "C.example.com."),
        MxRecord(10, "b.example.com"),
        MxRecord(20, "a.example.com"),
        MxRecord(5, "c.example.com"),
        MxRecord(0, "."),
    )

    destination = resolve_destination("Example.COM.", DestinationMx(SECURE, records))

    assert destination.domain == "example.com"
    assert destination.hosts == ("c.example.com", "b.example.com", "a.example.com")


def test_equal_preferences_keep_the_answer_order() -> None:
    records = (MxRecord(10, "b.example.com"), MxRecord(10, "a.example.com"))

    assert resolve_destination(DOMAIN, DestinationMx(SECURE, records)).hosts == (
        "b.example.com",
        "a.example.com",
    )


# --- host details ------------------------------------------------------------------------------


def test_bogus_address_records_skip_the_host() -> None:
    destination = resolve_destination(DOMAIN, mx(MX1))

    plan = plan_host(destination, MX1, HostAddresses(BOGUS))

    assert (plan.requirement, plan.verdict) == (Requirement.SKIP, Verdict.DNSSEC_INVALID)


def test_insecure_alias_expansion_leaves_only_the_original_name() -> None:
    destination = resolve_destination(DOMAIN, mx(MX1))
    addresses = HostAddresses(SECURE, ("192.0.2.1",), "target.example.net", False)

    assert tlsa_base_candidates(destination, MX1, addresses) == (MX1,)


def test_plan_needs_the_tlsa_selection_when_dane_may_apply() -> None:
    destination = resolve_destination(DOMAIN, mx(MX1))

    with pytest.raises(ValueError, match="select its TLSA RRset first"):
        plan_host(destination, MX1, ADDRESSES)


def test_connection_failure_is_its_own_verdict() -> None:
    destination = resolve_destination(DOMAIN, mx(MX1))
    plan = plan_host(destination, MX1, ADDRESSES, TlsaSelection(TlsaOutcome.RECORDS, MX1, LIST0))

    outcome = host_outcome(plan, SessionOutcome.CONNECTION_FAILED, address="192.0.2.25")

    assert outcome.verdict is Verdict.CONNECTION_FAILED
    assert outcome.address == "192.0.2.25"
    assert not outcome.delivers


def test_opportunistic_host_delivers_even_without_starttls() -> None:
    destination = resolve_destination(DOMAIN, mx(MX1))
    plan = plan_host(destination, MX1, ADDRESSES, TlsaSelection(TlsaOutcome.NONE))

    outcome = host_outcome(plan, SessionOutcome.STARTTLS_NOT_OFFERED)

    assert outcome.verdict is Verdict.NO_TLSA
    assert outcome.delivers
    assert "sent in clear" in outcome.reason


def test_dane_plan_needs_a_session_and_a_verification() -> None:
    destination = resolve_destination(DOMAIN, mx(MX1))
    plan = plan_host(destination, MX1, ADDRESSES, TlsaSelection(TlsaOutcome.RECORDS, MX1, LIST0))

    with pytest.raises(ValueError, match="needs the outcome of an SMTP session"):
        host_outcome(plan)
    with pytest.raises(ValueError, match="needs the verification of its chain"):
        host_outcome(plan, SessionOutcome.TLS_ESTABLISHED)


def test_a_destination_with_hosts_needs_their_outcomes() -> None:
    with pytest.raises(ValueError, match=r"No host of example\.com was tried"):
        decide_destination(resolve_destination(DOMAIN, mx(MX1)), [])


def test_when_every_host_fails_the_last_one_tried_gives_the_verdict() -> None:
    pki = standard_pki()
    first = dane_host(pki, tlsa(pki.leaf.certificate, "3 1 1"))
    second = dane_host(pki, TlsaRecord(3, 1, 1, bytes(32)), name=MX2)
    first_without_tls = Host(tlsa=first.tlsa, session=SessionOutcome.STARTTLS_NOT_OFFERED)

    analysis = analyze(mx(MX1, MX2), {MX1: first_without_tls, MX2: second})

    assert [outcome.verdict for outcome in analysis.outcomes] == [
        Verdict.STARTTLS_NOT_SUPPORTED,
        Verdict.TLSA_INVALID,
    ]
    assert analysis.decision.disposition is Disposition.DEFERRED
    assert analysis.decision.verdict is Verdict.TLSA_INVALID
    assert analysis.decision.host_outcome == analysis.outcomes[-1]
    assert "the last one tried, mx2.example.com" in analysis.decision.reason


# --- the DNS scenarios of mox's DANE dialer (dane-verify-scenarios.json) -----------------------

MOX = mox_pki()
MOX_CORRECT = tlsa(MOX.leaf.certificate, "3 1 1")
MOX_CHAIN = [MOX.leaf.certificate, MOX.ca.certificate]
MOX_DNS_SCENARIOS: dict[str, tuple[Host, Verdict, str | None]] = {
    "TLSA answer insecure": (
        Host(tlsa={"localhost": TlsaLookup(INSECURE, (MOX_CORRECT,))}, chain=MOX_CHAIN),
        Verdict.NO_TLSA,
        None,
    ),
    "host CNAME insecure": (
        Host(
            addresses=HostAddresses(INSECURE, ("127.0.0.1",), "example"),
            tlsa={"localhost": secure_tlsa(MOX_CORRECT)},
            chain=MOX_CHAIN,
        ),
        Verdict.DANE_NOT_APPLICABLE,
        None,
    ),
    "none": (Host(chain=MOX_CHAIN), Verdict.NO_TLSA, None),
    "localhost CNAME example1 (insecure) CNAME example2; TLSA at both original (3 1 1 "
    "correct) and example2 (2 0 1 zeros)": (
        Host(
            addresses=HostAddresses(SECURE, ("127.0.0.1",), "example2", False),
            tlsa={
                "localhost": secure_tlsa(MOX_CORRECT),
                "example2": secure_tlsa(TlsaRecord(2, 0, 1, bytes(32))),
            },
            chain=MOX_CHAIN,
        ),
        Verdict.PASS,
        "localhost",
    ),
    "localhost CNAME example (secure); TLSA only at _port._tcp.example = 2 0 1 sha256(CA)": (
        Host(
            addresses=HostAddresses(SECURE, ("127.0.0.1",), "example", True),
            tlsa={"example": secure_tlsa(tlsa(MOX.ca.certificate, "2 0 1"))},
            chain=MOX_CHAIN,
        ),
        Verdict.PASS,
        "example",
    ),
    "localhost CNAME example (secure); TLSA only at original name": (
        Host(
            addresses=HostAddresses(SECURE, ("127.0.0.1",), "example", True),
            tlsa={"localhost": secure_tlsa(tlsa(MOX.ca.certificate, "2 0 1"))},
            chain=MOX_CHAIN,
        ),
        Verdict.PASS,
        "localhost",
    ),
}


def _dns_scenario_key(case: Any) -> str:
    """The key of a DNS scenario: its ``dns`` text, or ``none`` for the no-records case."""
    return str(case["dns"] if "dns" in case else case["tlsa"])


MOX_DNS_CASES = [
    case
    for case in load_vector("dane-verify-scenarios.json")["cases"]
    if "dns" in case or case["tlsa"] == "none"
]


def test_every_dns_scenario_is_modelled() -> None:
    assert {_dns_scenario_key(case) for case in MOX_DNS_CASES} == set(MOX_DNS_SCENARIOS)


@pytest.mark.parametrize("case", MOX_DNS_CASES, ids=lambda case: _dns_scenario_key(case)[:50])
def test_mox_dns_scenarios(case: Any) -> None:
    host, verdict, base = MOX_DNS_SCENARIOS[_dns_scenario_key(case)]

    analysis = analyze(mx("localhost"), {"localhost": host}, domain="localhost.example")

    assert analysis.outcomes[0].verdict is verdict, analysis.outcomes[0].reason
    assert analysis.plans[0].tlsa_base == base
    assert case["expect"].startswith("ok") is (verdict is Verdict.PASS)


def test_dane_ta_at_a_cname_target_still_checks_names() -> None:
    other_ca = ca("other ca")
    server = leaf(other_ca, "unrelated.example").certificate
    host = Host(
        addresses=HostAddresses(SECURE, ("127.0.0.1",), "example", True),
        tlsa={"example": secure_tlsa(tlsa(other_ca.certificate, "2 0 1"))},
        chain=[server, other_ca.certificate],
    )

    analysis = analyze(mx("localhost"), {"localhost": host}, domain="localhost.example")

    assert analysis.outcomes[0].verdict is Verdict.CERTIFICATE_HOST_MISMATCH
