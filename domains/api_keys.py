"""Verifying API keys: the hashed-key lookup, and a small in-process cache of verified keys.

An API request names its key in every request; looking it up costs an SQL statement and,
above all, building that statement with the ORM (about 1 ms of Python per request). The cache
remembers, per web process, the keys it verified recently, so a busy client pays that once per
``DANE_API_KEY_CACHE_SECONDS`` (5 s by default; 0 turns the cache off):

- the cache's key is the SHA-256 of the raw key: the raw key is never stored;
- a key revoked through the service layer (API, UI, admin, command) is forgotten in the
  revoking process as soon as the revocation commits; another web process may accept it for
  at most ``DANE_API_KEY_CACHE_SECONDS`` more (the documented staleness bound);
- the expiry date is kept with the entry and checked on every request, so an expired key is
  refused at once;
- a key that does not verify is never cached (each attempt is looked up), and the cache holds
  at most :data:`MAX_ENTRIES` keys.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db.models.signals import post_delete

from domains.models import Tenant, TenantAPIKey
from domains.prepared import CompiledSelect, field_names

#: The most keys one process remembers (the oldest is dropped first).
MAX_ENTRIES = 10_000
TENANT_FIELDS = tuple(field.attname for field in Tenant._meta.concrete_fields)


def find_api_key(raw_key: str) -> TenantAPIKey | None:
    """The usable (unrevoked) key ``raw_key`` with its tenant, in one query (compiled and
    prepared once: see :mod:`domains.prepared`); None when no such key exists or the secret
    does not match its hash (expiry is left to the caller)."""
    prefix, _, _ = raw_key.partition(".")
    row = _key_statement().first(prefix=prefix)
    if row is None:
        return None
    keys = len(_KEY_FIELDS)
    api_key = TenantAPIKey.from_db("default", _KEY_FIELDS, row[:keys])
    api_key.tenant = Tenant.from_db("default", TENANT_FIELDS, row[keys:])
    if not api_key.is_valid(raw_key):
        return None
    return api_key


_KEY_FIELDS = field_names(TenantAPIKey)


@cache
def _key_statement() -> CompiledSelect:
    """``find_api_key``'s statement: the unrevoked key of a prefix, with its tenant."""
    prefix_placeholder = "\x00prefix"
    usable = (
        TenantAPIKey.objects.get_usable_keys()
        .filter(prefix=prefix_placeholder)
        .order_by()
        .values_list(*_KEY_FIELDS, *field_names(Tenant, "tenant__"))[:1]
    )
    return CompiledSelect.of(usable, prefix=prefix_placeholder)


@dataclass(frozen=True)
class VerifiedKey:
    """What a request needs of a verified key: its id, prefix and expiry, and its tenant's
    field values (each request gets its own :class:`Tenant` instance built from them)."""

    key_id: str
    prefix: str
    expiry_date: datetime | None
    tenant_values: tuple[object, ...]
    verified_at: float  # the cache clock's reading when the key was looked up

    @classmethod
    def of(cls, api_key: TenantAPIKey, verified_at: float) -> VerifiedKey:
        """The entry of a key just verified (read with its tenant)."""
        tenant = api_key.tenant
        values = tuple(getattr(tenant, name) for name in TENANT_FIELDS)
        return cls(str(api_key.pk), api_key.prefix, api_key.expiry_date, values, verified_at)

    def tenant(self) -> Tenant:
        """A fresh instance of the key's tenant, as if read from the database."""
        return Tenant.from_db("default", TENANT_FIELDS, self.tenant_values)

    def is_expired(self, now: datetime) -> bool:
        """True once the key's expiry date has passed."""
        return self.expiry_date is not None and self.expiry_date < now


class VerifiedKeyCache:
    """Keys verified in this process, by the SHA-256 of the raw key, for a bounded time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock``: seconds, monotonic (tests inject their own)."""
        self.clock = clock
        self._entries: dict[bytes, VerifiedKey] = {}
        self._lock = threading.Lock()

    def verify(self, raw_key: str) -> VerifiedKey | None:
        """The verified key ``raw_key`` (from the cache while its entry is fresh, else looked
        up and remembered); None when it is unknown, revoked or does not match its hash."""
        lifetime = settings.DANE_API_KEY_CACHE_SECONDS
        digest = hashlib.sha256(raw_key.encode()).digest()
        now = self.clock()
        entry = self._entries.get(digest)
        if entry is not None and now - entry.verified_at < lifetime:
            return entry
        api_key = find_api_key(raw_key)
        if api_key is None:
            with self._lock:
                self._entries.pop(digest, None)
            return None
        entry = VerifiedKey.of(api_key, now)
        if lifetime > 0:
            with self._lock:
                self._entries.pop(digest, None)
                if len(self._entries) >= MAX_ENTRIES:
                    del self._entries[next(iter(self._entries))]  # the oldest entry
                self._entries[digest] = entry
        return entry

    def forget_key(self, key_id: str) -> None:
        """Drop the key with this id (revoked or deleted): the next request looks it up."""
        with self._lock:
            for digest in [d for d, entry in self._entries.items() if entry.key_id == key_id]:
                del self._entries[digest]

    def clear(self) -> None:
        """Forget every key."""
        with self._lock:
            self._entries.clear()


#: The process's cache, used by the API-key authentication.
verified_keys = VerifiedKeyCache()


def forget_api_key(key_id: str) -> None:
    """Make this process look the key up again on its next use (after a revocation)."""
    verified_keys.forget_key(key_id)


def _forget_deleted_key(
    sender: type[TenantAPIKey], instance: TenantAPIKey, **kwargs: object
) -> None:
    forget_api_key(str(instance.pk))


post_delete.connect(_forget_deleted_key, sender=TenantAPIKey, dispatch_uid="forget-deleted-api-key")
