"""The ``_mta-sts`` TXT record (RFC 8461 §3.1) against the vectors and our own cases."""

from __future__ import annotations

import pytest

from dnsops.checks.mta_sts import parse_sts_record, read_sts_txt
from dnsops.checks.txtrecord import TxtSyntaxError
from tests.unit.checks.support import load_vectors

VECTORS = load_vectors("mta-sts-txt.json")["cases"]
RECORD_CASES = [case for case in VECTORS if "records" in case]


def as_records(case):
    return [tuple(record) if isinstance(record, list) else record for record in case["records"]]


def test_only_the_resolver_level_cases_are_left_out():
    # CNAME following and lookup errors are the resolver's job; evaluate_mta_sts covers ES004.
    assert [case["expect"]["valid"] for case in VECTORS if "records" not in case] == [
        True,
        "dns-error",
    ]


@pytest.mark.parametrize(
    "case", RECORD_CASES, ids=[f"case{number}" for number in range(1, len(RECORD_CASES) + 1)]
)
def test_vectors(case):
    reading = read_sts_txt(as_records(case))
    expect = case["expect"]
    if expect["valid"]:
        assert reading.record is not None, reading.problem
        assert reading.problem is None
        assert reading.record.policy_id == expect["id"]
        if "extensions" in expect:
            assert dict(reading.record.extensions) == expect["extensions"]
    else:
        assert reading.record is None


@pytest.mark.parametrize(
    ("records", "problem_part"),
    [
        (["v=STSv1"], "the id field is missing"),
        (["v=STSv1; ext=1"], "the id field is missing"),
        (["v=STSv1; id="], "must be 1 to 32 letters or digits"),
        (["v=STSv1; id=test-123"], 'id "test-123" must be 1 to 32 letters or digits'),
        (["v=STSv1; id=a;;"], 'empty field between ";" delimiters'),
        (["v=STSv1; bogus"], 'field "bogus" has no "="'),
        (["v=STSv1; id=a; test=="], 'field "test" has an empty value or one with space'),
        (["v=STSv1; id=1", "v=STSv1; id=2"], '2 TXT records begin with "v=STSv1"'),
        (["v=STSv2"], 'does not begin with exactly "v=STSv1;"'),
        (["V=stsv1; id=a"], '"V=stsv1; id=a" does not begin with exactly "v=STSv1;"'),
        (["v=STSv1; id=a\x00"], "\\x00"),
    ],
)
def test_published_but_invalid_records_say_why(records, problem_part):
    reading = read_sts_txt(records)
    assert reading.published
    assert reading.record is None
    assert reading.problem is not None
    assert problem_part in reading.problem


@pytest.mark.parametrize(
    "records",
    [[], ["bogus", "more"], ["v=spf1 -all"], ["id=20180907T090909; v=STSv1;"]],
)
def test_absent(records):
    reading = read_sts_txt(records)
    assert not reading.published
    assert reading.record is None
    assert reading.problem is None


def test_white_space_before_the_first_delimiter_and_at_the_end_is_accepted():
    record = parse_sts_record("v=STSv1 ; id=abc ; \t")
    assert record.policy_id == "abc"


def test_first_id_wins():
    assert parse_sts_record("v=STSv1; id=first; id=second").policy_id == "first"


def test_parse_requires_the_version_prefix():
    with pytest.raises(TxtSyntaxError, match="must begin with"):
        parse_sts_record("id=1; v=STSv1")
