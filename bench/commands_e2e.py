"""Benchmark: Enable-DnssecForVerifiedDomain then Enable-SmtpDaneInbound for N domains through
the REST API, carried out by a real Celery worker into Knot; operations/s end to end, compared
in the same run with the raw ceiling of batched UPDATEs of the same records.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/commands_e2e.py --domains 10000
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.provision_rfc2136 import NAMES_PER_UPDATE, new_partition, raw_updates  # noqa: E402
from dnsops.backends.rfc2136 import Rfc2136Backend  # noqa: E402
from dnsops.choices import InboundKeyState, PartitionStatus  # noqa: E402
from dnsops.models import Partition  # noqa: E402
from domains import commands, services  # noqa: E402
from domains.audit import Actor  # noqa: E402
from domains.inbound_keys import register_certificate  # noqa: E402
from domains.models import AcceptedDomain, Operation  # noqa: E402
from tests.support import self_signed_pem  # noqa: E402

CLIENT_PROCESSES = 4  # like web server processes
settings.ALLOWED_HOSTS.append("testserver")  # the in-process API client's host name


def prepare(n: int) -> tuple[str, list[str]]:
    """A tenant with ``n`` verified domains, an inbound key, and one empty partition; on
    PostgreSQL the domains' table vacuumed and analyzed."""
    tenant = services.create_tenant(f"bench-{uuid.uuid4().hex[:8]}", actor=Actor.cli())
    # Names in the test network (NXDOMAIN at once), so the status checks scheduled after each
    # command get answers instead of waiting out resolver timeouts on names nobody serves.
    top = os.environ.get("DANE_TESTNET_TOP_ZONE", "test.").strip(".")
    names = [f"d{i:06d}-{tenant.slug}.{top}" for i in range(n)]
    AcceptedDomain.objects.bulk_create(
        AcceptedDomain(tenant=tenant, name=name, display_name=name, verified_at=timezone.now())
        for name in names
    )
    register_certificate(
        self_signed_pem("mx.provider.test"),
        name=f"bench-{tenant.slug}",
        state=InboundKeyState.CURRENT,
        actor=Actor.cli(),
    )
    Partition.objects.update(status=PartitionStatus.FULL)
    label = f"e{uuid.uuid4().hex[:6]}"
    Partition.objects.create(
        label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}", capacity=n + 10
    )
    _, raw_key = services.create_api_key(tenant, name="bench", actor=Actor.cli())
    if connection.vendor == "postgresql":
        # As autovacuum leaves a table some time after a bulk load: without statistics the
        # planner takes the new tenant for one domain (the list then sorts all of them), and
        # without the visibility map a count reads every row.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {AcceptedDomain._meta.db_table}")
    return raw_key, names


def start_worker(concurrency: int) -> subprocess.Popen[bytes]:
    """A Celery worker with beat, as in production, with a new beat schedule: the periodic
    tasks first run one interval after the start (a schedule kept from earlier runs would
    start the drift repair of every earlier partition at once, inside the measurement)."""
    schedule = ROOT / "var" / "bench-beat-schedule"
    for stale in schedule.parent.glob(f"{schedule.name}*"):  # the shelve's files
        stale.unlink()
    log = (ROOT / "var" / "bench-worker.log").open("wb")
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dane_admin",
            "worker",
            "-B",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
            "--schedule",
            str(schedule),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _post_all(job: tuple[str, list[str], str]) -> None:
    """One client process: POST the command for each of its names."""
    raw_key, names, feature = job
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    for name in names:
        response = client.post(f"/api/v1/domains/{name}/{feature}/enable/")
        assert response.status_code in (200, 202), response.content
    connection.close()


def fire(raw_key: str, names: list[str], feature: str) -> float:
    """POST the command for every name from several client processes; seconds taken."""
    jobs = [(raw_key, names[i::CLIENT_PROCESSES], feature) for i in range(CLIENT_PROCESSES)]
    connection.close()  # no connection shared across fork
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(CLIENT_PROCESSES) as pool:
        pool.map(_post_all, jobs)
    return time.perf_counter() - start


def until_done(names: list[str], kind: str) -> None:
    """Wait until every operation of ``kind`` for ``names`` has finished; fail on failures."""
    while True:
        states = dict(
            Operation.objects.filter(domain_name__in=names, kind=kind)
            .values_list("state")
            .annotate(count=django.db.models.Count("id"))
        )
        if states.get("failed"):
            raise SystemExit(f"{states['failed']} operations failed: see var/bench-worker.log")
        if states.get("succeeded", 0) == len(names):
            return
        time.sleep(0.5)


def main() -> None:
    """Prepare, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    n = args.domains
    backend = Rfc2136Backend.from_settings()
    ceiling_start = time.perf_counter()
    raw_updates(backend, new_partition(backend, "r").zone, n, NAMES_PER_UPDATE)
    ceiling = n / (time.perf_counter() - ceiling_start)

    raw_key, names = prepare(n)
    worker = start_worker(args.concurrency)
    try:
        rows = []
        for feature, kind in (
            ("dnssec", "Enable-DnssecForVerifiedDomain"),
            ("smtp-dane-inbound", "Enable-SmtpDaneInbound"),
        ):
            start = time.perf_counter()
            api_seconds = fire(raw_key, names, feature)
            until_done(names, kind)
            rows.append((kind, api_seconds, time.perf_counter() - start))
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    # The worker alone: Disable-DnssecForVerifiedDomain queued for every domain while no
    # worker runs, then the time a new worker takes to carry all of them out.
    tenant = AcceptedDomain.objects.get(name=names[0]).tenant
    for name in names:
        commands.disable_dnssec(tenant, name, actor=Actor.cli())
    start = time.perf_counter()
    worker = start_worker(args.concurrency)
    try:
        until_done(names, "Disable-DnssecForVerifiedDomain")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    drain = time.perf_counter() - start

    print(f"{'command':34} {'ops':>6} {'API s':>7} {'end-to-end s':>13} {'ops/s':>7}")
    for kind, api_seconds, total in rows:
        print(f"{kind:34} {n:6d} {api_seconds:7.1f} {total:13.1f} {n / total:7.0f}")
    print(
        f"worker alone (queued Disable-DnssecForVerifiedDomain x {n}): {drain:.1f} s, "
        f"{n / drain:.0f} ops/s incl. worker start"
    )
    print(f"raw UPDATE ceiling ({NAMES_PER_UPDATE} names/message): {ceiling:.0f} names/s")


if __name__ == "__main__":
    main()
