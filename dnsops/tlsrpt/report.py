"""Decode and validate one TLS-RPT report (RFC 8460 §4, §5.3, §5.4) from untrusted bytes.

:func:`decode_report` bounds everything a hostile reporter controls: the compressed size, the
decompressed size (the inflate is streamed in small steps, so a gzip bomb stops at the limit
without the output ever being allocated), the JSON nesting depth, then the §4.4 schema.
:func:`parse_report` turns the validated document into plain data, normalised for grouping
(known policy types, lower-case host names, canonical IP addresses, absent for empty strings).
"""

from __future__ import annotations

import functools
import json
import re
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import jsonschema_rs

from dnsops.tlsrpt.schema import REPORT_SCHEMA

MEDIA_TYPE_JSON = "application/tlsrpt+json"
MEDIA_TYPE_GZIP = "application/tlsrpt+gzip"
MEDIA_TYPES = (MEDIA_TYPE_JSON, MEDIA_TYPE_GZIP)
POLICY_TYPES = ("tlsa", "sts", "no-policy-found")
OTHER_POLICY_TYPE = "other"
INFLATE_STEP = 64 * 1024

#: The schema compiled once (jsonschema-rs: the whole report in about 0.1 ms, where the
#: pure-Python validator took milliseconds for a report of a few hundred failure details).
_VALIDATOR = jsonschema_rs.validator_for(REPORT_SCHEMA)


class ReportRejected(Exception):
    """The report cannot be accepted; ``reason`` is a short stable code for the counters."""

    def __init__(self, reason: str, detail: str) -> None:
        """``reason``: e.g. ``schema-invalid``; ``detail``: what is wrong, for the reporter."""
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ReportLimits:
    """Upper bounds on one report: compressed bytes, decompressed bytes, JSON depth."""

    max_compressed: int
    max_decompressed: int
    max_depth: int


class FailureDetail(NamedTuple):
    """One ``failure-details`` entry (RFC 8460 §4.4); empty strings are None. (A named tuple:
    a large report has thousands, and a tuple is made in a fraction of a frozen dataclass's
    time.)"""

    result_type: str
    failed_session_count: int
    sending_mta_ip: str | None
    receiving_mx_hostname: str | None
    receiving_mx_helo: str | None
    receiving_ip: str | None
    additional_information: str | None
    failure_reason_code: str | None


@dataclass(frozen=True)
class PolicyResult:
    """One entry of ``policies``: the policy applied, its counts and failures."""

    policy_type: str  # tlsa, sts, no-policy-found or other
    reported_policy_type: str
    policy_domain: str | None
    policy_string: tuple[str, ...]
    mx_host: tuple[str, ...]
    total_successful_session_count: int
    total_failure_session_count: int
    failure_details: tuple[FailureDetail, ...]


@dataclass(frozen=True)
class TlsReport:
    """A validated TLS-RPT report."""

    organization_name: str
    contact_info: str
    report_id: str
    start: datetime
    end: datetime
    policies: tuple[PolicyResult, ...]

    @property
    def total_successful_session_count(self) -> int:
        """Successful sessions over all policies."""
        return sum(p.total_successful_session_count for p in self.policies)

    @property
    def total_failure_session_count(self) -> int:
        """Failed sessions over all policies (the summaries, not the failure details)."""
        return sum(p.total_failure_session_count for p in self.policies)


def inflate_bounded(data: bytes, limit: int) -> bytes:
    """The gzip member in ``data`` decompressed, refused as soon as it passes ``limit`` bytes.

    The output is produced ``INFLATE_STEP`` bytes at a time, so a bomb costs at most the limit.
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    size = 0
    pending = data
    try:
        while pending and not inflater.eof:
            chunk = inflater.decompress(pending, INFLATE_STEP)
            size += len(chunk)
            if size > limit:
                raise ReportRejected(
                    "decompressed-too-large", f"The report decompresses to more than {limit} bytes."
                )
            parts.append(chunk)
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ReportRejected("bad-gzip", f"The body is not valid gzip: {exc}.") from exc
    if not inflater.eof:
        raise ReportRejected("bad-gzip", "The gzip data is truncated.")
    if inflater.unused_data.strip(b"\0"):
        raise ReportRejected("bad-gzip", "There is data after the end of the gzip stream.")
    return b"".join(parts)


def _depth_exceeds(document: Any, limit: int) -> bool:
    """True if ``document`` nests arrays/objects deeper than ``limit``."""
    level: list[Any] = [document]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (
                item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
            )
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _path(error_path: Any) -> str:
    """A JSON-pointer-like location for a schema error, e.g. ``policies[0].summary``."""
    text = ""
    for part in error_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the report)"


def _schema_error(document: Any) -> str | None:
    """Where and how ``document`` breaks the schema (the first error by path), or None."""
    if _VALIDATOR.is_valid(document):
        return None
    error = min(
        _VALIDATOR.iter_errors(document),
        key=lambda e: [(isinstance(p, str), p) for p in e.instance_path],
    )
    return f"{_path(error.instance_path)}: {error.message[:300]}"


#: The only ways a UTF-8 JSON text can bring a NUL or a lone surrogate (which no database text
#: column stores): the escapes ``\u0000`` and ``\uD800``-``\uDFFF``. A text without them
#: needs no walk over its strings (a legitimate surrogate pair decodes to one character).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _has_unstorable_string(document: Any) -> bool:
    """True if a key or string anywhere in ``document`` holds NUL or a lone surrogate."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def decode_report(
    body: bytes, media_type: str, limits: ReportLimits
) -> tuple[dict[str, Any], bytes]:
    """Validate ``body`` of ``media_type``: (the JSON document, the JSON bytes).

    Raises :class:`ReportRejected` saying what is wrong.
    """
    if media_type not in MEDIA_TYPES:
        raise ReportRejected(
            "unsupported-media-type", f"The media type must be {' or '.join(MEDIA_TYPES)}."
        )
    if len(body) > limits.max_compressed:
        raise ReportRejected(
            "too-large", f"The report is larger than {limits.max_compressed} bytes."
        )
    raw = inflate_bounded(body, limits.max_decompressed) if media_type == MEDIA_TYPE_GZIP else body
    if len(raw) > limits.max_decompressed:
        raise ReportRejected(
            "decompressed-too-large", f"The report is larger than {limits.max_decompressed} bytes."
        )
    try:
        text = raw.decode("utf-8")
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        raise ReportRejected("not-json", f"The report is not UTF-8: {exc}.") from exc
    except RecursionError as exc:
        raise ReportRejected("too-deep", "The JSON document is nested too deeply.") from exc
    except json.JSONDecodeError as exc:
        raise ReportRejected("not-json", f"The report is not JSON: {exc}.") from exc
    if _depth_exceeds(document, limits.max_depth):
        raise ReportRejected(
            "too-deep", f"The JSON document nests deeper than {limits.max_depth} levels."
        )
    if _UNSTORABLE_ESCAPE.search(text) and _has_unstorable_string(document):
        raise ReportRejected(
            "bad-text",
            "A string holds a NUL character or an unpaired surrogate (\\u0000, \\uD800).",
        )
    problem = _schema_error(document)
    if problem is not None:
        raise ReportRejected("schema-invalid", problem)
    return document, raw


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 date-time; without an offset it is read as UTC (Microsoft's reports)."""
    value = datetime.fromisoformat(text.replace(" ", "T").replace("z", "Z"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _optional(item: dict[str, Any], key: str) -> str | None:
    """The string at ``key``, None when absent or empty."""
    value = item.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _host(item: dict[str, Any], key: str) -> str | None:
    """A host name, lower case without the final dot."""
    value = _optional(item, key)
    return None if value is None else value.rstrip(".").lower()


def _address(item: dict[str, Any], key: str) -> str | None:
    """An IP address in canonical form (RFC 5952); empty is None, anything else refused."""
    value = _optional(item, key)
    if value is None:
        return None
    try:
        return _canonical_address(value)
    except (OSError, ValueError) as exc:
        raise ReportRejected(
            "schema-invalid", f'{key} "{value[:64]}" is not an IP address.'
        ) from exc


@functools.lru_cache(maxsize=4096)
def _canonical_address(value: str) -> str:
    """``value`` as the C library's parser reads and writes it back: RFC 5952 text for IPv6,
    no leading zeros for IPv4 (OSError if it is no address). Cached: a report names the same
    few sending and receiving addresses in detail after detail."""
    family = socket.AF_INET6 if ":" in value else socket.AF_INET
    return socket.inet_ntop(family, socket.inet_pton(family, value))


def _failure(item: dict[str, Any]) -> FailureDetail:
    """One failure detail as plain data."""
    return FailureDetail(
        item["result-type"].strip().lower(),
        item["failed-session-count"],
        _address(item, "sending-mta-ip"),
        _host(item, "receiving-mx-hostname"),
        _optional(item, "receiving-mx-helo"),
        _address(item, "receiving-ip"),
        _optional(item, "additional-information"),
        _optional(item, "failure-reason-code"),
    )


def _policy(item: dict[str, Any]) -> PolicyResult:
    """One ``policies`` entry as plain data."""
    policy, summary = item["policy"], item["summary"]
    reported = policy["policy-type"]
    mx_host = policy.get("mx-host", [])
    return PolicyResult(
        policy_type=reported if reported in POLICY_TYPES else OTHER_POLICY_TYPE,
        reported_policy_type=reported,
        policy_domain=_host(policy, "policy-domain"),
        policy_string=tuple(policy.get("policy-string", ())),
        mx_host=tuple(h.lower() for h in ([mx_host] if isinstance(mx_host, str) else mx_host)),
        total_successful_session_count=summary.get("total-successful-session-count", 0),
        total_failure_session_count=summary.get("total-failure-session-count", 0),
        failure_details=tuple(_failure(f) for f in item.get("failure-details", ())),
    )


def parse_report(document: dict[str, Any]) -> TlsReport:
    """The validated ``document`` as a :class:`TlsReport`; refuses an end before the start."""
    dates = document["date-range"]
    try:
        start = parse_datetime(dates["start-datetime"])
        end = parse_datetime(dates["end-datetime"])
    except ValueError as exc:
        raise ReportRejected("schema-invalid", f"date-range: {exc}.") from exc
    if end < start:
        raise ReportRejected("schema-invalid", "date-range: end-datetime is before start-datetime.")
    return TlsReport(
        organization_name=document["organization-name"].strip(),
        contact_info=document["contact-info"].strip(),
        report_id=document["report-id"].strip(),
        start=start,
        end=end,
        policies=tuple(_policy(item) for item in document["policies"]),
    )


def read_report(body: bytes, media_type: str, limits: ReportLimits) -> tuple[TlsReport, bytes]:
    """Decode, validate and parse: (the report, its JSON bytes)."""
    document, raw = decode_report(body, media_type, limits)
    return parse_report(document), raw
