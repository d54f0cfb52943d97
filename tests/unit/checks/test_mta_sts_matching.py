"""RFC 8461 §4.1 ``mx`` matching: the vectors and the provider's one-label wildcard pitfall."""

from __future__ import annotations

import pytest

from dnsops.checks.mta_sts import mx_pattern_matches, policy_matches
from tests.unit.checks.support import EXPECTED, PARTITION_PATTERN, load_vectors

VECTORS = load_vectors("mta-sts-mx-matching.json")["cases"]


@pytest.mark.parametrize(
    "case", VECTORS, ids=[f"case{number}" for number in range(1, len(VECTORS) + 1)]
)
def test_vectors(case):
    patterns = case.get("patterns") or [case["pattern"]]
    assert policy_matches(patterns, case["mx"]) is case["match"]


@pytest.mark.parametrize(
    ("pattern", "host", "match"),
    [
        (PARTITION_PATTERN, EXPECTED, True),
        (EXPECTED, EXPECTED, True),
        (EXPECTED.upper(), EXPECTED + ".", True),
        ("*.mx.provider.test", EXPECTED, False),
        ("*.provider.test", EXPECTED, False),
        ("*.o-v2.mx.provider.test", EXPECTED, False),
        (PARTITION_PATTERN, "o-v1.mx.provider.test", False),
        (PARTITION_PATTERN, "a.b.o-v1.mx.provider.test", False),
        ("*.o-v1.mx.provider.test.", EXPECTED, True),
        ("*." + EXPECTED, EXPECTED, False),
        ("*", EXPECTED, False),
        ("*.", "a.", False),
        ("*.example", ".example", False),
    ],
)
def test_provider_hosts(pattern, host, match):
    assert mx_pattern_matches(pattern, host) is match


def test_no_patterns_match_nothing():
    assert policy_matches([], EXPECTED) is False
