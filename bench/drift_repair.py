"""Benchmark: worker time of the periodic drift repair, per hour, before and after skipping
unchanged zones.

``--partitions`` fresh partition zones are created on the stack's Knot (rfc2136 driver), each
with ``--hosts`` MX hosts (A + AAAA + TLSA) wanted and pushed. Then, per zone, one drift repair
is timed as every round ran it before (the remembered clean state cleared: the zone is read
whole by zone transfer and compared) and as it runs now on an unchanged zone (one SOA query and
a digest of the desired rows). Worker-seconds per hour = rounds per hour (3600 / the
``repair-drift`` interval) x the summed seconds of one round; the figure for ``--scale-to``
partitions multiplies the per-zone mean (rounds are independent per zone). The partitions are
removed from the database at the end (their zones stay on the test network's Knot).

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    export DEBUG=0 SECRET_KEY=bench
    .venv/bin/python bench/drift_repair.py [--partitions 10] [--hosts 1000] [--scale-to 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from bench.provision_rfc2136 import new_partition  # noqa: E402
from dnsops.backends.rfc2136 import Rfc2136Backend  # noqa: E402
from dnsops.models import Partition, ZoneRRset  # noqa: E402
from dnsops.provisioning import push_names, repair_drift  # noqa: E402

TLSA = "3 1 1 " + "0123456789abcdef" * 4


def want_hosts(partition: Partition, hosts: int) -> list[str]:
    """Desired rows for ``hosts`` MX hosts; the owner names."""
    rows, names = [], []
    for index in range(hosts):
        host = f"h{index:06d}.{partition.zone}"
        names += [host, f"_25._tcp.{host}"]
        rows += [
            ZoneRRset(partition=partition, name=host, rdtype="A", ttl=300, rdatas=["192.0.2.25"]),
            ZoneRRset(
                partition=partition, name=host, rdtype="AAAA", ttl=300, rdatas=["2001:db8::25"]
            ),
            ZoneRRset(
                partition=partition, name=f"_25._tcp.{host}", rdtype="TLSA", ttl=300, rdatas=[TLSA]
            ),
        ]
    ZoneRRset.objects.bulk_create(rows, batch_size=2000)
    return names


def timed_repair(partition: Partition, backend: Rfc2136Backend) -> tuple[float, float]:
    """One drift repair: wall seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    drift = repair_drift(partition, backend)
    if drift:
        raise SystemExit(f"unexpected drift in {partition.zone}: {drift.summary()}")
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    """Prepare the zones, time both kinds of round, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--partitions", type=int, default=10)
    parser.add_argument("--hosts", type=int, default=1000, help="MX hosts per partition zone")
    parser.add_argument("--scale-to", type=int, default=100, help="partitions extrapolated to")
    args = parser.parse_args()
    backend = Rfc2136Backend.from_settings()
    interval = float(settings.CELERY_BEAT_SCHEDULE["repair-drift"]["schedule"])
    rounds_per_hour = 3600 / interval

    partitions = []
    try:
        for index in range(args.partitions):
            partition = new_partition(backend, f"d{index}")
            partitions.append(partition)
            push_names(partition, want_hosts(partition, args.hosts), backend)
        full, skipped = [], []
        for partition in partitions:
            Partition.objects.filter(pk=partition.pk).update(
                drift_clean_serial=None, drift_clean_digest=""
            )
            full.append(timed_repair(partition, backend))  # as before: read whole, compared
            skipped.append(timed_repair(partition, backend))  # now: unchanged, skipped
    finally:
        for partition in partitions:
            ZoneRRset.objects.filter(partition=partition).delete()
            partition.delete()

    print(
        f"{args.partitions} partition zones of {args.hosts} hosts ({3 * args.hosts} RRsets), "
        f"repair every {interval:.0f} s ({rounds_per_hour:.0f} rounds/hour)"
    )
    print(
        "| drift repair round | s per zone (wall / CPU) | worker-s/hour: "
        f"{args.partitions} zones | {args.scale_to} zones |"
    )
    print("|---|---|---|---|")
    for label, samples in (
        ("before: every zone read and compared", full),
        ("after: unchanged zones skipped", skipped),
    ):
        wall = sum(sample[0] for sample in samples) / len(samples)
        cpu = sum(sample[1] for sample in samples) / len(samples)
        print(
            f"| {label} | {wall:.3f} / {cpu:.3f} | {wall * args.partitions * rounds_per_hour:.1f}"
            f" | {wall * args.scale_to * rounds_per_hour:.1f} |"
        )


if __name__ == "__main__":
    main()
