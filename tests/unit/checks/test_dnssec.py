"""DNSSEC diagnosis of the customer's zone: signing state, EDE explanations, expiry, crypto."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dnsops.checks.dnssec import (
    EDE_FINDINGS,
    FORBIDDEN_DS_DIGESTS,
    WEAK_SIGNING_ALGORITHMS,
    ZoneDnssecEvidence,
    ZoneSecurity,
    classify_zone,
    diagnose_zone,
)
from dnsops.dns.types import EDE_NAMES, ExtendedDnsError, Lookup, LookupStatus
from tests.unit.checks.support import DOMAIN, NOW, load_vectors

PARAMETERS = load_vectors("dnssec-parameters.json")
SECURE = Lookup(LookupStatus.OK, authenticated=True)
INSECURE = Lookup(LookupStatus.OK, authenticated=False)
SIGNED_ZONE = ZoneDnssecEvidence(
    dnskey_published=True, dnskey_algorithms=(13,), ds_at_parent=True, ds_digest_types=(2,)
)


def servfail(*codes: int, text: str = "") -> Lookup:
    return Lookup(
        LookupStatus.SERVFAIL, extended_errors=tuple(ExtendedDnsError(code, text) for code in codes)
    )


def codes_of(apex: Lookup, evidence: ZoneDnssecEvidence = SIGNED_ZONE) -> list[str]:
    return [item.code for item in diagnose_zone(DOMAIN, apex, evidence, now=NOW).findings]


@pytest.mark.parametrize(
    ("apex", "evidence", "expected"),
    [
        (SECURE, ZoneDnssecEvidence(), ZoneSecurity.SECURE),
        (
            Lookup(LookupStatus.NODATA, authenticated=True),
            ZoneDnssecEvidence(),
            ZoneSecurity.SECURE,
        ),
        (INSECURE, ZoneDnssecEvidence(), ZoneSecurity.INSECURE),
        (servfail(6), ZoneDnssecEvidence(), ZoneSecurity.BOGUS),
        (servfail(), ZoneDnssecEvidence(answers_without_validation=True), ZoneSecurity.BOGUS),
        (servfail(), ZoneDnssecEvidence(answers_without_validation=False), ZoneSecurity.UNKNOWN),
        (servfail(22), ZoneDnssecEvidence(), ZoneSecurity.UNKNOWN),
        (Lookup(LookupStatus.TIMEOUT), ZoneDnssecEvidence(), ZoneSecurity.UNKNOWN),
        (
            Lookup(LookupStatus.NXDOMAIN, authenticated=True),
            ZoneDnssecEvidence(),
            ZoneSecurity.UNKNOWN,
        ),
    ],
)
def test_classify_zone(apex, evidence, expected):
    assert classify_zone(apex, evidence) is expected


def test_secure_zone_has_nothing_to_say():
    diagnosis = diagnose_zone(DOMAIN, SECURE, SIGNED_ZONE, now=NOW)
    assert diagnosis.security is ZoneSecurity.SECURE
    assert diagnosis.findings == ()


@pytest.mark.parametrize(
    ("evidence", "code", "action_part"),
    [
        (ZoneDnssecEvidence(dnskey_published=False, ds_at_parent=False), "ED004", "Turn on DNSSEC"),
        (ZoneDnssecEvidence(), "ED018", "answer DNSKEY queries"),  # the lookup failed
        (ZoneDnssecEvidence(dnskey_published=True, ds_at_parent=False), "ED005", "registrar"),
        (ZoneDnssecEvidence(dnskey_published=True, ds_at_parent=None), "ED018", "answer DS"),
        (ZoneDnssecEvidence(dnskey_published=False, ds_at_parent=None), "ED004", "Turn on"),
        (ZoneDnssecEvidence(dnskey_published=True, ds_at_parent=True), "ED006", "registry"),
    ],
)
def test_insecure_zone_says_which_part_is_missing(evidence, code, action_part):
    diagnosis = diagnose_zone(DOMAIN, INSECURE, evidence, now=NOW)
    assert diagnosis.security is ZoneSecurity.INSECURE
    assert [item.code for item in diagnosis.findings] == [code]
    assert DOMAIN in diagnosis.findings[0].message
    assert action_part in diagnosis.findings[0].action


EDE_CASES = [
    (1, "ED014", "algorithm 13"),
    (2, "ED014", "digest type 2"),
    (3, "ED015", "port 53"),
    (7, "ED009", "Re-sign"),
    (8, "ED010", "clock"),
    (9, "ED011", "key-signing key"),
    (10, "ED012", "signing back on"),
    (11, "ED011", "DNSKEY flags 257"),
    (12, "ED013", "NSEC"),
    (19, "ED015", "port 53"),
    (22, "ED015", "port 53"),
    (23, "ED015", "port 53"),
]


@pytest.mark.parametrize(("info_code", "code", "action_part"), EDE_CASES)
def test_each_extended_dns_error_is_explained(info_code, code, action_part):
    apex = servfail(info_code, text="from unbound")
    diagnosis = diagnose_zone(DOMAIN, apex, SIGNED_ZONE, now=NOW)
    (found,) = diagnosis.findings
    assert found.code == code
    assert DOMAIN in found.message
    assert f"EDE {info_code} ({EDE_NAMES[info_code]}): from unbound" in found.message
    assert action_part in found.action


def test_the_ede_table_covers_exactly_the_cases_above():
    assert {info_code: code for info_code, code, _ in EDE_CASES} == EDE_FINDINGS


@pytest.mark.parametrize(
    ("apex", "evidence", "reason_part"),
    [
        pytest.param(
            servfail(6, text="validation failure <contoso.example. MX IN>"),
            SIGNED_ZONE,
            "EDE 6 (DNSSEC Bogus): validation failure <contoso.example. MX IN>",
            id="ede-6",
        ),
        pytest.param(servfail(5), SIGNED_ZONE, "EDE 5 (DNSSEC Indeterminate)", id="ede-5"),
        pytest.param(
            servfail(0, text="odd"),
            ZoneDnssecEvidence(answers_without_validation=True),
            "EDE 0 (Other Error): odd",
            id="ede-0-with-cd-data",
        ),
        pytest.param(
            servfail(),
            ZoneDnssecEvidence(answers_without_validation=True),
            "answered SERVFAIL",
            id="no-ede-cd-data",
        ),
    ],
)
def test_bogus_without_specific_cause_is_ed008(apex, evidence, reason_part):
    (found,) = diagnose_zone(DOMAIN, apex, evidence, now=NOW).findings
    assert found.code == "ED008"
    assert f"DNSSEC validation of {DOMAIN} fails (bogus)" in found.message
    assert reason_part in found.message
    assert "DS record" in found.action


def test_specific_cause_replaces_the_generic_bogus_finding():
    assert codes_of(servfail(6, 7)) == ["ED009"]
    assert codes_of(servfail(6, 9, 1)) == ["ED011", "ED014"]


def test_ds_without_dnskey_is_inferred_when_bogus():
    evidence = ZoneDnssecEvidence(
        dnskey_published=False, ds_at_parent=True, answers_without_validation=True
    )
    (found,) = diagnose_zone(DOMAIN, servfail(), evidence, now=NOW).findings
    assert found.code == "ED011"
    assert "the parent has a DS record but the zone publishes no DNSKEY" in found.message


def test_unreachable_name_servers_are_not_a_dnssec_problem():
    diagnosis = diagnose_zone(DOMAIN, servfail(22), ZoneDnssecEvidence(), now=NOW)
    assert diagnosis.security is ZoneSecurity.UNKNOWN
    assert [item.code for item in diagnosis.findings] == ["ED015"]


def test_stale_answer_on_a_secure_zone_is_reported():
    apex = Lookup(LookupStatus.OK, authenticated=True, extended_errors=(ExtendedDnsError(3),))
    assert codes_of(apex) == ["ED015"]


def test_servfail_without_evidence_says_nothing_more():
    assert codes_of(servfail(), ZoneDnssecEvidence()) == []
    assert codes_of(Lookup(LookupStatus.TIMEOUT), ZoneDnssecEvidence()) == []


def test_nonexistent_domain_gets_no_diagnosis():
    apex = Lookup(LookupStatus.NXDOMAIN, authenticated=False)
    assert codes_of(apex, ZoneDnssecEvidence(dnskey_algorithms=(5,))) == []


def expiring(*deltas: timedelta) -> ZoneDnssecEvidence:
    return ZoneDnssecEvidence(
        dnskey_published=True,
        ds_at_parent=True,
        signature_expirations=tuple(NOW + delta for delta in deltas),
    )


@pytest.mark.parametrize(
    ("deltas", "code", "message_parts"),
    [
        ((timedelta(days=30),), None, []),
        ((timedelta(days=7, seconds=1),), None, []),
        ((timedelta(days=7),), "ED007", ["2025-06-08 12:00 UTC", "in 7 days", "within 7 days"]),
        ((timedelta(days=3),), "ED007", ["2025-06-04 12:00 UTC", "in 3 days"]),
        ((timedelta(days=1, hours=1),), "ED007", ["in 1 day 1 hour"]),
        ((timedelta(hours=5),), "ED007", ["in 5 hours"]),
        ((timedelta(minutes=30),), "ED007", ["in less than an hour"]),
        ((timedelta(days=20), timedelta(days=2), timedelta(days=9)), "ED007", ["in 2 days"]),
        ((timedelta(0),), "ED009", ["expired at 2025-06-01 12:00 UTC"]),
        ((timedelta(days=20), timedelta(hours=-3)), "ED009", ["expired at 2025-06-01 09:00 UTC"]),
    ],
)
def test_signature_expiry(deltas, code, message_parts):
    diagnosis = diagnose_zone(DOMAIN, SECURE, expiring(*deltas), now=NOW)
    assert diagnosis.earliest_signature_expiration == NOW + min(deltas)
    assert [item.code for item in diagnosis.findings] == ([code] if code else [])
    for part in message_parts:
        assert part in diagnosis.findings[0].message


def test_expiry_window_is_a_parameter():
    evidence = expiring(timedelta(days=10))
    diagnosis = diagnose_zone(DOMAIN, SECURE, evidence, now=NOW, warning_window=timedelta(days=14))
    assert [item.code for item in diagnosis.findings] == ["ED007"]
    assert "within 14 days" in diagnosis.findings[0].message


def test_expired_signature_and_ede_7_give_one_finding():
    evidence = ZoneDnssecEvidence(signature_expirations=(NOW - timedelta(days=1),))
    assert codes_of(servfail(6, 7), evidence) == ["ED009"]


@pytest.mark.parametrize(
    ("evidence", "codes", "message_part"),
    [
        (ZoneDnssecEvidence(dnskey_algorithms=(8, 13, 15), ds_digest_types=(2, 4)), [], ""),
        (ZoneDnssecEvidence(dnskey_algorithms=(5, 13)), ["ED016"], "algorithm 5 (RSASHA1)"),
        (
            ZoneDnssecEvidence(dnskey_algorithms=(7, 10)),
            ["ED016"],
            "7 (RSASHA1-NSEC3-SHA1), 10 (RSASHA512)",
        ),
        (ZoneDnssecEvidence(ds_digest_types=(1, 2)), ["ED017"], "digest type 1 (SHA-1)"),
        (ZoneDnssecEvidence(dnskey_algorithms=(1,), ds_digest_types=(3,)), ["ED016", "ED017"], ""),
    ],
)
def test_weak_algorithms_and_digests(evidence, codes, message_part):
    findings = diagnose_zone(DOMAIN, SECURE, evidence, now=NOW).findings
    assert [item.code for item in findings] == codes
    if message_part:
        assert message_part in findings[0].message


def test_ede_names_match_the_vectors():
    assert {int(code): name for code, name in PARAMETERS["ede_codes_rfc8914"].items()} == EDE_NAMES


def test_weak_algorithms_match_rfc_8624_table():
    weak = {
        number: mnemonic
        for number, mnemonic, signing, _ in PARAMETERS["dnskey_algorithms_rfc8624_s3.1"]
        if signing in ("MUST NOT", "NOT RECOMMENDED")
    }
    assert weak == WEAK_SIGNING_ALGORITHMS


def test_forbidden_digests_match_rfc_8624_table():
    forbidden = {
        row[0] for row in PARAMETERS["ds_digest_types_rfc8624_s3.3"] if row[2] == "MUST NOT"
    }
    assert forbidden == FORBIDDEN_DS_DIGESTS.keys()


def test_diagnosis_to_dict():
    evidence = expiring(timedelta(days=3))
    assert diagnose_zone(DOMAIN, SECURE, evidence, now=NOW).to_dict() == {
        "Security": "secure",
        "DnskeyPublished": True,
        "DsAtParent": True,
        "EarliestSignatureExpiration": "2025-06-04T12:00:00+00:00",
    }
