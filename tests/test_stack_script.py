"""deploy/stack.py owns its servers (a port held by another process is refused, not adopted)
and its resolver never recurses off loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import pytest

from tests.dnsnet import DnsTestNetwork

ROOT = Path(__file__).resolve().parent.parent


def test_a_port_taken_by_another_process_is_refused(tmp_path: Path) -> None:
    with socket.socket() as stranger:  # e.g. a Redis of another checkout
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        env = {**os.environ, "DANE_STACK_DIR": str(tmp_path), "DANE_STACK_REDIS_PORT": str(port)}
        result = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "stack.py"), "up", "redis"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port} (for Redis) is taken by another process" in result.stderr
    assert not (tmp_path / "redis" / "redis.pid").exists()


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [("example.com", "A"), ("gmail.com", "MX"), (".", "NS"), ("com", "DS"), ("arpa", "SOA")],
)
def test_the_test_resolver_refuses_names_outside_the_test_network(
    dnsnet: DnsTestNetwork, name: str, rdtype: str
) -> None:
    """Tests, benchmarks and fuzzers never send a query off loopback: the test Unbound answers
    every name outside the test network itself, REFUSED, without recursing to the root."""
    query = dns.message.make_query(dns.name.from_text(name), rdtype, want_dnssec=True)
    started = time.monotonic()
    response = dns.query.udp(query, dnsnet.resolver[0], port=dnsnet.resolver[1], timeout=5)
    assert response.rcode() == dns.rcode.REFUSED
    assert time.monotonic() - started < 2  # answered locally, not after upstream timeouts


def test_the_test_resolver_still_resolves_the_test_network(dnsnet: DnsTestNetwork) -> None:
    lookup = dnsnet.resolve(dnsnet.top_zone, "SOA")
    assert (lookup.rcode, lookup.authenticated) == ("NOERROR", True)
