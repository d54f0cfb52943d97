"""Plain descriptions of DNS lookups, as the resolver layer hands them to the checks.

The resolver module (built elsewhere) queries the validating resolver with DO set and fills
these in: the outcome class, the AD bit, the records, and any Extended DNS Errors
(RFC 8914). Host names are compared case-insensitively and without the trailing root dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    shown = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
