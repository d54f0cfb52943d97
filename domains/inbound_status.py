"""Get-SmtpDaneInboundStatus, a service that asks the network: the TLSA records the validating
resolver returns for a domain's MX host and, when asked, a probe of each of the host's
addresses (an SMTP session with STARTTLS) matching the served certificate against them."""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings

from dnsops.dane.analyzer import validate_host
from dnsops.dane.config import inbound_probe_config
from dnsops.dane.verdicts import Verdict
from dnsops.dns import resolver
from domains import publishing
from domains.choices import DaneState
from domains.errors import DnsLookupFailed
from domains.inbound_keys import published_tlsa_records, publisher_checks
from domains.models import AcceptedDomain
from domains.rollover import rollover_state


def smtp_dane_inbound_status(domain: AcceptedDomain, *, probe: bool = False) -> dict[str, Any]:
    """Get-SmtpDaneInboundStatus: the TLSA records the validating resolver returns for the
    domain's MX host, whether they are DNSSEC-authentic and the expected set, and (``probe``)
    whether the certificate each of the host's addresses serves matches one of them.
    ``PublisherChecks`` are the RFC 7671 §8 checks of the set the domain publishes (null while
    SMTP DANE inbound is not enabled); ``Rollover`` which of the provider's keys are published
    and whether a key rollover is in progress (``domains.rollover.rollover_state``; null as
    well). DnsLookupFailed when the resolver gives no answer
    (docs/api-errors.md: "we could not look")."""
    host = domain.dnssec_mx_value
    publishes = domain.dane_state == DaneState.ENABLED
    status: dict[str, Any] = {
        "DomainName": domain.name,
        "DnssecMxValue": host,
        "DnssecState": domain.dnssec_state,
        "SmtpDaneInboundState": domain.dane_state,
        "TlsaRecordName": publishing.tlsa_owner_of(host) if host else None,
        "TlsaRecords": [],
        "ExpectedTlsaRecords": list(published_tlsa_records()) if publishes else [],
        "DnssecValidated": False,
        "MatchesExpected": False,
        "ServedCertificateMatches": None,  # not probed
        "ServedCertificates": [],
        "PublisherChecks": publisher_checks(host) if publishes and host else None,
        "Rollover": rollover_state() if publishes else None,
    }
    if host is None:
        return {**status, "Result": "Success", "ErrorData": None}
    try:
        answer = resolver.query(publishing.tlsa_owner_of(host), "TLSA")
    except resolver.ResolverUnavailable as exc:  # we could not look: a 503 to retry, as verify
        raise DnsLookupFailed(
            f"Could not look up the TLSA records of {host}: {exc} Try again later."
        ) from exc
    records = sorted(rdata.to_text() for rdata in answer.records)
    status.update(
        TlsaRecords=records,
        DnssecValidated=answer.authenticated,
        MatchesExpected=records == sorted(status["ExpectedTlsaRecords"]),
    )
    if probe:
        status.update(probe_served_certificates(host))
    return {**status, "Result": "Success", "ErrorData": None}


def probe_served_certificates(host: str) -> dict[str, Any]:
    """What each address of the provider's MX ``host`` serves, matched against its TLSA
    records: ``ServedCertificateMatches`` is true only when every address was reached and
    serves a certificate that matches at least one record (an address left untried by the
    probe's limits is listed as ``not-tried``). With no DANE_INBOUND_ADDRESSES configured it
    connects nowhere and says so."""
    if not settings.DANE_INBOUND_ADDRESSES:
        return {
            "ServedCertificateMatches": None,
            "ServedCertificates": [],
            "ServedCertificateDetail": "Not probed: the provider's inbound servers are not "
            "configured (DANE_INBOUND_ADDRESSES is empty).",
        }
    report = asyncio.run(validate_host(host, inbound_probe_config()))
    entries: dict[str, dict[str, Any]] = {}
    for checked in report.hosts:
        for address in checked.addresses:
            entries[address] = {
                "Address": address,
                "Matches": False,
                "Verdict": "not-tried",
                "MatchedTlsaRecord": None,
                "MatchedDepth": None,
                "Detail": "Not tried within the probe's time and address limits.",
            }
        for session in checked.sessions:
            match = session.outcome.match
            entries[session.address] = {
                "Address": session.address,
                "Matches": session.outcome.verdict is Verdict.PASS,
                "Verdict": session.outcome.verdict.value,
                "MatchedTlsaRecord": match.record.to_text().lower() if match else None,
                "MatchedDepth": match.depth if match else None,
                "Detail": session.outcome.reason,
            }
    addresses = sorted(entries.values(), key=lambda entry: str(entry["Address"]))
    return {
        "ServedCertificateMatches": bool(addresses) and all(a["Matches"] for a in addresses),
        "ServedCertificates": addresses,
        "ServedCertificateDetail": report.decision.reason,
    }
