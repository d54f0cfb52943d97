"""Benchmark: the builtin driver's cost per change as its zone grows, and its bulk-load rate.

One fresh zone is bulk-loaded with MX hosts (A + AAAA + TLSA each, the TLSA at
``_25._tcp.<host>``) up to each size (default 1k, 10k, 50k hosts) by ``apply_in_bulk``: one
database transaction per batch of ``--batch`` hosts and one zone-file write at the end (not one
per batch: the file of a 50k-host zone is ~80 MB). At each size, single-host changes (add one
host, then delete it again) are timed, split into the database transaction (signing included)
and the publication, in both modes: with the journal (the embedded default) an append to
``<zone>.ixfr``; without it (servers load the file whole; the only mode before the journal) a
splice of the previous zone file. Ceilings measured in the same run: copying the zone file
once (``shutil.copyfile`` + fsync: what any rewrite of the file costs at least) and appending
the change's bytes alone (write + fsync). Then the journal's other costs: folding a journal at
its limit into the file (amortized over the changes it held), and a reader producing the
complete zone from file + journal (``published_zone``). The zone and its files are removed at
the end.

    DEBUG=1 .venv/bin/python bench/builtin_signer.py                     (embedded SQLite)
    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python bench/builtin_signer.py            (PostgreSQL)
"""

from __future__ import annotations

import argparse
import io
import logging
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
from dnsops.backends.builtin import (  # noqa: E402
    BuiltinBackend,
    ZoneChange,
    ZoneKey,
    journal_path,
    published_zone,
)
from dnsops.builtin_models import BuiltinZone  # noqa: E402

TLSA = "3 1 1 " + "0123456789abcdef" * 4


class TimedBackend(BuiltinBackend):
    """The builtin driver, adding up the time spent writing zone files and the size of the
    journal steps it was given."""

    write_seconds = 0.0
    step_bytes = 0

    def write_zone_file(self, zone: str, change: ZoneChange | None = None) -> Path:
        """Time the zone-file write."""
        if change is not None and change.added:  # a change that changed something
            self.step_bytes += len(change.journal_step())
        started = time.perf_counter()
        try:
            return super().write_zone_file(zone, change)
        finally:
            self.write_seconds += time.perf_counter() - started


def copy_seconds(path: Path, size: int = 0, repeat: int = 3) -> float:
    """The best time to copy ``path`` whole (``size`` 0) or to append ``size`` bytes to a new
    file, with an fsync, in a temporary file beside it."""
    target = path.with_name(".bench-copy")
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        if size:
            with target.open("ab") as handle:
                handle.write(b"x" * size)
                handle.flush()
                os.fsync(handle.fileno())
        else:
            shutil.copyfile(path, target)
            with target.open("rb") as handle:
                os.fsync(handle.fileno())
        best = min(best, time.perf_counter() - started)
        target.unlink()
    return best


def fold_seconds(backend: TimedBackend, zone: str) -> float:
    """Time the single-host change that folds the journal (as it stands) into the file: the
    journal's limit is lowered to its size for that one change."""
    path = backend.zone_file_path(zone)
    journal = journal_path(path)
    limit, backend.journal_max_bytes = backend.journal_max_bytes, journal.stat().st_size
    rrsets = host_rrsets(zone, "fold")
    try:
        backend.write_seconds = 0.0
        backend.apply(ChangeBatch(zone, upserts=rrsets))
        assert not journal.exists(), "the journal was not folded"
        return backend.write_seconds
    finally:
        backend.journal_max_bytes = limit
        backend.apply(ChangeBatch(zone, deletes=[rrset.key for rrset in rrsets]))


def read_seconds(path: Path) -> float:
    """Time a reader taking the published zone (file + journal) whole."""
    started = time.perf_counter()
    published_zone(path, io.BytesIO())
    return time.perf_counter() - started


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
    parser.add_argument(
        "--journal-max-bytes",
        type=int,
        default=8 * 1024 * 1024,
        help="the journal's limit (0: measure only the splice, no journal)",
    )
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    logging.getLogger("dnsops.backends.builtin").setLevel(logging.WARNING)

    call_command("migrate", "dnsops", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="builtin-bench-"))
    backend = TimedBackend(
        key_dir=workdir / "keys",
        zone_dir=workdir / "zones",
        journal_max_bytes=args.journal_max_bytes,
    )
    signatures = SignatureCounter()
    zone = f"bench-{uuid.uuid4().hex[:8]}.mx.provider.test"
    backend.ensure_zone(zone)
    print(
        f"database: {connection.vendor}; zone {zone}; bulk batches of {args.batch} hosts; "
        f"journal up to {args.journal_max_bytes} B"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (
        "hosts (names)   | mode    | bulk hosts/s | bulk sig/s | bulk s: all / file | "
        "add 1 host ms: all / db / file | delete 1 host ms: all / db / file | sig add/del | "
        "file MB | copy file ms | append step ms | file / copy | file / append | step B"
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

            # The journal (the embedded default), then the splice (servers load the file whole).
            for limit in dict.fromkeys([args.journal_max_bytes, 0]):
                backend.compact_zone_file(zone)
                backend.journal_max_bytes = limit
                mode = "journal" if limit else "splice"
                adds, deletes = [], []
                backend.step_bytes = 0
                for sample in range(args.samples):
                    rrsets = host_rrsets(zone, f"d{sample * 997 % size:07d}x")
                    keys = [rrset.key for rrset in rrsets]
                    adds.append(measure(backend, signatures, ChangeBatch(zone, upserts=rrsets)))
                    deletes.append(measure(backend, signatures, ChangeBatch(zone, deletes=keys)))
                add, delete = mean(adds), mean(deletes)
                step = backend.step_bytes / (2 * args.samples)
                path = backend.zone_file_path(zone)
                megabytes = path.stat().st_size / 1e6
                copy_ms = 1000 * copy_seconds(path)
                append_ms = 1000 * copy_seconds(path, size=round(step))
                file_ms = (add[1] + delete[1]) / 2
                print(
                    f"{size:>6} ({2 * size + 1:>6}) | {mode:<7} | {load_rate:>12.0f} | "
                    f"{sign_rate:>10.0f} | "
                    f"{load_seconds:>8.1f} / {file_seconds:>5.1f} | "
                    f"{add[0]:>8.1f} / {add[0] - add[1]:>5.1f} / {add[1]:>5.1f} | "
                    f"{delete[0]:>11.1f} / {delete[0] - delete[1]:>5.1f} / {delete[1]:>5.1f} | "
                    f"{add[2]:>5.0f}/{delete[2]:<5.0f} | {megabytes:>7.1f} | {copy_ms:>12.1f} | "
                    f"{append_ms:>14.2f} | {file_ms / copy_ms:>11.3f} | "
                    f"{file_ms / append_ms:>13.1f} | {step:>6.0f}",
                    flush=True,
                )
                if limit:
                    journal = journal_path(path)
                    held = journal.stat().st_size if journal.exists() else 0
                    print(
                        f"       reader (published_zone, journal {held / 1e3:.0f} kB): "
                        f"{1000 * read_seconds(path):.1f} ms",
                        flush=True,
                    )
                    fold = fold_seconds(backend, zone)
                    limit = min(
                        args.journal_max_bytes, max(64 * 1024, int(path.stat().st_size / 4))
                    )
                    print(
                        f"       fold the journal into the file: {1000 * fold:.1f} ms; a full "
                        f"journal ({limit / 1e6:.1f} MB) holds ~{limit / step:.0f} such changes: "
                        f"amortized {1000 * fold * step / limit:.3f} ms per change",
                        flush=True,
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        BuiltinZone.objects.filter(name=zone).delete()
    print(
        "names: owner names in the zone (host + its TLSA owner + apex); bulk sig/s: signatures "
        "per second of database time (file writes excluded); sig add/del: signatures made by a "
        "single-host add / delete; file / copy and file / append: the mean publication time of "
        "a single-host change over the two ceilings; step B: the mean journal step."
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
