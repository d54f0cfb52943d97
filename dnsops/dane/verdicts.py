"""Verdicts of outbound DANE validation, with their enhanced status codes and TLS-RPT names.

A verdict is what an RFC 7672 sending MTA concludes for one destination or one MX host. The
DANE failures carry the provider's enhanced status codes (4.x.x while the message is retried,
5.x.x in the NDR after it expires; see :mod:`dnsops.dane.retry`) and the RFC 8460
``result-type`` a TLS-RPT report would use. The .32x and .312 detail numbers are the ones
Exchange Online documents, not IANA-registered codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class VerdictInfo:
    """What a verdict means for delivery, and how it is reported.

    ``temporary_code`` is ``None`` for verdicts that are never retried (the message bounces at
    once with ``permanent_code``); both codes are ``None`` when mail is delivered.
    """

    summary: str
    delivers: bool
    temporary_code: str | None
    permanent_code: str | None
    tlsrpt_result_type: str | None


class Verdict(StrEnum):
    """The outcome for one host or one destination."""

    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    NO_TLSA = "no-tlsa"
    DANE_NOT_APPLICABLE = "dane-not-applicable"
    UNAUTHENTICATED_TLS = "unauthenticated-tls"
    STARTTLS_NOT_SUPPORTED = "starttls-not-supported"
    CERTIFICATE_EXPIRED = "certificate-expired"
    TLSA_INVALID = "tlsa-invalid"
    DNSSEC_INVALID = "dnssec-invalid"
    CERTIFICATE_HOST_MISMATCH = "certificate-host-mismatch"
    DNS_QUERY_FAILED = "dns-query-failed"
    HOST_NOT_FOUND = "host-not-found"
    CONNECTION_FAILED = "connection-failed"
    NULL_MX = "null-mx"
    DOMAIN_NOT_FOUND = "domain-not-found"

    @property
    def info(self) -> VerdictInfo:
        """The meaning, status codes and TLS-RPT name of this verdict."""
        return _VERDICT_INFO[self]


_VERDICT_INFO: dict[Verdict, VerdictInfo] = {
    Verdict.PASS: VerdictInfo(
        "DANE authenticated the server: a usable TLSA record matched its certificate chain.",
        delivers=True,
        temporary_code=None,
        permanent_code=None,
        tlsrpt_result_type=None,
    ),
    Verdict.NO_TLSA: VerdictInfo(
        "The host has no DNSSEC-secure TLSA records: opportunistic TLS, as without DANE.",
        delivers=True,
        temporary_code=None,
        permanent_code=None,
        tlsrpt_result_type=None,
    ),
    Verdict.DANE_NOT_APPLICABLE: VerdictInfo(
        "The MX or address records are not DNSSEC-secure: DANE does not apply, opportunistic "
        "TLS is used.",
        delivers=True,
        temporary_code=None,
        permanent_code=None,
        tlsrpt_result_type=None,
    ),
    Verdict.UNAUTHENTICATED_TLS: VerdictInfo(
        "The host publishes TLSA records but none is usable: TLS is mandatory but the server "
        "is not authenticated.",
        delivers=True,
        temporary_code=None,
        permanent_code=None,
        tlsrpt_result_type=None,
    ),
    Verdict.STARTTLS_NOT_SUPPORTED: VerdictInfo(
        "The host has TLSA records but did not offer STARTTLS, or the TLS handshake failed.",
        delivers=False,
        temporary_code="4.7.321",
        permanent_code="5.7.321",
        tlsrpt_result_type="starttls-not-supported",
    ),
    Verdict.CERTIFICATE_EXPIRED: VerdictInfo(
        "A DANE-TA record matched, but a certificate of the validated chain has expired.",
        delivers=False,
        temporary_code="4.7.322",
        permanent_code="5.7.322",
        tlsrpt_result_type="certificate-expired",
    ),
    Verdict.TLSA_INVALID: VerdictInfo(
        "No usable TLSA record authenticates the certificate chain the server presented.",
        delivers=False,
        temporary_code="4.7.323",
        permanent_code="5.7.323",
        tlsrpt_result_type="tlsa-invalid",
    ),
    Verdict.DNSSEC_INVALID: VerdictInfo(
        "DNSSEC validation failed (bogus answer), or a lookup that must be secure failed.",
        delivers=False,
        temporary_code="4.7.324",
        permanent_code="5.7.324",
        tlsrpt_result_type="dnssec-invalid",
    ),
    Verdict.CERTIFICATE_HOST_MISMATCH: VerdictInfo(
        "A DANE-TA record matched, but no name in the server certificate is one of the "
        "reference identifiers (TLSA base domain, MX host, next-hop domain).",
        delivers=False,
        temporary_code="4.7.325",
        permanent_code="5.7.325",
        tlsrpt_result_type="certificate-host-mismatch",
    ),
    Verdict.DNS_QUERY_FAILED: VerdictInfo(
        "A DNS lookup failed (SERVFAIL, timeout, refused or unreadable answer).",
        delivers=False,
        temporary_code="4.4.312",
        permanent_code="5.4.312",
        tlsrpt_result_type=None,
    ),
    Verdict.HOST_NOT_FOUND: VerdictInfo(
        "The MX host name has no A/AAAA records.",
        delivers=False,
        temporary_code="4.4.4",
        permanent_code="5.4.4",
        tlsrpt_result_type=None,
    ),
    Verdict.CONNECTION_FAILED: VerdictInfo(
        "No SMTP session could be established with the host.",
        delivers=False,
        temporary_code="4.4.1",
        permanent_code="5.4.1",
        tlsrpt_result_type=None,
    ),
    Verdict.NULL_MX: VerdictInfo(
        "The domain publishes a null MX (RFC 7505): it accepts no mail.",
        delivers=False,
        temporary_code=None,
        permanent_code="5.1.10",
        tlsrpt_result_type=None,
    ),
    Verdict.DOMAIN_NOT_FOUND: VerdictInfo(
        "The domain does not exist (NXDOMAIN).",
        delivers=False,
        temporary_code=None,
        permanent_code="5.4.310",
        tlsrpt_result_type=None,
    ),
}
