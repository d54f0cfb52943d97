"""The ``builtin`` driver: zones kept in the database, written as DNSSEC-signed zone files.

The embedded default. Each zone is a ``BuiltinZone`` row; each RRset (NSEC included) is a
``BuiltinRRset`` row holding its records and RRSIG. One CSK per zone (ECDSA P-256, algorithm
13), created on first use as a PEM file (mode 0600) in a key directory (mode 0700); only its
public DNSKEY is in the database. Denial of existence is NSEC.

A change is signed incrementally, in one database transaction: the changed RRsets, the NSEC
of the names whose type set changed, the NSEC of the predecessor of every name that appears
or disappears (its "next" pointer moves) and the SOA (serial bump). The predecessor and
successor come from indexed range queries on ``canonical_key``, whose byte order is the
canonical DNS name order (RFC 4034 §6.1). ``refresh_signatures`` re-signs only what expires
soon.

After the commit the change is published under a file lock, in one of three ways:

- **journal** (``DANE_BUILTIN_JOURNAL_MAX_BYTES`` > 0, the embedded default): the change is
  appended (one write + fsync, a few KB for a host) to ``<zone dir>/<zone>.ixfr`` beside the
  zone file ``<zone>.zone``, which is left as it is. The journal is a sequence of RFC 1995 §4
  difference sequences in zone-file text: the old SOA, the records the change removed (RRSIG
  and NSEC included), the new SOA, the records it added, then a comment line ``; end of
  serial N``; its first SOA is the zone file's. The zone as published is the file with the
  journal applied: ``published_zone`` writes it (the same bytes as the zone written whole from
  the database), ``published_serial`` gives its serial; a torn last step or a journal that does
  not start at the file's serial (left by a crash) is not applied, and the next write rewrites
  the file from the database. When the journal would pass its limit (that setting, or a
  quarter of the zone file's size, at least 64 KiB) it is folded into the file: a new file
  made from the two files alone (unchanged byte ranges copied, the changed owners' lines
  edited), renamed over the old one, then the journal removed. ``compact_zone_file`` folds it
  on demand, for a consumer that loads the file whole.
- **splice** (journal off: servers listed in ``DANE_DNS_SERVERS`` load the file whole): a new
  file from the previous one, whose unchanged byte ranges are copied as they are, with only
  the changed owners' lines read from the database (each found by binary search, the file
  being in canonical order).
- **whole**: otherwise (a bulk load, a signature refresh, the apex set by ``ensure_zone``, or
  files that are not the change's starting point) the file is written whole from the database
  and any journal removed.

Either way the file (with its journal) is a complete signed zone at a serial at least the
previous one, for any authoritative server to load (e.g. Knot with ``dnssec-signing: off``
and a ``knotc zone-reload`` or reload timer; a server loading the file whole parses all of it
on each reload, so it is given the file without a journal). Zones may hold delegations
(NS + DS at a child name) but no glue: names below a delegation are refused.

Settings (``dane_admin/settings.py``, each with its default): ``DANE_BUILTIN_KEY_DIR`` (``VAR_DIR /
"dnssec-keys"``), ``DANE_BUILTIN_ZONE_DIR`` (``VAR_DIR / "zones"``), ``DANE_ZONE_NAMESERVERS``,
``DANE_ZONE_HOSTMASTER``, ``DANE_DNS_SERVERS`` and ``DANE_DNS_TIMEOUT`` (``confirm_visible``),
``DANE_BUILTIN_JOURNAL_MAX_BYTES`` (8 MiB, 0 when ``DANE_DNS_SERVERS`` are listed).
"""

from __future__ import annotations

import bisect
import fcntl
import logging
import mmap
import os
import random
import re
import shutil
import struct
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import BinaryIO, TypeVar

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.RRSIG
import dns.rdtypes.ANY.SOA
import dns.rrset
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from dnsops.addresses import parse_servers
from dnsops.backends.base import (
    DNSSEC_GENERATED_TYPES,
    SIGNATURE_REFRESH_MARGIN,
    BatchTooLarge,
    ChangeBatch,
    DnsBackend,
    PermanentDnsError,
    RRset,
    TransientDnsError,
)
from dnsops.builtin_models import BuiltinRRset, BuiltinZone

logger = logging.getLogger(__name__)

T = TypeVar("T")

ALGORITHM = dns.dnssec.Algorithm.ECDSAP256SHA256
CSK_FLAGS = 257  # ZONE + SEP: one key signs everything and is the one the parent's DS names
SIGNATURE_VALIDITY = timedelta(days=14)
# Expirations are spread over this much, so that signatures made together (a bulk load) do not
# all fall due in the same refresh run.
SIGNATURE_JITTER = timedelta(days=3)
INCEPTION_SKEW = timedelta(hours=1)  # inception in the past: validators with slow clocks
MIN_VALIDITY = SIGNATURE_VALIDITY - SIGNATURE_JITTER

APEX_TTL = 3600
SOA_TIMERS = (3600, 600, 1_209_600, 300)  # refresh, retry, expire, minimum
NSEC_TTL = SOA_TIMERS[3]  # RFC 9077: min(SOA TTL, SOA minimum)
MAX_TTL = 2**31 - 1
MAX_OWNER_TEXT = 253  # BuiltinRRset.owner: names are stored in presentation format
SERIAL_MODULUS = 2**32

ROWS_PER_QUERY = 2000  # rows per INSERT / IN list / fetch while streaming
REFRESH_ROWS = 2000  # signatures refreshed per transaction (the zone is locked meanwhile)
# A change touching at most this many owner names is spliced into the previous zone file
# (a binary search each); a larger one rewrites the file from the database.
SPLICE_MAX_OWNERS = 2000
# The journal beside a zone file holds at most this fraction of the file's size (and at least
# JOURNAL_MIN_BYTES, at most the configured maximum) before it is folded into the file.
JOURNAL_FRACTION = 0.25
JOURNAL_MIN_BYTES = 64 * 1024
JOURNAL_END = "; end of serial "  # the last line of each journal step
_ZONE_NAME = re.compile(r"^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$")
# An owner as this driver writes it (absolute) with nothing escaped, e.g. ``_25._tcp.h.zone.``.
_PLAIN_OWNER = re.compile(rb"(?:[A-Za-z0-9_*-]{1,63}\.)+")
_IN = dns.rdataclass.IN
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def canonical_key(name: dns.name.Name) -> bytes:
    """``name`` as bytes whose order is the canonical DNS name order (RFC 4034 §6.1).

    Labels from the root down, lower-cased, each ended by 0x00; 0x00 and 0x01 inside a label
    are escaped (0x01 0x01, 0x01 0x02), so the encoding is prefix-free and order-preserving.
    The descendants of a name are exactly the keys that extend its key.
    """
    return b"".join(
        label.lower().replace(b"\x01", b"\x01\x02").replace(b"\x00", b"\x01\x01") + b"\x00"
        for label in reversed(name.labels)
        if label
    )


def _ancestor_keys(key: bytes, apex_key: bytes) -> list[bytes]:
    """Keys of the names strictly between the apex and ``key``'s name."""
    ancestors = []
    end = key.find(b"\x00", len(apex_key))
    while end != -1 and end < len(key) - 1:
        ancestors.append(key[: end + 1])
        end = key.find(b"\x00", end + 1)
    return ancestors


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text.rstrip(".") + ".")


def _origin(zone: str) -> dns.name.Name:
    """The zone's name, checked (it also names files, so only host-name characters)."""
    text = zone.rstrip(".").lower()
    if not _ZONE_NAME.match(text) or len(text) > 253:
        raise PermanentDnsError(f"{zone!r} is not a zone name the builtin driver can host.")
    return _name(text)


def _chunks(items: Sequence[T], size: int = ROWS_PER_QUERY) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _serial_at_least(serial: int, reference: int) -> bool:
    """``serial >= reference`` in serial number arithmetic (RFC 1982)."""
    return serial == reference or 0 < (serial - reference) % SERIAL_MODULUS < 2**31


class ZoneKey:
    """A zone's CSK. Its repr shows the key tag only; the private half never leaves it."""

    __slots__ = ("_private_key", "dnskey", "tag")

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._private_key = private_key
        self.dnskey = dns.dnssec.make_dnskey(private_key.public_key(), ALGORITHM, CSK_FLAGS)
        self.tag = dns.dnssec.key_id(self.dnskey)

    def __repr__(self) -> str:
        return f"<ZoneKey tag={self.tag} algorithm={int(ALGORITHM)}>"

    def sign(
        self,
        rrset: dns.rrset.RRset,
        signer: dns.name.Name,
        inception: datetime,
        expiration: datetime,
    ) -> dns.rdtypes.ANY.RRSIG.RRSIG:
        """The RRSIG of ``rrset`` by this key, for zone ``signer`` (RFC 4034 §3.1.8.1).

        The data signed is built here rather than by ``dns.dnssec.sign``, which costs twice as
        much per signature in Python around the same ECDSA operation; the tests validate
        what it makes with dnspython.
        """
        name = rrset.name
        labels = len(name.labels) - 1 - int(name.is_wild())
        expires, starts = int(expiration.timestamp()), int(inception.timestamp())
        rdtype, ttl = int(rrset.rdtype), rrset.ttl
        header = struct.pack("!HBBIIIH", rdtype, ALGORITHM, labels, ttl, expires, starts, self.tag)
        owner = name.canonicalize().to_wire()
        assert owner is not None
        records = b"".join(
            owner + struct.pack("!HHIH", rdtype, _IN, ttl, len(wire)) + wire
            for wire in sorted({rdata.to_digestable(signer) for rdata in rrset})
        )
        signer_wire = signer.canonicalize().to_wire()
        assert signer_wire is not None
        der = self._private_key.sign(header + signer_wire + records, _ECDSA_SHA256)
        r, s = decode_dss_signature(der)
        return dns.rdtypes.ANY.RRSIG.RRSIG(
            _IN,
            dns.rdatatype.RRSIG,
            rdtype,
            ALGORITHM,
            labels,
            ttl,
            expires,
            starts,
            self.tag,
            signer,
            r.to_bytes(32, "big") + s.to_bytes(32, "big"),
        )


class KeyStore:
    """Private keys as PKCS#8 PEM files ``<zone>.key`` (mode 0600) in a directory (mode 0700)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    def load(self, zone: str, *, create: bool) -> ZoneKey:
        """The key of ``zone``; a new one when it has none and ``create`` is set."""
        path = self.directory / f"{zone}.key"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if not create:
                raise PermanentDnsError(
                    f"The signing key of {zone} is missing from {self.directory}: restore it "
                    "(a new key would break the DS in the parent zone)."
                ) from None
            return self._create(zone, path)
        except OSError as exc:
            raise TransientDnsError(
                f"The signing key of {zone} can't be read: {exc.strerror}."
            ) from None
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
            logger.warning("tightened the permissions of a key file", extra={"zone": zone})
        try:
            private_key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            private_key = None
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            private_key.curve, ec.SECP256R1
        ):
            raise PermanentDnsError(f"The key file of {zone} is not an ECDSA P-256 private key.")
        return ZoneKey(private_key)

    def _create(self, zone: str, path: Path) -> ZoneKey:
        """Generate a key and publish its file atomically (a concurrent creator's key wins)."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.directory.chmod(0o700)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{zone}.")  # 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(
                        private_key.private_bytes(
                            serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption(),
                        )
                    )
                    handle.flush()
                    os.fsync(handle.fileno())
                os.link(temporary, path)
            finally:
                os.unlink(temporary)
        except FileExistsError:
            return self.load(zone, create=False)
        except OSError as exc:
            raise PermanentDnsError(
                f"The signing key of {zone} can't be written in {self.directory}: {exc.strerror}."
            ) from None
        key = ZoneKey(private_key)
        logger.info("created a signing key", extra={"zone": zone, "key_tag": key.tag})
        return key


@dataclass(frozen=True)
class _Change:
    """A validated change: the new records of an RRset (none: delete it)."""

    name: dns.name.Name
    key: bytes
    rdtype: str
    ttl: int
    rdatas: tuple[dns.rdata.Rdata, ...]

    @property
    def texts(self) -> list[str]:
        """The records as stored: presentation format, sorted, unique."""
        return sorted({rdata.to_text() for rdata in self.rdatas})


def _parse_change(
    origin: dns.name.Name, name_text: str, type_text: str, ttl: int, texts: Iterable[str]
) -> _Change:
    where = f"{name_text} {type_text}"
    try:
        name = _name(name_text).canonicalize()
        rdtype = dns.rdatatype.from_text(type_text)
    except (dns.exception.DNSException, ValueError) as exc:
        raise PermanentDnsError(f"Invalid owner name or type in {where!r}: {exc}") from None
    if not name.is_subdomain(origin):
        raise PermanentDnsError(f"{name_text} is not in the zone {_text(origin)}.")
    if len(_text(name)) > MAX_OWNER_TEXT:
        raise PermanentDnsError(f"{where}: the owner name is too long in presentation format.")
    type_name = dns.rdatatype.to_text(rdtype)
    if (
        dns.rdatatype.is_metatype(rdtype)
        or type_name in DNSSEC_GENERATED_TYPES
        or rdtype == dns.rdatatype.SOA
        or (name == origin and rdtype in (dns.rdatatype.NS, dns.rdatatype.DS))
    ):
        raise PermanentDnsError(
            f"{where}: the driver manages SOA, apex NS and DNSSEC records itself."
        )
    if not 0 <= ttl <= MAX_TTL:
        raise PermanentDnsError(f"{where}: TTL {ttl} is out of range.")
    try:
        rdatas = tuple(
            dns.rdata.from_text(_IN, rdtype, text, dns.name.root, relativize=False)
            for text in texts
        )
    except (dns.exception.DNSException, ValueError, TypeError) as exc:
        raise PermanentDnsError(f"Invalid {type_name} record at {name_text}: {exc}") from None
    return _Change(name, canonical_key(name), type_name, ttl, rdatas)


def _parse_batch(origin: dns.name.Name, batch: ChangeBatch) -> list[_Change]:
    """Validate every change of ``batch`` (an upsert without records deletes the RRset)."""
    items = [(rr.name, rr.rdtype, rr.ttl, rr.rdatas) for rr in batch.upserts]
    items += [(key.name, key.rdtype, 0, ()) for key in batch.deletes]
    changes: dict[tuple[bytes, str], _Change] = {}
    for name_text, type_text, ttl, texts in items:
        change = _parse_change(origin, name_text, type_text, ttl, texts)
        if (change.key, change.rdtype) in changes:
            raise PermanentDnsError(f"The batch changes {name_text} {type_text} twice.")
        changes[(change.key, change.rdtype)] = change
    return list(changes.values())


@dataclass(frozen=True)
class ZoneChange:
    """A committed change of a zone: its serial before and after, the owner names (as
    canonical keys) whose rows other than the SOA changed, and the zone-file lines it removed
    and added (the SOA's among them)."""

    serial_before: int
    serial_after: int
    owners: frozenset[bytes]
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    def journal_step(self) -> bytes:
        """The change as one difference sequence of RFC 1995 §4 in zone-file text: the old SOA,
        the removed records, the new SOA, the added records, then an end mark."""
        old_soa = [line for line in self.removed if _is_soa_record(line)]
        new_soa = [line for line in self.added if _is_soa_record(line)]
        if len(old_soa) != 1 or len(new_soa) != 1:
            raise ValueError("A journal step needs the old and the new SOA.")
        removed = [line for line in self.removed if line is not old_soa[0]]
        added = [line for line in self.added if line is not new_soa[0]]
        text = "".join(
            [*old_soa, *removed, *new_soa, *added, f"{JOURNAL_END}{self.serial_after}\n"]
        )
        return text.encode()


class _ZoneEditor:
    """Changes one zone, locked by the caller's transaction, re-signing only what changes."""

    def __init__(self, zone: BuiltinZone, key: ZoneKey) -> None:
        self.zone = zone
        self.key = key
        self.origin = _name(zone.name)
        self.apex_key = canonical_key(self.origin)
        self.now = timezone.now()
        self.signatures = 0
        self.serial_before = zone.serial
        self.touched: set[bytes] = set()  # owners whose rows other than the SOA changed
        # Rows as first read in this transaction, and the rows written or deleted (None) since,
        # by (owner key, type): the difference the change makes to the zone file.
        self._read: dict[tuple[bytes, str], BuiltinRRset] = {}
        self._written: dict[tuple[bytes, str], BuiltinRRset | None] = {}

    # --- rows -----------------------------------------------------------------------------

    def _row(
        self,
        name: dns.name.Name,
        key: bytes,
        rdtype: str,
        ttl: int,
        rdatas: Sequence[dns.rdata.Rdata],
    ) -> BuiltinRRset:
        """A row for an RRset, signed unless it is the NS of a delegation."""
        rrsig, expires_at = "", None
        if not (rdtype == "NS" and key != self.apex_key):
            expiration = self.now + SIGNATURE_VALIDITY - random.random() * SIGNATURE_JITTER  # noqa: S311 - spreading, not security
            rrset = dns.rrset.from_rdata_list(name, ttl, rdatas)
            signature = self.key.sign(rrset, self.origin, self.now - INCEPTION_SKEW, expiration)
            self.signatures += 1
            rrsig = signature.to_text()
            expires_at = datetime.fromtimestamp(signature.expiration, UTC)
        return BuiltinRRset(
            zone=self.zone,
            owner=_text(name),
            canonical_key=key,
            rdtype=rdtype,
            ttl=ttl,
            rdatas=sorted(rdata.to_text() for rdata in rdatas),
            rrsig=rrsig,
            expires_at=expires_at,
        )

    def _seen(self, rows: Iterable[BuiltinRRset]) -> list[BuiltinRRset]:
        """Remember ``rows`` as read (the first reading of a row is its state before)."""
        rows = list(rows)
        for row in rows:
            self._read.setdefault((bytes(row.canonical_key), row.rdtype), row)
        return rows

    def _save(self, rows: list[BuiltinRRset]) -> None:
        self.touched.update(bytes(row.canonical_key) for row in rows if row.rdtype != "SOA")
        self._written.update(((bytes(row.canonical_key), row.rdtype), row) for row in rows)
        BuiltinRRset.objects.bulk_create(
            rows,
            batch_size=ROWS_PER_QUERY,
            update_conflicts=True,
            unique_fields=["zone", "canonical_key", "rdtype"],
            update_fields=["owner", "ttl", "rdatas", "rrsig", "expires_at"],
        )

    def _delete(self, keys: Iterable[tuple[bytes, str]]) -> None:
        by_type: dict[str, list[bytes]] = defaultdict(list)
        for key, rdtype in keys:
            by_type[rdtype].append(key)
            self.touched.add(key)
            self._written[(key, rdtype)] = None
        for rdtype, owner_keys in by_type.items():
            for chunk in _chunks(owner_keys):
                BuiltinRRset.objects.filter(
                    zone=self.zone, rdtype=rdtype, canonical_key__in=chunk
                ).delete()

    def _rows_at(self, keys: Sequence[bytes], rdtype: str | None = None) -> list[BuiltinRRset]:
        rows: list[BuiltinRRset] = []
        for chunk in _chunks(keys):
            query = BuiltinRRset.objects.filter(zone=self.zone, canonical_key__in=chunk)
            rows.extend(self._seen(query.filter(rdtype=rdtype) if rdtype else query))
        return rows

    def _soa_row(self) -> BuiltinRRset | None:
        return next(
            iter(
                self._seen(
                    BuiltinRRset.objects.filter(
                        zone=self.zone, canonical_key=self.apex_key, rdtype="SOA"
                    )[:1]
                )
            ),
            None,
        )

    # --- changes --------------------------------------------------------------------------

    def commit(
        self,
        changes: Sequence[_Change],
        soa_names: tuple[dns.name.Name, dns.name.Name] | None = None,
    ) -> bool:
        """Apply ``changes``; True when anything changed (then the serial was bumped).

        ``soa_names`` (SOA MNAME and RNAME) are set by ``ensure_zone``: a differing or
        missing SOA then counts as a change.
        """
        names = {change.key: change.name for change in changes}
        existing = {
            (bytes(row.canonical_key), row.rdtype): row for row in self._rows_at(list(names))
        }
        types_old: dict[bytes, set[str]] = {key: set() for key in names}
        for key, rdtype in existing:
            if rdtype != "NSEC":
                types_old[key].add(rdtype)
        types_new = {key: set(types) for key, types in types_old.items()}
        upserts: list[_Change] = []
        deletes: list[tuple[bytes, str]] = []
        for change in changes:
            row = existing.get((change.key, change.rdtype))
            if not change.rdatas:
                if row is not None:
                    deletes.append((change.key, change.rdtype))
                    types_new[change.key].discard(change.rdtype)
            elif row is None or row.ttl != change.ttl or row.rdatas != change.texts:
                upserts.append(change)
                types_new[change.key].add(change.rdtype)
        soa_row = self._soa_row()
        soa_stale = soa_names is not None and (
            soa_row is None or self._soa_names(soa_row) != soa_names
        )
        if not (upserts or deletes or soa_stale):
            return False
        if soa_row is None:  # a new zone: its apex gets the SOA below, and an NSEC listing it
            names.setdefault(self.apex_key, self.origin)
            types_old.setdefault(self.apex_key, set())
            types_new.setdefault(self.apex_key, set()).add("SOA")
        self._check_structure(names, types_old, types_new)
        self._delete(deletes)
        self._save([self._row(c.name, c.key, c.rdtype, c.ttl, c.rdatas) for c in upserts])
        self._relink(names, types_old, types_new, existing)
        self._bump_soa(soa_row, soa_names)
        return True

    def _check_structure(
        self,
        names: dict[bytes, dns.name.Name],
        types_old: dict[bytes, set[str]],
        types_new: dict[bytes, set[str]],
    ) -> None:
        """Refuse what a zone can't hold: CNAME with other data, data at or below a
        delegation, DS without NS."""
        for key, types in types_new.items():
            where = _text(names[key])
            if "CNAME" in types and len(types) > 1:
                raise PermanentDnsError(f"{where}: a CNAME can't coexist with other records.")
            if key != self.apex_key and "NS" in types and not types <= {"NS", "DS"}:
                raise PermanentDnsError(f"{where}: a delegation (NS) holds only NS and DS.")
            if "DS" in types and "NS" not in types:
                raise PermanentDnsError(f"{where}: DS needs a delegation (NS) at that name.")
        with_data = [key for key, types in types_new.items() if types]
        ancestors = {a for key in with_data for a in _ancestor_keys(key, self.apex_key)}
        cuts = {
            key
            for key in [bytes(row.canonical_key) for row in self._rows_at(list(ancestors), "NS")]
            if key not in names
        } | {key for key in ancestors & names.keys() if "NS" in types_new[key]}
        for key in with_data:
            if any(ancestor in cuts for ancestor in _ancestor_keys(key, self.apex_key)):
                raise PermanentDnsError(
                    f"{_text(names[key])} is below a delegation; glue is not supported."
                )
        for key in with_data:
            if "NS" in types_new[key] and "NS" not in types_old[key] and key != self.apex_key:
                below = BuiltinRRset.objects.filter(
                    zone=self.zone, canonical_key__gt=key, canonical_key__lt=key[:-1] + b"\x01"
                ).values_list("canonical_key", flat=True)
                if any(bytes(other) not in names for other in below.iterator()):
                    raise PermanentDnsError(
                        f"{_text(names[key])}: a delegation would hide names below it."
                    )

    def _relink(
        self,
        names: dict[bytes, dns.name.Name],
        types_old: dict[bytes, set[str]],
        types_new: dict[bytes, set[str]],
        existing: dict[tuple[bytes, str], BuiltinRRset],
    ) -> None:
        """Re-sign the NSEC records the change affects, and only those."""
        old_in = {key for key in names if (key, "NSEC") in existing}
        new_in = {key for key in names if types_new[key]}
        added = sorted(new_in - old_in)
        removed = sorted(old_in - new_in)
        self._delete((key, "NSEC") for key in removed)
        known = {self.apex_key: self.origin, **names}
        # Neighbours among the stored NSEC owners, i.e. the new chain without ``added``.
        neighbours = self._neighbours(sorted({*added, *removed}), known)

        def predecessor(key: bytes) -> bytes:
            index = bisect.bisect_left(added, key)
            candidates = [added[index - 1]] if index else []
            stored = neighbours[key][0]
            if stored is not None:
                candidates.append(stored)
            return max(candidates) if candidates else added[-1]  # only the apex of a new zone

        def successor(key: bytes) -> bytes:
            index = bisect.bisect_right(added, key)
            candidates = [added[index]] if index < len(added) else []
            stored = neighbours[key][1]
            if stored is not None:
                candidates.append(stored)
            return min(candidates) if candidates else self.apex_key  # the chain wraps around

        next_of: dict[bytes, bytes] = {}
        for key in sorted({*added, *removed}):
            next_of[predecessor(key)] = key if key in new_in else successor(key)
        for key in added:
            next_of[key] = successor(key)
        retyped = {key for key in new_in & old_in if types_new[key] != types_old[key]}
        rebuild = sorted(next_of.keys() | retyped)
        current = {key: existing[(key, "NSEC")] for key in rebuild if (key, "NSEC") in existing}
        outside = [key for key in rebuild if key not in names]
        current.update({bytes(row.canonical_key): row for row in self._rows_at(outside, "NSEC")})
        rows = []
        for key in rebuild:
            old = current.get(key)
            old_next, *old_types = old.rdatas[0].split() if old else ("",)
            next_text = known[next_of[key]].to_text() if key in next_of else old_next
            types = sorted(types_new[key] | {"NSEC", "RRSIG"}) if key in names else old_types
            nsec = dns.rdata.from_text(_IN, dns.rdatatype.NSEC, f"{next_text} {' '.join(types)}")
            if old is None or old.rdatas != [nsec.to_text()]:
                rows.append(self._row(known[key], key, "NSEC", NSEC_TTL, (nsec,)))
        self._save(rows)

    def _neighbours(
        self, keys: Sequence[bytes], known: dict[bytes, dns.name.Name]
    ) -> dict[bytes, tuple[bytes | None, bytes | None]]:
        """For each key: the stored NSEC owners just before and just after it (one indexed
        probe each, many keys per query); their names are added to ``known``."""
        table = connection.ops.quote_name(BuiltinRRset._meta.db_table)
        stored = f"FROM {table} WHERE zone_id = %s AND rdtype = 'NSEC' AND canonical_key"
        before = f"SELECT owner {stored} < v.column1 ORDER BY canonical_key DESC LIMIT 1"
        after = f"SELECT owner {stored} > v.column1 ORDER BY canonical_key LIMIT 1"

        def key_of(owner: str | None) -> bytes | None:
            if owner is None:
                return None
            name = _name(owner)
            known[canonical_key(name)] = name
            return canonical_key(name)

        result: dict[bytes, tuple[bytes | None, bytes | None]] = {}
        for chunk in _chunks(keys, 500):
            values = ", ".join(["(%s)"] * len(chunk))
            sql = f"SELECT v.column1, ({before}), ({after}) FROM (VALUES {values}) AS v"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [self.zone.pk, self.zone.pk, *chunk])
                for key, previous, following in cursor.fetchall():
                    result[bytes(key)] = (key_of(previous), key_of(following))
        return result

    @staticmethod
    def _soa_names(row: BuiltinRRset) -> tuple[dns.name.Name, dns.name.Name]:
        soa = dns.rdata.from_text(_IN, dns.rdatatype.SOA, row.rdatas[0])
        assert isinstance(soa, dns.rdtypes.ANY.SOA.SOA)
        return soa.mname, soa.rname

    def _bump_soa(
        self,
        row: BuiltinRRset | None,
        soa_names: tuple[dns.name.Name, dns.name.Name] | None,
    ) -> None:
        """A new serial (Unix time, or +1 when that isn't higher) and a new SOA signature."""
        if soa_names is None:
            assert row is not None
            soa_names = self._soa_names(row)
        mname, rname = soa_names
        serial = max(self.zone.serial + 1, int(time.time())) % SERIAL_MODULUS
        timers = " ".join(str(value) for value in SOA_TIMERS)
        soa = dns.rdata.from_text(
            _IN, dns.rdatatype.SOA, f"{mname.to_text()} {rname.to_text()} {serial} {timers}"
        )
        self._save([self._row(self.origin, self.apex_key, "SOA", APEX_TTL, (soa,))])
        self.zone.serial = serial
        self.zone.save(update_fields=["serial", "updated_at"])

    def change(self) -> ZoneChange:
        """What the committed edit changed (for the zone-file splice or journal).

        Every row the edit writes or deletes was read first in its transaction (the rows at
        the changed names, the NSEC of their neighbours, the SOA), so its state before is known.
        """
        removed: list[str] = []
        added: list[str] = []
        for key in sorted(self._written):
            before, after = self._read.get(key), self._written[key]
            old = _rrset_lines(*_line_values(before)) if before is not None else []
            new = _rrset_lines(*_line_values(after)) if after is not None else []
            removed += [line for line in old if line not in new]
            added += [line for line in new if line not in old]
        return ZoneChange(
            self.serial_before,
            self.zone.serial,
            frozenset(self.touched),
            tuple(removed),
            tuple(added),
        )

    def refresh(self, deadline: datetime, limit: int) -> int:
        """Re-sign up to ``limit`` RRsets whose signatures expire before ``deadline``."""
        due = list(
            BuiltinRRset.objects.filter(zone=self.zone, expires_at__lt=deadline).order_by(
                "expires_at"
            )[:limit]
        )
        if not due:
            return 0
        rows = []
        for row in due:
            if row.rdtype == "SOA":
                continue  # re-signed by the serial bump below
            rdtype = dns.rdatatype.from_text(row.rdtype)
            rdatas = [dns.rdata.from_text(_IN, rdtype, text) for text in row.rdatas]
            owner_key = bytes(row.canonical_key)
            signed = self._row(_name(row.owner), owner_key, row.rdtype, row.ttl, rdatas)
            row.rrsig, row.expires_at = signed.rrsig, signed.expires_at
            rows.append(row)
        BuiltinRRset.objects.bulk_update(rows, ["rrsig", "expires_at"], batch_size=500)
        self._bump_soa(self._soa_row(), None)
        return len(due)


_LINE_FIELDS = ("owner", "ttl", "rdtype", "rdatas", "rrsig")


def _line_values(row: BuiltinRRset) -> tuple[str, int, str, list[str], str]:
    """The fields of ``row`` that make its zone-file lines (``_LINE_FIELDS``)."""
    return row.owner, row.ttl, row.rdtype, list(row.rdatas), row.rrsig


def _rrset_lines(owner: str, ttl: int, rdtype: str, rdatas: list[str], rrsig: str) -> list[str]:
    """The zone-file lines of one stored RRset: its records, then its signature."""
    head = f"{owner}. {ttl} IN "
    lines = [f"{head}{rdtype} {rdata}\n" for rdata in rdatas]
    if rrsig:
        lines.append(f"{head}RRSIG {rrsig}\n")
    return lines


def _owner_key(owner: bytes) -> bytes:
    """The canonical key of an owner as this driver writes it in a zone file."""
    if _PLAIN_OWNER.fullmatch(owner):  # no escapes: the labels are the bytes themselves
        return b"".join(label.lower() + b"\x00" for label in reversed(owner.split(b".")[:-1]))
    return canonical_key(dns.name.from_text(owner.decode()))


def _is_soa_record(line: str | bytes) -> bool:
    """True for the SOA record line of a zone file this driver wrote."""
    fields = line.split(maxsplit=4)
    return len(fields) > 3 and fields[3] in ("SOA", b"SOA")


def _in_soa_section(line: bytes) -> bool:
    """True for the SOA record and its RRSIG (the lines before the body of a zone file)."""
    fields = line.split(maxsplit=5)
    return fields[3] == b"SOA" or fields[3:5] == [b"RRSIG", b"SOA"]


def _line_order(line: bytes) -> tuple[bytes, bool, bytes]:
    """Where a line goes among its owner's lines, as a whole write orders them: by the type
    of its RRset, the records (sorted) before their RRSIG."""
    fields = line.split(maxsplit=5)
    signature = fields[3] == b"RRSIG"
    return (fields[4] if signature else fields[3]), signature, line


class _ZoneFileIndex:
    """Finds owner names in a zone file this driver wrote (the SOA lines first, then every
    line in canonical order of its owner) by binary search over its bytes."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.body_start = 0
        while self.body_start < len(data):  # the SOA and its RRSIG
            end = self._line_end(self.body_start)
            fields = data[self.body_start : end].split(maxsplit=5)
            if not (fields[3] == b"SOA" or fields[3:5] == [b"RRSIG", b"SOA"]):
                break
            self.body_start = end

    def _line_end(self, start: int) -> int:
        end = self.data.find(b"\n", start)
        return len(self.data) if end < 0 else end + 1

    def _key_at(self, start: int) -> bytes:
        return _owner_key(self.data[start : self.data.find(b" ", start)])

    def soa_lines(self) -> list[bytes]:
        """The lines before the body: the SOA and its RRSIG."""
        return self.data[: self.body_start].splitlines(keepends=True)

    def owner_lines(self, key: bytes) -> tuple[int, int]:
        """The byte range of the lines of the owner ``key`` after the SOA (empty, where they
        would go, when it has none)."""
        low, high = self.body_start, len(self.data)  # low is always the start of a line
        while low < high:
            middle = (low + high) // 2
            start = self.data.rfind(b"\n", low, middle) + 1 or low
            if self._key_at(start) < key:
                low = self._line_end(start)
            else:
                high = start
        end = low
        while end < len(self.data) and self._key_at(end) == key:
            end = self._line_end(end)
        return low, end


def _spliced(
    previous: _ZoneFileIndex,
    soa: str | bytes,
    owners: Iterable[bytes],
    lines: Mapping[bytes, Sequence[str | bytes]],
) -> Iterator[str | bytes]:
    """The new zone file: ``soa``, then the previous file's body with the lines of each of
    ``owners`` replaced by ``lines[owner]`` (none: the owner is gone)."""
    yield soa
    position = previous.body_start
    for key in sorted(owners):
        start, end = previous.owner_lines(key)
        yield previous.data[position:start]
        yield from lines.get(key, ())
        position = end
    yield previous.data[position:]


@contextmanager
def _file_lock(path: Path, *, shared: bool = False) -> Iterator[None]:
    """A lock on ``path`` between threads and processes of this host: exclusive for writers,
    shared for readers."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield


def _lock_path(zone_file: Path) -> Path:
    return zone_file.with_name(f".{zone_file.name.removesuffix('.zone')}.lock")


def journal_path(zone_file: Path) -> Path:
    """The journal beside ``<zone>.zone``: ``<zone>.ixfr``."""
    return zone_file.with_suffix(".ixfr")


class JournalError(ValueError):
    """A journal that does not apply to its zone file (stale, torn or not this driver's)."""


@dataclass(frozen=True)
class _JournalState:
    """What is known of a journal from its first line and its end: its size, and the serial
    after its last step (None: empty, missing, or not ended by a complete step). ``usable``:
    it continues the zone file and its last step is complete; otherwise (a crash left it
    behind, or half-written) a writer discards it."""

    size: int
    serial: int | None
    continues: bool
    usable: bool


def _journal_state(journal: Path, base_serial: int | None) -> _JournalState:
    """Read the first line and the end of ``journal`` (not the rest)."""
    try:
        with journal.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            first = handle.readline().split()
            handle.seek(max(0, size - 64))
            last = handle.read().rsplit(b"\n", 2)
    except FileNotFoundError:
        size, first, last = 0, [], []
    if size == 0:
        return _JournalState(0, None, continues=True, usable=True)
    end = JOURNAL_END.encode()
    try:
        continues = first[3] == b"SOA" and int(first[6]) == base_serial
        ended = last[-1] == b"" and last[-2].startswith(end)
        serial = int(last[-2].removeprefix(end)) if ended else None
    except (IndexError, ValueError):
        continues, serial = False, None
    return _JournalState(size, serial, continues, usable=continues and serial is not None)


def _journal_steps(data: bytes) -> Iterator[tuple[list[bytes], list[bytes]]]:
    """The complete steps of a journal as (removed lines, added lines), each list with its SOA
    first; a torn last step (no end mark) is left out."""
    end = JOURNAL_END.encode()
    removed: list[bytes] = []
    added: list[bytes] = []
    current = removed
    for line in data.splitlines(keepends=True):
        if line.startswith(end):
            if not removed or not added:
                raise JournalError("A journal step without its two SOA records.")
            yield removed, added
            removed, added = [], []
            current = removed
        elif _is_soa_record(line):
            if current is removed and removed:
                current = added
            elif current is added:
                raise JournalError("A journal step with three SOA records.")
            current.append(line)
        elif not removed:
            raise JournalError("A journal step that does not start with an SOA record.")
        else:
            current.append(line)


def _applied(
    base: _ZoneFileIndex, steps: Iterable[tuple[list[bytes], list[bytes]]]
) -> Iterator[bytes]:
    """The zone file ``base`` with ``steps`` applied, in the bytes a whole write would give."""
    soa = base.soa_lines()
    owners: dict[bytes, list[bytes]] = {}

    def lines_of(line: bytes) -> list[bytes]:
        if _in_soa_section(line):
            return soa
        key = _owner_key(line[: line.find(b" ")])
        if key not in owners:
            start, end = base.owner_lines(key)
            owners[key] = base.data[start:end].splitlines(keepends=True)
        return owners[key]

    for removed, added in steps:
        for line in removed:
            try:
                lines_of(line).remove(line)
            except ValueError:
                raise JournalError(
                    f"The journal removes a record the zone lacks: {line!r}"
                ) from None
        for line in added:
            lines_of(line).append(line)
    soa.sort(key=lambda line: not _is_soa_record(line))
    for lines in owners.values():
        lines.sort(key=_line_order)
    for piece in _spliced(base, b"".join(soa), owners, owners):
        yield piece if isinstance(piece, bytes) else piece.encode()


def published_zone(zone_file: Path, target: BinaryIO) -> int | None:
    """Write the zone as published (``zone_file`` with its journal applied, the bytes the
    database would give written whole) to ``target``; returns its serial (None: no file).

    Takes the zone's lock shared, so a writer never folds the journal in meanwhile.
    """
    with _file_lock(_lock_path(zone_file), shared=True):
        try:
            handle = zone_file.open("rb")
        except FileNotFoundError:
            return None
        with handle:
            base_serial = zone_file_serial(zone_file)
            journal = journal_path(zone_file)
            state = _journal_state(journal, base_serial)
            steps = (
                list(_journal_steps(journal.read_bytes())) if state.size and state.continues else []
            )
            if not steps or base_serial is None:
                shutil.copyfileobj(handle, target)
                return base_serial
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                for piece in _applied(_ZoneFileIndex(data), steps):
                    target.write(piece)
            return int(steps[-1][1][0].split()[6])


def published_serial(zone_file: Path) -> int | None:
    """The serial of the zone as published: the journal's last, else the zone file's (None:
    no file). Takes the zone's lock shared: never a step half-appended."""
    if not zone_file.parent.is_dir():
        return None
    with _file_lock(_lock_path(zone_file), shared=True):
        base_serial = zone_file_serial(zone_file)
        state = _journal_state(journal_path(zone_file), base_serial)
    return state.serial if state.usable and state.serial is not None else base_serial


def _append(journal: Path, step: bytes) -> None:
    """Append ``step`` to ``journal`` (created 0644: public data) and wait until it is on disk."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(fd, "ab") as handle:
        handle.write(step)
        handle.flush()
        os.fsync(handle.fileno())


def zone_file_serial(path: Path) -> int | None:
    """The SOA serial on the first line of a zone file this driver wrote (None: no file)."""
    try:
        with path.open() as handle:
            fields = handle.readline().split()
        return int(fields[6]) if len(fields) > 6 and fields[3] == "SOA" else None
    except (OSError, ValueError):
        return None


class BuiltinBackend(DnsBackend):
    """Zones in the database, signed incrementally, published as zone files."""

    max_changes_per_batch = 20_000

    def __init__(
        self,
        *,
        key_dir: Path,
        zone_dir: Path,
        nameservers: Sequence[str] = ("ns.test",),
        hostmaster: str = "hostmaster.test",
        servers: Sequence[tuple[str, int]] = (),
        timeout: float = 3.0,
        journal_max_bytes: int = 0,
    ) -> None:
        if not nameservers:
            raise ValueError("The builtin driver needs at least one name server for the NS.")
        self.keys = KeyStore(key_dir)
        self.zone_dir = zone_dir
        self.nameservers = [_name(ns) for ns in nameservers]
        self.hostmaster = _name(hostmaster)
        self.servers = list(servers)
        self.timeout = timeout
        self.journal_max_bytes = journal_max_bytes
        self._key_cache: dict[str, ZoneKey] = {}

    @classmethod
    def from_settings(cls) -> BuiltinBackend:
        """The driver configured from Django settings (see the module docstring)."""
        return cls(
            key_dir=Path(settings.DANE_BUILTIN_KEY_DIR),
            zone_dir=Path(settings.DANE_BUILTIN_ZONE_DIR),
            nameservers=list(settings.DANE_ZONE_NAMESERVERS),
            hostmaster=settings.DANE_ZONE_HOSTMASTER,
            servers=parse_servers(list(settings.DANE_DNS_SERVERS)),
            timeout=float(settings.DANE_DNS_TIMEOUT),
            journal_max_bytes=int(settings.DANE_BUILTIN_JOURNAL_MAX_BYTES),
        )

    def __repr__(self) -> str:
        return f"BuiltinBackend(keys={self.keys!r}, zone_dir={str(self.zone_dir)!r})"

    def zone_file_path(self, zone: str) -> Path:
        """Where the zone file of ``zone`` is written."""
        return self.zone_dir / f"{_text(_origin(zone))}.zone"

    # --- zones and keys -------------------------------------------------------------------

    def _locked_zone(self, zone: str) -> BuiltinZone:
        try:
            return BuiltinZone.objects.select_for_update().get(name=zone)
        except BuiltinZone.DoesNotExist:
            raise PermanentDnsError(
                f"The zone {zone} is not hosted by the builtin driver (ensure_zone first)."
            ) from None

    def _zone(self, zone: str) -> BuiltinZone:
        try:
            return BuiltinZone.objects.get(name=zone)
        except BuiltinZone.DoesNotExist:
            raise PermanentDnsError(
                f"The zone {zone} is not hosted by the builtin driver."
            ) from None

    def _key(self, zone: BuiltinZone, *, create: bool = False) -> ZoneKey:
        key = self._key_cache.get(zone.name)
        if key is None or key.tag != zone.key_tag:
            key = self.keys.load(zone.name, create=create)
            if zone.key_tag is not None and key.tag != zone.key_tag:
                raise PermanentDnsError(
                    f"The key file of {zone.name} (tag {key.tag}) is not the key the zone is "
                    f"signed with (tag {zone.key_tag})."
                )
            self._key_cache[zone.name] = key
        return key

    def ensure_zone(self, zone: str) -> None:
        """Create the zone (key, SOA, NS, DNSKEY, signatures) or bring its apex in line with
        the settings; then make sure its zone file is current."""
        origin = _origin(zone)
        text = _text(origin)
        try:
            with transaction.atomic():
                BuiltinZone.objects.get_or_create(name=text)
                row = self._locked_zone(text)
                key = self._key(row, create=row.key_tag is None)
                if row.key_tag is None:
                    row.key_tag, row.dnskey = key.tag, key.dnskey.to_text()
                    row.save(update_fields=["key_tag", "dnskey", "updated_at"])
                apex = [
                    _Change(
                        origin,
                        canonical_key(origin),
                        "NS",
                        APEX_TTL,
                        tuple(
                            dns.rdata.from_text(_IN, dns.rdatatype.NS, ns.to_text())
                            for ns in self.nameservers
                        ),
                    ),
                    _Change(origin, canonical_key(origin), "DNSKEY", APEX_TTL, (key.dnskey,)),
                ]
                if _ZoneEditor(row, key).commit(apex, (self.nameservers[0], self.hostmaster)):
                    logger.info("builtin zone apex set", extra={"zone": text, "key_tag": key.tag})
        except OperationalError as exc:
            raise TransientDnsError(f"The database did not complete ensure_zone: {exc}") from None
        self.write_zone_file(text)

    def apply(self, batch: ChangeBatch) -> None:
        """Apply ``batch`` in one database transaction, then rewrite the zone file."""
        text = _text(_origin(batch.zone))
        started = time.perf_counter()
        editor = self._commit(text, batch)
        signed = time.perf_counter()
        self.write_zone_file(text, editor.change())
        logger.info(
            "builtin zone changed",
            extra={
                "zone": text,
                "changes": len(batch),
                "signatures": editor.signatures,
                "commit_seconds": round(signed - started, 4),
                "write_seconds": round(time.perf_counter() - signed, 4),
            },
        )

    def _commit(self, zone: str, batch: ChangeBatch) -> _ZoneEditor:
        """Validate ``batch`` and commit it to the database (zone locked, signed)."""
        if len(batch) > self.max_changes_per_batch:
            raise BatchTooLarge(f"{len(batch)} changes; at most {self.max_changes_per_batch}.")
        changes = _parse_batch(_origin(zone), batch)
        try:
            with transaction.atomic():
                row = self._locked_zone(zone)
                editor = _ZoneEditor(row, self._key(row))
                editor.commit(changes)
        except OperationalError as exc:
            raise TransientDnsError(f"The database did not complete the batch: {exc}") from None
        return editor

    def apply_in_bulk(self, zone: str, batches: Iterable[ChangeBatch]) -> int:
        """Apply many batches of ``zone`` (a bulk load: a new partition's hosts, a restore),
        each in its own transaction as :meth:`apply` does, and write the zone file once at the
        end instead of once per batch; returns how many changes were applied."""
        text = _text(_origin(zone))
        applied, signatures = 0, 0
        started = time.perf_counter()
        for batch in batches:
            if _text(_origin(batch.zone)) != text:
                raise PermanentDnsError(f"A batch of {batch.zone} in the bulk load of {text}.")
            editor = self._commit(text, batch)
            applied += len(batch)
            signatures += editor.signatures
        signed = time.perf_counter()
        self.write_zone_file(text)
        logger.info(
            "builtin zone loaded",
            extra={
                "zone": text,
                "changes": applied,
                "signatures": signatures,
                "commit_seconds": round(signed - started, 4),
                "write_seconds": round(time.perf_counter() - signed, 4),
            },
        )
        return applied

    def refresh_signatures(self, zone: str, within: timedelta = SIGNATURE_REFRESH_MARGIN) -> int:
        """Re-sign the RRsets whose signatures expire within ``within``; how many were."""
        if not timedelta(0) <= within < MIN_VALIDITY:
            raise ValueError(f"within must be shorter than {MIN_VALIDITY}.")
        text = _text(_origin(zone))
        total = 0
        while True:
            with transaction.atomic():
                row = self._locked_zone(text)
                done = _ZoneEditor(row, self._key(row)).refresh(
                    timezone.now() + within, REFRESH_ROWS
                )
            total += done
            if done < REFRESH_ROWS:
                break
        if total:
            self.write_zone_file(text)
            logger.info("signatures refreshed", extra={"zone": text, "rrsets": total})
        return total

    def zone_serial(self, zone: str) -> int | None:
        """The zone's serial (the one its zone file carries once written)."""
        serial: int | None = (
            BuiltinZone.objects.filter(name=_text(_origin(zone)))
            .values_list("serial", flat=True)
            .first()
        )
        return serial

    def dnskeys(self, zone: str) -> list[str]:
        """The zone's DNSKEY (one CSK)."""
        return [self._zone(_text(_origin(zone))).dnskey]

    def ds_records(self, zone: str) -> list[str]:
        """The DS (SHA-256) of the zone's CSK, for the parent."""
        origin = _origin(zone)
        dnskey = dns.rdata.from_text(_IN, dns.rdatatype.DNSKEY, self.dnskeys(zone)[0])
        return [dns.dnssec.make_ds(origin, dnskey, "SHA256").to_text()]

    def list_rrsets(self, zone: str) -> list[RRset]:
        """The published RRsets (from the database the zone file is written from), without
        apex SOA/NS and DNSSEC records."""
        origin = _origin(zone)
        row = self._zone(_text(origin))
        query = (
            BuiltinRRset.objects.filter(zone=row)
            .exclude(rdtype__in=DNSSEC_GENERATED_TYPES)
            .exclude(canonical_key=canonical_key(origin), rdtype__in=("SOA", "NS"))
            .order_by("canonical_key", "rdtype")
            .values_list("owner", "rdtype", "ttl", "rdatas")
        )
        return [
            RRset(owner, rdtype, ttl, tuple(rdatas))
            for owner, rdtype, ttl, rdatas in query.iterator(chunk_size=ROWS_PER_QUERY)
        ]

    # --- publication ----------------------------------------------------------------------

    def write_zone_file(self, zone: str, change: ZoneChange | None = None) -> Path:
        """Publish the database's state of ``zone`` unless it already is (see the module
        docstring): append ``change`` to the journal, fold the journal into the zone file,
        splice the file, or write it whole.

        One consistent read (REPEATABLE READ on PostgreSQL), files replaced by renaming a temp
        file (the journal only ever appended to), under a lock file so concurrent writers never
        put an older state back. ``change`` (the one just committed) is used only when the
        published serial is its starting one and the database's its final one (no other change
        in between); otherwise the file is written whole from the database.
        """
        text = _text(_origin(zone))
        path = self.zone_file_path(text)
        journal = journal_path(path)
        outermost = not connection.in_atomic_block
        try:
            self.zone_dir.mkdir(parents=True, exist_ok=True)
            with _file_lock(_lock_path(path)), transaction.atomic():
                if outermost and connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                row = self._zone(text)
                base_serial = zone_file_serial(path)
                state = _journal_state(journal, base_serial)
                published = state.serial if state.size else base_serial
                in_sequence = (
                    change is not None
                    and state.usable
                    and published == change.serial_before
                    and row.serial == change.serial_after
                )
                if state.usable and published == row.serial:
                    pass
                elif in_sequence and change is not None:
                    self._publish_change(path, row, state, change)
                else:
                    self._write_atomically(path, self._zone_lines(row))
                    journal.unlink(missing_ok=True)
        except OSError as exc:
            raise TransientDnsError(
                f"The zone file of {text} could not be written: {exc.strerror}."
            ) from None
        return path

    def _publish_change(
        self, path: Path, zone: BuiltinZone, state: _JournalState, change: ZoneChange
    ) -> None:
        """Publish ``change``, which follows the published state: appended to the journal
        while that stays under its limit, else folded with the journal into the zone file
        (read from neither the database nor anything but the two files), else spliced."""
        step = change.journal_step()
        limit = min(
            self.journal_max_bytes,
            max(JOURNAL_MIN_BYTES, int(path.stat().st_size * JOURNAL_FRACTION)),
        )
        journal = journal_path(path)
        if state.size + len(step) <= limit:
            _append(journal, step)
        elif state.size:
            try:
                self._compact(path, extra=step)
            except JournalError:
                logger.exception("zone journal not applicable", extra={"zone": zone.name})
                self._write_atomically(path, self._zone_lines(zone))
                journal.unlink()
        elif len(change.owners) <= SPLICE_MAX_OWNERS:
            self._splice(path, zone, change.owners)
        else:
            self._write_atomically(path, self._zone_lines(zone))

    @staticmethod
    def _zone_lines(zone: BuiltinZone) -> Iterator[str]:
        """The zone file: the SOA first, then every RRset in canonical order."""
        rows = BuiltinRRset.objects.filter(zone=zone).values_list(*_LINE_FIELDS)
        soa = rows.filter(rdtype="SOA")
        rest = rows.exclude(rdtype="SOA").order_by("canonical_key", "rdtype")
        for row in chain(soa, rest.iterator(ROWS_PER_QUERY)):
            yield from _rrset_lines(*row)

    def _splice(self, path: Path, zone: BuiltinZone, owners: frozenset[bytes]) -> None:
        """Write the zone file from the previous one: the new SOA, then the old file's bytes
        with the lines of each of ``owners`` replaced by its rows from the database."""
        rows = BuiltinRRset.objects.filter(zone=zone).values_list(*_LINE_FIELDS)
        soa = "".join(line for row in rows.filter(rdtype="SOA") for line in _rrset_lines(*row))
        replaced: dict[bytes, list[str]] = defaultdict(list)
        for chunk in _chunks(sorted(owners)):
            changed = (
                rows.filter(canonical_key__in=chunk)
                .exclude(rdtype="SOA")
                .order_by("canonical_key", "rdtype")
                .values_list("canonical_key", *_LINE_FIELDS)
            )
            for key, *row in changed:
                replaced[bytes(key)].extend(_rrset_lines(*row))
        with (
            path.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as old,
        ):
            self._write_atomically(path, _spliced(_ZoneFileIndex(old), soa, owners, replaced))

    def compact_zone_file(self, zone: str) -> Path:
        """Fold the journal of ``zone`` into its zone file (for a server that loads the file
        whole: run before it reloads), or write the file from the database if the pair is not
        current; afterwards the file alone is the published zone."""
        text = _text(_origin(zone))
        path = self.zone_file_path(text)
        self.zone_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(_lock_path(path)):
            state = _journal_state(journal_path(path), zone_file_serial(path))
            if state.usable and state.size:
                try:
                    self._compact(path)
                except JournalError:
                    logger.exception("zone journal not applicable", extra={"zone": text})
                    journal_path(path).unlink()
        return self.write_zone_file(text)

    def _compact(self, path: Path, extra: bytes = b"") -> None:
        """Fold the journal of the zone file ``path`` (and ``extra`` steps after it) into the
        file, then remove the journal; the caller holds the zone's lock."""
        journal = journal_path(path)
        data = journal.read_bytes() if journal.exists() else b""
        with (
            path.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as old,
        ):
            steps = _journal_steps(data + extra)
            self._write_atomically(path, _applied(_ZoneFileIndex(old), steps))
        journal.unlink(missing_ok=True)

    @staticmethod
    def _write_atomically(path: Path, pieces: Iterable[str | bytes]) -> None:
        """Write ``pieces`` (text, or bytes of a previous file) to a temp file, renamed over
        ``path`` once on disk."""
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
                for piece in pieces:
                    handle.write(piece.encode() if isinstance(piece, str) else piece)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)  # public data, read by the DNS server's user
            os.replace(temporary, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def confirm_visible(self, batch: ChangeBatch) -> bool:
        """True when the database holds the batch's state, the zone file carries the current
        serial, and every server of ``DANE_DNS_SERVERS`` (the servers that load the files)
        serves the zone with at least that serial.

        A server that does not answer, refuses, answers without authority or fails the zone
        (SERVFAIL, e.g. it could not load the file) has not got the change. With no servers
        configured (the embedded default: the files are the product) the file is enough.
        """
        origin = _origin(batch.zone)
        zone = BuiltinZone.objects.filter(name=_text(origin)).first()
        if zone is None:
            return False
        changes = _parse_batch(origin, batch)
        stored = {
            (bytes(row.canonical_key), row.rdtype): row
            for chunk in _chunks(sorted({change.key for change in changes}))
            for row in BuiltinRRset.objects.filter(zone=zone, canonical_key__in=chunk)
        }
        for change in changes:
            row = stored.get((change.key, change.rdtype))
            applied = (
                row is not None and row.ttl == change.ttl and row.rdatas == change.texts
                if change.rdatas
                else row is None
            )
            if not applied:
                return False
        serial = published_serial(self.zone_file_path(zone.name))
        if serial is None or not _serial_at_least(serial, zone.serial):
            return False
        return all(self._server_has(origin, server, serial) for server in self.servers)

    def _server_has(self, origin: dns.name.Name, server: tuple[str, int], serial: int) -> bool:
        query = dns.message.make_query(origin, dns.rdatatype.SOA)
        try:
            response = dns.query.udp(query, server[0], port=server[1], timeout=self.timeout)
        except (dns.exception.DNSException, OSError):
            logger.info("zone not confirmed: no answer", extra={"server": f"{server}"})
            return False
        if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
            return False
        served = [
            rdata.serial
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.SOA and rrset.name == origin
            for rdata in rrset
        ]
        return bool(served) and _serial_at_least(served[0], serial)
