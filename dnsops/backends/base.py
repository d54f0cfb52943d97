"""What the control plane asks of a DNS server, as one interface every driver implements.

A driver serves the provider's partition zones (``o-v1.mx.provider.test``): it makes sure a
zone exists and is DNSSEC-signed, applies batches of RRset changes atomically, reads the keys
to hand to the parent (DS), lists what is published (for drift detection), and confirms that a
change is visible on every server. Every call is idempotent, so a retry is harmless.

Names are absolute, lower-case, without the final dot; record data is in presentation format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

# Types a signing server generates itself; never part of what the control plane publishes.
DNSSEC_GENERATED_TYPES = frozenset(
    {"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "TYPE65534", "ZONEMD"}
)

#: How long before they expire signatures are made again (the builtin driver's refresh);
#: a served signature closer than this to its expiry is a problem (the operators' page).
SIGNATURE_REFRESH_MARGIN = timedelta(days=5)


class DnsBackendError(Exception):
    """Base class of driver errors; messages never contain secrets."""


class TransientDnsError(DnsBackendError):
    """The server is down, timed out or answered SERVFAIL: retry later."""


class PermanentDnsError(DnsBackendError):
    """The server refused the request (REFUSED, NOTAUTH, bad TSIG, ...): retrying won't help.

    ``rcode`` is the server's answer code when there was one.
    """

    def __init__(self, message: str, rcode: str | None = None) -> None:
        super().__init__(message)
        self.rcode = rcode


class BatchTooLarge(DnsBackendError):
    """A batch does not fit in one atomic server transaction; split it."""


@dataclass(frozen=True, order=True)
class RRsetKey:
    """An RRset's identity: owner name and type."""

    name: str
    rdtype: str


@dataclass(frozen=True)
class RRset:
    """An RRset to publish: absolute owner name, type, TTL and its records (sorted, unique)."""

    name: str
    rdtype: str
    ttl: int
    rdatas: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.name.rstrip(".").lower())
        object.__setattr__(self, "rdtype", self.rdtype.upper())
        object.__setattr__(self, "rdatas", tuple(sorted(set(self.rdatas))))

    @property
    def key(self) -> RRsetKey:
        """The RRset's owner name and type."""
        return RRsetKey(self.name, self.rdtype)


@dataclass(frozen=True)
class ChangeBatch:
    """Changes to one zone that must be applied together: RRsets to replace and to delete."""

    zone: str
    upserts: Sequence[RRset] = ()
    deletes: Sequence[RRsetKey] = ()

    def __len__(self) -> int:
        return len(self.upserts) + len(self.deletes)


class DnsBackend(ABC):
    """A DNS server (or set of servers) that hosts the partition zones."""

    #: How many RRset changes one atomic ``apply`` can carry (callers split bigger batches).
    max_changes_per_batch: int = 1500

    @abstractmethod
    def ensure_zone(self, zone: str) -> None:
        """Make sure ``zone`` exists, is served and is DNSSEC-signed (creating it if needed)."""

    @abstractmethod
    def apply(self, batch: ChangeBatch) -> None:
        """Apply every change of ``batch`` in one transaction: all of them or none."""

    @abstractmethod
    def dnskeys(self, zone: str) -> list[str]:
        """The zone's DNSKEY records (presentation format)."""

    @abstractmethod
    def ds_records(self, zone: str) -> list[str]:
        """The DS records (digest type 2) the parent zone must publish for ``zone``."""

    @abstractmethod
    def list_rrsets(self, zone: str) -> list[RRset]:
        """What the server publishes in ``zone``, without apex SOA/NS and DNSSEC records."""

    @abstractmethod
    def confirm_visible(self, batch: ChangeBatch) -> bool:
        """True when every server answers with the state ``batch`` produced."""

    def confirm_visible_many(self, batches: Sequence[ChangeBatch]) -> list[bool]:
        """:meth:`confirm_visible` of each batch (a driver may ask for all of them at once)."""
        return [self.confirm_visible(batch) for batch in batches]

    def zone_serial(self, zone: str) -> int | None:
        """The SOA serial the server publishes for ``zone`` now; None when the driver can't
        tell (then nothing about the zone may be assumed unchanged)."""
        return None

    def refresh_signatures(self, zone: str) -> int:
        """Re-sign what in ``zone`` expires soon; how many RRsets were. A server that signs
        its zones itself (Knot, PowerDNS) keeps them fresh: nothing to do here."""
        return 0
