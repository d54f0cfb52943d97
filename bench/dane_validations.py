"""Benchmark: outbound DANE validations per second over many destinations on loopback.

The script builds everything it measures: a fresh signed zone in the DNS test network with
N destination domains (MX -> its own host -> A on a 127.1.x.y address, TLSA at _25._tcp: three
in four DANE-EE ``3 1 1`` of the server's own certificate, one in four DANE-TA ``2 0 1`` of a
shared CA), and N aiosmtpd servers with STARTTLS in a child process (so the servers do not
share the client's interpreter). It then validates every destination with the analyzer the
service uses, at most C at a time: first with Unbound's cache cold for those names, then warm.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    .venv/bin/python bench/dane_validations.py --destinations 200 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import sys
import time
import uuid
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

import dns.message
import dns.query

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dnsops.dane.analyzer import AnalyzerConfig, ValidationReport, validate_many
from tests.dane_io.scenario import credentials, tlsa
from tests.dane_io.servers import (
    Credentials,
    LoopbackServers,
    issued_by,
    self_signed,
    trust_anchor,
)
from tests.dnsnet import DnsTestNetwork
from tests.unit.dane.pki import Issued

DESTINATIONS_PER_UPDATE = 100


def address(index: int) -> str:
    """The loopback address of destination ``index`` (apart from the tests' 127.0.x.y)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def serve(servers: list[tuple[str, Credentials]], pipe: Connection) -> None:
    """Child process: run the SMTP servers, send the port, stop when told."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    pool = LoopbackServers()
    for server_address, server_credentials in servers:
        pool.smtp(server_address, server_credentials)
    pipe.send(pool.port)
    pipe.recv()
    pool.close()


def build(
    dnsnet: DnsTestNetwork, count: int
) -> tuple[str, list[str], list[tuple[str, Credentials]]]:
    """The zone, the destination domains, and each server's address and credentials."""
    zone = f"bench-{uuid.uuid4().hex[:10]}.{dnsnet.top_zone}"
    dnsnet.create_customer_zone(zone)
    anchor = trust_anchor("DANE bench CA")
    domains, servers, records = [], [], []
    for index in range(count):
        domain = f"d{index:04d}.{zone}"
        host = f"mx.{domain}"
        leaf: Issued
        if index % 4 == 3:
            leaf = issued_by(anchor, host)
            server, record = credentials(leaf, anchor), tlsa(anchor, 2, 0, 1)
        else:
            leaf = self_signed(host)
            server, record = credentials(leaf), tlsa(leaf)
        domains.append(domain)
        servers.append((address(index), server))
        records.append(
            [
                (domain, "MX", f"10 {host}."),
                (host, "A", address(index)),
                (f"_25._tcp.{host}", "TLSA", record),
            ]
        )
    for first in range(0, count, DESTINATIONS_PER_UPDATE):
        batch = records[first : first + DESTINATIONS_PER_UPDATE]
        dnsnet.update(
            *(("add", name, rdtype, 300, rdata) for rrs in batch for name, rdtype, rdata in rrs),
            zone=zone,
        )
    return zone, domains, servers


def wait_until_published(dnsnet: DnsTestNetwork, domains: list[str]) -> None:
    """Wait until Knot serves the last destination's TLSA (checked on the authoritative side,
    so Unbound's cache stays cold for the destinations)."""
    last = f"_25._tcp.mx.{domains[-1]}."
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        query = dns.message.make_query(last, "TLSA", want_dnssec=True)
        response = dns.query.udp(query, dnsnet.authoritative[0], port=dnsnet.authoritative[1])
        if any(rrset.rdtype == 46 for rrset in response.answer):  # RRSIG: signed and served
            return
        time.sleep(0.05)
    raise RuntimeError("the destinations were not published in time")


def measure(
    domains: list[str], config: AnalyzerConfig, concurrency: int
) -> tuple[float, list[ValidationReport]]:
    """Seconds for validating every destination, and the reports."""
    started = time.perf_counter()
    reports = asyncio.run(validate_many(domains, config, concurrency=concurrency))
    return time.perf_counter() - started, reports


def report_line(label: str, seconds: float, reports: list[ValidationReport]) -> str:
    """One row of the results table."""
    latencies = sorted(report.milliseconds for report in reports)
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    verdicts = Counter(report.decision.verdict.value for report in reports)
    return (
        f"{label:26} {len(reports):6d} {seconds:8.2f} {len(reports) / seconds:8.1f} "
        f"{statistics.median(latencies):8.1f} {p95:8.1f} {latencies[-1]:8.1f}  "
        + ", ".join(f"{verdict} {n}" for verdict, n in verdicts.most_common())
    )


def main() -> None:
    """Build the destinations, run the rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--destinations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warm-rounds", type=int, default=2)
    args = parser.parse_args()
    dnsnet = DnsTestNetwork.from_environment()
    dnsnet.check_running()

    setup_started = time.perf_counter()
    zone, domains, servers = build(dnsnet, args.destinations)
    wait_until_published(dnsnet, domains)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(servers, child))
    process.start()
    port = parent.recv()
    print(
        f"{args.destinations} destinations in {zone}, SMTP servers on 127.1.x.y:{port}; "
        f"setup {time.perf_counter() - setup_started:.1f} s"
    )
    config = AnalyzerConfig(
        resolver=dnsnet.resolver,
        ehlo_name="bench.dane-admin.test",
        port=port,
        allow_private_addresses=True,
    )
    try:
        print(
            f"{'round':26} {'valid.':>6} {'seconds':>8} {'valid./s':>8} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  verdicts"
        )
        rounds = [f"cold cache, C={args.concurrency}"] + [
            f"warm cache, C={args.concurrency}" for _ in range(args.warm_rounds)
        ]
        for label in rounds:
            seconds, reports = measure(domains, config, args.concurrency)
            print(report_line(label, seconds, reports))
        seconds, reports = measure(domains, config, 1)
        print(report_line("warm cache, sequential", seconds, reports))
    finally:
        parent.send("stop")
        process.join(timeout=15)


if __name__ == "__main__":
    main()
