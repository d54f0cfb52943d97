#!/usr/bin/env python3
"""Benchmark: provision MX hosts (A + AAAA + TLSA each) through the ``powerdns`` driver.

    .venv/bin/python bench/powerdns_provision.py [--names 10000] [--batch CHANGES] [--rounds 1]

Starts PowerDNS with deploy/stack_powerdns.py if it is not running (and then stops it at the
end), creates a fresh signed partition zone through the driver and, per round, adds
``--names`` new hosts in PATCHes of at most ``--batch`` RRset changes (default: the driver's
``max_changes_per_batch``; one host's three RRsets are never split), then waits until every
batch is confirmed on the DNS port and the last host's TLSA comes back signed (its RRSIG
validated against the zone's DNSKEY). Prints names/s for the PATCHes alone and through to
served-and-signed, and the first and last PATCH times: PowerDNS rectifies the whole zone in
every PATCH, so a PATCH costs more as the zone grows.
The zone is deleted at the end. Loopback only; the work is bounded by names times rounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import stack_powerdns

from dnsops.addresses import parse_server
from dnsops.backends.base import ChangeBatch, RRset
from dnsops.backends.powerdns import ApiKey, PowerDnsBackend

TLSA = "3 1 1 " + "c0ffee" * 10 + "beef"
CONFIRM_DEADLINE = 60.0


def host_rrsets(zone: str, index: int) -> list[RRset]:
    """One MX host's RRsets, with a token shaped like a customer domain's."""
    host = f"d{index:06d}-example-com.{zone}"
    return [
        RRset(host, "A", 3600, ("192.0.2.25",)),
        RRset(host, "AAAA", 3600, ("2001:db8::25",)),
        RRset(f"_25._tcp.{host}", "TLSA", 3600, (TLSA,)),
    ]


def batches(zone: str, first: int, names: int, changes_per_batch: int) -> list[ChangeBatch]:
    """``names`` hosts from index ``first`` in batches of whole hosts."""
    hosts_per_batch = max(1, changes_per_batch // 3)
    return [
        ChangeBatch(
            zone,
            upserts=[
                rrset
                for index in range(start, min(start + hosts_per_batch, first + names))
                for rrset in host_rrsets(zone, index)
            ],
        )
        for start in range(first, first + names, hosts_per_batch)
    ]


def served_signed(server: tuple[str, int], zone: str, name: str) -> bool:
    """True when ``name`` TLSA comes back with an RRSIG valid under the zone's DNSKEY."""

    def ask(qname: str, rdtype: str) -> dns.message.Message:
        request = dns.message.make_query(qname + ".", rdtype, want_dnssec=True)
        request.flags &= ~dns.flags.RD
        return dns.query.udp_with_fallback(request, server[0], port=server[1], timeout=3)[0]

    origin = dns.name.from_text(zone + ".")
    owner = dns.name.from_text(name + ".")
    keys, records = ask(zone, "DNSKEY"), ask(name, "TLSA")
    try:
        dnskey = keys.find_rrset(keys.answer, origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        tlsa = records.find_rrset(records.answer, owner, dns.rdataclass.IN, dns.rdatatype.TLSA)
        rrsig = records.find_rrset(
            records.answer, owner, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.TLSA
        )
        dns.dnssec.validate(tlsa, rrsig, {origin: dnskey})
    except (KeyError, dns.dnssec.ValidationFailure):
        return False
    return True


def delete_zone(env: dict[str, str], zone: str) -> None:
    """Remove the benchmark's zone (the driver has no such operation)."""
    key = Path(env["DANE_POWERDNS_API_KEY_FILE"]).read_text().strip()
    request = urllib.request.Request(  # noqa: S310 (loopback http URL from stack_powerdns)
        f"{env['DANE_POWERDNS_API_URL']}/zones/{zone}.",
        method="DELETE",
        headers={"X-API-Key": key},
    )
    with urllib.request.urlopen(request, timeout=60):  # noqa: S310
        pass


def run_round(backend: PowerDnsBackend, work: list[ChangeBatch], names: int) -> dict[str, float]:
    """Apply ``work`` and wait until it is served signed; the round's figures."""
    started = time.perf_counter()
    patch_seconds = []
    for batch in work:
        before = time.perf_counter()
        backend.apply(batch)
        patch_seconds.append(time.perf_counter() - before)
    applied = time.perf_counter()
    deadline = time.monotonic() + CONFIRM_DEADLINE
    pending = list(work)
    while pending:
        pending = [batch for batch in pending if not backend.confirm_visible(batch)]
        if pending and time.monotonic() > deadline:
            raise SystemExit(
                f"bench: {len(pending)} batches not visible after {CONFIRM_DEADLINE} s"
            )
    last = work[-1].upserts[-1].name
    if not served_signed(backend.dns_servers[0], work[-1].zone, last):
        raise SystemExit(f"bench: {last} TLSA is not served with a valid RRSIG")
    done = time.perf_counter()
    return {
        "patches": len(work),
        "apply_s": applied - started,
        "apply_names_per_s": names / (applied - started),
        "total_s": done - started,
        "served_names_per_s": names / (done - started),
        "first_patch_s": patch_seconds[0],
        "last_patch_s": patch_seconds[-1],
    }


def main() -> None:
    """Parse the options, run the rounds, print one JSON line per round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000, help="hosts per round")
    parser.add_argument("--batch", type=int, default=0, help="RRset changes per PATCH")
    parser.add_argument("--rounds", type=int, default=1, help="rounds into the same zone")
    options = parser.parse_args()

    started_here = stack_powerdns.server_pid() is None
    stack_powerdns.up()
    env = dict(line.split("=", 1) for line in stack_powerdns.env_lines())
    backend = PowerDnsBackend(
        env["DANE_POWERDNS_API_URL"],
        ApiKey.from_file(env["DANE_POWERDNS_API_KEY_FILE"]),
        [parse_server(env["DANE_POWERDNS_DNS"])],
        timeout=120.0,
    )
    changes_per_batch = options.batch or backend.max_changes_per_batch
    zone = f"bench-{uuid.uuid4().hex[:8]}.mx.provider.test"
    backend.ensure_zone(zone)
    try:
        for round_number in range(options.rounds):
            first = round_number * options.names
            work = batches(zone, first, options.names, changes_per_batch)
            figures = run_round(backend, work, options.names)
            report = {
                "round": round_number + 1,
                "zone_names_before": first,
                "names": options.names,
                "changes_per_patch": changes_per_batch,
                **{name: round(value, 3) for name, value in figures.items()},
            }
            print(json.dumps(report), flush=True)
    finally:
        delete_zone(env, zone)
        if started_here:
            stack_powerdns.down()


if __name__ == "__main__":
    main()
