"""Benchmark: one status-check sweep over N synthetic customer domains in the DNS test network.

In the same run it measures (a) the resolver's ceiling: dnsperf replaying the sweep's own
queries (recorded by a warm-up pass, which also warms Unbound's cache) against the same
Unbound, and (b) a sequential checker: the same code, one domain at a time, with the cache
warm (as dnsperf) and cold (a sweep's usual case: customer records expire between two
checks), and both again behind a proxy that adds 20 ms to every round trip: on loopback a
round trip costs less CPU time than handling its answer, so only with latency does
concurrency show what it buys. Memory: the sweep runs at two sizes and each worker process
reports its peak RSS (``getrusage``).

The domains: N names ``dNNNNNN.<zone>`` spread over a handful of customer zones made for the
run (4 signed, 1 unsigned: a zone per domain would mean N zones in Knot, while what a check
does depends on the names it asks, not on how zones are cut). Each domain is a verified
accepted domain with DNSSEC on (``pending_mx``/``enabled``), its expected host published in a
fresh signed partition zone, and its own records, mixed as in a migration: 50 % only the
expected host at 0, 10 % a legacy MX first, 10 % a stale second MX, 5 % each of another
provider's MX, no MX, the expected host at 10, a TLS-RPT record, an MTA-STS TXT whose policy
host does not resolve, and an MTA-STS policy served over HTTPS on loopback (test CA).

The resolver is an Unbound of its own for the run (deploy/stack.py's configuration, same trust
anchor, forwarding to the stack's Knot) that caches negative answers as in production: the
stack's test resolver keeps them one second, so that tests see records they have just added,
which would turn a third of a warm sweep's queries into cache misses.

The sweep is the production path minus the Celery transport: the beat's claim
(``claim_due_domains``, SKIP LOCKED) in chunks of ``DANE_CHECK_BATCH_SIZE``, and each chunk
checked by ``domains.checks.check_domains`` (the ``check_domains`` task body: concurrent
checks, runs stored as they arrive) in a pool of worker processes (one per core).

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/status_sweep.py --domains 10000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no log line per policy fetch

import django  # noqa: E402

django.setup()

import dns.exception  # noqa: E402
import dns.rdatatype  # noqa: E402
import libknot.control  # noqa: E402
import stack  # noqa: E402
import trustme  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models import Max, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.provision_rfc2136 import new_partition  # noqa: E402
from dnsops.backends.rfc2136 import Rfc2136Backend  # noqa: E402
from dnsops.checks.runner import Checker, CheckTarget  # noqa: E402
from dnsops.models import Partition  # noqa: E402
from domains import checks, services  # noqa: E402
from domains.audit import Actor  # noqa: E402
from domains.models import AcceptedDomain, CheckRun  # noqa: E402
from tests.dnsnet import DnsTestNetwork  # noqa: E402

ZONE_KINDS = ("signed", "signed", "signed", "signed", "unsigned")
OTHER_MX = "mx1.other-provider.test"
POLICY_ADDRESS = "127.0.0.1"
SEQUENTIAL_SECONDS = 10.0
COLD_DOMAINS = 1000  # checked one at a time before anything warmed the resolver's cache
WAN_DELAY = 0.020  # seconds added to each resolver round trip by the latency proxy
WAN_CONCURRENT_DOMAINS = 3000


def customer_records(name: str, host: str, legacy: str, i: int) -> list[tuple[str, str, str]]:
    """The records of synthetic domain number ``i`` (owner, type, rdata), by its share."""
    share = i % 20
    mx = {
        10: [f"0 {legacy}.", f"10 {host}."],
        11: [f"0 {legacy}.", f"10 {host}."],
        12: [f"0 {OTHER_MX}."],
        13: [],
        14: [f"0 {host}.", f"10 {OTHER_MX}."],
        15: [f"0 {host}.", f"10 {OTHER_MX}."],
        16: [f"10 {host}."],
    }.get(share, [f"0 {host}."])
    records = [(name, "MX", value) for value in mx]
    if share == 17:
        tlsrpt = '"v=TLSRPTv1; rua=mailto:tlsrpt@example.test"'
        records.append((f"_smtp._tls.{name}", "TXT", tlsrpt))
    if share in (18, 19):
        records.append((f"_mta-sts.{name}", "TXT", '"v=STSv1; id=20250101;"'))
    if share == 19:
        records.append((f"mta-sts.{name}", "A", POLICY_ADDRESS))
    return records


def control_transaction(zone: str, records: list[tuple[str, str, str]]) -> None:
    """Add ``records`` to ``zone`` in one transaction over Knot's control socket."""
    control = libknot.control.KnotCtl()
    control.connect(settings.DANE_KNOT_CONTROL_SOCKET)
    control.set_timeout(600)
    try:
        control.send_block(cmd="zone-begin", zone=f"{zone}.")
        control.receive_block()
        for owner, rdtype, rdata in records:
            control.send_block(
                cmd="zone-set",
                zone=f"{zone}.",
                owner=f"{owner}.",
                ttl="3600",
                rtype=rdtype,
                data=rdata,
            )
            control.receive_block()
        control.send_block(cmd="zone-commit", zone=f"{zone}.")
        control.receive_block()
    finally:
        control.send(libknot.control.KnotCtlType.END)
        control.close()


@dataclass
class World:
    """What the run created."""

    tenant_slug: str
    zones: list[str]
    partition_zone: str
    domain_ids: list[int]
    policy_hosts: dict[str, list[str]]  # zone -> mta-sts hosts served over HTTPS


def build_world(n: int) -> World:
    """Zones, records and the domains' rows for ``n`` synthetic customer domains."""
    dnsnet = DnsTestNetwork.from_environment()
    run = uuid.uuid4().hex[:6]
    zones = [f"sweep{index}-{run}.{dnsnet.top_zone}" for index in range(len(ZONE_KINDS))]
    for zone, kind in zip(zones, ZONE_KINDS, strict=True):
        dnsnet.create_customer_zone(zone, kind)
    partition = new_partition(Rfc2136Backend.from_settings(), "s")
    tenant = services.create_tenant(f"sweep-{run}", actor=Actor.cli())
    legacy_suffix = settings.DANE_LEGACY_MX_SUFFIXES[0]
    per_zone: dict[str, list[tuple[str, str, str]]] = {zone: [] for zone in zones}
    host_records: list[tuple[str, str, str]] = []
    policy_hosts: dict[str, list[str]] = {zone: [] for zone in zones}
    rows = []
    for i in range(n):
        zone = zones[i % len(zones)]
        name = f"d{i:06d}.{zone}"
        token = f"d{i:06d}-{zone.split('.')[0]}"
        host = f"{token}.{partition.zone}"
        per_zone[zone] += customer_records(name, host, f"{token}.{legacy_suffix}", i)
        if i % 20 == 19:
            policy_hosts[zone].append(f"mta-sts.{name}")
        host_records += [(host, "A", "192.0.2.25"), (host, "AAAA", "2001:db8::25")]
        rows.append(
            AcceptedDomain(
                tenant=tenant,
                name=name,
                display_name=name,
                verified_at=timezone.now(),
                dnssec_state="enabled" if i % 2 else "pending_mx",
                partition=partition,
                mx_token=token,
                next_check_at=timezone.now() + timedelta(days=1),
            )
        )
    for zone, records in per_zone.items():
        control_transaction(zone, records)
    control_transaction(partition.zone, host_records)
    created = AcceptedDomain.objects.bulk_create(rows, batch_size=2000)
    last = host_records[-1][0]
    while not served_signed(dnsnet, last):
        time.sleep(0.2)
    domain_ids = [domain.pk for domain in created]
    return World(tenant.slug, zones, partition.zone, domain_ids, policy_hosts)


def served_signed(dnsnet: DnsTestNetwork, host: str) -> bool:
    """Whether ``host`` AAAA validates (a resolver still busy with fresh zones may time out)."""
    try:
        return dnsnet.resolve(host, "AAAA").authenticated
    except dns.exception.Timeout:
        return False


def knot(*args: str, check: bool = True) -> None:
    """One ``knotc`` command on the stack's control socket."""
    command = ["knotc", "-s", settings.DANE_KNOT_CONTROL_SOCKET, *args]
    subprocess.run(command, check=check, capture_output=True)  # noqa: S603 - fixed program


def tear_down(world: World) -> None:
    """Remove what the run made: the domains (their runs go with them), the partition, and
    the zones with their delegations (a Knot full of old runs restarts slowly)."""
    AcceptedDomain.objects.filter(pk__in=world.domain_ids).delete()
    Partition.objects.filter(zone=world.partition_zone).delete()
    zones = [*world.zones, world.partition_zone]
    knot("conf-begin")
    for zone in zones:
        knot("conf-unset", f"zone[{zone}.]")
    knot("conf-commit")
    for zone in zones:
        knot("-f", "zone-purge", f"{zone}.", "+orphan", check=False)
    dnsnet = DnsTestNetwork.from_environment()
    for zone in zones:
        parent = zone.partition(".")[2]
        for rdtype in ("NS", "DS"):
            dnsnet.delete(zone, rdtype, zone=parent)


class PolicyServer:
    """HTTPS on loopback serving an enforce policy that lists ``*.<partition>`` for every
    MTA-STS host of the run (one certificate per zone, naming its hosts)."""

    def __init__(self, ca: trustme.CA, world: World, partition_zone: str) -> None:
        contexts = {}
        for hosts in world.policy_hosts.values():
            if not hosts:
                continue
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca.issue_cert(*hosts).configure_cert(context)
            contexts.update(dict.fromkeys(hosts, context))
        default = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost").configure_cert(default)

        def select(sock: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
            if server_name in contexts:
                sock.context = contexts[server_name]

        default.sni_callback = select
        body = f"version: STSv1\nmode: enforce\nmx: *.{partition_zone}\nmax_age: 86400\n".encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.request_queue_size = 1024
        self.httpd = ThreadingHTTPServer((POLICY_ADDRESS, 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = default.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def targets_of(ids: list[int]) -> Iterator[CheckTarget]:
    """The check targets of the domains ``ids``, streamed from the database."""
    domains = AcceptedDomain.objects.filter(pk__in=ids).select_related("partition")
    for domain in domains.iterator(chunk_size=2000):
        yield checks.target_of(domain)


def warm_up(ids: list[int], query_file: Path) -> tuple[int, float]:
    """Check every domain once in this process (nothing stored), writing each query to
    ``query_file`` in dnsperf's format; (queries, seconds)."""
    targets = list(targets_of(ids))
    with query_file.open("w") as out:

        def record(name: str, rdtype: int, cd: bool) -> None:
            out.write(f"{name} {dns.rdatatype.RdataType(rdtype).name}\n")

        async def run() -> int:
            async with Checker(checks.runner_config(concurrency=500), on_query=record) as checker:
                async for _ in checker.check_all(targets):
                    pass
                return checker.dns.sent

        start = time.perf_counter()
        sent = asyncio.run(run())
        return sent, time.perf_counter() - start


def check_chunk(ids: list[int]) -> tuple[int, int]:
    """Pool worker: the ``check_domains`` task body on one claimed chunk; (runs stored, this
    process's peak RSS in KiB)."""
    stored = checks.check_domains(ids)
    return stored, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass
class SweepStats:
    """One sweep's figures."""

    domains: int
    seconds: float
    queries: int
    peak_rss_kib: int


def sweep(world: World, n: int, processes: int) -> SweepStats:
    """Make the first ``n`` domains due and sweep them with ``processes`` worker processes
    (every other domain in the database is scheduled a day ahead, out of the way)."""
    AcceptedDomain.objects.update(next_check_at=timezone.now() + timedelta(days=1))
    AcceptedDomain.objects.filter(pk__in=world.domain_ids[:n]).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    first_run = (CheckRun.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pool.map(int, range(processes))  # the workers have started (Django set up)
        start = time.perf_counter()
        chunks = []
        while True:
            with transaction.atomic():
                ids = checks.claim_due_domains(settings.DANE_CHECK_BATCH_SIZE)
            if not ids:
                break
            chunks.append(ids)
        results = list(pool.imap_unordered(check_chunk, chunks))
        seconds = time.perf_counter() - start
    runs = CheckRun.objects.filter(id__gte=first_run, domain__tenant__slug=world.tenant_slug)
    stored = sum(count for count, _ in results)
    assert runs.count() == stored == n, (runs.count(), stored, n)
    queries = runs.aggregate(total=Sum("dns_queries"))["total"] or 0
    return SweepStats(n, seconds, queries, max(rss for _, rss in results))


def dnsperf(query_file: Path, seconds: int = 8) -> float:
    """dnsperf's queries/s replaying ``query_file`` against the resolver (DO set)."""
    host, port = settings.DANE_RESOLVER.rsplit(":", 1)
    command = ["dnsperf", "-s", host, "-p", port, "-d", str(query_file), "-l", str(seconds)]
    output = subprocess.run(  # noqa: S603 - fixed program and arguments
        [*command, "-c", "4", "-D"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Queries per second:\s+([0-9.]+)", output)
    assert match, output
    return float(match.group(1))


def sequential(ids: list[int], seconds: float) -> tuple[int, int, float]:
    """The same checks, one domain at a time, for at most ``seconds``; (domains, queries, s)."""
    targets = list(targets_of(ids[:5000]))

    async def run() -> tuple[int, int, float]:
        async with Checker(checks.runner_config()) as checker:
            start = time.perf_counter()
            done = 0
            for target in targets:
                await checker.check(target)
                done += 1
                if time.perf_counter() - start > seconds:
                    break
            return done, checker.dns.sent, time.perf_counter() - start

    return asyncio.run(run())


@contextlib.contextmanager
def production_resolver() -> Iterator[str]:
    """Start an Unbound for the run on a free loopback port (production negative caching);
    ``host:port``. Stopped at the end."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((stack.HOST, 0))
        port = probe.getsockname()[1]
    conf = stack.unbound_conf(
        stack.top_zone_trust_anchor(), name="unbound-bench", port=port, test_caching=False
    )
    pidfile = conf.parent / "unbound.pid"
    stack.run("unbound", "-c", conf)
    try:
        address = f"{stack.HOST}:{port}"
        probe_resolver = dataclasses.replace(
            DnsTestNetwork.from_environment(), resolver=(stack.HOST, port)
        )
        stack.wait_until(
            "the benchmark's Unbound", lambda: probe_resolver.resolve("test", "SOA").authenticated
        )
        yield address
    finally:
        pid = stack.read_pid(pidfile)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)


def _question_end(message: bytes) -> int:
    """Where the question section of a DNS message ends (after QNAME, QTYPE, QCLASS)."""
    offset = 12
    while message[offset]:
        offset += message[offset] + 1
    return offset + 5


def _delay_proxy(upstream: tuple[str, int], delay: float, port_out: Any) -> None:
    """Child process: relay UDP DNS between clients and ``upstream``, holding every answer
    ``delay`` seconds (a resolver across a WAN). Answers are matched by ID and question."""

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        waiting: dict[bytes, Any] = {}

        class Front(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                waiting[data[:2] + data[12 : _question_end(data)]] = addr
                back.sendto(data)

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                client = waiting.pop(data[:2] + data[12 : _question_end(data)], None)
                if client is not None:
                    loop.call_later(delay, front.sendto, data, client)

        front, _ = await loop.create_datagram_endpoint(Front, local_addr=(stack.HOST, 0))
        back, _ = await loop.create_datagram_endpoint(Back, remote_addr=upstream)
        port_out.send(front.get_extra_info("sockname")[1])
        await asyncio.Event().wait()

    asyncio.run(serve())


@contextlib.contextmanager
def slow_resolver(delay: float) -> Iterator[str]:
    """``host:port`` of a proxy, in its own process, in front of ``DANE_RESOLVER`` that adds
    ``delay`` seconds to every round trip."""
    host, port = settings.DANE_RESOLVER.rsplit(":", 1)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    proxy = multiprocessing.get_context("fork").Process(
        target=_delay_proxy, args=((host, int(port)), delay, sender), daemon=True
    )
    proxy.start()
    try:
        yield f"{stack.HOST}:{receiver.recv()}"
    finally:
        proxy.kill()
        proxy.join()


def concurrent(ids: list[int]) -> tuple[int, int, float]:
    """The checks of ``ids`` in this process, as many at once as the configuration allows
    (nothing stored); (domains, queries, seconds)."""
    targets = list(targets_of(ids))

    async def run() -> tuple[int, int, float]:
        async with Checker(checks.runner_config(concurrency=1000)) as checker:
            start = time.perf_counter()
            async for _ in checker.check_all(targets):
                pass
            return len(targets), checker.dns.sent, time.perf_counter() - start

    return asyncio.run(run())


def main() -> None:
    """Build the world, run every measurement, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_000, help="the smaller sweep (memory)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    start = time.perf_counter()
    world = build_world(args.domains)
    print(f"set-up: {args.domains} domains in {time.perf_counter() - start:.1f} s")
    try:
        with production_resolver() as resolver:
            os.environ["DANE_RESOLVER"] = settings.DANE_RESOLVER = resolver  # pool workers too
            print(f"resolver: Unbound on {resolver}, production caching")
            measure(world, args)
    finally:
        tear_down(world)


def measure(world: World, args: argparse.Namespace) -> None:
    """Every measurement on ``world``, and the figures."""

    ca = trustme.CA()
    server = PolicyServer(ca, world, world.partition_zone)
    bundle = Path(tempfile.mkdtemp()) / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    os.environ.update(
        DANE_MTA_STS_PORT=str(server.port),
        DANE_MTA_STS_CA_BUNDLE=str(bundle),
        DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES="1",  # the policy server is on loopback
    )
    settings.DANE_MTA_STS_PORT, settings.DANE_MTA_STS_CA_BUNDLE = server.port, str(bundle)
    settings.DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES = True

    # Cold cache first: the last COLD_DOMAINS domains one at a time, the others concurrently
    # (the warm-up pass, which also records the queries for dnsperf).
    cold_ids, warm_up_ids = world.domain_ids[-COLD_DOMAINS:], world.domain_ids[:-COLD_DOMAINS]
    cold_seq = sequential(cold_ids, SEQUENTIAL_SECONDS)
    query_file = Path(tempfile.mkdtemp()) / "sweep-queries.txt"
    warm_queries, warm_seconds = warm_up(warm_up_ids, query_file)
    cold_concurrent = (len(warm_up_ids), warm_queries, warm_seconds)

    small = sweep(world, args.small, args.processes)
    full = sweep(world, args.domains, args.processes)
    ceiling = dnsperf(query_file)
    warm_seq = sequential(world.domain_ids, SEQUENTIAL_SECONDS)
    with slow_resolver(WAN_DELAY) as proxy:
        settings.DANE_RESOLVER = proxy
        try:
            wan_seq = sequential(world.domain_ids, SEQUENTIAL_SECONDS)
            wan_concurrent = concurrent(world.domain_ids[:WAN_CONCURRENT_DOMAINS])
        finally:
            settings.DANE_RESOLVER = os.environ["DANE_RESOLVER"]

    print(f"\n{'':34} {'domains':>8} {'seconds':>8} {'domains/s':>10} {'queries/s':>10} "
          f"{'peak RSS':>9}")  # fmt: skip
    for label, stats in (
        (f"sweep, {args.processes} processes", small),
        (f"sweep, {args.processes} processes", full),
    ):
        print(
            f"{label:34} {stats.domains:8d} {stats.seconds:8.2f} "
            f"{stats.domains / stats.seconds:10.0f} {stats.queries / stats.seconds:10.0f} "
            f"{stats.peak_rss_kib / 1024:7.0f} MB"
        )
    for label, (domains, queries, seconds) in (
        ("sequential, warm cache", warm_seq),
        ("concurrent, cold cache, 1 process", cold_concurrent),
        ("sequential, cold cache", cold_seq),
        (f"concurrent, +{WAN_DELAY * 1000:.0f} ms, 1 process", wan_concurrent),
        (f"sequential, +{WAN_DELAY * 1000:.0f} ms", wan_seq),
    ):
        print(
            f"{label:34} {domains:8d} {seconds:8.2f} "
            f"{domains / seconds:10.0f} {queries / seconds:10.0f}"
        )
    print(f"{'dnsperf, the sweep queries, warm':34} {'':8} {8:8.2f} {'':10} {ceiling:10.0f}")
    sweep_qps = full.queries / full.seconds
    ratio_sequential = (full.domains / full.seconds) / (warm_seq[0] / warm_seq[2])
    ratio_cold = (cold_concurrent[0] / cold_concurrent[2]) / (cold_seq[0] / cold_seq[2])
    print(f"\nqueries per domain: {full.queries / full.domains:.1f}")
    print(f"sweep queries/s / dnsperf = {sweep_qps / ceiling:.2f} (target >= 0.5)")
    print(f"sweep domains/s / sequential = {ratio_sequential:.1f} (target >= 30)")
    print(f"cold cache: concurrent (1 process) / sequential = {ratio_cold:.1f}")
    ratio_wan = (wan_concurrent[0] / wan_concurrent[2]) / (wan_seq[0] / wan_seq[2])
    in_flight = settings.DANE_CHECK_MAX_IN_FLIGHT
    print(f"+{WAN_DELAY * 1000:.0f} ms per round trip: concurrent (1 process) / sequential = "
          f"{ratio_wan:.1f} (at most {in_flight} queries in flight)")  # fmt: skip
    print(f"peak RSS of a worker: {small.peak_rss_kib / 1024:.0f} MB at {small.domains} "
          f"domains, {full.peak_rss_kib / 1024:.0f} MB at {full.domains} (flat in N)")  # fmt: skip


if __name__ == "__main__":
    main()
