"""DNSSEC diagnosis of the customer's zone from what the validating resolver said.

The apex lookup (the MX query at the domain) tells secure (AD), insecure (answer without
AD) or bogus (SERVFAIL with a DNSSEC Extended DNS Error, or data when re-asked with CD
set); the evidence says whether DNSKEY and DS exist, which algorithms and digests they use,
and when the signatures seen expire. The findings explain ED003 and ED001 to the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from dnsops.checks.catalogue import finding
from dnsops.checks.findings import Finding
from dnsops.dns.types import Lookup, LookupStatus, is_dnssec_failure

#: Signatures expiring sooner than this are reported (ED007).
EXPIRY_WARNING_WINDOW = timedelta(days=7)

#: The finding each EDE info code explains; others only appear in ED001/ED008 reasons.
EDE_FINDINGS: dict[int, str] = {
    1: "ED014",
    2: "ED014",
    3: "ED015",
    7: "ED009",
    8: "ED010",
    9: "ED011",
    10: "ED012",
    11: "ED011",
    12: "ED013",
    19: "ED015",
    22: "ED015",
    23: "ED015",
}

#: Codes more specific than ED008 about why validation fails.
_SPECIFIC_BOGUS_CODES = frozenset({"ED009", "ED010", "ED011", "ED012", "ED013", "ED014"})

#: RFC 8624 §3.1: DNSKEY algorithms that MUST NOT or are NOT RECOMMENDED for signing.
WEAK_SIGNING_ALGORITHMS: dict[int, str] = {
    1: "RSAMD5",
    3: "DSA",
    5: "RSASHA1",
    6: "DSA-NSEC3-SHA1",
    7: "RSASHA1-NSEC3-SHA1",
    10: "RSASHA512",
    12: "ECC-GOST",
}

#: RFC 8624 §3.3: DS digest types that MUST NOT be used for delegation.
FORBIDDEN_DS_DIGESTS: dict[int, str] = {0: "NULL", 1: "SHA-1", 3: "GOST R 34.11-94"}


class ZoneSecurity(StrEnum):
    """The validation state of the customer's zone (RFC 4035 §4.3)."""

    SECURE = "secure"
    INSECURE = "insecure"
    BOGUS = "bogus"
    UNKNOWN = "unknown"  # the lookup failed for another reason, or the domain does not exist


@dataclass(frozen=True)
class ZoneDnssecEvidence:
    """What the resolver layer found about the zone besides the apex answer.

    ``None`` means not looked up or the lookup failed. ``answers_without_validation`` is
    True when the apex query, repeated with CD set, got an answer (so a SERVFAIL was
    bogus data, not an unreachable zone: ``dnsops.dns.types.answers_without_validation``).
    Expirations must be timezone-aware.
    """

    dnskey_published: bool | None = None
    dnskey_algorithms: tuple[int, ...] = ()
    ds_at_parent: bool | None = None
    ds_digest_types: tuple[int, ...] = ()
    answers_without_validation: bool | None = None
    signature_expirations: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class ZoneDiagnosis:
    """The zone's DNSSEC state and the findings that explain it."""

    security: ZoneSecurity
    dnskey_published: bool | None
    ds_at_parent: bool | None
    earliest_signature_expiration: datetime | None
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, object]:
        """``{"Security", "DnskeyPublished", "DsAtParent", "EarliestSignatureExpiration"}``."""
        expiration = self.earliest_signature_expiration
        return {
            "Security": self.security.value,
            "DnskeyPublished": self.dnskey_published,
            "DsAtParent": self.ds_at_parent,
            "EarliestSignatureExpiration": None if expiration is None else expiration.isoformat(),
        }


def classify_zone(apex: Lookup, evidence: ZoneDnssecEvidence) -> ZoneSecurity:
    """Secure, insecure, bogus or unknown, from the apex answer and the CD retry."""
    if apex.status in (LookupStatus.OK, LookupStatus.NODATA, LookupStatus.UNREADABLE):
        return ZoneSecurity.SECURE if apex.authenticated else ZoneSecurity.INSECURE
    if apex.status is LookupStatus.SERVFAIL and (
        evidence.answers_without_validation or is_dnssec_failure(apex.extended_errors)
    ):
        return ZoneSecurity.BOGUS
    return ZoneSecurity.UNKNOWN


def diagnose_zone(
    domain: str,
    apex: Lookup,
    evidence: ZoneDnssecEvidence,
    *,
    now: datetime,
    warning_window: timedelta = EXPIRY_WARNING_WINDOW,
) -> ZoneDiagnosis:
    """Diagnose the DNSSEC of ``domain`` (nothing to say when the domain does not exist).

    Findings, in order: signing state (ED004-ED006; ED018 when a lookup failed), the
    resolver's Extended DNS Errors (ED009-ED015), a DS without DNSKEY (ED011), signature
    expiry (ED009, ED007), the generic bogus finding when nothing more specific explains a
    bogus zone (ED008), weak algorithms and digests (ED016, ED017). Each code appears at most once.
    """
    security = classify_zone(apex, evidence)
    expirations = evidence.signature_expirations
    earliest = min(expirations) if expirations else None
    if apex.status is LookupStatus.NXDOMAIN:
        return ZoneDiagnosis(security, None, None, earliest, ())

    found: list[Finding] = []
    if security is ZoneSecurity.INSECURE:
        if evidence.dnskey_published is None:  # a failed lookup is not an absent record
            found.append(finding("ED018", domain=domain, lookup="DNSKEY"))
        elif evidence.dnskey_published and evidence.ds_at_parent is None:
            found.append(finding("ED018", domain=domain, lookup="DS"))
        elif not evidence.dnskey_published:
            found.append(finding("ED004", domain=domain))
        elif evidence.ds_at_parent:
            found.append(finding("ED006", domain=domain))
        else:
            found.append(finding("ED005", domain=domain))
    for error in apex.extended_errors:
        if error.info_code in EDE_FINDINGS:
            found.append(
                finding(EDE_FINDINGS[error.info_code], domain=domain, reason=error.describe())
            )
    if (
        security is ZoneSecurity.BOGUS
        and evidence.ds_at_parent
        and evidence.dnskey_published is False
    ):
        reason = "the parent has a DS record but the zone publishes no DNSKEY"
        found.append(finding("ED011", domain=domain, reason=reason))
    if earliest is not None:
        found.extend(_expiry_findings(domain, earliest, now, warning_window))
    if security is ZoneSecurity.BOGUS and not any(f.code in _SPECIFIC_BOGUS_CODES for f in found):
        found.append(finding("ED008", domain=domain, reason=apex.describe_failure()))
    found.extend(_weak_crypto_findings(domain, evidence))

    first_per_code = {item.code: item for item in reversed(found)}
    return ZoneDiagnosis(
        security,
        evidence.dnskey_published,
        evidence.ds_at_parent,
        earliest,
        tuple(first_per_code[code] for code in dict.fromkeys(item.code for item in found)),
    )


def _expiry_findings(
    domain: str, earliest: datetime, now: datetime, window: timedelta
) -> list[Finding]:
    """ED009 if a signature has expired, ED007 if one expires within ``window``."""
    shown = earliest.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if earliest <= now:
        return [finding("ED009", domain=domain, reason=f"a signature expired at {shown}")]
    if earliest - now <= window:
        return [
            finding(
                "ED007",
                domain=domain,
                expires_at=shown,
                time_left=_duration(earliest - now),
                window_days=window.days,
            )
        ]
    return []


def _weak_crypto_findings(domain: str, evidence: ZoneDnssecEvidence) -> list[Finding]:
    """ED016 for weak DNSKEY algorithms, ED017 for forbidden DS digest types."""
    found: list[Finding] = []
    algorithms = sorted(set(evidence.dnskey_algorithms) & WEAK_SIGNING_ALGORITHMS.keys())
    if algorithms:
        named = ", ".join(f"{number} ({WEAK_SIGNING_ALGORITHMS[number]})" for number in algorithms)
        found.append(finding("ED016", domain=domain, algorithms=named))
    digests = sorted(set(evidence.ds_digest_types) & FORBIDDEN_DS_DIGESTS.keys())
    if digests:
        named = ", ".join(f"{number} ({FORBIDDEN_DS_DIGESTS[number]})" for number in digests)
        found.append(finding("ED017", domain=domain, digests=named))
    return found


def _duration(delta: timedelta) -> str:
    """``2 days 5 hours``, ``5 hours``, ``less than an hour``."""
    hours = delta.seconds // 3600
    parts = []
    if delta.days:
        parts.append(f"{delta.days} day{'s' if delta.days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts) or "less than an hour"
