"""Findings, section status derivation, and the catalogue of codes (and its documentation)."""

from __future__ import annotations

import dataclasses
import re
import string
from pathlib import Path

import pytest

from dnsops.checks.catalogue import CATALOGUE, catalogue_markdown, finding
from dnsops.checks.findings import (
    Finding,
    Section,
    SectionResult,
    SectionStatus,
    Severity,
    section_status,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "status-codes.md"

ERROR = Finding("EX007", Severity.ERROR, "m", "a")
WARNING = Finding("ES011", Severity.WARNING, "m", "a")
INFO = Finding("ES012", Severity.INFO, "m", "a")


@pytest.mark.parametrize(
    ("findings", "evaluated", "expected"),
    [
        ([], True, SectionStatus.PASSED),
        ([INFO], True, SectionStatus.PASSED),
        ([WARNING], True, SectionStatus.WARNING),
        ([INFO, WARNING], True, SectionStatus.WARNING),
        ([WARNING, ERROR], True, SectionStatus.FAILED),
        ([ERROR, INFO], True, SectionStatus.FAILED),
        ([], False, SectionStatus.NOT_APPLICABLE),
        ([INFO], False, SectionStatus.NOT_APPLICABLE),
        ([WARNING], False, SectionStatus.WARNING),
        ([ERROR], False, SectionStatus.FAILED),
    ],
)
def test_section_status(findings, evaluated, expected):
    assert section_status(findings, evaluated=evaluated) is expected


def test_section_result_keeps_order_and_serializes():
    section = SectionResult.from_findings([WARNING, ERROR])
    assert section.status is SectionStatus.FAILED
    assert section.codes == ["ES011", "EX007"]
    assert section.to_dict() == {
        "Status": "Failed",
        "Findings": [
            {"code": "ES011", "severity": "warning", "message": "m", "action": "a", "params": {}},
            {"code": "EX007", "severity": "error", "message": "m", "action": "a", "params": {}},
        ],
    }


def test_finding_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ERROR.code = "EX005"


def test_spec_codes_are_all_in_the_catalogue():
    spec_codes = {"EG001", "EG002", "ED001", "ED002", "ED003", "ES001", "ES002"}
    spec_codes |= {f"EX{number:03d}" for number in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13)}
    assert spec_codes <= CATALOGUE.keys()


@pytest.mark.parametrize(
    "code", sorted(code for code, spec in CATALOGUE.items() if spec.section != Section.INBOUND_KEYS)
)
def test_every_code_names_the_domain_and_says_what_to_change(code):
    spec = CATALOGUE[code]
    assert re.fullmatch(r"E[GDXST]\d{3}", code)
    assert spec.fires_when
    fields = {
        name
        for template in (spec.message, spec.action)
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }
    params = {name: f"<{name}>" for name in fields}
    params["domain"] = "contoso.example"
    rendered = finding(code, **params)
    assert "contoso.example" in rendered.message
    assert rendered.severity is spec.severity
    assert {"domain", "policy_url", "policy_host", "txt_name"} & fields
    assert "{" not in rendered.message + rendered.action


@pytest.mark.parametrize(
    "code", sorted(code for code, spec in CATALOGUE.items() if spec.section == Section.INBOUND_KEYS)
)
def test_every_inbound_key_code_names_the_address_or_issuer_and_says_what_to_change(code):
    spec = CATALOGUE[code]  # the provider's own servers: no tenant domain to name
    assert re.fullmatch(r"EK\d{3}", code)
    fields = {
        name
        for template in (spec.message, spec.action)
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }
    rendered = finding(code, **{name: f"<{name}>" for name in fields})
    assert {"address", "issuer"} & fields
    assert rendered.action
    assert "{" not in rendered.message + rendered.action


def test_code_prefix_matches_section():
    prefixes = {
        Section.INBOUND_KEYS: "EK",
        Section.DOMAIN: "EG",
        Section.DNS: "ED",
        Section.MX: "EX",
        Section.MTA_STS: "ES",
        Section.TLS_RPT: "ET",
    }
    for spec in CATALOGUE.values():
        assert spec.code.startswith(prefixes[spec.section])


def test_missing_template_field_is_an_error():
    with pytest.raises(KeyError):
        finding("EX003", domain="contoso.example", expected_host="mx.example")


def test_docs_embed_the_catalogue_verbatim():
    docs = DOCS.read_text(encoding="utf-8")
    assert catalogue_markdown() in docs
    for code in CATALOGUE:
        assert f"| {code} |" in docs
