"""The whole status result of Get-DnssecStatusForVerifiedDomain, from plain observations.

:func:`evaluate` assembles the DNSSEC feature state, the expected MX record, the DNS, MX and
MTA-STS sections and the TLS-RPT report. A domain that is not accepted (EG001) or not
verified (EG002) stops there: no lookups are needed and no section is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dnsops.checks.catalogue import finding
from dnsops.checks.dnssec import ZoneDiagnosis, ZoneDnssecEvidence, diagnose_zone
from dnsops.checks.findings import Finding, SectionResult
from dnsops.checks.mta_sts import MtaStsResult, PolicyFetch, evaluate_mta_sts
from dnsops.checks.mx import ProviderNamespace, dns_mx_findings, evaluate_mx_section
from dnsops.checks.tlsrpt import TlsRptResult, evaluate_tlsrpt
from dnsops.dns.types import (
    AddressLookup,
    LookupStatus,
    MxLookup,
    TxtLookup,
    normalize_host,
    printable,
)


class DomainGate(StrEnum):
    """Whether the domain may be checked at all."""

    VERIFIED = "verified"  # an accepted, verified domain of the tenant: run the checks
    NOT_ACCEPTED = "not-accepted"  # EG001
    NOT_VERIFIED = "not-verified"  # EG002


_GATE_CODES = {DomainGate.NOT_ACCEPTED: "EG001", DomainGate.NOT_VERIFIED: "EG002"}


@dataclass(frozen=True)
class Observations:
    """Everything the resolver and the policy fetcher saw for one domain.

    ``mx_host_addresses`` maps each MX host to its A and AAAA lookups; ``mta_sts_policy``
    is None unless ``_mta-sts`` holds a valid record (then the policy was fetched).
    """

    observed_at: datetime
    mx: MxLookup
    mx_host_addresses: Mapping[str, tuple[AddressLookup, ...]]
    zone: ZoneDnssecEvidence
    mta_sts_txt: TxtLookup
    mta_sts_policy: PolicyFetch | None
    tlsrpt_txt: TxtLookup


@dataclass(frozen=True)
class StatusResult:
    """The status of one domain; the sections are None when EG001/EG002 stopped the checks."""

    domain: str
    checked_at: datetime | None
    dnssec_feature_status: str | None
    expected_host: str | None
    domain_section: SectionResult
    dns: SectionResult | None
    zone: ZoneDiagnosis | None
    mx: SectionResult | None
    mta_sts: MtaStsResult | None
    tlsrpt: TlsRptResult | None
    mx_records: tuple[str, ...] = ()  # the MX RRset looked at: "<preference> <host>"

    @property
    def findings(self) -> list[Finding]:
        """Every finding of the result, domain level first, then DNS, MX, MTA-STS, TLS-RPT."""
        sections: Iterable[SectionResult | None] = (
            self.domain_section,
            self.dns,
            self.mx,
            None if self.mta_sts is None else self.mta_sts.section,
        )
        found = [item for section in sections if section for item in section.findings]
        return found + ([] if self.tlsrpt is None else list(self.tlsrpt.findings))

    def to_dict(self) -> dict[str, object]:
        """The result as JSON with stable keys (see ``docs/status-codes.md``)."""
        dns = None
        if self.dns is not None and self.zone is not None:
            dns = {**self.dns.to_dict(), "Zone": self.zone.to_dict()}
        return {
            "Domain": self.domain,
            "CheckedAt": None if self.checked_at is None else self.checked_at.isoformat(),
            "DnssecFeatureStatus": self.dnssec_feature_status,
            "ExpectedMxRecord": None
            if self.expected_host is None
            else {"Value": self.expected_host, "Preference": 0},
            "DomainValidation": self.domain_section.to_dict(),
            "DnsValidation": dns,
            "MxValidation": None
            if self.mx is None
            else {**self.mx.to_dict(), "Records": list(self.mx_records)},
            "MtaStsValidation": None if self.mta_sts is None else self.mta_sts.to_dict(),
            "TlsRpt": None if self.tlsrpt is None else self.tlsrpt.to_dict(),
        }


def evaluate(
    domain: str,
    *,
    gate: DomainGate,
    dnssec_feature_status: str | None,
    expected_host: str | None,
    observations: Observations | None,
    provider: ProviderNamespace,
    tlsrpt_rua_hint: str | None = None,
) -> StatusResult:
    """Assemble the status of ``domain`` from what was observed.

    ``expected_host`` is the domain's DnssecMxValue (None while DNSSEC is not enabled);
    ``observations`` may be None only when ``gate`` stops the checks. ``tlsrpt_rua_hint`` is
    the report URI TLS-RPT actions suggest (default ``mailto:tlsrpt@<domain>``).
    """
    expected = None if expected_host is None else normalize_host(expected_host)
    if gate is not DomainGate.VERIFIED:
        stop = SectionResult.from_findings([finding(_GATE_CODES[gate], domain=domain)])
        return StatusResult(
            domain, None, dnssec_feature_status, expected, stop, None, None, None, None, None
        )
    if observations is None:
        raise ValueError(f"{domain} is verified: its observations are needed to evaluate it")

    now = observations.observed_at
    zone = diagnose_zone(domain, observations.mx, observations.zone, now=now)
    dns_findings = dns_mx_findings(
        domain, observations.mx, observations.mx_host_addresses, expected
    )
    dns = SectionResult.from_findings(
        [*dns_findings, *zone.findings], evaluated=observations.mx.status is not LookupStatus.ERROR
    )
    return StatusResult(
        domain=domain,
        checked_at=now,
        dnssec_feature_status=dnssec_feature_status,
        expected_host=expected,
        domain_section=SectionResult.from_findings([]),
        dns=dns,
        zone=zone,
        mx=evaluate_mx_section(domain, observations.mx, expected, provider),
        mta_sts=evaluate_mta_sts(
            domain, observations.mta_sts_txt, observations.mta_sts_policy, expected, now=now
        ),
        tlsrpt=evaluate_tlsrpt(
            domain, observations.tlsrpt_txt, rua_hint=tlsrpt_rua_hint or f"mailto:tlsrpt@{domain}"
        ),
        mx_records=tuple(
            f"{record.preference} {printable(record.host)}" for record in observations.mx.records
        ),
    )
