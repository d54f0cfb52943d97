"""The served-certificate judgement (``dnsops.inbound.served``): which key an inbound address
serves and the findings EK001-EK006 (mismatch, expired, expiring, issuer not in the chain,
issuer expiring, nothing read)."""

from __future__ import annotations

from datetime import timedelta

from dnsops.dane.tlsa import Usage, tlsa_for_certificate
from dnsops.inbound.keys import spki_sha256
from dnsops.inbound.served import KeyInfo, issuer_findings, judge_served_chain
from tests.unit.dane.pki import NOW, Issued, ca, leaf

HOST = "t1.o-v1.mx.provider.test"


def key_info(name: str, issued: Issued, *, is_issuer: bool = False) -> KeyInfo:
    """A registered key of ``issued``."""
    certificate = issued.certificate
    return KeyInfo(name, spki_sha256(certificate), is_issuer, certificate.not_valid_after_utc)


def record(issued: Issued, usage: Usage = Usage.DANE_EE) -> str:
    """The ``3 1 1`` (or ``2 1 1``) record of ``issued``."""
    return tlsa_for_certificate(issued.certificate, usage=usage).to_text().lower()


def judge(chain: list[Issued], published: list[str], keys: list[KeyInfo], **options):
    """Judge ``chain`` as served by 127.0.0.25."""
    return judge_served_chain(
        "127.0.0.25",
        [issued.certificate for issued in chain],
        detail=options.pop("detail", ""),
        published=published,
        keys=keys,
        mx_host=HOST,
        now=options.pop("now", NOW),
        warning_days=options.pop("warning_days", 21),
    )


def codes(judgement) -> list[str]:
    return [finding.code for finding in judgement.findings]


def test_a_registered_published_key_matches_with_no_finding() -> None:
    current = leaf(None, HOST)
    judged = judge([current], [record(current)], [key_info("current", current)])
    assert (judged.served_key, judged.matches, codes(judged)) == ("current", True, [])


def test_an_unregistered_certificate_matches_nothing() -> None:
    current, stale = leaf(None, HOST), leaf(None, HOST)
    judged = judge([stale], [record(current)], [key_info("current", current)])
    assert (judged.served_key, judged.matches, codes(judged)) == (None, False, ["EK001"])
    assert "unregistered certificate" in judged.findings[0].message


def test_expired_and_expiring_certificates_are_findings() -> None:
    current = leaf(None, HOST, not_after=NOW + timedelta(days=10))
    published, keys = [record(current)], [key_info("current", current)]
    assert codes(judge([current], published, keys)) == ["EK003"]
    assert codes(judge([current], published, keys, warning_days=5)) == []
    assert codes(judge([current], published, keys, now=NOW + timedelta(days=11))) == ["EK002"]


def test_a_published_issuer_missing_from_the_chain_and_expiring_soon() -> None:
    issuer = ca("Provider CA", not_after=NOW + timedelta(days=20))
    server = leaf(issuer, HOST)
    keys = [key_info("server", server), key_info("ca", issuer, is_issuer=True)]
    published = [record(server), record(issuer, Usage.DANE_TA)]
    assert codes(judge([server, issuer], published, keys)) == []
    assert codes(judge([server], published, keys)) == ["EK005"]  # the leaf alone
    assert [finding.code for finding in issuer_findings(keys, now=NOW)] == ["EK004"]
    assert issuer_findings(keys, now=NOW - timedelta(days=30)) == []


def test_an_address_that_served_nothing_says_why() -> None:
    judged = judge([], ["3 1 1 " + "00" * 32], [], detail="connection refused")
    assert (judged.matches, codes(judged)) == (False, ["EK006"])
    assert "connection refused" in judged.findings[0].message
