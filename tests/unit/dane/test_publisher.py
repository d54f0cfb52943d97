"""RFC 7671 §8 checks of the RRset a provider publishes, driven by tlsa-publisher-checks.json."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from cryptography import x509

from dnsops.dane.tlsa import TlsaRecord, tlsa_for_certificate
from dnsops.inbound.publisher import (
    PublisherFinding,
    check_published_rrset,
    earliest_key_switch,
    overall_status,
)
from dnsops.severity import SectionStatus, Severity
from tests.unit.dane.pki import NOW, ca, issue, leaf, load_vector, new_key

MX = "mx1.example.net"
CHECKS = load_vector("tlsa-publisher-checks.json")
RRSET_CASES = [case for case in CHECKS["cases"] if "rrset" in case]


@dataclass(frozen=True)
class Deployment:
    """The certificates the vector's names stand for."""

    k1: x509.Certificate
    k2: x509.Certificate
    ta: x509.Certificate
    ta_leaf: x509.Certificate
    ta_new: x509.Certificate


@cache
def deployment() -> Deployment:
    """K1/K2: current and next self-signed keys; TA: the issuing CA of ta_leaf; TA_new: another."""
    trust_anchor = ca("Provider CA")
    return Deployment(
        k1=leaf(None, MX).certificate,
        k2=leaf(None, MX).certificate,
        ta=trust_anchor.certificate,
        ta_leaf=leaf(trust_anchor, MX).certificate,
        ta_new=ca("Provider CA 2").certificate,
    )


def record(text: str) -> TlsaRecord:
    """A vector record such as ``3 1 1 K1``: the parameters for the named certificate."""
    usage, selector, matching_type, name = text.split()
    if name == "X":
        return TlsaRecord(int(usage), int(selector), int(matching_type), bytes(32))
    certificate = getattr(deployment(), name.lower())
    return tlsa_for_certificate(certificate, int(usage), int(selector), int(matching_type))


def current_chain(description: str) -> list[x509.Certificate]:
    """The chain the server presents now, as the vector's ``current`` text describes it."""
    setup = deployment()
    if description.startswith("leaf issued by TA, server sends leaf only"):
        return [setup.ta_leaf]
    if description.startswith("leaf for mx1.example.net issued by TA"):
        return [setup.ta_leaf, setup.ta]
    return [setup.k1]


def check(case: Any) -> list[PublisherFinding]:
    """Run the checks for one vector case; K2, when published, is the next key."""
    next_chain = [deployment().k2] if any(text.endswith("K2") for text in case["rrset"]) else []
    return check_published_rrset(
        [record(text) for text in case["rrset"]],
        current_chain=current_chain(case["current"]),
        next_chain=next_chain,
        mx_host=MX,
        now=NOW,
    )


@pytest.mark.parametrize("case", RRSET_CASES, ids=lambda case: " + ".join(case["rrset"]))
def test_publisher_vectors(case: Any) -> None:
    expected = {
        "ok": SectionStatus.PASSED,
        "WARN": SectionStatus.WARNING,
        "FAIL": SectionStatus.FAILED,
    }[case["verdict"].split(" ")[0].rstrip(":")]

    findings = check(case)

    assert overall_status(findings) is expected, findings


def test_a_combination_matching_only_another_chain_names_the_records() -> None:
    case = next(case for case in RRSET_CASES if case["rrset"] == ["3 1 1 K1", "2 0 1 TA_new"])

    findings = check(case)

    assert [finding.severity for finding in findings] == [Severity.ERROR]
    assert findings[0].records == (record("2 0 1 TA_new").to_text(),)
    assert "No 2 0 1 record authenticates the chain" in findings[0].message


def test_digest_coverage_warning_says_which_chains_each_digest_covers() -> None:
    case = next(case for case in RRSET_CASES if len(case["rrset"]) == 3)

    findings = check(case)

    assert len(findings) == 1
    assert "matching type 1 covers the current and next chain(s)" in findings[0].message
    assert "matching type 2 covers the current chain(s)" in findings[0].message


def test_pkix_and_malformed_records_are_warned_about_individually() -> None:
    good = record("3 1 1 K1")
    pkix = record("0 0 1 X")
    short = TlsaRecord(3, 1, 1, bytes(16))

    findings = check_published_rrset(
        [good, pkix, short], current_chain=[deployment().k1], mx_host=MX, now=NOW
    )

    assert [(finding.code, finding.severity, finding.records) for finding in findings] == [
        ("PkixUsagePublished", Severity.WARNING, (pkix.to_text(),)),
        ("UnusableRecord", Severity.WARNING, (short.to_text(),)),
    ]
    assert "PKIX usages" in findings[0].message
    assert "digest is 32 bytes, this one is 16" in findings[1].message


def test_dane_ta_record_fails_when_the_served_leaf_has_expired() -> None:
    trust_anchor = ca("Provider CA 3")
    expired = issue(
        MX,
        issuer=trust_anchor,
        dns_names=(MX,),
        not_before=NOW - timedelta(days=100),
        not_after=NOW - timedelta(days=1),
    ).certificate
    ta_record = tlsa_for_certificate(trust_anchor.certificate, 2, 0, 1)

    findings = check_published_rrset(
        [ta_record], current_chain=[expired, trust_anchor.certificate], mx_host=MX, now=NOW
    )

    assert overall_status(findings) is SectionStatus.FAILED
    assert "expired" in findings[0].message


def test_renewal_with_the_same_key_needs_no_dns_change() -> None:
    key = new_key()
    published = tlsa_for_certificate(issue(MX, key=key).certificate)
    renewed = issue(MX, key=key, not_after=NOW + timedelta(days=400)).certificate

    assert check_published_rrset([published], current_chain=[renewed], mx_host=MX, now=NOW) == []


def test_earliest_key_switch_is_two_ttls_after_publication() -> None:
    timing = next(case for case in CHECKS["cases"] if "ttl_s" in case.get("timing", {}))
    published = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    switch = earliest_key_switch(published, timedelta(seconds=timing["timing"]["ttl_s"]))

    assert switch == published + timedelta(seconds=7200)
