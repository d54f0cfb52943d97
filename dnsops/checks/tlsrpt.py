"""TLS-RPT (RFC 8460 §3): the ``_smtp._tls`` TXT record and whether the domain publishes one.

Decisions: ``v=TLSRPTv1 ;`` (white space before the ``;``) is accepted, as the ABNF allows;
several ``rua`` fields add up; a record whose URIs are all of other schemes than ``mailto:``
and ``https:`` parses but is not usable (no sender can deliver to it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dnsops.checks.catalogue import finding
from dnsops.checks.findings import Finding
from dnsops.checks.txtrecord import TxtSyntaxError, check_extension, select_candidates, split_fields
from dnsops.dns.types import FAILED_LOOKUPS, LookupStatus, TxtLookup, TxtRecord, printable

TLSRPT_VERSION = "v=TLSRPTv1"
REPORT_SCHEMES = ("mailto", "https")

# RFC 3986 URI characters, with "," "!" and ";" left out: RFC 8460 wants them percent-encoded.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@$&'()*+=]|%[0-9A-Fa-f]{2})+")
_URI_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")


@dataclass(frozen=True)
class TlsRptRecord:
    """A syntactically valid ``v=TLSRPTv1`` record."""

    rua: tuple[str, ...]

    @property
    def usable_rua(self) -> tuple[str, ...]:
        """The ``rua`` URIs a sender can deliver reports to (``mailto:`` and ``https:``)."""
        return tuple(uri for uri in self.rua if uri.split(":", 1)[0].lower() in REPORT_SCHEMES)


@dataclass(frozen=True)
class TlsRptReading:
    """What the TXT RRset at ``_smtp._tls.<domain>`` says.

    ``problem`` says why the record is not usable; ``record`` is kept when it parsed but
    has no usable URI. Both None: no TLS-RPT record.
    """

    record: TlsRptRecord | None
    problem: str | None

    @property
    def published(self) -> bool:
        """True if some record is, or tries to be, a TLS-RPT record."""
        return self.record is not None or self.problem is not None

    @property
    def valid(self) -> bool:
        """True if senders can use the record."""
        return self.record is not None and self.problem is None


@dataclass(frozen=True)
class TlsRptResult:
    """Whether the domain publishes TLS-RPT, with its report URIs and findings."""

    published: bool | None  # None: the lookup failed
    valid: bool
    rua: tuple[str, ...]
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, object]:
        """``{"Published", "Valid", "Rua", "Findings"}``."""
        return {
            "Published": self.published,
            "Valid": self.valid,
            "Rua": list(self.rua),
            "Findings": [item.to_dict() for item in self.findings],
        }


def parse_tlsrpt_record(text: str) -> TlsRptRecord:
    """Parse one ``v=TLSRPTv1; rua=...`` record strictly; raises :class:`TxtSyntaxError`."""
    if not text.startswith(TLSRPT_VERSION):
        raise TxtSyntaxError(f'the record must begin with "{TLSRPT_VERSION};"')
    rua: list[str] = []
    for name, value in split_fields(text, TLSRPT_VERSION):
        if name == "rua":
            for uri in _URI_SEPARATOR.split(value):
                if not _URI.fullmatch(uri):
                    raise TxtSyntaxError(
                        f'rua "{printable(uri)}" is not a URI (scheme:..., with ",", "!" and '
                        '";" percent-encoded)'
                    )
                rua.append(uri)
        else:
            check_extension(name, value)
    if not rua:
        raise TxtSyntaxError("the rua field is missing")
    return TlsRptRecord(rua=tuple(rua))


def read_tlsrpt_txt(records: Iterable[TxtRecord]) -> TlsRptReading:
    """Pick and parse the TLS-RPT record out of the TXT RRset at ``_smtp._tls.<domain>``."""
    candidates = select_candidates(records, TLSRPT_VERSION, "v=TLSRPT")
    if len(candidates.records) > 1:
        count = len(candidates.records)
        return TlsRptReading(
            None, f'{count} TXT records begin with "{TLSRPT_VERSION}"; one is allowed'
        )
    if candidates.records:
        text = candidates.records[0]
        try:
            record = parse_tlsrpt_record(text)
        except TxtSyntaxError as exc:
            return TlsRptReading(None, f'"{printable(text)}": {exc}')
        if not record.usable_rua:
            return TlsRptReading(record, "no rua URI uses mailto: or https:")
        return TlsRptReading(record, None)
    if candidates.lookalikes:
        shown = printable(candidates.lookalikes[0])
        return TlsRptReading(None, f'"{shown}" does not begin with exactly "{TLSRPT_VERSION};"')
    return TlsRptReading(None, None)


def evaluate_tlsrpt(domain: str, txt: TxtLookup, *, rua_hint: str) -> TlsRptResult:
    """Whether ``domain`` publishes a usable TLS-RPT record (ET001-ET003 otherwise).

    ``rua_hint`` is the report URI the actions suggest (the provider's endpoint or a mailbox).
    """
    txt_name = f"_smtp._tls.{domain}"
    if txt.status in FAILED_LOOKUPS:
        problem = finding("ET003", domain=domain, txt_name=txt_name, reason=txt.describe_failure())
        return TlsRptResult(None, False, (), (problem,))
    reading = read_tlsrpt_txt(txt.records if txt.status is LookupStatus.OK else ())
    rua = () if reading.record is None else reading.record.rua
    if reading.valid:
        return TlsRptResult(True, True, rua, ())
    if reading.published:
        problem = finding(
            "ET002", domain=domain, txt_name=txt_name, problem=reading.problem, rua_hint=rua_hint
        )
        return TlsRptResult(True, False, rua, (problem,))
    absent = finding("ET001", domain=domain, txt_name=txt_name, rua_hint=rua_hint)
    return TlsRptResult(False, False, (), (absent,))
