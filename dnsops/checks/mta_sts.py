"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy file, ``mx`` matching, ES codes.

Decisions where the RFC or implementations leave room (shown in the findings):

- ``v=STSv1 ;`` (white space before the ``;``) is accepted, as the §3.1 ABNF allows.
- A policy ``max_age`` above 31557600 makes the policy invalid (postfix-mta-sts-resolver
  rejects it; a sender that caps it would not), reported as ES010.
- Any HTTP status but 200, 404 included, is a fetch failure (ES007), not "no policy".
- A media type other than ``text/plain`` is a failure (ES009): the policy is not used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dnsops.checks.catalogue import finding
from dnsops.checks.findings import Finding, SectionResult
from dnsops.checks.txtrecord import (
    EXTENSION_NAME,
    TxtSyntaxError,
    check_extension,
    select_candidates,
    split_fields,
)
from dnsops.dns.types import (
    FAILED_LOOKUPS,
    LookupStatus,
    TxtLookup,
    TxtRecord,
    normalize_host,
    printable,
)

STS_VERSION = "v=STSv1"
MAX_AGE_LIMIT = 31_557_600
POLICY_SIZE_LIMIT = 65_536

_STS_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_MX_PATTERN = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")
_MAX_AGE = re.compile(r"[0-9]{1,10}")
_POLICY_VCHAR = r"[!-~\u0080-\U0010ffff]"
_POLICY_EXTENSION_VALUE = re.compile(rf"{_POLICY_VCHAR}(?:[ \t]*{_POLICY_VCHAR})*")


class PolicySyntaxError(ValueError):
    """A policy body does not follow RFC 8461 §3.2; the message names the line."""


class StsMode(StrEnum):
    """The ``mode`` of a policy."""

    ENFORCE = "enforce"
    TESTING = "testing"
    NONE = "none"


@dataclass(frozen=True)
class StsRecord:
    """A valid ``_mta-sts`` TXT record."""

    policy_id: str
    extensions: Mapping[str, str]


@dataclass(frozen=True)
class StsTxtReading:
    """What the TXT RRset at ``_mta-sts.<domain>`` says.

    ``record`` is the one valid record; ``problem`` says why records that look like MTA-STS
    give none (senders then behave as if there were no MTA-STS). Both None: not published.
    """

    record: StsRecord | None
    problem: str | None

    @property
    def published(self) -> bool:
        """True if some record at ``_mta-sts`` is, or tries to be, an MTA-STS record."""
        return self.record is not None or self.problem is not None


@dataclass(frozen=True)
class StsPolicy:
    """A valid policy file; ``mx`` keeps the patterns as written, in order."""

    mode: StsMode
    max_age: int
    mx: tuple[str, ...]
    extensions: Mapping[str, str]


class FetchOutcome(StrEnum):
    """How the HTTPS GET of the policy ended (the fetcher validates the certificate)."""

    RESPONSE = "response"  # an HTTP response arrived: see status_code
    HOST_NOT_FOUND = "host-not-found"  # mta-sts.<domain> does not resolve
    CONNECTION_FAILED = "connection-failed"  # refused, reset, unreachable
    TIMEOUT = "timeout"
    CERTIFICATE_INVALID = "certificate-invalid"  # untrusted, expired, wrong name, TLS failure


@dataclass(frozen=True)
class PolicyFetch:
    """The outcome of fetching ``https://mta-sts.<domain>/.well-known/mta-sts.txt``.

    ``body`` is what was read: the fetcher reads at most one byte more than the size limit,
    so an oversized policy shows as such. ``detail`` is the fetcher's explanation (the TLS
    error, the ``Location`` of a redirect).
    """

    outcome: FetchOutcome
    status_code: int | None = None
    content_type: str | None = None
    body: bytes = b""
    detail: str = ""


@dataclass(frozen=True)
class MtaStsResult:
    """The MTA-STS section with the record and policy it was judged on."""

    section: SectionResult
    record: StsRecord | None
    policy: StsPolicy | None

    def to_dict(self) -> dict[str, object]:
        """The section as JSON, with ``Record`` and ``Policy`` (null when absent)."""
        return {
            **self.section.to_dict(),
            "Record": None if self.record is None else {"Id": self.record.policy_id},
            "Policy": None
            if self.policy is None
            else {
                "Mode": self.policy.mode.value,
                "MaxAge": self.policy.max_age,
                "Mx": list(self.policy.mx),
            },
        }


def parse_sts_record(text: str) -> StsRecord:
    """Parse one ``v=STSv1; id=...;`` record strictly (RFC 8461 §3.1 ABNF).

    Raises :class:`TxtSyntaxError`. Unknown fields are kept as extensions; for a repeated
    field the first occurrence counts.
    """
    if not text.startswith(STS_VERSION):
        raise TxtSyntaxError(f'the record must begin with "{STS_VERSION};"')
    policy_id: str | None = None
    extensions: dict[str, str] = {}
    for name, value in split_fields(text, STS_VERSION):
        if name == "id":
            if not _STS_ID.fullmatch(value):
                raise TxtSyntaxError(f'id "{printable(value)}" must be 1 to 32 letters or digits')
            policy_id = policy_id or value
        else:
            check_extension(name, value)
            extensions.setdefault(name, value)
    if policy_id is None:
        raise TxtSyntaxError("the id field is missing")
    return StsRecord(policy_id=policy_id, extensions=extensions)


def read_sts_txt(records: Iterable[TxtRecord]) -> StsTxtReading:
    """Pick and parse the MTA-STS record out of the TXT RRset at ``_mta-sts.<domain>``.

    Records not beginning with ``v=STSv1`` are discarded (those resembling it, such as
    ``v=STSv2`` or ``V=stsv1``, are reported); exactly one may remain.
    """
    candidates = select_candidates(records, STS_VERSION, "v=STS")
    if len(candidates.records) > 1:
        count = len(candidates.records)
        return StsTxtReading(
            None, f'{count} TXT records begin with "{STS_VERSION}"; one is allowed'
        )
    if candidates.records:
        try:
            return StsTxtReading(parse_sts_record(candidates.records[0]), None)
        except TxtSyntaxError as exc:
            return StsTxtReading(None, f'"{printable(candidates.records[0])}": {exc}')
    if candidates.lookalikes:
        shown = printable(candidates.lookalikes[0])
        return StsTxtReading(None, f'"{shown}" does not begin with exactly "{STS_VERSION};"')
    return StsTxtReading(None, None)


def parse_sts_policy(body: str) -> StsPolicy:
    """Parse a policy file strictly (RFC 8461 §3.2).

    Lines end in LF or CRLF (a final terminator is optional) and may have trailing white
    space; field names and the version and mode values are case-sensitive; every ``mx``
    line counts, for other repeated fields the first wins; unknown fields are checked
    against the extension grammar and otherwise ignored. Raises :class:`PolicySyntaxError`.
    """
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()
    fields: dict[str, str] = {}
    patterns: list[str] = []
    extensions: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\r").rstrip(" \t")
        key, colon, value = line.partition(":")
        if not colon:
            raise PolicySyntaxError(f'line {number} ("{printable(line)}") is not "key: value"')
        value = value.lstrip(" \t")
        _check_policy_field(number, key, value)
        if key == "mx":
            patterns.append(value)
        elif key in ("version", "mode", "max_age"):
            fields.setdefault(key, value)
        else:
            extensions.setdefault(key, value)
    for required in ("version", "mode", "max_age"):
        if required not in fields:
            raise PolicySyntaxError(f'the "{required}" line is missing')
    mode = StsMode(fields["mode"])
    if mode is not StsMode.NONE and not patterns:
        raise PolicySyntaxError(f'mode {mode.value} needs at least one "mx" line')
    return StsPolicy(
        mode=mode, max_age=int(fields["max_age"]), mx=tuple(patterns), extensions=extensions
    )


def read_policy_leniently(body: str) -> StsPolicy | None:
    """What a lenient sender makes of a policy that fails :func:`parse_sts_policy`: lines
    without a colon and invalid ``mx`` patterns skipped, white space trimmed, ``max_age``
    capped at the RFC maximum. None when ``version: STSv1``, a mode, a ``max_age`` in digits
    or (for enforce and testing) one valid ``mx`` line cannot be read."""
    fields: dict[str, str] = {}
    patterns: list[str] = []
    for raw in body.splitlines():
        key, colon, value = raw.partition(":")
        key, value = key.strip(), value.strip()
        if not colon:
            continue
        if key == "mx":
            if _MX_PATTERN.fullmatch(value) and len(value) <= 255:
                patterns.append(value)
        elif key in ("version", "mode", "max_age"):
            fields.setdefault(key, value)
    modes = {mode.value for mode in StsMode}
    if fields.get("version") != "STSv1" or fields.get("mode") not in modes:
        return None
    if not _MAX_AGE.fullmatch(fields.get("max_age", "")):
        return None
    mode = StsMode(fields["mode"])
    if mode is not StsMode.NONE and not patterns:
        return None
    max_age = min(int(fields["max_age"]), MAX_AGE_LIMIT)
    return StsPolicy(mode=mode, max_age=max_age, mx=tuple(patterns), extensions={})


def _check_policy_field(number: int, key: str, value: str) -> None:
    """Raise :class:`PolicySyntaxError` unless line ``number`` is a valid ``key: value``."""
    where = f"line {number}"
    shown = printable(value)
    if key == "version" and value != "STSv1":
        raise PolicySyntaxError(f'{where}: version must be "STSv1", not "{shown}"')
    if key == "mode" and value not in {mode.value for mode in StsMode}:
        raise PolicySyntaxError(
            f'{where}: mode must be "enforce", "testing" or "none" (lower case), not "{shown}"'
        )
    if key == "max_age":
        if not _MAX_AGE.fullmatch(value):
            raise PolicySyntaxError(f'{where}: max_age must be 1 to 10 digits, not "{shown}"')
        if int(value) > MAX_AGE_LIMIT:
            raise PolicySyntaxError(
                f"{where}: max_age {value} is above the RFC 8461 maximum of {MAX_AGE_LIMIT} "
                "seconds; senders such as postfix-mta-sts-resolver reject the whole policy"
            )
    if key == "mx" and not (_MX_PATTERN.fullmatch(value) and len(value) <= 255):
        raise PolicySyntaxError(
            f'{where}: mx "{shown}" must be a host name in ASCII (A-label) form, '
            'optionally starting with "*." (no trailing dot, no other "*")'
        )
    if key not in ("version", "mode", "max_age", "mx"):
        if not EXTENSION_NAME.fullmatch(key):
            raise PolicySyntaxError(
                f'{where}: "{printable(key)}" is not a valid field name (a letter or digit, '
                "then up to 31 letters, digits, '_', '-' or '.')"
            )
        if not _POLICY_EXTENSION_VALUE.fullmatch(value):
            raise PolicySyntaxError(f'{where}: field "{printable(key)}" has an empty value')


def mx_pattern_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: exact match, or ``*.suffix`` matching exactly one left-most label.

    Case-insensitive, trailing root dots ignored; ``*`` anywhere else never matches.
    """
    pattern, host = normalize_host(pattern), normalize_host(host)
    if pattern.startswith("*."):
        suffix = pattern[2:]
        label, dot, parent = host.partition(".")
        return bool(label and dot) and "*" not in suffix and parent == suffix
    return "*" not in pattern and pattern == host


def policy_matches(patterns: Iterable[str], host: str) -> bool:
    """True if any ``mx`` pattern matches ``host``."""
    return any(mx_pattern_matches(pattern, host) for pattern in patterns)


def is_text_plain(content_type: str | None) -> bool:
    """True for a ``text/plain`` media type, parameters and case aside."""
    if content_type is None:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "text/plain"


def evaluate_mta_sts(
    domain: str,
    txt: TxtLookup,
    fetch: PolicyFetch | None,
    expected_host: str | None,
    *,
    now: datetime,
    size_limit: int = POLICY_SIZE_LIMIT,
) -> MtaStsResult:
    """The MTA-STS section: TXT record, policy fetch and policy against the expected host.

    ``fetch`` is needed exactly when the TXT RRset holds a valid record (otherwise nothing
    is fetched); ``now`` only shapes the suggested new policy id. No MTA-STS record at all
    makes the section NotApplicable.
    """
    names = _PolicyNames(domain, now)
    if txt.status in FAILED_LOOKUPS:
        problem = finding(
            "ES004", domain=domain, txt_name=names.txt_name, reason=txt.describe_failure()
        )
        return MtaStsResult(SectionResult.from_findings([problem]), None, None)
    reading = read_sts_txt(txt.records if txt.status is LookupStatus.OK else ())
    if reading.record is None:
        if reading.problem is None:
            return MtaStsResult(SectionResult.from_findings([], evaluated=False), None, None)
        problem = finding(
            "ES003",
            domain=domain,
            txt_name=names.txt_name,
            problem=reading.problem,
            new_id=names.new_id,
        )
        return MtaStsResult(SectionResult.from_findings([problem]), None, None)
    if fetch is None:
        raise ValueError(f"{names.txt_name} is a valid MTA-STS record: the policy fetch is needed")
    policy = _read_policy(fetch, names, size_limit)
    if isinstance(policy, Finding):
        # An invalid policy is still what lenient senders apply as far as they can read it:
        # judge that too, so a missing MX host is not hidden behind a syntax warning.
        lenient = _lenient_reading(fetch) if policy.code == "ES010" else None
        judged = _judge_policy(lenient, reading.record, expected_host, names) if lenient else []
        return MtaStsResult(SectionResult.from_findings([policy, *judged]), reading.record, None)
    findings = _judge_policy(policy, reading.record, expected_host, names)
    return MtaStsResult(SectionResult.from_findings(findings), reading.record, policy)


@dataclass(frozen=True)
class _PolicyNames:
    """The names the MTA-STS findings refer to."""

    domain: str
    now: datetime

    @property
    def txt_name(self) -> str:
        return f"_mta-sts.{self.domain}"

    @property
    def policy_host(self) -> str:
        return f"mta-sts.{self.domain}"

    @property
    def policy_url(self) -> str:
        return f"https://{self.policy_host}/.well-known/mta-sts.txt"

    @property
    def new_id(self) -> str:
        return self.now.strftime("%Y%m%dT%H%M%S")

    def params(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "txt_name": self.txt_name,
            "policy_host": self.policy_host,
            "policy_url": self.policy_url,
            "new_id": self.new_id,
        }


def _read_policy(fetch: PolicyFetch, names: _PolicyNames, size_limit: int) -> StsPolicy | Finding:
    """The policy, or the finding that says why there is no usable one."""
    params = names.params()
    unreachable = {
        FetchOutcome.HOST_NOT_FOUND: f"{names.policy_host} does not resolve",
        FetchOutcome.CONNECTION_FAILED: "the HTTPS connection failed",
        FetchOutcome.TIMEOUT: "the HTTPS request timed out",
    }
    detail = f" ({printable(fetch.detail)})" if fetch.detail else ""
    if fetch.outcome in unreachable:
        return finding("ES005", reason=unreachable[fetch.outcome] + detail, **params)
    if fetch.outcome is FetchOutcome.CERTIFICATE_INVALID:
        reason = printable(fetch.detail) or "the certificate could not be validated"
        return finding("ES006", reason=reason, **params)
    if fetch.status_code != 200:
        return finding("ES007", status_code=fetch.status_code, detail=detail, **params)
    if len(fetch.body) > size_limit:
        return finding("ES008", limit=size_limit, **params)
    if not is_text_plain(fetch.content_type):
        shown = f'"{printable(fetch.content_type)}"' if fetch.content_type else "no media type"
        return finding("ES009", content_type=shown, **params)
    try:
        return parse_sts_policy(fetch.body.decode("utf-8"))
    except UnicodeDecodeError:
        return finding("ES010", problem="the body is not UTF-8 text", **params)
    except PolicySyntaxError as exc:
        return finding("ES010", problem=str(exc), **params)


def _lenient_reading(fetch: PolicyFetch) -> StsPolicy | None:
    """The fetched body read as a lenient sender would (None for a body that is not UTF-8)."""
    try:
        return read_policy_leniently(fetch.body.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _judge_policy(
    policy: StsPolicy, record: StsRecord, expected_host: str | None, names: _PolicyNames
) -> list[Finding]:
    """ES001, ES002, ES011 or ES012 for a valid policy; nothing when it is fine."""
    params = names.params()
    if policy.mode is StsMode.NONE:
        return []
    if expected_host is None:
        return [finding("ES002", mode=policy.mode.value, **params)]
    host = normalize_host(expected_host)
    if policy_matches(policy.mx, host):
        if policy.mode is StsMode.TESTING:
            return [finding("ES012", expected_host=host, **params)]
        return []
    code = "ES001" if policy.mode is StsMode.ENFORCE else "ES011"
    return [
        finding(
            code,
            expected_host=host,
            patterns=", ".join(f'"{printable(pattern)}"' for pattern in policy.mx),
            pitfall=_one_label_pitfall(policy.mx, host),
            suggested_pattern="*." + host.partition(".")[2],
            current_id=record.policy_id,
            **params,
        )
    ]


def _one_label_pitfall(patterns: Iterable[str], host: str) -> str:
    """A sentence naming the ``*.`` patterns that cover ``host`` only by a deeper suffix."""
    deeper = [
        pattern
        for pattern in patterns
        if pattern.startswith("*.") and host.endswith("." + normalize_host(pattern[2:]))
    ]
    if not deeper:
        return ""
    lines = ", ".join(f'"mx: {printable(pattern)}"' for pattern in deeper)
    return (
        f' Note: {lines} cannot match {host}, because "*" stands for exactly one label '
        "(RFC 8461 section 4.1)."
    )
