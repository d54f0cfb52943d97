"""Reports delivered by mail (RFC 8460 §3, §5.3): find the report part and check DKIM.

A mailed report must carry a valid DKIM signature of the reporting domain (the
``TLS-Report-Submitter``, or a parent of it) without ``l=``; receivers must ignore unsigned
ones (§3). The DKIM key is looked up with the function the caller passes (dkimpy's
``dnsfunc``: name -> the TXT record's bytes), so this module does no network I/O itself.
"""

from __future__ import annotations

import email.policy
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser

import dkim

from dnsops.tlsrpt.report import MEDIA_TYPES, ReportRejected

DnsFunc = Callable[..., bytes | None]


@dataclass(frozen=True)
class ReportMail:
    """The report part of a TLS-RPT message and the headers that name its sender."""

    report_domain: str | None
    submitter: str | None
    media_type: str
    body: bytes


def read_report_mail(message: bytes, max_size: int) -> ReportMail:
    """The ``application/tlsrpt+gzip`` (or ``+json``) part of ``message``.

    Raises :class:`ReportRejected` when the message is too large or carries no report part.
    """
    if len(message) > max_size:
        raise ReportRejected("too-large", f"The message is larger than {max_size} bytes.")
    parsed = BytesParser(policy=email.policy.default).parsebytes(message)
    assert isinstance(parsed, EmailMessage)
    for part in parsed.walk():
        media_type = part.get_content_type()
        if media_type in MEDIA_TYPES:
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                raise ReportRejected("no-report", "The report part is empty.")
            return ReportMail(
                report_domain=_header(parsed, "TLS-Report-Domain"),
                submitter=_header(parsed, "TLS-Report-Submitter"),
                media_type=media_type,
                body=payload,
            )
    raise ReportRejected(
        "no-report", f"The message has no {' or '.join(MEDIA_TYPES)} part (RFC 8460 §5.3)."
    )


def _header(message: EmailMessage, name: str) -> str | None:
    """A header's value, stripped and lower case; None when absent."""
    value = message.get(name)
    return None if value is None else str(value).strip().rstrip(".").lower() or None


def _aligned(signing_domain: str, submitter: str) -> bool:
    """True if ``signing_domain`` is the submitter's domain or a parent of it."""
    return submitter == signing_domain or submitter.endswith("." + signing_domain)


def verify_report_signature(message: bytes, submitter: str | None, dnsfunc: DnsFunc) -> str:
    """The ``d=`` of a valid DKIM signature of the submitter's domain, without ``l=``.

    Raises :class:`ReportRejected` (``dkim-missing``, ``dkim-failed``, ``dkim-unaligned``).
    """
    if submitter is None:
        raise ReportRejected("no-submitter", "The message has no TLS-Report-Submitter header.")
    checker = dkim.DKIM(message, tlsrpt=True)  # keys with s=tlsrpt or s=*; l= not honoured
    signatures = [value for name, value in checker.headers if name.lower() == b"dkim-signature"]
    if not signatures:
        raise ReportRejected("dkim-missing", "The message carries no DKIM signature.")
    reasons: list[str] = []
    for index in range(len(signatures)):
        try:
            valid = checker.verify(idx=index, dnsfunc=dnsfunc)
        except dkim.DKIMException as exc:
            reasons.append(str(exc))
            continue
        if not valid:
            reasons.append("the signature does not verify")
            continue
        fields = checker.signature_fields
        domain = fields.get(b"d", b"").decode("ascii", "replace").strip().rstrip(".").lower()
        if b"l" in fields:
            reasons.append(f"the signature of {domain} covers only part of the body (l=)")
        elif not _aligned(domain, submitter):
            reasons.append(f"the signature is of {domain}, not of the submitter {submitter}")
        else:
            return domain
    unaligned = all("not of the submitter" in reason for reason in reasons)
    raise ReportRejected(
        "dkim-unaligned" if unaligned else "dkim-failed",
        "No valid DKIM signature of the reporting domain: " + "; ".join(reasons)[:500],
    )
