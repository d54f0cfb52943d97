"""What an inbound address serves, judged against the provider's keys and the published TLSA
set (pure): which key it is, whether a DANE sender authenticates it, and the findings
(codes ``EK0xx`` of ``dnsops.checks.catalogue``: mismatch, expired, expiring, an issuer (``2 1
1``) that expires soon or is missing from the chain, an address the probe could not read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from dnsops.checks.catalogue import finding
from dnsops.checks.findings import Finding
from dnsops.dane.tlsa import TlsaRecord
from dnsops.dane.verify import verify_chain
from dnsops.inbound.keys import spki_sha256

#: Issuer records: warn this many days before the issuing CA's certificate expires (a TLSA
#: for a retired root makes mail undeliverable: the Mailu failure).
ISSUER_WARNING_DAYS = 30


@dataclass(frozen=True)
class KeyInfo:
    """A registered key as the judgement needs it."""

    name: str
    spki_sha256: str
    is_issuer: bool
    not_after: datetime


@dataclass(frozen=True)
class ServedJudgement:
    """One address: the key its leaf is (None: unregistered or nothing served), whether the
    chain authenticates against the published set, its leaf's ``not_after``, the findings."""

    address: str
    served_key: str | None
    matches: bool
    not_after: datetime | None
    findings: tuple[Finding, ...]


def judge_served_chain(
    address: str,
    chain: Sequence[x509.Certificate],
    *,
    detail: str,
    published: Sequence[str],
    keys: Sequence[KeyInfo],
    mx_host: str,
    now: datetime,
    warning_days: int,
) -> ServedJudgement:
    """Judge the chain ``address`` presented (leaf first; empty when the probe got none, then
    ``detail`` says why) against the ``published`` TLSA set and the registered ``keys``."""
    if not chain:
        return ServedJudgement(
            address, None, False, None, (finding("EK006", address=address, detail=detail),)
        )
    leaf = chain[0]
    spki = spki_sha256(leaf)
    served = next((key.name for key in keys if key.spki_sha256 == spki), None)
    records = [TlsaRecord.from_text(text) for text in published]
    verification = verify_chain(chain, records, reference_identifiers=(mx_host,), now=now)
    found: list[Finding] = []
    if not verification.authenticated:
        found.append(
            finding(
                "EK001",
                address=address,
                key=served or f"an unregistered certificate (SPKI SHA-256 {spki[:16]}…)",
            )
        )
    not_after = leaf.not_valid_after_utc
    if not_after <= now:
        found.append(finding("EK002", address=address, not_after=not_after.isoformat()))
    elif not_after - now <= timedelta(days=warning_days):
        found.append(
            finding(
                "EK003",
                address=address,
                not_after=not_after.isoformat(),
                days=(not_after - now).days,
            )
        )
    chain_spkis = {spki_sha256(certificate) for certificate in chain[1:]}
    for issuer in (key for key in keys if key.is_issuer):
        if issuer.spki_sha256 not in chain_spkis:
            found.append(finding("EK005", address=address, issuer=issuer.name))
    return ServedJudgement(address, served, verification.authenticated, not_after, tuple(found))


def issuer_findings(keys: Sequence[KeyInfo], *, now: datetime) -> list[Finding]:
    """Published issuing CAs within ``ISSUER_WARNING_DAYS`` of their ``not_after``."""
    return [
        finding("EK004", issuer=key.name, not_after=key.not_after.isoformat())
        for key in keys
        if key.is_issuer and key.not_after - now <= timedelta(days=ISSUER_WARNING_DAYS)
    ]
