"""deploy/stack.py owns its servers (a port held by another process is refused, not adopted),
its resolver never recurses off loopback, and it runs the service itself (gunicorn, Celery
workers, beat) for a production-shaped run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import pytest
from django.conf import settings

from dnsops.models import Partition
from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, Operation, Tenant
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url, make_verified_domain

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


def stack_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run deploy/stack.py with ``args`` in ``env``."""
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "stack.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


#: The servers ``up`` starts and the program each one runs.
SERVER_PROGRAMS = {
    "postgres": "postgres",
    "redis": "redis-server",
    "knot": "knotd",
    "unbound": "unbound",
    "powerdns": "pdns_server",
}


@pytest.mark.dns
def test_status_lists_every_server_up_starts_with_its_pid(dnsnet: DnsTestNetwork) -> None:
    status = stack_script(dict(os.environ), "status")
    assert status.returncode == 0, status.stderr
    listed = dict(line.split(maxsplit=1) for line in status.stdout.splitlines())
    assert set(SERVER_PROGRAMS) <= set(listed)
    for name, program in SERVER_PROGRAMS.items():
        state, _, pid = listed[name].partition(" (pid ")
        assert state == "running", listed[name]
        comm = Path(f"/proc/{pid.rstrip(')')}/comm").read_text().strip()
        assert comm == program, (name, comm)


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def service_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of ``stack.py up app`` on the test database, its own broker database
    (no other worker takes its tasks) and a port of its own; stops the service afterwards."""
    database = settings.DATABASES["default"]
    broker = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DANE_STACK_DIR": str(tmp_path / "stack"),
        "DANE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "CELERY_BROKER_URL": f"{broker}/9",
        "DANE_ADMIN_ADDR": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "1",
        "DANE_WEB_THREADS": "2",
    }
    yield env
    stopped = stack_script(env, "down", "app")
    assert stopped.returncode == 0, stopped.stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.dns
def test_the_stack_runs_the_service_and_a_command_is_done_by_its_worker(
    service_env: dict[str, str], tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    started = stack_script(service_env, "up", "app", "--workers", "1")
    assert started.returncode == 0, started.stderr
    app_dir = Path(service_env["DANE_STACK_DIR"]) / "app"
    assert sorted(path.name for path in app_dir.glob("*.pid")) == [
        "beat.pid",
        "web.pid",
        "worker-1.pid",
    ]
    status = stack_script(service_env, "status").stdout
    for name in ("app web", "app worker-1", "app beat"):
        assert any(line.startswith(name) and "running (pid" in line for line in status.splitlines())

    base = f"http://{service_env['DANE_ADMIN_ADDR']}"
    with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:  # noqa: S310
        assert json.load(response)["status"] == "ok"

    name = make_verified_domain(tenant)
    _, key = services.create_api_key(tenant, name="stack", actor=Actor.cli())
    request = urllib.request.Request(  # noqa: S310
        base + enable_url(name, "dnssec"),
        method="POST",
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        data=b"{}",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 202
        operation_id = json.load(response)["id"]
    deadline = time.monotonic() + 90
    while (operation := Operation.objects.get(pk=operation_id)).state != "succeeded":
        assert time.monotonic() < deadline, (operation.state, operation.steps)
        time.sleep(0.2)
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"

    stopped = stack_script(service_env, "down", "app")
    assert stopped.returncode == 0, stopped.stderr
    assert not list(app_dir.glob("*.pid"))
    status = stack_script(service_env, "status").stdout
    assert not [line for line in status.splitlines() if line.startswith("app ")]
