"""TLSA records: presentation form, usability for SMTP, association data, digest agility."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dnsops.dane.tlsa import (
    MatchingType,
    Selector,
    TlsaRecord,
    TlsaSyntaxError,
    association_data,
    load_certificate,
    tlsa_for_certificate,
    usable_records,
)
from tests.unit.dane.pki import VECTORS, issue, leaf, load_vector, new_key

RFC_EXAMPLES = load_vector("tlsa-rfc-examples.json")
GENERATED = load_vector("tlsa-generated.json")
HEX_32 = "ab" * 32
HEX_64 = "cd" * 64


def _records_with_usability() -> list[Any]:
    """The RFC-printed records whose SMTP usability the vector file states."""
    return [record for record in RFC_EXAMPLES["records"] if "smtp_usable" in record]


@pytest.mark.parametrize(
    "example", _records_with_usability(), ids=lambda example: example["rdata"][:12]
)
def test_rfc_printed_records_parse_with_the_stated_smtp_usability(example: Any) -> None:
    record = TlsaRecord.from_text(example["rdata"])

    assert record.usable is example["smtp_usable"]
    assert record.to_text().lower() == example["rdata"].lower()


@pytest.mark.parametrize(
    "example",
    [record for record in RFC_EXAMPLES["records"] if "..." in record["rdata"]],
    ids=lambda example: example["owner"],
)
def test_records_truncated_in_the_rfcs_do_not_parse(example: Any) -> None:
    with pytest.raises(TlsaSyntaxError):
        TlsaRecord.from_text(example["rdata"])


def _presentation_text(text: str) -> list[str]:
    """A presentation case with its placeholders filled in (``0 0 1 / 1 1 1`` is two cases)."""
    text = text.replace("<32 bytes>", HEX_32)
    if " / " in text:
        return [f"{part} {HEX_32}" for part in text.split(" / ")]
    return [text]


@pytest.mark.parametrize(
    "case", RFC_EXAMPLES["presentation_cases"], ids=lambda case: case["text"][:20]
)
def test_presentation_cases(case: Any) -> None:
    usable_expected = case["valid"] is True
    for text in _presentation_text(case["text"]):
        record = TlsaRecord.from_text(text)

        assert record.usable is usable_expected, record.unusable_reason


def test_parentheses_and_whitespace_in_the_hex_are_accepted() -> None:
    record = TlsaRecord.from_text(RFC_EXAMPLES["presentation_cases"][1]["text"])

    assert record == TlsaRecord(3, 1, 1, bytes.fromhex("0123456789abcdef" * 4))


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        (f"3 1 1 {'01' * 2}", "SHA2_256 digest is 32 bytes, this one is 2"),
        (f"3 1 2 {HEX_32}", "SHA2_512 digest is 64 bytes, this one is 32"),
        (f"3 2 1 {HEX_32}", "selector 2"),
        (f"4 1 1 {HEX_32}", "usage 4"),
        (f"255 1 1 {HEX_32}", "usage 255"),
        (f"3 1 3 {HEX_32}", "matching type 3"),
        (f"0 0 1 {HEX_32}", "PKIX-TA"),
        (f"1 1 2 {HEX_64}", "PKIX-EE"),
        (f"2 0 0 {HEX_32}", "not a DER certificate"),
        (f"3 1 0 {HEX_32}", "not a DER SubjectPublicKeyInfo"),
    ],
)
def test_unusable_reasons(text: str, reason_part: str) -> None:
    reason = TlsaRecord.from_text(text).unusable_reason

    assert reason is not None
    assert reason_part in reason


@pytest.mark.parametrize(
    "text",
    [
        "3 1 1",
        "3 1 1 abc",
        "3 1 1 zz",
        "256 1 1 00",
        "3 1 x 00",
        "DANE-XX SPKI SHA2-256 00",
        "",
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(TlsaSyntaxError):
        TlsaRecord.from_text(text)


@pytest.mark.parametrize("form", [form for form in RFC_EXAMPLES["acronym_forms"] if "text" in form])
def test_rfc7218_acronyms_read_as_numbers(form: Any) -> None:
    rdata = form["text"].split(" TLSA ", 1)[1].replace("{blob}", HEX_64)

    record = TlsaRecord.from_text(rdata.lower())

    assert f"{record.usage} {record.selector} {record.matching_type}" == form["numeric"]


def test_policy_string_is_the_upper_case_presentation_form() -> None:
    report = RFC_EXAMPLES["rrset_for_report"]

    policy_string = [TlsaRecord.from_text(text).to_text() for text in report["rrset"]]

    assert policy_string == report["policy-string"]


def test_rfc7671_digests_are_those_of_its_spki() -> None:
    check = RFC_EXAMPLES["self_consistency_check"]
    spki = bytes.fromhex(check["spki_hex"])

    assert len(spki) == check["spki_bytes"]
    assert association_data(spki, MatchingType.SHA2_256).hex().upper() == check["sha256"]
    assert association_data(spki, MatchingType.SHA2_512).hex().upper() == check["sha512"]
    assert association_data(spki, MatchingType.FULL) == spki


def _rfc7671_agility_rrset() -> list[TlsaRecord]:
    """The full ``3 1 1``, ``3 1 2`` and ``3 1 0`` records of RFC 7671 §9."""
    by_prefix = {record["rdata"][:5]: record["rdata"] for record in RFC_EXAMPLES["records"]}
    return [TlsaRecord.from_text(by_prefix[prefix]) for prefix in ("3 1 1", "3 1 2", "3 1 0")]


def test_digest_agility_drops_the_weaker_digest_and_keeps_full_data() -> None:
    sha256, sha512, full = _rfc7671_agility_rrset()

    assert usable_records([sha256, sha512, full]) == (sha512, full)


def test_digest_agility_is_per_usage_and_selector() -> None:
    ee_256 = TlsaRecord.from_text(f"3 1 1 {HEX_32}")
    ee_512 = TlsaRecord.from_text(f"3 1 2 {HEX_64}")
    ta_256 = TlsaRecord.from_text(f"2 0 1 {HEX_32}")
    ee_cert_256 = TlsaRecord.from_text(f"3 0 1 {HEX_32}")

    assert usable_records([ee_256, ee_512, ta_256, ee_cert_256]) == (ee_512, ta_256, ee_cert_256)


def test_digest_agility_ignores_malformed_stronger_digests() -> None:
    good = TlsaRecord.from_text(f"3 1 1 {HEX_32}")
    short_512 = TlsaRecord.from_text(f"3 1 2 {HEX_32}")

    assert usable_records([good, short_512]) == (good,)


@pytest.mark.parametrize("parameters", list(GENERATED["tlsa"]))
def test_generated_certificate_vector(parameters: str) -> None:
    pem = (VECTORS / GENERATED["cert_pem_file"]).read_bytes()
    usage, selector, matching_type = (int(field) for field in parameters.split())

    record = tlsa_for_certificate(pem, usage, selector, matching_type)

    assert record.data.hex() == GENERATED["tlsa"][parameters]
    assert record.matches(load_certificate(pem))


def test_generated_certificate_spki_vector() -> None:
    certificate = load_certificate((VECTORS / GENERATED["cert_pem_file"]).read_bytes())

    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    assert spki.hex() == GENERATED["spki_der_hex"]


@pytest.mark.parametrize("selector", list(Selector))
@pytest.mark.parametrize("matching_type", list(MatchingType))
@pytest.mark.parametrize("key_kind", ["ec", "rsa"])
def test_tlsa_for_certificate_matches_only_its_certificate(
    selector: Selector, matching_type: MatchingType, key_kind: Any
) -> None:
    own = leaf(None, "mx1.example.com", key=new_key(key_kind)).certificate
    other = leaf(None, "mx1.example.com", key=new_key(key_kind)).certificate

    record = tlsa_for_certificate(own, 3, selector, matching_type)

    assert (record.usage, record.selector, record.matching_type) == (3, selector, matching_type)
    assert record.usable
    assert record.matches(own)
    assert not record.matches(other)


def test_default_is_3_1_1_and_der_bytes_are_accepted() -> None:
    certificate = leaf(None, "mx1.example.com").certificate
    der = certificate.public_bytes(serialization.Encoding.DER)

    assert tlsa_for_certificate(der) == tlsa_for_certificate(certificate, 3, 1, 1)


def test_renewal_with_the_same_key_keeps_3_1_1_but_changes_3_0_1() -> None:
    key = new_key()
    old = issue("mx1.example.com", key=key).certificate
    renewed = issue("mx1.example.com", key=key).certificate

    assert tlsa_for_certificate(old, 3, 1, 1) == tlsa_for_certificate(renewed, 3, 1, 1)
    assert tlsa_for_certificate(old, 3, 0, 1) != tlsa_for_certificate(renewed, 3, 0, 1)


@pytest.mark.parametrize(("selector", "matching_type"), [(2, 1), (1, 3)])
def test_tlsa_for_certificate_rejects_undefined_parameters(
    selector: int, matching_type: int
) -> None:
    certificate: x509.Certificate = leaf(None, "mx1.example.com").certificate

    with pytest.raises(ValueError, match="No association data"):
        tlsa_for_certificate(certificate, 3, selector, matching_type)


def test_record_with_unknown_selector_matches_nothing() -> None:
    certificate = leaf(None, "mx1.example.com").certificate

    assert not TlsaRecord(3, 7, 1, bytes(32)).matches(certificate)
