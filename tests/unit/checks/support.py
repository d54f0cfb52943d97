"""Shared data for the check tests: the vectors, a provider, a customer domain, lookups."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dnsops.checks.mx import ProviderNamespace
from dnsops.dns.types import AddressLookup, LookupStatus, MxLookup, MxRecord, TxtLookup

VECTORS = Path(__file__).parent / "vectors"

DOMAIN = "contoso.example"
EXPECTED = "contoso-example.o-v1.mx.provider.test"
PARTITION_PATTERN = "*.o-v1.mx.provider.test"
LEGACY = "contoso-example.mail.protection.provider.test"
OTHER = "mx1.thirdparty.example"
PROVIDER = ProviderNamespace(
    dnssec_mx_suffix="mx.provider.test",
    legacy_mx_suffixes=("mail.protection.provider.test", "mail.eo.provider.test"),
)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def load_vectors(name: str) -> Any:
    """One vectors file of ``tests/checks/vectors``."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def mx_answer(*records: tuple[int, str], authenticated: bool = True) -> MxLookup:
    """A NOERROR MX answer with ``(preference, host)`` records."""
    return MxLookup(
        LookupStatus.OK,
        authenticated=authenticated,
        records=tuple(MxRecord(preference, host) for preference, host in records),
    )


def addresses(*found: str, authenticated: bool = True) -> AddressLookup:
    """An A/AAAA answer (NODATA when ``found`` is empty)."""
    status = LookupStatus.OK if found else LookupStatus.NODATA
    return AddressLookup(status, authenticated=authenticated, addresses=found)


def txt_answer(*records: str | tuple[str, ...]) -> TxtLookup:
    """A NOERROR TXT answer."""
    return TxtLookup(LookupStatus.OK, authenticated=True, records=records)
