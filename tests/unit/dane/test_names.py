"""DANE-TA name checks: reference identifiers and matching (RFC 7672 §3.2.2, §3.2.3)."""

from __future__ import annotations

from typing import Any

import pytest

from dnsops.dane.names import (
    certificate_names,
    matching_reference_identifier,
    name_matches,
    reference_identifiers,
)
from tests.unit.dane.pki import issue, load_vector

IDENTIFIERS = load_vector("dane-reference-identifiers.json")


@pytest.mark.parametrize(
    "case", IDENTIFIERS["rfc7672_s3.2.2_example"]["expect"], ids=lambda case: case["mx"]
)
def test_rfc7672_example_reference_identifiers(case: Any) -> None:
    names = reference_identifiers(
        tlsa_base=case["tlsa_base"],
        mx_host=case["mx"],
        next_hop=IDENTIFIERS["rfc7672_s3.2.2_example"]["recipient_domain"],
        expanded_next_hop="example.com",
    )

    assert names[0] == case["tlsa_base"] == case["sni"]
    assert set(case["must_accept"]) <= set(names)
    # Like mox (the vector's peer_extra), the unexpanded MX host name is accepted too.
    assert set(names) - set(case["must_accept"]) <= {case["mx"]}


def test_rfc7671_example_reference_identifiers() -> None:
    example = IDENTIFIERS["rfc7671_s10.2_example"]["expect"]

    names = reference_identifiers(
        tlsa_base="mail.example.com", mx_host="mail.example.com", next_hop="example.com"
    )

    assert names[0] == example["sni"]
    assert list(names) == example["acceptable_names"]


@pytest.mark.parametrize("mx", ["mx1", "mx2"])
def test_a_cname_at_the_tlsa_owner_does_not_move_the_base(mx: str) -> None:
    expected = IDENTIFIERS["tlsa_cname_does_not_move_base"]["expect"][mx]

    names = reference_identifiers(
        tlsa_base=f"{mx}.example.com", mx_host=f"{mx}.example.com", next_hop="example.com"
    )

    assert list(names) == expected


def _mox_case_inputs(case: Any) -> dict[str, str]:
    """The reference_identifiers arguments for one mox GatherTLSANames case.

    Without MX records the domain is its own host, so the next hop is the host name (c).
    """
    inputs = IDENTIFIERS["mox_GatherTLSANames"]["inputs"]
    names = {key: value.split(" ")[0] for key, value in inputs.items()}
    base = names["d"] if case["baseExpandedSecure"] else names["c"]
    if not case["haveMX"]:
        return {"tlsa_base": base, "mx_host": names["c"], "next_hop": names["c"]}
    return {
        "tlsa_base": base,
        "mx_host": names["c"],
        "next_hop": names["a"],
        "expanded_next_hop": names["b"],
    }


@pytest.mark.parametrize(
    "case",
    [case for case in IDENTIFIERS["mox_GatherTLSANames"]["cases"] if "dispute" not in case],
    ids=lambda case: "-".join(f"{key}={value}" for key, value in case.items() if key != "names"),
)
def test_mox_reference_identifier_cases(case: Any) -> None:
    letters = {
        value.split(" ")[0]: key
        for key, value in IDENTIFIERS["mox_GatherTLSANames"]["inputs"].items()
    }

    names = reference_identifiers(**_mox_case_inputs(case))

    assert [letters[name] for name in names] == case["names"]


def _certificate_for(case: Any) -> Any:
    """A certificate carrying the presented names of a wildcard-vector case."""
    if "san_absent_cn" in case:
        return issue(case["san_absent_cn"]).certificate
    return issue(case.get("cn"), dns_names=(case["san"],)).certificate


@pytest.mark.parametrize(
    "case", IDENTIFIERS["wildcards"], ids=lambda case: f"{case.get('san')}-{case['reference']}"
)
def test_wildcard_and_common_name_vectors(case: Any) -> None:
    # Multi-label wildcard matching is local policy (RFC 7672 §3.2.3): we do not allow it.
    expected = case["match"] is True

    matched = matching_reference_identifier(_certificate_for(case), (case["reference"],))

    assert (matched == case["reference"]) is expected
    assert (matched is None) is not expected


@pytest.mark.parametrize(
    ("presented", "reference", "expected"),
    [
        ("MX1.Example.COM.", "mx1.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.com", "example.com", False),
        ("*.*.example.com", "a.b.example.com", False),
        ("a.*.example.com", "a.b.example.com", False),
        ("*.example.com", ".example.com", False),
        ("mx1.example.com", "mx2.example.com", False),
    ],
)
def test_name_matches(presented: str, reference: str, expected: bool) -> None:
    assert name_matches(presented, reference) is expected


def test_certificate_names_prefer_dns_sans_over_the_common_name() -> None:
    certificate = issue("cn.example.com", dns_names=("a.example.com", "B.example.com.")).certificate

    assert certificate_names(certificate) == ("a.example.com", "b.example.com")


def test_certificate_without_names_matches_nothing() -> None:
    certificate = issue(None).certificate

    assert certificate_names(certificate) == ()
    assert matching_reference_identifier(certificate, ("mx1.example.com",)) is None


def test_the_first_matching_reference_identifier_is_reported() -> None:
    certificate = issue(None, dns_names=("example.com", "mx1.example.com")).certificate

    matched = matching_reference_identifier(certificate, ("mx1.example.com", "example.com"))

    assert matched == "mx1.example.com"
