"""The assembled status result: EG short-circuit, whole scenarios, and the JSON shape."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from dnsops.checks.dnssec import ZoneDnssecEvidence
from dnsops.checks.findings import SectionStatus
from dnsops.checks.mta_sts import FetchOutcome, PolicyFetch
from dnsops.checks.status import DomainGate, Observations, evaluate
from dnsops.dns.types import ExtendedDnsError, LookupStatus, MxLookup, TxtLookup
from tests.unit.checks.support import (
    DOMAIN,
    EXPECTED,
    LEGACY,
    NOW,
    PARTITION_PATTERN,
    PROVIDER,
    addresses,
    mx_answer,
    txt_answer,
)


def policy_fetch(mode: str, pattern: str) -> PolicyFetch:
    body = f"version: STSv1\nmode: {mode}\nmx: {pattern}\nmax_age: 604800\n".encode()
    return PolicyFetch(FetchOutcome.RESPONSE, status_code=200, content_type="text/plain", body=body)


PASSING = Observations(
    observed_at=NOW,
    mx=mx_answer((0, EXPECTED)),
    mx_host_addresses={EXPECTED: (addresses("192.0.2.25"), addresses("2001:db8::25"))},
    zone=ZoneDnssecEvidence(
        dnskey_published=True,
        dnskey_algorithms=(13,),
        ds_at_parent=True,
        ds_digest_types=(2,),
        signature_expirations=(NOW + timedelta(days=20),),
    ),
    mta_sts_txt=txt_answer("v=STSv1; id=20250101T000000;"),
    mta_sts_policy=policy_fetch("enforce", PARTITION_PATTERN),
    tlsrpt_txt=txt_answer("v=TLSRPTv1; rua=mailto:tls@contoso.example"),
)


def run(observations=PASSING, expected=EXPECTED, gate=DomainGate.VERIFIED, feature="enabled"):
    return evaluate(
        DOMAIN,
        gate=gate,
        dnssec_feature_status=feature,
        expected_host=expected,
        observations=observations,
        provider=PROVIDER,
    )


@pytest.mark.parametrize(
    ("gate", "code", "action_part"),
    [
        (DomainGate.NOT_ACCEPTED, "EG001", "POST /api/v1/domains/"),
        (DomainGate.NOT_VERIFIED, "EG002", f"POST /api/v1/domains/{DOMAIN}/verify/"),
    ],
)
def test_domain_gate_stops_the_checks(gate, code, action_part):
    result = run(observations=None, expected=None, gate=gate, feature=None)
    assert [item.code for item in result.findings] == [code]
    assert DOMAIN in result.findings[0].message
    assert action_part in result.findings[0].action
    document = result.to_dict()
    assert document["DomainValidation"]["Status"] == "Failed"
    for key in ("DnsValidation", "MxValidation", "MtaStsValidation", "TlsRpt", "CheckedAt"):
        assert document[key] is None
    json.dumps(document)


def test_verified_domain_needs_observations():
    with pytest.raises(ValueError, match="observations are needed"):
        run(observations=None)


def test_fully_migrated_domain_passes_everything():
    result = run()
    assert result.findings == []
    document = result.to_dict()
    assert document == {
        "Domain": DOMAIN,
        "CheckedAt": "2025-06-01T12:00:00+00:00",
        "DnssecFeatureStatus": "enabled",
        "ExpectedMxRecord": {"Value": EXPECTED, "Preference": 0},
        "DomainValidation": {"Status": "Passed", "Findings": []},
        "DnsValidation": {
            "Status": "Passed",
            "Findings": [],
            "Zone": {
                "Security": "secure",
                "DnskeyPublished": True,
                "DsAtParent": True,
                "EarliestSignatureExpiration": "2025-06-21T12:00:00+00:00",
            },
        },
        "MxValidation": {"Status": "Passed", "Findings": [], "Records": [f"0 {EXPECTED}"]},
        "MtaStsValidation": {
            "Status": "Passed",
            "Findings": [],
            "Record": {"Id": "20250101T000000"},
            "Policy": {"Mode": "enforce", "MaxAge": 604800, "Mx": [PARTITION_PATTERN]},
        },
        "TlsRpt": {
            "Published": True,
            "Valid": True,
            "Rua": ["mailto:tls@contoso.example"],
            "Findings": [],
        },
    }
    assert json.loads(json.dumps(document)) == document


def test_mid_migration_domain():
    """Step 4 done (E at 20 behind the legacy MX), zone unsigned, policy in testing without E."""
    observations = dataclasses.replace(
        PASSING,
        mx=mx_answer((0, LEGACY), (20, EXPECTED), authenticated=False),
        zone=ZoneDnssecEvidence(dnskey_published=False, ds_at_parent=False),
        mta_sts_policy=policy_fetch("testing", "*.mail.protection.provider.test"),
        tlsrpt_txt=TxtLookup(LookupStatus.NXDOMAIN),
    )
    result = run(observations, feature="pending_mx")
    assert result.dns is not None
    assert result.mx is not None
    assert result.mta_sts is not None
    assert result.dns.codes == ["ED003", "ED004"]
    assert result.dns.status is SectionStatus.FAILED
    assert result.mx.codes == ["EX006"]
    assert result.mta_sts.section.codes == ["ES011"]
    assert result.mta_sts.section.status is SectionStatus.WARNING
    assert [item.code for item in result.findings] == [
        "ED003",
        "ED004",
        "EX006",
        "ES011",
        "ET001",
    ]
    assert result.to_dict()["TlsRpt"]["Published"] is False
    assert result.to_dict()["DnssecFeatureStatus"] == "pending_mx"


def test_bogus_zone():
    observations = dataclasses.replace(
        PASSING,
        mx=MxLookup(
            LookupStatus.SERVFAIL,
            extended_errors=(ExtendedDnsError(6), ExtendedDnsError(7, "RRSIG expired")),
        ),
        zone=ZoneDnssecEvidence(dnskey_published=True, ds_at_parent=True),
    )
    result = run(observations)
    assert result.dns is not None
    assert result.mx is not None
    assert result.dns.codes == ["ED001", "ED009"]
    assert "EDE 7 (Signature Expired): RRSIG expired" in result.dns.findings[1].message
    assert result.mx.status is SectionStatus.NOT_APPLICABLE
    assert result.to_dict()["DnsValidation"]["Zone"]["Security"] == "bogus"


def test_other_mx_failure_leaves_dns_not_applicable_and_reports_ex010():
    observations = dataclasses.replace(
        PASSING, mx=MxLookup(LookupStatus.ERROR, detail="rcode NOTIMP")
    )
    result = run(observations)
    assert result.dns is not None
    assert result.mx is not None
    assert result.dns.status is SectionStatus.NOT_APPLICABLE
    assert result.mx.codes == ["EX010"]


def test_dnssec_not_enabled_here():
    observations = dataclasses.replace(PASSING, mx=mx_answer((0, LEGACY), authenticated=False))
    result = run(observations, expected=None, feature="disabled")
    document = result.to_dict()
    assert document["ExpectedMxRecord"] is None
    assert document["MxValidation"]["Findings"][0]["code"] == "EX007"
    assert document["MtaStsValidation"]["Findings"][0]["code"] == "ES002"


def test_expected_host_is_normalized():
    result = run(expected=EXPECTED.upper() + ".")
    assert result.to_dict()["ExpectedMxRecord"] == {"Value": EXPECTED, "Preference": 0}
    assert result.findings == []


def test_tlsrpt_hint_defaults_to_a_mailbox_of_the_domain():
    observations = dataclasses.replace(PASSING, tlsrpt_txt=TxtLookup(LookupStatus.NODATA))
    (absent,) = run(observations).findings
    assert f"rua=mailto:tlsrpt@{DOMAIN}" in absent.action
    hinted = evaluate(
        DOMAIN,
        gate=DomainGate.VERIFIED,
        dnssec_feature_status="enabled",
        expected_host=EXPECTED,
        observations=observations,
        provider=PROVIDER,
        tlsrpt_rua_hint="https://reports.provider.test/v1/tlsrpt",
    )
    assert "rua=https://reports.provider.test/v1/tlsrpt" in hinted.findings[0].action
