"""Matching presented chains against TLSA records (RFC 7672 §3, RFC 7671 §5).

Certificates are made at test time: a root CA (RSA), an intermediate CA (ECDSA) and leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dnsops.dane.tlsa import (
    MatchingType,
    Selector,
    TlsaRecord,
    load_certificate,
    tlsa_for_certificate,
)
from dnsops.dane.verdicts import Verdict
from dnsops.dane.verify import MAX_PATH_LENGTH, ChainVerification, verify_chain
from tests.unit.dane.pki import (
    NOW,
    VECTORS,
    Issued,
    MoxPki,
    Pki,
    ca,
    issue,
    leaf,
    load_vector,
    mox_pki,
    new_key,
    standard_pki,
)

MX = "mx1.example.com"
NEXT_HOP = "example.com"
IDENTIFIERS = (MX, NEXT_HOP)
SCENARIOS = load_vector("dane-verify-scenarios.json")


@pytest.fixture(scope="module")
def pki() -> Pki:
    return standard_pki()


def verify(
    chain: Sequence[x509.Certificate | bytes],
    *records: TlsaRecord,
    identifiers: Sequence[str] = IDENTIFIERS,
) -> ChainVerification:
    """verify_chain at the tests' fixed time."""
    return verify_chain(chain, records, reference_identifiers=identifiers, now=NOW)


def tlsa(certificate: Issued | x509.Certificate, parameters: str) -> TlsaRecord:
    """The TLSA record ``"u s m"`` for a certificate."""
    usage, selector, matching_type = (int(field) for field in parameters.split())
    if isinstance(certificate, Issued):
        certificate = certificate.certificate
    return tlsa_for_certificate(certificate, usage, selector, matching_type)


def assert_passes(result: ChainVerification, record: TlsaRecord, depth: int) -> None:
    """The chain is authenticated by ``record`` at ``depth``."""
    assert result.verdict is Verdict.PASS, result.reason
    assert result.authenticated
    assert result.match is not None
    assert result.match.record == record
    assert result.match.depth == depth


# --- the mox DANE dialer scenarios (dane-verify-scenarios.json) --------------------------------


@pytest.fixture(scope="module")
def mox_setup() -> MoxPki:
    return mox_pki()


def _mox_records(spec: str | list[str], setup: MoxPki) -> list[TlsaRecord]:
    """The records a scenario's ``tlsa`` text describes."""
    correct = tlsa(setup.leaf, "3 1 1")
    ca_der = setup.ca.certificate.public_bytes(serialization.Encoding.DER)
    builders: dict[str, Callable[[], TlsaRecord]] = {
        "3 1 1 sha256(leaf SPKI)": lambda: correct,
        "3 1 1 correct": lambda: correct,
        "3 1 2 sha512(leaf SPKI)": lambda: tlsa(setup.leaf, "3 1 2"),
        "3 1 0 leaf SPKI": lambda: tlsa(setup.leaf, "3 1 0"),
        "2 0 1 sha256(CA cert)": lambda: tlsa(setup.ca, "2 0 1"),
        "2 0 1 sha256(CA)": lambda: tlsa(setup.ca, "2 0 1"),
        "2 0 0 CA cert": lambda: tlsa(setup.ca, "2 0 0"),
        "3 1 1 zeros": lambda: TlsaRecord(3, 1, 1, bytes(32)),
        "2 0 1 zeros": lambda: TlsaRecord(2, 0, 1, bytes(32)),
        "3 1 1 truncated to 16 bytes": lambda: TlsaRecord(3, 1, 1, correct.data[:16]),
        "3 1 1 truncated": lambda: TlsaRecord(3, 1, 1, correct.data[:16]),
        "usage 10 (unknown) 1 1": lambda: TlsaRecord(10, 1, 1, correct.data),
        "usage 10 1 1": lambda: TlsaRecord(10, 1, 1, correct.data),
        "2 0 0 CA cert with first byte removed": lambda: TlsaRecord(2, 0, 0, ca_der[1:]),
        "1 1 1 sha256(leaf SPKI) (PKIX-EE)": lambda: tlsa(setup.leaf, "1 1 1"),
    }
    specs = spec if isinstance(spec, list) else [spec]
    return [builders[text]() for text in specs]


def _mox_expected(case: Any) -> Verdict:
    """Our verdict for a scenario's ``expect`` text."""
    if case["expect"].startswith("ok"):
        return Verdict.PASS
    if case.get("server_leaf") == "expired":
        return Verdict.CERTIFICATE_EXPIRED
    if "name mismatch" in case["expect"]:
        return Verdict.CERTIFICATE_HOST_MISMATCH
    return Verdict.TLSA_INVALID


MOX_CHAIN_CASES = [
    case for case in SCENARIOS["cases"] if "dns" not in case and case["tlsa"] != "none"
]


@pytest.mark.parametrize(
    "case", MOX_CHAIN_CASES, ids=lambda case: f"{case['tlsa']}-{case['expect']}"[:70]
)
def test_mox_dane_dialer_scenarios(case: Any, mox_setup: MoxPki) -> None:
    server_leaf = mox_setup.expired_leaf if case.get("server_leaf") else mox_setup.leaf
    chain = [server_leaf.certificate]
    if case.get("server_chain") != "leaf only":
        chain.append(mox_setup.ca.certificate)
    identifiers = [case["dial_name"].split(" ")[0]] if "dial_name" in case else ["localhost"]

    result = verify(chain, *_mox_records(case["tlsa"], mox_setup), identifiers=identifiers)

    assert result.verdict is _mox_expected(case), result.reason


def test_mox_ca_only_in_dns_is_one_above_the_presented_leaf(mox_setup: MoxPki) -> None:
    record = tlsa(mox_setup.ca, "2 0 0")

    result = verify([mox_setup.leaf.certificate], record, identifiers=["localhost"])

    assert_passes(result, record, depth=1)
    assert result.match is not None
    assert result.match.presented_index is None


# --- DANE-EE -----------------------------------------------------------------------------------


def test_dane_ee_ignores_a_wrong_name_and_an_expired_certificate() -> None:
    expired = leaf(
        None,
        "unrelated.example.net",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=35),
    )
    record = tlsa(expired, "3 1 1")

    result = verify([expired.certificate], record)

    assert_passes(result, record, depth=0)
    assert result.match is not None
    assert result.match.presented_index == 0
    assert result.matched_name is None


def test_generated_expired_selfsigned_vector_passes_under_dane_ee() -> None:
    generated = load_vector("tlsa-generated.json")
    pem = (VECTORS / generated["cert_pem_file"]).read_bytes()
    record = TlsaRecord.from_text(f"3 1 1 {generated['tlsa']['3 1 1']}")

    result = verify([pem_to_der(pem)], record, identifiers=["other.example"])

    assert_passes(result, record, depth=0)


def pem_to_der(pem: bytes) -> bytes:
    """A PEM certificate as the DER bytes a TLS stack hands over."""
    return load_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("selector", list(Selector))
@pytest.mark.parametrize("matching_type", list(MatchingType))
def test_dane_ee_every_selector_and_matching_type(
    pki: Pki, selector: Selector, matching_type: MatchingType
) -> None:
    record = tlsa(pki.leaf, f"3 {selector} {matching_type}")

    assert_passes(verify(pki.chain, record), record, depth=0)


def test_dane_ee_wrong_digest_is_tlsa_invalid(pki: Pki) -> None:
    wrong = TlsaRecord(3, 1, 1, bytes(32))

    result = verify(pki.chain, wrong)

    assert result.verdict is Verdict.TLSA_INVALID
    assert result.match is None
    assert "No usable TLSA record (3 1 1 0000" in result.reason
    assert Verdict.TLSA_INVALID.info.temporary_code == "4.7.323"


def test_dane_ee_matches_the_leaf_only(pki: Pki) -> None:
    of_the_intermediate = tlsa(pki.intermediate, "3 1 1")

    assert verify(pki.chain, of_the_intermediate).verdict is Verdict.TLSA_INVALID


def test_the_first_certificate_is_the_leaf(pki: Pki) -> None:
    record = tlsa(pki.leaf, "3 1 1")

    result = verify([pki.intermediate.certificate, pki.leaf.certificate], record)

    assert result.verdict is Verdict.TLSA_INVALID


def test_dane_ee_rsa_leaf() -> None:
    rsa_leaf = leaf(None, MX, key=new_key("rsa"))
    record = tlsa(rsa_leaf, "3 0 2")

    assert_passes(verify([rsa_leaf.certificate], record), record, depth=0)


# --- DANE-TA -----------------------------------------------------------------------------------


@pytest.mark.parametrize("selector", list(Selector))
@pytest.mark.parametrize("matching_type", list(MatchingType))
@pytest.mark.parametrize(("anchor", "depth"), [("intermediate", 1), ("root", 2)])
def test_dane_ta_every_selector_and_matching_type(
    pki: Pki, selector: Selector, matching_type: MatchingType, anchor: str, depth: int
) -> None:
    record = tlsa(getattr(pki, anchor), f"2 {selector} {matching_type}")

    result = verify(pki.chain, record)

    assert_passes(result, record, depth=depth)
    assert result.match is not None
    assert result.match.presented_index == depth
    assert result.matched_name == MX


def test_dane_ta_name_of_the_next_hop_passes(pki: Pki) -> None:
    next_hop_leaf = leaf(pki.intermediate, NEXT_HOP)
    record = tlsa(pki.intermediate, "2 0 1")

    result = verify([next_hop_leaf.certificate, pki.intermediate.certificate], record)

    assert_passes(result, record, depth=1)
    assert result.matched_name == NEXT_HOP


def test_dane_ta_wildcard_name_passes(pki: Pki) -> None:
    wildcard_leaf = leaf(pki.intermediate, "*.example.com")
    record = tlsa(pki.intermediate, "2 0 1")

    result = verify([wildcard_leaf.certificate, pki.intermediate.certificate], record)

    assert_passes(result, record, depth=1)
    assert result.matched_name == MX


def test_dane_ta_common_name_counts_only_without_dns_sans(pki: Pki) -> None:
    cn_only = issue(MX, issuer=pki.intermediate)
    cn_and_other_san = issue(MX, issuer=pki.intermediate, dns_names=("other.example.net",))
    record = tlsa(pki.intermediate, "2 0 1")

    cn_result = verify([cn_only.certificate, pki.intermediate.certificate], record)
    san_result = verify([cn_and_other_san.certificate, pki.intermediate.certificate], record)

    assert_passes(cn_result, record, depth=1)
    assert san_result.verdict is Verdict.CERTIFICATE_HOST_MISMATCH


def test_dane_ta_bad_name_is_certificate_host_mismatch(pki: Pki) -> None:
    wrong_name = leaf(pki.intermediate, "mx.other.example.net", "smtp*.example.com")
    record = tlsa(pki.intermediate, "2 0 1")

    result = verify([wrong_name.certificate, pki.intermediate.certificate], record)

    assert result.verdict is Verdict.CERTIFICATE_HOST_MISMATCH
    assert result.match is not None
    assert result.match.depth == 1
    assert "mx.other.example.net, smtp*.example.com" in result.reason
    assert "mx1.example.com, example.com" in result.reason
    assert Verdict.CERTIFICATE_HOST_MISMATCH.info.temporary_code == "4.7.325"


def test_dane_ta_expired_end_entity_is_certificate_expired(pki: Pki) -> None:
    expired = leaf(pki.intermediate, MX, not_after=NOW - timedelta(seconds=1))
    record = tlsa(pki.intermediate, "2 0 1")

    result = verify([expired.certificate, pki.intermediate.certificate], record)

    assert result.verdict is Verdict.CERTIFICATE_EXPIRED
    assert result.match is not None
    assert result.match.depth == 1
    assert "certificate at depth 0" in result.reason
    assert Verdict.CERTIFICATE_EXPIRED.info.temporary_code == "4.7.322"


def test_dane_ta_expired_end_entity_with_a_wrong_name_reports_the_expiry(pki: Pki) -> None:
    expired = leaf(pki.intermediate, "wrong.example.net", not_after=NOW - timedelta(days=1))

    result = verify(
        [expired.certificate, pki.intermediate.certificate], tlsa(pki.intermediate, "2 0 1")
    )

    assert result.verdict is Verdict.CERTIFICATE_EXPIRED


def test_dane_ta_leaf_valid_until_exactly_now_passes(pki: Pki) -> None:
    last_second = leaf(pki.intermediate, MX, not_after=NOW)
    record = tlsa(pki.intermediate, "2 0 1")

    assert_passes(
        verify([last_second.certificate, pki.intermediate.certificate], record), record, 1
    )


def test_dane_ta_expired_intermediate_is_certificate_expired(pki: Pki) -> None:
    expired_intermediate = ca(
        "Expired Intermediate", issuer=pki.root, not_after=NOW - timedelta(days=1)
    )
    server = leaf(expired_intermediate, MX)
    chain = [server.certificate, expired_intermediate.certificate, pki.root.certificate]

    result = verify(chain, tlsa(pki.root, "2 0 1"))

    assert result.verdict is Verdict.CERTIFICATE_EXPIRED
    assert "certificate at depth 1 (CN=Expired Intermediate)" in result.reason


def test_dane_ta_expired_trust_anchor_certificate_is_certificate_expired() -> None:
    expired_root = ca("Expired Root", not_after=NOW - timedelta(days=1))
    server = leaf(expired_root, MX)

    result = verify([server.certificate, expired_root.certificate], tlsa(expired_root, "2 0 1"))

    assert result.verdict is Verdict.CERTIFICATE_EXPIRED
    assert "trust anchor (CN=Expired Root)" in result.reason


def test_dane_ta_not_yet_valid_leaf_is_tlsa_invalid(pki: Pki) -> None:
    future = leaf(pki.intermediate, MX, not_before=NOW + timedelta(days=1))

    result = verify(
        [future.certificate, pki.intermediate.certificate], tlsa(pki.intermediate, "2 0 1")
    )

    assert result.verdict is Verdict.TLSA_INVALID
    assert "is not valid before" in result.reason


def test_dane_ta_wrong_digest_is_tlsa_invalid(pki: Pki) -> None:
    result = verify(pki.chain, TlsaRecord(2, 0, 1, bytes(32)))

    assert result.verdict is Verdict.TLSA_INVALID
    assert result.match is None


def test_dane_ta_matching_the_leaf_itself_anchors_at_depth_0() -> None:
    self_signed = leaf(None, MX)
    record = tlsa(self_signed, "2 0 1")

    assert_passes(verify([self_signed.certificate], record), record, depth=0)


def test_dane_ta_matching_an_expired_leaf_itself_is_certificate_expired() -> None:
    expired = leaf(None, MX, not_after=NOW - timedelta(days=1))

    result = verify([expired.certificate], tlsa(expired, "2 0 1"))

    assert result.verdict is Verdict.CERTIFICATE_EXPIRED


# --- trust anchors that are not presented ------------------------------------------------------


def test_dane_ta_digest_of_a_ca_the_server_does_not_send_is_tlsa_invalid(pki: Pki) -> None:
    chain = [pki.leaf.certificate, pki.intermediate.certificate]

    for parameters in ("2 0 1", "2 0 2", "2 1 1"):
        result = verify(chain, tlsa(pki.root, parameters))

        assert result.verdict is Verdict.TLSA_INVALID, parameters
        assert result.match is None


@pytest.mark.parametrize("parameters", ["2 0 0", "2 1 0"])
def test_dane_ta_full_anchor_from_dns_signs_the_top_of_the_chain(pki: Pki, parameters: str) -> None:
    record = tlsa(pki.root, parameters)

    result = verify([pki.leaf.certificate, pki.intermediate.certificate], record)

    assert_passes(result, record, depth=2)
    assert result.match is not None
    assert result.match.presented_index is None


def test_dane_ta_full_anchor_from_dns_with_another_key_does_not_match(pki: Pki) -> None:
    impostor_root = ca("DANE Test Root", key=new_key("rsa"))

    for parameters in ("2 0 0", "2 1 0"):
        result = verify(
            [pki.leaf.certificate, pki.intermediate.certificate], tlsa(impostor_root, parameters)
        )

        assert result.verdict is Verdict.TLSA_INVALID, parameters


def test_dane_ta_full_anchor_that_is_also_presented_is_reported_where_it_was_sent(
    pki: Pki,
) -> None:
    record = tlsa(pki.root, "2 0 0")

    result = verify(pki.chain, record)

    assert_passes(result, record, depth=2)
    assert result.match is not None
    assert result.match.presented_index == 2


# --- chain shape -------------------------------------------------------------------------------


def test_a_chain_presented_out_of_order_still_validates(pki: Pki) -> None:
    shuffled = [pki.leaf.certificate, pki.root.certificate, pki.intermediate.certificate]
    root_record = tlsa(pki.root, "2 0 1")
    intermediate_record = tlsa(pki.intermediate, "2 1 1")

    root_result = verify(shuffled, root_record)
    intermediate_result = verify(shuffled, intermediate_record)

    assert_passes(root_result, root_record, depth=2)
    assert root_result.match is not None
    assert root_result.match.presented_index == 1
    assert_passes(intermediate_result, intermediate_record, depth=1)
    assert intermediate_result.match is not None
    assert intermediate_result.match.presented_index == 2


def test_unrelated_extra_certificates_are_ignored(pki: Pki) -> None:
    stranger = ca("Somebody Else")
    chain = [pki.leaf.certificate, stranger.certificate, *pki.chain[1:]]
    record = tlsa(pki.root, "2 0 1")

    result = verify(chain, record)

    assert_passes(result, record, depth=2)
    assert result.match is not None
    assert result.match.presented_index == 3


def test_a_ca_with_the_issuer_name_but_another_key_does_not_anchor(pki: Pki) -> None:
    impostor = ca("DANE Test Intermediate")

    result = verify([pki.leaf.certificate, impostor.certificate], tlsa(impostor, "2 0 1"))

    assert result.verdict is Verdict.TLSA_INVALID
    assert result.match is None


def test_der_bytes_are_accepted(pki: Pki) -> None:
    chain = [certificate.public_bytes(serialization.Encoding.DER) for certificate in pki.chain]
    record = tlsa(pki.root, "2 0 1")

    assert_passes(verify(chain, record), record, depth=2)


def test_unreadable_certificate_is_tlsa_invalid(pki: Pki) -> None:
    result = verify([pki.leaf.certificate, b"\x30\x03garbage"], tlsa(pki.leaf, "3 1 1"))

    assert result.verdict is Verdict.TLSA_INVALID
    assert "Certificate 1 of the presented chain cannot be read" in result.reason


def test_empty_chain_is_tlsa_invalid(pki: Pki) -> None:
    result = verify([], tlsa(pki.leaf, "3 1 1"))

    assert result.verdict is Verdict.TLSA_INVALID
    assert result.reason == "The server presented no certificate."


def test_paths_longer_than_the_limit_are_not_followed() -> None:
    issuers = [ca("CA 0")]
    for level in range(1, MAX_PATH_LENGTH):
        issuers.append(ca(f"CA {level}", issuer=issuers[-1]))
    server = leaf(issuers[-1], MX)
    chain = [server.certificate, *(issuer.certificate for issuer in reversed(issuers))]

    too_far = verify(chain, tlsa(issuers[0], "2 0 1"))
    within = verify(chain, tlsa(issuers[1], "2 0 1"))

    assert too_far.verdict is Verdict.TLSA_INVALID
    assert within.verdict is Verdict.PASS, within.reason
    assert within.match is not None
    assert within.match.depth == MAX_PATH_LENGTH - 1


# --- CA constraints ----------------------------------------------------------------------------


def _ta_result_for_intermediate(root: Issued, intermediate: Issued) -> ChainVerification:
    """Verify a leaf under ``intermediate`` with the root as the DANE-TA anchor."""
    server = leaf(intermediate, MX)
    chain = [server.certificate, intermediate.certificate, root.certificate]
    return verify(chain, tlsa(root, "2 0 1"))


def test_intermediate_that_is_not_a_ca_breaks_the_path() -> None:
    root = ca("Root")
    not_a_ca = issue("Not A CA", issuer=root, ca=False)

    result = _ta_result_for_intermediate(root, not_a_ca)

    assert result.verdict is Verdict.TLSA_INVALID
    assert "cA is false" in result.reason


def test_intermediate_without_basic_constraints_breaks_the_path() -> None:
    root = ca("Root")
    no_constraints = issue("No Constraints", issuer=root, ca=None)

    result = _ta_result_for_intermediate(root, no_constraints)

    assert result.verdict is Verdict.TLSA_INVALID
    assert "no basic constraints" in result.reason


def test_intermediate_without_key_cert_sign_breaks_the_path() -> None:
    root = ca("Root")
    cannot_sign = ca("Cannot Sign", issuer=root, cert_sign=False)

    result = _ta_result_for_intermediate(root, cannot_sign)

    assert result.verdict is Verdict.TLSA_INVALID
    assert "keyCertSign" in result.reason


def test_trust_anchor_path_length_is_enforced() -> None:
    root = ca("Root", path_length=0)

    result = _ta_result_for_intermediate(root, ca("Intermediate", issuer=root))

    assert result.verdict is Verdict.TLSA_INVALID
    assert "allows 0 intermediate" in result.reason


def test_trust_anchor_that_is_not_a_ca_cannot_issue() -> None:
    not_a_ca = issue("Plain", ca=False)
    server = leaf(not_a_ca, MX)

    result = verify([server.certificate, not_a_ca.certificate], tlsa(not_a_ca, "2 0 1"))

    assert result.verdict is Verdict.TLSA_INVALID
    assert "the trust anchor is not a CA certificate" in result.reason


def test_trust_anchor_without_basic_constraints_is_accepted() -> None:
    v1_style_root = issue("Old Root", ca=None)
    server = leaf(v1_style_root, MX)
    record = tlsa(v1_style_root, "2 0 1")

    assert_passes(verify([server.certificate, v1_style_root.certificate], record), record, 1)


def test_unknown_critical_extension_breaks_the_path() -> None:
    root = ca("Root")
    strange = ca("Strange", issuer=root, unknown_critical_extension=True)

    result = _ta_result_for_intermediate(root, strange)

    assert result.verdict is Verdict.TLSA_INVALID
    assert "critical extension" in result.reason


@pytest.mark.parametrize(
    ("server_name", "expected"),
    [(MX, Verdict.PASS), ("mx1.example.org", Verdict.TLSA_INVALID)],
)
def test_name_constraints_of_the_anchor_are_enforced(server_name: str, expected: Verdict) -> None:
    constrained = ca("Constrained Root", permitted_dns=("example.com",))
    server = leaf(constrained, server_name)

    result = verify(
        [server.certificate, constrained.certificate],
        tlsa(constrained, "2 0 1"),
        identifiers=(server_name,),
    )

    assert result.verdict is expected, result.reason


# --- key types and mixed records ---------------------------------------------------------------


@pytest.mark.parametrize("root_kind", ["rsa", "ec", "ed25519"])
@pytest.mark.parametrize("leaf_kind", ["rsa", "ec"])
def test_signatures_of_every_key_type_are_checked(root_kind: Any, leaf_kind: Any) -> None:
    root = ca(f"{root_kind} root", key=new_key(root_kind))
    server = leaf(root, MX, key=new_key(leaf_kind))
    record = tlsa(root, "2 1 1")

    assert_passes(verify([server.certificate, root.certificate], record), record, depth=1)


def test_a_matching_dane_ee_record_passes_whatever_the_dane_ta_records(pki: Pki) -> None:
    ee = tlsa(pki.leaf, "3 1 1")

    result = verify(pki.chain, TlsaRecord(2, 0, 1, bytes(32)), ee)

    assert_passes(result, ee, depth=0)


def test_a_matching_dane_ta_record_passes_after_a_wrong_dane_ee_record(pki: Pki) -> None:
    ta = tlsa(pki.intermediate, "2 0 1")

    result = verify(pki.chain, TlsaRecord(3, 1, 1, bytes(32)), ta)

    assert_passes(result, ta, depth=1)


def test_all_unusable_records_authenticate_nothing(pki: Pki) -> None:
    records = [tlsa(pki.leaf, "1 1 1"), tlsa(pki.root, "0 0 1"), TlsaRecord(3, 1, 1, bytes(16))]

    result = verify(pki.chain, *records)

    assert result.verdict is Verdict.TLSA_INVALID
    assert result.reason == "No TLSA record is usable, so none can authenticate the server."


def test_rfc7671_agility_rejects_a_key_matching_only_the_weaker_digest() -> None:
    examples = load_vector("tlsa-rfc-examples.json")
    by_prefix = {record["rdata"][:5]: record["rdata"] for record in examples["records"]}
    sha256, sha512, full = (TlsaRecord.from_text(by_prefix[p]) for p in ("3 1 1", "3 1 2", "3 1 0"))
    rfc_key = serialization.load_der_public_key(full.data)
    assert isinstance(rfc_key, ec.EllipticCurvePublicKey)
    server = issue(MX, public_key=rfc_key)
    wrong_sha512 = TlsaRecord(3, 1, 2, bytes(64))

    all_three = verify([server.certificate], sha256, sha512, full)
    only_256_matches = verify([server.certificate], sha256, wrong_sha512)

    assert_passes(all_three, sha512, depth=0)
    assert only_256_matches.verdict is Verdict.TLSA_INVALID


def with_unknown_key_algorithm(certificate: x509.Certificate) -> x509.Certificate:
    """``certificate`` with its EC key algorithm OID replaced by one nobody knows."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    id_ec_public_key = bytes.fromhex("06072a8648ce3d0201")
    assert der.count(id_ec_public_key) == 1
    return x509.load_der_x509_certificate(
        der.replace(id_ec_public_key, bytes.fromhex("06072a8648ce3d0209"))
    )


def test_a_leaf_with_an_unreadable_key_matches_only_full_certificate_records(pki: Pki) -> None:
    odd_leaf = with_unknown_key_algorithm(pki.leaf.certificate)
    by_certificate = tlsa(odd_leaf, "3 0 1")

    assert verify([odd_leaf], tlsa(pki.leaf, "3 1 1")).verdict is Verdict.TLSA_INVALID
    assert_passes(verify([odd_leaf], by_certificate), by_certificate, depth=0)


def test_an_issuer_with_an_unreadable_key_is_skipped(pki: Pki) -> None:
    odd_intermediate = with_unknown_key_algorithm(pki.intermediate.certificate)
    chain = [pki.leaf.certificate, odd_intermediate, pki.intermediate.certificate]
    record = tlsa(pki.intermediate, "2 0 1")

    result = verify(chain, record)

    assert_passes(result, record, depth=1)
    assert result.match is not None
    assert result.match.presented_index == 2
