"""Checks a TLSA publisher runs on its own RRset against the chains it deploys (RFC 7671 §8).

The inbound side publishes ``_25._tcp.<mx host>`` records for the provider's certificates;
these checks say whether DANE senders can authenticate the chain served *now*, and whether the
RRset is ready for the *next* chain: every (usage, selector, matching type) combination must
match the current chain (§8), every digest should cover the same chains (§8.3), and PKIX
usages, unusable records and SHA2-512-only RRsets are warned about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from dnsops.dane.tlsa import MatchingType, TlsaRecord, Usage, load_certificate
from dnsops.dane.verify import verify_chain
from dnsops.severity import SectionStatus, Severity, status_of


@dataclass(frozen=True)
class PublisherFinding:
    """One problem of a published RRset: a stable code, what is wrong, the records concerned."""

    code: str
    severity: Severity
    message: str
    records: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """The finding as JSON: ``{code, severity, message, records}``, the records in lower-case
        hex as resolvers present them."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "records": [record.lower() for record in self.records],
        }


def check_published_rrset(
    records: Iterable[TlsaRecord],
    *,
    current_chain: Sequence[x509.Certificate | bytes],
    mx_host: str,
    now: datetime,
    next_chain: Sequence[x509.Certificate | bytes] = (),
) -> list[PublisherFinding]:
    """The findings for ``records`` published for ``mx_host`` (empty when all is well).

    ``current_chain`` is the chain the server presents now, leaf first; ``next_chain`` the one
    it will present after the planned key or certificate change, if any.
    """
    records = list(records)
    findings = [_unusable_finding(record) for record in records if not record.usable]
    usable = [record for record in records if record.usable]
    if not usable:
        findings.append(
            PublisherFinding(
                "NoUsableRecord",
                Severity.WARNING,
                "No record is usable, so DANE senders use TLS without authenticating the server.",
                tuple(record.to_text() for record in records),
            )
        )
        return findings
    combinations: dict[tuple[int, int, int], list[TlsaRecord]] = {}
    for record in usable:
        combinations.setdefault((record.usage, record.selector, record.matching_type), []).append(
            record
        )
    for (usage, selector, matching_type), members in combinations.items():
        result = verify_chain(current_chain, members, reference_identifiers=(mx_host,), now=now)
        if not result.authenticated:
            findings.append(
                PublisherFinding(
                    "ChainNotAuthenticated",
                    Severity.ERROR,
                    f"No {usage} {selector} {matching_type} record authenticates the chain the "
                    f"server presents now, so senders that use this combination cannot "
                    f"deliver (RFC 7671 §8): {result.reason}",
                    tuple(record.to_text() for record in members),
                )
            )
    chains = {"current": _load(current_chain), "next": _load(next_chain)}
    findings.extend(_digest_coverage_findings(usable, chains))
    if all(record.matching_type == MatchingType.SHA2_512 for record in usable):
        findings.append(
            PublisherFinding(
                "OnlySha2_512",
                Severity.WARNING,
                "Every usable record is SHA2-512; publish SHA2-256 too, the digest every "
                "client supports (RFC 7671 §2).",
                tuple(record.to_text() for record in usable),
            )
        )
    return findings


def overall_status(findings: Iterable[PublisherFinding]) -> SectionStatus:
    """The RRset's verdict: Failed if any error, else Warning if any warning, else Passed."""
    return status_of(finding.severity for finding in findings)


def earliest_key_switch(published_everywhere_at: datetime, ttl: timedelta) -> datetime:
    """When the server may switch to a key whose record was added (RFC 7671 §8.1).

    Two TTLs of the TLSA RRset after every authoritative server serves the new record.
    """
    return published_everywhere_at + 2 * ttl


def _unusable_finding(record: TlsaRecord) -> PublisherFinding:
    """The warning for a record SMTP clients ignore."""
    if record.usage in (Usage.PKIX_TA, Usage.PKIX_EE):
        code = "PkixUsagePublished"
        message = (
            "PKIX usages (0, 1) should not be published for port 25: SMTP clients ignore them "
            "(RFC 7672 §3.1.3)."
        )
    else:
        code = "UnusableRecord"
        message = f"Clients ignore this record: {record.unusable_reason}."
    return PublisherFinding(code, Severity.WARNING, message, (record.to_text(),))


def _load(chain: Sequence[x509.Certificate | bytes]) -> list[x509.Certificate]:
    """A chain as certificate objects."""
    return [load_certificate(certificate) for certificate in chain]


def _covers(record: TlsaRecord, chain: Sequence[x509.Certificate]) -> bool:
    """Whether ``record`` matches ``chain``: its leaf for DANE-EE, any certificate for DANE-TA."""
    candidates = chain[:1] if record.usage == Usage.DANE_EE else chain
    return any(record.matches(certificate) for certificate in candidates)


def _digest_coverage_findings(
    usable: Sequence[TlsaRecord], chains: dict[str, list[x509.Certificate]]
) -> list[PublisherFinding]:
    """Warnings where matching types of one (usage, selector) cover different chains (§8.3)."""
    by_matching_type: dict[tuple[int, int], dict[int, list[TlsaRecord]]] = {}
    for record in usable:
        group = by_matching_type.setdefault((record.usage, record.selector), {})
        group.setdefault(record.matching_type, []).append(record)
    findings = []
    for (usage, selector), group in by_matching_type.items():
        coverage = {
            matching_type: frozenset(
                label
                for label, chain in chains.items()
                if any(_covers(record, chain) for record in members)
            )
            for matching_type, members in group.items()
        }
        if len(set(coverage.values())) > 1:
            described = "; ".join(
                f"matching type {matching_type} covers the "
                f"{' and '.join(sorted(labels)) or 'no'} chain(s)"
                for matching_type, labels in sorted(coverage.items())
            )
            findings.append(
                PublisherFinding(
                    "DigestsCoverDifferentChains",
                    Severity.WARNING,
                    f"The {usage} {selector} records do not cover the same chains with every "
                    f"digest ({described}); clients that prefer the stronger digest fail once "
                    "the chains change (RFC 7671 §8.3, §9).",
                    tuple(record.to_text() for members in group.values() for record in members),
                )
            )
    return findings
