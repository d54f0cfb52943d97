"""The types of the DNS client layer: answers, how a lookup ended, its security state.

:class:`Answer` is what :mod:`dnsops.dns.client` (or :mod:`dnsops.dns.wire`) reads from one
response; :class:`LookupStatus` how a lookup ended; :class:`LookupSecurity` what it says about
DNSSEC; :data:`DNSSEC_EDE_CODES` the Extended DNS Errors (RFC 8914) that mean a DNSSEC
failure. The ``*Lookup`` classes describe one lookup as the status checks read it. Host names
are compared case-insensitively and without the trailing root dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

import dns.rdatatype

A = dns.rdatatype.A
AAAA = dns.rdatatype.AAAA
CNAME = dns.rdatatype.CNAME
SOA = dns.rdatatype.SOA
MX = dns.rdatatype.MX
NS = dns.rdatatype.NS
TXT = dns.rdatatype.TXT
DS = dns.rdatatype.DS
RRSIG = dns.rdatatype.RRSIG
DNSKEY = dns.rdatatype.DNSKEY
TLSA = dns.rdatatype.TLSA

#: RFC 8914 §5 Extended DNS Error info codes (IANA "Extended DNS Error Codes").
EDE_NAMES: dict[int, str] = {
    0: "Other Error",
    1: "Unsupported DNSKEY Algorithm",
    2: "Unsupported DS Digest Type",
    3: "Stale Answer",
    4: "Forged Answer",
    5: "DNSSEC Indeterminate",
    6: "DNSSEC Bogus",
    7: "Signature Expired",
    8: "Signature Not Yet Valid",
    9: "DNSKEY Missing",
    10: "RRSIGs Missing",
    11: "No Zone Key Bit Set",
    12: "NSEC Missing",
    13: "Cached Error",
    14: "Not Ready",
    15: "Blocked",
    16: "Censored",
    17: "Filtered",
    18: "Prohibited",
    19: "Stale NXDOMAIN Answer",
    20: "Not Authoritative",
    21: "Not Supported",
    22: "No Reachable Authority",
    23: "Network Error",
    24: "Invalid Data",
}

#: Extended DNS Errors that mean a DNSSEC failure: unsupported DNSKEY algorithm or DS digest,
#: indeterminate, bogus, signature expired or not yet valid, DNSKEY/RRSIG/NSEC missing, no
#: zone key bit (RFC 8914 §4), as opposed to plain resolution problems.
DNSSEC_EDE_CODES = frozenset({1, 2, 5, 6, 7, 8, 9, 10, 11, 12})


class LookupStatus(StrEnum):
    """How a lookup ended."""

    OK = "ok"  # NOERROR with records of the type asked for
    NODATA = "nodata"  # NOERROR, the name exists, no records of that type
    NXDOMAIN = "nxdomain"  # the name does not exist
    SERVFAIL = "servfail"  # the validating resolver failed (bogus data, unreachable servers)
    TIMEOUT = "timeout"  # no answer within the deadline
    REFUSED = "refused"  # the resolver refused the query
    UNREADABLE = "unreadable"  # an answer came but its records could not be read
    ERROR = "error"  # anything else: FORMERR, NOTIMP, another rcode, a socket error


#: The failures ED001 reports for the MX query (SPEC §5: SERVFAIL, timeout, refused).
RESOLVER_FAILURES = frozenset({LookupStatus.SERVFAIL, LookupStatus.TIMEOUT, LookupStatus.REFUSED})

#: Outcomes where the name was looked up but nothing usable came back.
FAILED_LOOKUPS = RESOLVER_FAILURES | {LookupStatus.UNREADABLE, LookupStatus.ERROR}


class LookupSecurity(StrEnum):
    """How the validating resolver answered one lookup (RFC 4035 §4.3, RFC 7672 §2.1.1).

    ``BOGUS`` covers answers that failed validation and RFC 4035 "indeterminate" ones;
    ``FAILED`` is SERVFAIL without evidence of a DNSSEC failure, a timeout, a refusal or an
    unreadable answer.
    """

    SECURE = "secure"
    INSECURE = "insecure"
    BOGUS = "bogus"
    FAILED = "failed"


@dataclass(frozen=True)
class ExtendedDnsError:
    """One EDNS Extended DNS Error option (RFC 8914): INFO-CODE and EXTRA-TEXT."""

    info_code: int
    extra_text: str = ""

    def describe(self) -> str:
        """``EDE 7 (Signature Expired): <extra text>``."""
        name = EDE_NAMES.get(self.info_code, "unassigned")
        text = f"EDE {self.info_code} ({name})"
        return f"{text}: {printable(self.extra_text)}" if self.extra_text else text


def is_dnssec_failure(errors: tuple[ExtendedDnsError, ...]) -> bool:
    """True if one of ``errors`` says DNSSEC validation failed (:data:`DNSSEC_EDE_CODES`)."""
    return any(error.info_code in DNSSEC_EDE_CODES for error in errors)


class Signature(NamedTuple):
    """The parts of an RRSIG the checks use."""

    covered: int
    expiration: datetime
    signer: str


class Tlsa(NamedTuple):
    """The data of one TLSA record (RFC 6698 §2.1)."""

    usage: int
    selector: int
    mtype: int
    cert: bytes

    def to_text(self) -> str:
        """Presentation form, as dnspython writes it (hex in chunks of 128 digits)."""
        digits = self.cert.hex()
        chunks = " ".join(digits[start : start + 128] for start in range(0, len(digits), 128))
        return f"{self.usage} {self.selector} {self.mtype} {chunks}"


class Record(NamedTuple):
    """One resource record of an answer: its owner (read for SOA and CNAME records only;
    empty otherwise), type, decoded data and TTL (seconds).

    ``data``: A/AAAA the address text; MX ``(preference, host)``; TXT a tuple of strings;
    CNAME and NS the target; SOA its serial; RRSIG a :class:`Signature`; DNSKEY ``(flags,
    algorithm)``; DS ``(key tag, algorithm, digest type, digest in upper-case hex)``; TLSA a
    :class:`Tlsa`; None for other types.
    """

    owner: str
    rdtype: int
    data: object
    ttl: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    """The resolver's reply to one query, or why there was none (``status`` says which)."""

    status: LookupStatus
    authenticated: bool = False
    answer: tuple[Record, ...] = ()
    authority: tuple[Record, ...] = ()
    extended_errors: tuple[ExtendedDnsError, ...] = ()
    detail: str = ""
    authoritative: bool = False  # the AA bit: a server authoritative for the zone answered

    def records(self, rdtype: int) -> list[Any]:
        """The data of the answer section's records of ``rdtype``."""
        return [record.data for record in self.answer if record.rdtype == rdtype]

    def ttl(self, rdtype: int) -> int | None:
        """The TTL of the answer section's RRset of ``rdtype`` (the lowest of its records, as
        a cache keeps it); None when there is none."""
        ttls = [record.ttl for record in self.answer if record.rdtype == rdtype]
        return min(ttls) if ttls else None

    def signatures(self) -> list[Signature]:
        """The RRSIGs of the answer and authority sections."""
        sections = (*self.answer, *self.authority)
        return [record.data for record in sections if record.rdtype == RRSIG]  # type: ignore[misc]

    def zone_apex(self) -> str | None:
        """The zone the answer came from: the signer of its RRSIGs, else the owner of an SOA
        in the answer or authority section; None when the answer does not say."""
        for signature in self.signatures():
            return signature.signer
        for record in (*self.answer, *self.authority):
            if record.rdtype == SOA:
                return record.owner
        return None


#: What the same query with CD set may get after a SERVFAIL to show that the servers answer
#: and only DNSSEC validation failed: records, no data, or a denial of existence.
_ANSWERED_UNCHECKED = frozenset({LookupStatus.OK, LookupStatus.NODATA, LookupStatus.NXDOMAIN})


def answers_without_validation(unchecked: Answer) -> bool:
    """Whether ``unchecked``, the answer to a query that got SERVFAIL asked again with CD set,
    shows that the SERVFAIL was bogus data rather than unreachable servers: the resolver
    answers (records, NODATA or NXDOMAIN) once it does not validate. A denial of existence
    counts too, as a denial that fails validation is bogus (RFC 4035 §5.4, RFC 7672 §2.1.1).
    The one SERVFAIL-then-CD decision of the status checks and the outbound validator."""
    return unchecked.status in _ANSWERED_UNCHECKED


@dataclass(frozen=True)
class Lookup:
    """The outcome of one query through the validating resolver.

    ``authenticated`` is the AD bit of the answer; ``detail`` is free text from the resolver
    layer (the rcode for ERROR, the parse error for UNREADABLE).
    """

    status: LookupStatus
    authenticated: bool = False
    extended_errors: tuple[ExtendedDnsError, ...] = ()
    detail: str = ""

    def describe_failure(self) -> str:
        """Why the lookup gave no usable answer, in words, with the resolver's EDEs."""
        reasons = {
            LookupStatus.SERVFAIL: "the validating resolver answered SERVFAIL",
            LookupStatus.TIMEOUT: "the validating resolver did not answer in time",
            LookupStatus.REFUSED: "the validating resolver refused the query",
            LookupStatus.UNREADABLE: "the answer could not be read",
            LookupStatus.ERROR: "the lookup failed",
            LookupStatus.NXDOMAIN: "the name does not exist (NXDOMAIN)",
            LookupStatus.NODATA: "no records of that type exist",
            LookupStatus.OK: "the lookup succeeded",
        }
        parts = [reasons[self.status]]
        if self.detail:
            parts.append(printable(self.detail))
        parts.extend(error.describe() for error in self.extended_errors)
        return "; ".join(parts)


@dataclass(frozen=True)
class MxRecord:
    """One MX record: preference and exchange host."""

    preference: int
    host: str

    @property
    def is_null(self) -> bool:
        """True for the null MX target ``.`` (RFC 7505)."""
        return normalize_host(self.host) == ""


@dataclass(frozen=True)
class MxLookup(Lookup):
    """The MX query at the customer's domain."""

    records: tuple[MxRecord, ...] = ()


@dataclass(frozen=True)
class AddressLookup(Lookup):
    """One A or AAAA query for an MX host."""

    addresses: tuple[str, ...] = ()


#: One TXT record: a single string, or its character-strings (joined without spaces).
TxtRecord = str | tuple[str, ...]


@dataclass(frozen=True)
class TxtLookup(Lookup):
    """A TXT query (``_mta-sts.<domain>``, ``_smtp._tls.<domain>``), CNAMEs already followed."""

    records: tuple[TxtRecord, ...] = ()


def normalize_host(name: str) -> str:
    """Lower-case ``name`` and drop one trailing root dot (``"."`` becomes ``""``)."""
    return name.lower().removesuffix(".")


def is_below(host: str, zone: str) -> bool:
    """True if ``host`` is a proper subdomain of ``zone`` (both compared normalized)."""
    host, zone = normalize_host(host), normalize_host(zone)
    return bool(zone) and host.endswith("." + zone)


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe to show in a message: control characters escaped, at most ``limit`` long."""
    if len(text) <= limit and text.isprintable():  # the usual case: one C-level scan
        return text
    shown = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
