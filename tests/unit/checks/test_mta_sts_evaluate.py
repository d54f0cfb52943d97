"""The MTA-STS section: TXT outcomes, fetch outcomes, and the policy against the expected host."""

from __future__ import annotations

import pytest

from dnsops.checks.findings import SectionStatus, Severity
from dnsops.checks.mta_sts import (
    POLICY_SIZE_LIMIT,
    FetchOutcome,
    PolicyFetch,
    evaluate_mta_sts,
    is_text_plain,
)
from dnsops.dns.types import LookupStatus, TxtLookup
from tests.unit.checks.support import (
    DOMAIN,
    EXPECTED,
    NOW,
    PARTITION_PATTERN,
    load_vectors,
    txt_answer,
)

TXT = txt_answer("v=STSv1; id=20250101T000000;")
POLICY_URL = f"https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt"
NEW_ID = "20250601T120000"


def served(body: str | bytes, content_type: str | None = "text/plain", status: int = 200):
    data = body.encode() if isinstance(body, str) else body
    return PolicyFetch(
        FetchOutcome.RESPONSE, status_code=status, content_type=content_type, body=data
    )


def policy(mode: str, *patterns: str) -> PolicyFetch:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {p}" for p in patterns), "max_age: 86400"]
    return served("\r\n".join(lines) + "\r\n")


def evaluate(txt=TXT, fetch=None, expected=EXPECTED):
    return evaluate_mta_sts(DOMAIN, txt, fetch, expected, now=NOW)


@pytest.mark.parametrize(
    "txt",
    [
        TxtLookup(LookupStatus.NXDOMAIN, authenticated=True),
        TxtLookup(LookupStatus.NODATA),
        txt_answer("v=spf1 -all", "google-site-verification=abc"),
        txt_answer(),
    ],
)
def test_no_mta_sts_is_not_applicable(txt):
    result = evaluate(txt=txt)
    assert result.section.status is SectionStatus.NOT_APPLICABLE
    assert result.section.findings == ()
    assert result.to_dict()["Record"] is None


@pytest.mark.parametrize(
    ("status", "reason_part"),
    [
        (LookupStatus.SERVFAIL, "SERVFAIL"),
        (LookupStatus.TIMEOUT, "did not answer in time"),
        (LookupStatus.REFUSED, "refused"),
        (LookupStatus.UNREADABLE, "could not be read"),
        (LookupStatus.ERROR, "the lookup failed"),
    ],
)
def test_txt_lookup_failure_is_es004_not_absence(status, reason_part):
    result = evaluate(txt=TxtLookup(status))
    assert result.section.status is SectionStatus.WARNING
    assert result.section.codes == ["ES004"]
    assert f"_mta-sts.{DOMAIN}" in result.section.findings[0].message
    assert reason_part in result.section.findings[0].message


@pytest.mark.parametrize(
    ("records", "problem_part"),
    [
        (("v=STSv1; id=a-b;",), 'id "a-b" must be 1 to 32 letters or digits'),
        (("v=STSv1; id=1", "v=STSv1; id=2"), '2 TXT records begin with "v=STSv1"'),
        (("v=STSv2; id=1",), 'does not begin with exactly "v=STSv1;"'),
    ],
)
def test_invalid_txt_is_es003(records, problem_part):
    result = evaluate(txt=txt_answer(*records))
    assert result.section.status is SectionStatus.WARNING
    assert result.section.codes == ["ES003"]
    found = result.section.findings[0]
    assert DOMAIN in found.message
    assert problem_part in found.message
    assert f"v=STSv1; id={NEW_ID};" in found.action
    assert f"_mta-sts.{DOMAIN}" in found.action


def test_valid_txt_needs_the_fetch_outcome():
    with pytest.raises(ValueError, match="policy fetch is needed"):
        evaluate(fetch=None)


@pytest.mark.parametrize(
    ("fetch", "code", "message_part"),
    [
        (
            PolicyFetch(FetchOutcome.HOST_NOT_FOUND),
            "ES005",
            f"mta-sts.{DOMAIN} does not resolve",
        ),
        (
            PolicyFetch(FetchOutcome.CONNECTION_FAILED, detail="connection refused"),
            "ES005",
            "the HTTPS connection failed (connection refused)",
        ),
        (PolicyFetch(FetchOutcome.TIMEOUT), "ES005", "the HTTPS request timed out"),
        (
            PolicyFetch(FetchOutcome.CERTIFICATE_INVALID, detail="certificate has expired"),
            "ES006",
            "certificate has expired",
        ),
        (
            PolicyFetch(FetchOutcome.CERTIFICATE_INVALID),
            "ES006",
            "the certificate could not be validated",
        ),
        (served("not found", status=404), "ES007", "answered HTTP 404 instead of 200"),
        (
            PolicyFetch(
                FetchOutcome.RESPONSE,
                status_code=301,
                detail="Location: https://www.contoso.example/mta-sts.txt",
            ),
            "ES007",
            "HTTP 301 instead of 200 (Location: https://www.contoso.example/mta-sts.txt)",
        ),
        (served("oops", status=500), "ES007", "HTTP 500"),
        (served("x" * (POLICY_SIZE_LIMIT + 1)), "ES008", f"larger than {POLICY_SIZE_LIMIT}"),
        (served("version: STSv1", content_type="text/html"), "ES009", '"text/html"'),
        (served("version: STSv1", content_type=None), "ES009", "no media type"),
        (served(b"version: STSv1\nmode: none\nmax_age: 1\nx: \xff\n"), "ES010", "not UTF-8"),
        (served("version: STSv1\nmode: enforce\nmax_age: 1\n"), "ES010", '"mx" line'),
        (
            served("version: STSv1\nmode: none\nmax_age: 31557601\n"),
            "ES010",
            "line 3: max_age 31557601 is above the RFC 8461 maximum of 31557600",
        ),
    ],
)
def test_policy_not_usable(fetch, code, message_part):
    result = evaluate(fetch=fetch)
    assert result.section.status is SectionStatus.WARNING
    assert result.section.codes == [code]
    found = result.section.findings[0]
    assert DOMAIN in found.message
    assert message_part in found.message
    assert result.record is not None
    assert result.policy is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f"version: STSv1\nmode: enforce\nmx: *.{DOMAIN}\nmax_age: 86400\n\n", "line 5"),
        (f"version: STSv1\nmode: enforce\nmx: *.{DOMAIN}\nmax_age: 31557601\n", "max_age"),
        (f"version: STSv1\nmode: enforce\nmx: *.{DOMAIN}\nmx: bad..name\nmax_age: 1\n", "mx"),
    ],
)
def test_an_invalid_policy_is_still_judged_as_lenient_senders_read_it(body, problem):
    result = evaluate(fetch=served(body))
    assert result.section.codes == ["ES010", "ES001"]  # the syntax, and the missing MX host
    assert problem in result.section.findings[0].message
    assert result.section.status is SectionStatus.FAILED
    assert result.policy is None


def test_policy_of_exactly_the_size_limit_is_read():
    head = "version: STSv1\nmode: none\nmax_age: 1\npadding: "
    body = head + "x" * (POLICY_SIZE_LIMIT - len(head))
    assert len(body) == POLICY_SIZE_LIMIT
    assert evaluate(fetch=served(body)).section.status is SectionStatus.PASSED


MEDIA_TYPES = next(case for case in load_vectors("mta-sts-fetch.json")["cases"] if "cases" in case)


@pytest.mark.parametrize(("content_type", "plain"), MEDIA_TYPES["cases"])
def test_media_type_vectors(content_type, plain):
    assert is_text_plain(content_type) is plain


def test_es001_enforce_without_the_expected_host():
    result = evaluate(fetch=policy("enforce", "contoso-example.mail.protection.provider.test"))
    assert result.section.status is SectionStatus.FAILED
    assert result.section.codes == ["ES001"]
    found = result.section.findings[0]
    assert found.severity is Severity.ERROR
    assert DOMAIN in found.message
    assert EXPECTED in found.message
    assert '"contoso-example.mail.protection.provider.test"' in found.message
    assert "cannot match" not in found.message
    assert f"Edit {POLICY_URL}" in found.action
    assert '"mode: testing"' in found.action
    assert f'"mx: {PARTITION_PATTERN}"' in found.action
    assert f'"mx: {EXPECTED}"' in found.action
    assert f"_mta-sts.{DOMAIN} (now 20250101T000000, for example to {NEW_ID})" in found.action


def test_es001_names_the_one_label_wildcard_pitfall():
    result = evaluate(fetch=policy("enforce", "*.mx.provider.test", "*.provider.test"))
    assert result.section.codes == ["ES001"]
    found = result.section.findings[0]
    assert (
        f'Note: "mx: *.mx.provider.test", "mx: *.provider.test" cannot match {EXPECTED}, '
        'because "*" stands for exactly one label'
    ) in found.message
    assert f'"mx: {PARTITION_PATTERN}"' in found.action


@pytest.mark.parametrize("pattern", [PARTITION_PATTERN, EXPECTED, EXPECTED.upper()])
def test_enforce_with_a_matching_pattern_passes(pattern):
    result = evaluate(fetch=policy("enforce", "legacy.example", pattern))
    assert result.section.status is SectionStatus.PASSED
    assert result.section.findings == ()


def test_es011_testing_without_the_expected_host():
    result = evaluate(fetch=policy("testing", "*.mx.provider.test"))
    assert result.section.status is SectionStatus.WARNING
    assert result.section.codes == ["ES011"]
    found = result.section.findings[0]
    assert "testing mode" in found.message
    assert "cannot match" in found.message
    assert f'"mx: {PARTITION_PATTERN}"' in found.action
    assert NEW_ID in found.action


def test_es012_testing_with_the_expected_host_is_information():
    result = evaluate(fetch=policy("testing", PARTITION_PATTERN))
    assert result.section.status is SectionStatus.PASSED
    assert result.section.codes == ["ES012"]
    assert '"mode: enforce"' in result.section.findings[0].action


def test_mode_none_passes_whatever_the_mx_lines():
    assert evaluate(fetch=policy("none")).section.status is SectionStatus.PASSED
    assert evaluate(fetch=policy("none"), expected=None).section.findings == ()


@pytest.mark.parametrize("mode", ["enforce", "testing"])
def test_es002_policy_but_dnssec_not_enabled(mode):
    result = evaluate(fetch=policy(mode, "legacy.example"), expected=None)
    assert result.section.status is SectionStatus.WARNING
    assert result.section.codes == ["ES002"]
    found = result.section.findings[0]
    assert f"(mode {mode})" in found.message
    assert "Enable DNSSEC" in found.action
    assert POLICY_URL in found.action


def test_to_dict():
    result = evaluate(fetch=policy("enforce", PARTITION_PATTERN))
    assert result.to_dict() == {
        "Status": "Passed",
        "Findings": [],
        "Record": {"Id": "20250101T000000"},
        "Policy": {"Mode": "enforce", "MaxAge": 86400, "Mx": [PARTITION_PATTERN]},
    }
