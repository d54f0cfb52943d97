"""Benchmark: the builtin driver's cost per change as its zone grows, and its bulk-load rate.

One fresh zone is bulk-loaded with MX hosts (A + AAAA + TLSA each, the TLSA at
``_25._tcp.<host>``) up to each size (default 1k, 10k, 50k hosts) by ``apply_in_bulk``: one
database transaction per batch of ``--batch`` hosts and one zone-file write at the end (not one
per batch: the file of a 50k-host zone is ~80 MB). At each size, single-host changes (add one
host, then delete it again) are timed, split into the database transaction (signing included)
and the zone-file write (a splice of the previous file). The zone and its files are removed at
the end.

    DEBUG=1 .venv/bin/python bench/builtin_signer.py                     (embedded SQLite)
    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python bench/builtin_signer.py            (PostgreSQL)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

import django

django.setup()

import dns.name  # noqa: E402
import dns.rdtypes.ANY.RRSIG  # noqa: E402
import dns.rrset  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from dnsops.backends.base import ChangeBatch, RRset  # noqa: E402
from dnsops.backends.builtin import BuiltinBackend, ZoneChange, ZoneKey  # noqa: E402
from dnsops.builtin_models import BuiltinZone  # noqa: E402

TLSA = "3 1 1 " + "0123456789abcdef" * 4


class TimedBackend(BuiltinBackend):
    """The builtin driver, adding up the time spent writing zone files."""

    write_seconds = 0.0

    def write_zone_file(self, zone: str, change: ZoneChange | None = None) -> Path:
        """Time the zone-file write."""
        started = time.perf_counter()
        try:
            return super().write_zone_file(zone, change)
        finally:
            self.write_seconds += time.perf_counter() - started


class SignatureCounter:
    """Counts the signatures the driver makes (wraps ``ZoneKey.sign``)."""

    def __init__(self) -> None:
        self.count = 0
        original = ZoneKey.sign

        def counting(
            key: ZoneKey,
            rrset: dns.rrset.RRset,
            signer: dns.name.Name,
            inception: datetime,
            expiration: datetime,
        ) -> dns.rdtypes.ANY.RRSIG.RRSIG:
            self.count += 1
            return original(key, rrset, signer, inception, expiration)

        setattr(ZoneKey, "sign", counting)  # noqa: B010 - wrap the class attribute


def host_rrsets(zone: str, host: str) -> list[RRset]:
    """The three RRsets of one MX host."""
    name = f"{host}.{zone}"
    return [
        RRset(name, "A", 300, ("192.0.2.25",)),
        RRset(name, "AAAA", 300, ("2001:db8::25",)),
        RRset(f"_25._tcp.{name}", "TLSA", 300, (TLSA,)),
    ]


def measure(
    backend: TimedBackend, signatures: SignatureCounter, batch: ChangeBatch
) -> tuple[float, float, int]:
    """Apply ``batch``: seconds in all, seconds writing the zone file, signatures made."""
    backend.write_seconds, signed = 0.0, signatures.count
    started = time.perf_counter()
    backend.apply(batch)
    return time.perf_counter() - started, backend.write_seconds, signatures.count - signed


def mean(samples: list[tuple[float, float, int]]) -> tuple[float, float, float]:
    """Per-change averages: milliseconds in all, milliseconds of file write, signatures."""
    count = len(samples)
    return (
        1000 * sum(sample[0] for sample in samples) / count,
        1000 * sum(sample[1] for sample in samples) / count,
        sum(sample[2] for sample in samples) / count,
    )


def main() -> None:
    """Load, measure, print the table, clean up."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="hosts in the zone")
    parser.add_argument("--batch", type=int, default=5000, help="hosts per bulk-load batch")
    parser.add_argument("--samples", type=int, default=20, help="single-host changes per size")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    call_command("migrate", "dnsops", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="builtin-bench-"))
    backend = TimedBackend(key_dir=workdir / "keys", zone_dir=workdir / "zones")
    signatures = SignatureCounter()
    zone = f"bench-{uuid.uuid4().hex[:8]}.mx.provider.test"
    backend.ensure_zone(zone)
    print(f"database: {connection.vendor}; zone {zone}; bulk batches of {args.batch} hosts")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (
        "hosts (names)   | bulk hosts/s | bulk sig/s | bulk s: all / file | "
        "add 1 host ms: all / file | delete 1 host ms: all / file | sig add/del | file MB"
    )
    print(header)
    print("-" * len(header))
    loaded = 0
    try:
        for size in sizes:
            started, signed = time.perf_counter(), signatures.count
            backend.write_seconds = 0.0
            batches = (
                ChangeBatch(
                    zone,
                    upserts=[
                        rrset
                        for i in range(first, min(first + args.batch, size))
                        for rrset in host_rrsets(zone, f"d{i:07d}")
                    ],
                )
                for first in range(loaded, size, args.batch)
            )
            backend.apply_in_bulk(zone, batches)
            load_seconds, file_seconds = time.perf_counter() - started, backend.write_seconds
            database_seconds = load_seconds - file_seconds
            load_rate = (size - loaded) / load_seconds
            sign_rate = (signatures.count - signed) / database_seconds
            loaded = size

            adds, deletes = [], []
            for sample in range(args.samples):
                rrsets = host_rrsets(zone, f"d{sample * 997 % size:07d}x")
                keys = [rrset.key for rrset in rrsets]
                adds.append(measure(backend, signatures, ChangeBatch(zone, upserts=rrsets)))
                deletes.append(measure(backend, signatures, ChangeBatch(zone, deletes=keys)))
            add, delete = mean(adds), mean(deletes)
            megabytes = backend.zone_file_path(zone).stat().st_size / 1e6
            print(
                f"{size:>6} ({2 * size + 1:>6}) | {load_rate:>12.0f} | {sign_rate:>10.0f} | "
                f"{load_seconds:>8.1f} / {file_seconds:>5.1f} | "
                f"{add[0]:>13.1f} / {add[1]:>9.1f} | {delete[0]:>16.1f} / {delete[1]:>9.1f} | "
                f"{add[2]:>5.0f}/{delete[2]:<5.0f} | {megabytes:>7.1f}",
                flush=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        BuiltinZone.objects.filter(name=zone).delete()
    print(
        "names: owner names in the zone (host + its TLSA owner + apex); bulk sig/s: signatures "
        "per second of database time (file writes excluded); sig add/del: signatures made by a "
        "single-host add / delete."
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
