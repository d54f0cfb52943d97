"""Benchmark: the status sweep's Python cost per DNS query, against ceilings of the same run.

Issue 16 measured ~80 µs of Python per query in the sweep (0.08 times the resolver's
dnsperf rate). This measures, on the synthetic world of ``bench/status_sweep.py`` (N domains in the
DNS test network, the resolver an Unbound of the run with production caching, the cache
warmed by a first pass), in one process and one core:

- the checker: every domain checked concurrently (``Checker.check_all``, what a
  ``check_domains`` task runs, nothing stored): its queries, and the CPU time of the thread
  that runs them (``time.thread_time``: the resolver is another process, and the MTA-STS
  policy server's threads are not counted) per query;
- the raw client: the same queries, recorded during the warm-up, asked through the same
  ``ResolverClient`` with nothing done with the answers but parse them (the packet itself:
  encode, send, receive, match, parse) — the ceiling of the client;
- dnsperf replaying the same queries against the same Unbound (the resolver's rate).

Figures: queries per CPU-second of one core (the checker's and the client's), µs of Python
per query, the checker's share of the client's ceiling, and the checker's single-core rate
over dnsperf's. ``--profile`` prints the checker pass's top functions (cProfile).

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/sweep_query_cost.py --domains 2000
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dns.rdatatype  # noqa: E402
import trustme  # noqa: E402
from django.conf import settings  # noqa: E402

from bench import status_sweep  # noqa: E402 - sets Django up
from dnsops.checks.runner import Checker, CheckTarget  # noqa: E402
from dnsops.dns.client import ResolverClient  # noqa: E402
from domains import checks  # noqa: E402

ROUNDS = 3  # passes over the world per measurement (the best one counts)


def checker_pass(targets: list[CheckTarget], profile: cProfile.Profile | None) -> tuple[int, float]:
    """Check every target concurrently once; (queries, CPU seconds of this thread)."""

    async def run() -> int:
        async with Checker(checks.runner_config(concurrency=1000)) as checker:
            async for _ in checker.check_all(targets):
                pass
            return checker.dns.sent

    cpu = time.thread_time()
    if profile is not None:
        profile.enable()
    sent = asyncio.run(run())
    if profile is not None:
        profile.disable()
    return sent, time.thread_time() - cpu


def client_pass(queries: list[tuple[str, int]]) -> tuple[int, float]:
    """Ask ``queries`` through the resolver client alone, as many at once as it lets
    through; (queries, CPU seconds of this thread)."""
    config = checks.runner_config()

    async def run() -> int:
        async with ResolverClient(
            config.resolver,
            timeout=config.dns_timeout,
            sockets=config.sockets,
            max_in_flight=config.max_in_flight,
        ) as client:
            await asyncio.gather(*(client.query(name, rdtype) for name, rdtype in queries))
            return client.sent

    cpu = time.thread_time()
    sent = asyncio.run(run())
    return sent, time.thread_time() - cpu


def main() -> None:
    """Build the world, warm the cache, measure the checker, the client and dnsperf."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=2_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the checker pass")
    args = parser.parse_args()

    world = status_sweep.build_world(args.domains)
    try:
        with status_sweep.production_resolver() as resolver:
            os.environ["DANE_RESOLVER"] = settings.DANE_RESOLVER = resolver
            ca = trustme.CA()
            server = status_sweep.PolicyServer(ca, world, world.partition_zone)
            bundle = Path(tempfile.mkdtemp()) / "ca.pem"
            ca.cert_pem.write_to_path(str(bundle))
            settings.DANE_MTA_STS_PORT, settings.DANE_MTA_STS_CA_BUNDLE = server.port, str(bundle)
            settings.DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES = True
            measure(world, args)
    finally:
        status_sweep.tear_down(world)


def measure(world: status_sweep.World, args: argparse.Namespace) -> None:
    """The three measurements on the warm cache, and the figures."""
    targets = list(status_sweep.targets_of(world.domain_ids))
    query_file = Path(tempfile.mkdtemp()) / "sweep-queries.txt"
    status_sweep.warm_up(world.domain_ids, query_file)
    queries = []
    for line in query_file.read_text().splitlines():
        name, rdtype = line.split()
        queries.append((name, int(dns.rdatatype.from_text(rdtype))))

    checker = min((checker_pass(targets, None) for _ in range(ROUNDS)), key=lambda r: r[1] / r[0])
    client = min((client_pass(queries) for _ in range(ROUNDS)), key=lambda r: r[1] / r[0])
    ceiling = status_sweep.dnsperf(query_file)

    checker_rate, client_rate = checker[0] / checker[1], client[0] / client[1]
    per_domain = checker[0] / len(targets)
    print(f"\n{args.domains} domains, {checker[0]} queries per pass ({per_domain:.1f} per domain); "
          f"best of {ROUNDS} passes, warm cache")  # fmt: skip
    print(f"{'':36} {'queries':>8} {'CPU s':>7} {'µs/query':>9} {'queries/s/core':>15}")
    for label, (sent, cpu) in (
        ("checker (check_all)", checker),
        ("raw client, same queries", client),
    ):
        print(f"{label:36} {sent:8d} {cpu:7.2f} {cpu / sent * 1e6:9.1f} {sent / cpu:15.0f}")
    print(f"{'dnsperf, same queries (the resolver)':36} {'':8} {'':7} {'':9} {ceiling:15.0f}")
    print(f"\nchecker / raw client = {checker_rate / client_rate:.2f}")
    print(f"checker (1 core) / dnsperf = {checker_rate / ceiling:.2f}")
    print(f"raw client (1 core) / dnsperf = {client_rate / ceiling:.2f}")
    print(f"Python beyond the packet: {(1 / checker_rate - 1 / client_rate) * 1e6:.1f} µs/query")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.profile:  # a pass of its own: the profiler's overhead is in no figure above
        profile = cProfile.Profile()
        checker_pass(targets, profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
