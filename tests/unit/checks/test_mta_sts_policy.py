"""The MTA-STS policy file (RFC 8461 §3.2): vectors, line endings, max_age bounds, duplicates."""

from __future__ import annotations

import pytest

from dnsops.checks.mta_sts import MAX_AGE_LIMIT, PolicySyntaxError, StsMode, parse_sts_policy
from tests.unit.checks.support import load_vectors

VECTORS = load_vectors("mta-sts-policy.json")["cases"]
IDS = [f"case{number}" for number in range(1, len(VECTORS) + 1)]


@pytest.mark.parametrize("case", VECTORS, ids=IDS)
def test_vectors(case):
    if case["valid"] is True:
        policy = parse_sts_policy(case["body"])
        expect = case.get("expect", {})
        if "mode" in expect:
            assert policy.mode == expect["mode"]
        if "mx" in expect:
            assert list(policy.mx) == expect["mx"]
        if "max_age" in expect:
            assert policy.max_age == expect["max_age"]
        assert dict(policy.extensions) == expect.get("extensions", {})
    else:
        # valid False, and case 30 (max_age above the maximum) which we reject like the peer.
        with pytest.raises(PolicySyntaxError):
            parse_sts_policy(case["body"])


def test_the_undecided_vector_is_rejected_with_the_reason():
    (case,) = [case for case in VECTORS if case["valid"] not in (True, False)]
    with pytest.raises(PolicySyntaxError, match="max_age 31557601 is above the RFC 8461 maximum"):
        parse_sts_policy(case["body"])


LINES = ["version: STSv1", "mode: enforce", "mx: *.o-v1.mx.provider.test", "max_age: 604800"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("\n".join(LINES) + "\n", id="LF"),
        pytest.param("\r\n".join(LINES) + "\r\n", id="CRLF"),
        pytest.param("\n".join(LINES), id="LF, no final terminator"),
        pytest.param("\r\n".join(LINES), id="CRLF, no final terminator"),
        pytest.param(
            "version: STSv1\r\nmode: enforce\nmx: *.o-v1.mx.provider.test\r\nmax_age: 604800\n",
            id="mixed",
        ),
        pytest.param("\n".join(line + " \t" for line in LINES) + "\n", id="trailing white space"),
        pytest.param(
            "version:STSv1\nmode:\tenforce\nmx:*.o-v1.mx.provider.test\nmax_age:604800",
            id="no space after colon",
        ),
    ],
)
def test_line_ending_variants_give_the_same_policy(body):
    policy = parse_sts_policy(body)
    assert policy.mode is StsMode.ENFORCE
    assert policy.mx == ("*.o-v1.mx.provider.test",)
    assert policy.max_age == 604800


@pytest.mark.parametrize(
    ("body", "problem_part"),
    [
        pytest.param("version: STSv1\n\nmode: none\nmax_age: 1\n", "line 2", id="empty line"),
        pytest.param("version: STSv1\nmode: none\nmax_age: 1\n\n", "line 4", id="two final LFs"),
        pytest.param("version: STSv1\rmode: none\rmax_age: 1\r", "version must be", id="CR only"),
        pytest.param(" version: STSv1\nmode: none\nmax_age: 1", "line 1", id="leading space"),
        pytest.param("", 'the "version" line is missing', id="empty body"),
    ],
)
def test_broken_lines(body, problem_part):
    with pytest.raises(PolicySyntaxError, match=problem_part):
        parse_sts_policy(body)


def policy_with_max_age(value: str) -> str:
    return f"version: STSv1\nmode: testing\nmx: mx.example\nmax_age: {value}\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("1", 1),
        ("86400", 86400),
        (str(MAX_AGE_LIMIT), 31557600),
        ("0000000001", 1),
    ],
)
def test_max_age_in_bounds(value, expected):
    assert parse_sts_policy(policy_with_max_age(value)).max_age == expected


@pytest.mark.parametrize(
    ("value", "problem_part"),
    [
        (str(MAX_AGE_LIMIT + 1), "above the RFC 8461 maximum of 31557600"),
        ("9999999999", "above the RFC 8461 maximum"),
        ("00000000001", "1 to 10 digits"),
        ("-1", "1 to 10 digits"),
        ("+1", "1 to 10 digits"),
        ("1.5", "1 to 10 digits"),
        ("1e3", "1 to 10 digits"),
        ("", "1 to 10 digits"),
        ("\u0661", "1 to 10 digits"),
    ],
)
def test_max_age_out_of_bounds(value, problem_part):
    with pytest.raises(PolicySyntaxError, match=problem_part):
        parse_sts_policy(policy_with_max_age(value))


def test_duplicates_first_wins_except_mx_which_adds_up():
    policy = parse_sts_policy(
        "version: STSv1\nmode: testing\nmode: enforce\nmax_age: 10\nmax_age: 20\n"
        "mx: a.example\nmx: *.b.example\nmx: a.example\n"
    )
    assert policy.mode is StsMode.TESTING
    assert policy.max_age == 10
    assert policy.mx == ("a.example", "*.b.example", "a.example")


def test_invalid_duplicate_is_still_an_error():
    with pytest.raises(PolicySyntaxError, match='not "bogus"'):
        parse_sts_policy("version: STSv1\nmode: testing\nmode: bogus\nmax_age: 1\nmx: a.example")


def test_unknown_fields_are_ignored_but_kept_as_extensions():
    policy = parse_sts_policy("version: STSv1\nmode: none\nmax_age: 1\nx-note: hello world\n")
    assert policy.extensions == {"x-note": "hello world"}


@pytest.mark.parametrize(
    ("line", "problem_part"),
    [
        ("Mode: enforce", 'the "mode" line is missing'),
        ("mode: Enforce", 'not "Enforce"'),
        ("mode: ENFORCE", 'not "ENFORCE"'),
    ],
)
def test_field_names_and_mode_values_are_case_sensitive(line, problem_part):
    with pytest.raises(PolicySyntaxError, match=problem_part):
        parse_sts_policy(f"version: STSv1\n{line}\nmx: a.example\nmax_age: 1\n")


@pytest.mark.parametrize(
    "pattern",
    [
        "mail.example.com.",
        "*",
        "*.",
        "mx*.example.com",
        "*.*.example.com",
        "a..example",
        "-a.example",
        "a-.example",
        "m\u00f8x.example",
        "a" * 64 + ".example",
        "mail.example.com mail2.example.com",
    ],
)
def test_invalid_mx_patterns(pattern):
    with pytest.raises(PolicySyntaxError, match="must be a host name in ASCII"):
        parse_sts_policy(f"version: STSv1\nmode: enforce\nmx: {pattern}\nmax_age: 1\n")


@pytest.mark.parametrize(
    "pattern",
    ["*.example.com", "*.com", "mx", "xn--bcher-kva.example", "1.2.example", "a" * 63 + ".example"],
)
def test_valid_mx_patterns(pattern):
    policy = parse_sts_policy(f"version: STSv1\nmode: enforce\nmx: {pattern}\nmax_age: 1\n")
    assert policy.mx == (pattern,)
