"""Benchmark: provision N domains (A + AAAA + TLSA each) into Knot through the rfc2136 driver.

In the same run it measures the raw ceilings on fresh zones of the same Knot: batched UPDATEs
of the same records sent directly (500 names per message), one control-socket transaction of
all names (``knotc`` reading commands on stdin), and one UPDATE per domain (the naive way).

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/provision_rfc2136.py --names 10000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

import django

django.setup()

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.update  # noqa: E402
import libknot.control  # noqa: E402
from django.conf import settings  # noqa: E402

from dnsops.backends.rfc2136 import Rfc2136Backend  # noqa: E402
from dnsops.models import Partition, ZoneRRset  # noqa: E402
from dnsops.provisioning import ensure_partition, push_names  # noqa: E402

TLSA = "3 1 1 " + "0123456789abcdef" * 4
NAMES_PER_UPDATE = 400


def records(zone: str, i: int) -> list[tuple[str, str, str]]:
    """The three records of domain number ``i`` in ``zone``."""
    host = f"d{i:06d}-example.{zone}"
    return [
        (host, "A", "192.0.2.25"),
        (host, "AAAA", "2001:db8::25"),
        (f"_25._tcp.{host}", "TLSA", TLSA),
    ]


def new_partition(backend: Rfc2136Backend, tag: str) -> Partition:
    """A fresh, signed, delegated partition zone."""
    label = f"b{tag}-{uuid.uuid4().hex[:6]}"
    partition = Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")
    return ensure_partition(partition, backend)


def served_signed(backend: Rfc2136Backend, name: str, rdtype: str) -> bool:
    """The primary answers ``name`` with a signature."""
    query = dns.message.make_query(name + ".", rdtype, want_dnssec=True)
    response = dns.query.udp(query, backend.primary[0], port=backend.primary[1], timeout=5)
    return any(rrset.rdtype == 46 for rrset in response.answer)


def until_served(backend: Rfc2136Backend, zone: str, n: int) -> None:
    """Wait until the last domain's TLSA is served signed."""
    last = records(zone, n - 1)[2][0]
    while not served_signed(backend, last, "TLSA"):
        time.sleep(0.01)


def timed(run: Callable[[], object]) -> float:
    """Seconds ``run`` took."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def raw_updates(backend: Rfc2136Backend, zone: str, n: int, per_message: int) -> None:
    """Send the records directly as UPDATE messages of ``per_message`` names."""
    for first in range(0, n, per_message):
        message = dns.update.UpdateMessage(
            zone + ".",
            keyring=backend.tsig.key,
            keyname=backend.tsig.key.name,
            keyalgorithm=backend.tsig.key.algorithm,
        )
        for i in range(first, min(n, first + per_message)):
            for name, rdtype, rdata in records(zone, i):
                message.add(name + ".", 300, rdtype, rdata)
        response = dns.query.tcp(message, backend.primary[0], port=backend.primary[1], timeout=60)
        assert response.rcode() == 0, response.rcode()
    until_served(backend, zone, n)


def raw_control(zone: str, n: int) -> None:
    """One transaction of every record over Knot's control socket (the libknot binding)."""
    control = libknot.control.KnotCtl()
    control.connect(settings.DANE_KNOT_CONTROL_SOCKET)
    control.set_timeout(600)
    try:
        control.send_block(cmd="zone-begin", zone=f"{zone}.")
        control.receive_block()
        for i in range(n):
            for name, rdtype, rdata in records(zone, i):
                control.send_block(
                    cmd="zone-set",
                    zone=f"{zone}.",
                    owner=f"{name}.",
                    ttl="300",
                    rtype=rdtype,
                    data=rdata,
                )
                control.receive_block()
        control.send_block(cmd="zone-commit", zone=f"{zone}.")
        control.receive_block()
    finally:
        control.send(libknot.control.KnotCtlType.END)
        control.close()


def through_driver(backend: Rfc2136Backend, partition: Partition, n: int) -> tuple[float, float]:
    """Desired rows into the database, then the driver pushes them; (db s, dns s)."""
    rows = [
        ZoneRRset(partition=partition, name=name, rdtype=rdtype, ttl=300, rdatas=[rdata])
        for i in range(n)
        for name, rdtype, rdata in records(partition.zone, i)
    ]
    db_seconds = timed(lambda: ZoneRRset.objects.bulk_create(rows, batch_size=5000))
    names = sorted({row.name for row in rows})

    def push() -> None:
        batches = push_names(partition, names, backend)
        assert all(backend.confirm_visible(batch) for batch in batches)
        until_served(backend, partition.zone, n)

    return db_seconds, timed(push)


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=200, help="names for one-UPDATE-per-name")
    args = parser.parse_args()
    n = args.names
    backend = Rfc2136Backend.from_settings()

    update_s = timed(
        lambda: raw_updates(backend, new_partition(backend, "u").zone, n, NAMES_PER_UPDATE)
    )
    control_zone = new_partition(backend, "c").zone

    def control_run() -> None:
        raw_control(control_zone, n)
        until_served(backend, control_zone, n)

    control_s = timed(control_run)
    naive_s = timed(lambda: raw_updates(backend, new_partition(backend, "n").zone, args.naive, 1))
    db_s, driver_s = through_driver(backend, new_partition(backend, "d"), n)

    ceiling = max(n / update_s, n / control_s)
    rows = [
        (f"raw UPDATE, {NAMES_PER_UPDATE} names/message", n, update_s),
        ("raw control socket, one transaction", n, control_s),
        ("raw UPDATE, one name/message (naive)", args.naive, naive_s),
        ("rfc2136 driver (batched, concurrent)", n, driver_s),
    ]
    print(f"{'how':42} {'names':>7} {'seconds':>8} {'names/s':>8}")
    for label, count, seconds in rows:
        print(f"{label:42} {count:7d} {seconds:8.2f} {count / seconds:8.0f}")
    print(f"database rows for the driver run: {db_s:.2f} s ({3 * n} rows)")
    print(f"driver / ceiling = {n / driver_s / ceiling:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
