"""The ``_smtp._tls`` TLS-RPT record (RFC 8460 §3): vectors and the TLS-RPT report."""

from __future__ import annotations

import pytest

from dnsops.checks.findings import Severity
from dnsops.checks.tlsrpt import evaluate_tlsrpt, read_tlsrpt_txt
from dnsops.dns.types import LookupStatus, TxtLookup
from tests.unit.checks.support import DOMAIN, load_vectors, txt_answer

VECTORS = load_vectors("tlsrpt-txt.json")["cases"]
IDS = [f"case{number}" for number in range(1, len(VECTORS) + 1)]
RUA_HINT = "https://reports.provider.test/tlsrpt/contoso.example"


def as_records(case):
    return [tuple(record) if isinstance(record, list) else record for record in case["records"]]


@pytest.mark.parametrize("case", VECTORS, ids=IDS)
def test_vectors(case):
    reading = read_tlsrpt_txt(as_records(case))
    if case["valid"] is True:
        assert reading.valid, reading.problem
        assert reading.record is not None
        assert list(reading.record.rua) == case["rua"]
    elif case["valid"] == "disputed":
        # Our decision: the ABNF allows white space before ";", and rua fields add up.
        assert reading.valid
        assert reading.record is not None
        assert list(reading.record.rua) == case["rua"]
    elif case["valid"] == "syntax-ok-no-usable-rua":
        assert not reading.valid
        assert reading.record is not None
        assert reading.record.usable_rua == ()
        assert reading.problem == "no rua URI uses mailto: or https:"
    else:
        assert case["valid"] is False
        assert not reading.valid


@pytest.mark.parametrize(
    ("records", "problem_part"),
    [
        (["v=TLSRPTv1"], "the rua field is missing"),
        (["v=TLSRPTv1; rua=noscheme"], 'rua "noscheme" is not a URI'),
        (["v=TLSRPTv1; rua=mailto:a!b@example.com"], "percent-encoded"),
        (["v=TLSRPTv1; rua=mailto:a@x.example other"], 'rua "mailto:a@x.example other"'),
        (["v=TLSRPTv1; rua=a:b", "v=TLSRPTv1; rua=c:d"], '2 TXT records begin with "v=TLSRPTv1"'),
        (["v=TLSRPTv2; rua=mailto:a@example.com"], 'does not begin with exactly "v=TLSRPTv1;"'),
    ],
)
def test_invalid_records_say_why(records, problem_part):
    reading = read_tlsrpt_txt(records)
    assert reading.published
    assert not reading.valid
    assert reading.problem is not None
    assert problem_part in reading.problem


def test_published_and_valid():
    result = evaluate_tlsrpt(
        DOMAIN, txt_answer("v=TLSRPTv1; rua=mailto:tls@contoso.example"), rua_hint=RUA_HINT
    )
    assert result.to_dict() == {
        "Published": True,
        "Valid": True,
        "Rua": ["mailto:tls@contoso.example"],
        "Findings": [],
    }


@pytest.mark.parametrize(
    "txt",
    [TxtLookup(LookupStatus.NXDOMAIN), TxtLookup(LookupStatus.NODATA), txt_answer("v=spf1 -all")],
)
def test_absent_is_et001_information(txt):
    result = evaluate_tlsrpt(DOMAIN, txt, rua_hint=RUA_HINT)
    assert result.published is False
    assert not result.valid
    (found,) = result.findings
    assert found.code == "ET001"
    assert found.severity is Severity.INFO
    assert f"_smtp._tls.{DOMAIN}" in found.message
    assert f'"v=TLSRPTv1; rua={RUA_HINT}"' in found.action


def test_invalid_is_et002_warning():
    result = evaluate_tlsrpt(
        DOMAIN, txt_answer("v=TLSRPTv1; rua=ftp://x.example/r"), rua_hint=RUA_HINT
    )
    assert result.published is True
    assert not result.valid
    assert result.rua == ("ftp://x.example/r",)
    (found,) = result.findings
    assert found.code == "ET002"
    assert found.severity is Severity.WARNING
    assert "no rua URI uses mailto: or https:" in found.message
    assert RUA_HINT in found.action


def test_lookup_failure_is_et003_and_presence_unknown():
    result = evaluate_tlsrpt(DOMAIN, TxtLookup(LookupStatus.TIMEOUT), rua_hint=RUA_HINT)
    assert result.published is None
    assert [item.code for item in result.findings] == ["ET003"]
    assert "did not answer in time" in result.findings[0].message
