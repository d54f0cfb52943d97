"""Decode and validate one TLS-RPT report (RFC 8460 §4, §5.3, §5.4) from untrusted bytes.

:func:`decode_report` bounds everything a hostile reporter controls: the compressed size, the
decompressed size (the inflate is streamed in small steps, so a gzip bomb stops at the limit
without the output ever being allocated), the JSON nesting depth, then the §4.4 schema.
:func:`parse_report` turns the validated document into plain data, normalised for grouping
(known policy types, lower-case host names, canonical IP addresses, absent for empty strings).
"""

from __future__ import annotations

import json
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator

from dnsops.tlsrpt.schema import MAX_FAILURE_DETAILS, REPORT_SCHEMA

MEDIA_TYPE_JSON = "application/tlsrpt+json"
MEDIA_TYPE_GZIP = "application/tlsrpt+gzip"
MEDIA_TYPES = (MEDIA_TYPE_JSON, MEDIA_TYPE_GZIP)
POLICY_TYPES = ("tlsa", "sts", "no-policy-found")
OTHER_POLICY_TYPE = "other"
INFLATE_STEP = 64 * 1024

_VALIDATOR = Draft202012Validator(REPORT_SCHEMA)
_POLICY = REPORT_SCHEMA["properties"]["policies"]["items"]
_FAILURE_PROPERTIES: dict[str, dict[str, Any]] = _POLICY["properties"]["failure-details"]["items"][
    "properties"
]
_BOUNDS = {
    "minLength": lambda size, bound: size >= bound,
    "maxLength": lambda size, bound: size <= bound,
    "minimum": lambda size, bound: size >= bound,
    "maximum": lambda size, bound: size <= bound,
}
# The equivalence classes below are sound only while a failure detail's members are checked by
# their JSON type and these bounds alone (no pattern, no format, no nested schema).
assert all(set(schema) <= {"type", *_BOUNDS} for schema in _FAILURE_PROPERTIES.values())


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


@dataclass(frozen=True)
class FailureDetail:
    """One ``failure-details`` entry (RFC 8460 §4.4); empty strings are None."""

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


_JSON_TYPES: dict[type, str] = {str: "string", int: "integer", bool: "boolean", type(None): "null"}
_FAILURE_CHECKS = {
    key: tuple((check, schema[name]) for name, check in _BOUNDS.items() if name in schema)
    for key, schema in _FAILURE_PROPERTIES.items()
}


def _json_type(value: Any) -> str:
    """The JSON Schema type of a decoded JSON value (1.0 is an integer, as JSON Schema says)."""
    kind = _JSON_TYPES.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return "other"


def _failure_class(item: Any) -> tuple[Any, ...] | None:
    """What the schema's verdict on one failure detail depends on: its member names, their
    JSON types and which bounds they meet; None when it cannot be told that simply."""
    if type(item) is not dict:
        return None
    parts = []
    for key, value in item.items():
        kind = _json_type(value)
        if kind == "other":
            return None
        checks = _FAILURE_CHECKS.get(key, ())
        if checks and kind in ("string", "integer", "number"):
            measure = len(value) if kind == "string" else value
            parts.append((key, kind, tuple(check(measure, bound) for check, bound in checks)))
        else:
            parts.append((key, kind, ()))
    parts.sort()
    return tuple(parts)


def _validation_sample(document: Any) -> tuple[Any, dict[tuple[int, int], int]]:
    """``document`` with each policy's failure details cut to one per equivalence class (a
    large report repeats the same shape thousands of times), and the map from (policy, index in
    the sample) to the index in the report, so an error names the reporter's own entry."""
    policies = document.get("policies") if isinstance(document, dict) else None
    if not isinstance(policies, list):
        return document, {}
    sample_policies = []
    positions: dict[tuple[int, int], int] = {}
    for number, policy in enumerate(policies):
        failures = policy.get("failure-details") if isinstance(policy, dict) else None
        if not isinstance(failures, list) or len(failures) > MAX_FAILURE_DETAILS:
            sample_policies.append(policy)
            continue
        kept: list[Any] = []
        seen: set[tuple[Any, ...]] = set()
        for index, item in enumerate(failures):
            key = _failure_class(item)
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            positions[(number, len(kept))] = index
            kept.append(item)
        sample_policies.append({**policy, "failure-details": kept})
    return {**document, "policies": sample_policies}, positions


def _schema_error(document: Any) -> str | None:
    """Where and how ``document`` breaks the schema (the first error by path), or None."""
    sample, positions = _validation_sample(document)
    errors = sorted(_VALIDATOR.iter_errors(sample), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    path = list(error.absolute_path)
    if len(path) >= 4 and path[0] == "policies" and path[2] == "failure-details":
        path[3] = positions.get((path[1], path[3]), path[3])
    return f"{_path(path)}: {error.message[:300]}"


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
        document = json.loads(raw.decode("utf-8"))
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
    family = socket.AF_INET6 if ":" in value else socket.AF_INET
    try:  # the C library's parser: RFC 5952 text for IPv6, no leading zeros for IPv4
        return socket.inet_ntop(family, socket.inet_pton(family, value))
    except (OSError, ValueError) as exc:
        raise ReportRejected(
            "schema-invalid", f'{key} "{value[:64]}" is not an IP address.'
        ) from exc


def _failure(item: dict[str, Any]) -> FailureDetail:
    """One failure detail as plain data."""
    return FailureDetail(
        result_type=item["result-type"].strip().lower(),
        failed_session_count=item["failed-session-count"],
        sending_mta_ip=_address(item, "sending-mta-ip"),
        receiving_mx_hostname=_host(item, "receiving-mx-hostname"),
        receiving_mx_helo=_optional(item, "receiving-mx-helo"),
        receiving_ip=_address(item, "receiving-ip"),
        additional_information=_optional(item, "additional-information"),
        failure_reason_code=_optional(item, "failure-reason-code"),
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
