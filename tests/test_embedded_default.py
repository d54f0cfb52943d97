"""The README's run command: the service on SQLite with in-process tasks, and its settings."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from dnsops.backends.builtin import published_zone
from tests.dnsnet import DnsTestNetwork

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DANE_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def call(port: int, raw_key: str, method: str, path: str, body: dict | None = None) -> dict:
    """One API call to the embedded service."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return dict(json.load(response))


def test_run_command_serves_the_demo_tenant_on_sqlite(
    tmp_path: Path, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    port = free_port()
    env = embedded_env(
        tmp_path,
        DANE_ADMIN_ADDR=f"127.0.0.1:{port}",
        DANE_DNS_BACKEND="builtin",
        DANE_DNS_SERVERS="",  # nothing loads the zone files on a fresh machine
        DANE_MX_PARENT_MANAGED="0",
        DANE_INBOUND_ADDRESSES="192.0.2.25",  # the operator's inbound servers (none by default)
    )
    env.pop("SECRET_KEY", None)
    env.pop("DEBUG", None)
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "run")],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its group: the web server and the beat end with it
    )
    try:
        lines = output_until_key(process, deadline=time.monotonic() + 180)
        raw_key = lines[-1]
        assert f"http://127.0.0.1:{port}" in "\n".join(lines)
        operator_line = f"Operators' pages: http://127.0.0.1:{port}/operator/ as demo-operator "
        assert any(line.startswith(operator_line) for line in lines), lines
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/domains/",
                    headers={"Authorization": f"Api-Key {raw_key}"},
                )
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    body = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        assert [d["name"] for d in body["results"]] == ["demo.onprovider.test"]
        assert (tmp_path / "var" / "dane-admin.sqlite3").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            assert json.load(response)["checks"]["broker"].startswith("in-process")
            assert response.headers["Server"] == "gunicorn"  # not Django's development server
        # Static files come from the application server (whitenoise): the API docs' assets.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=5) as response:
            docs = response.read().decode()
        asset = re.search(r'src="(/static/[^"]+\.js)"', docs)
        assert asset is not None, docs
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{asset[1]}", timeout=5) as response:
            assert response.status == 200
            assert len(response.read()) > 10_000

        # The main job on the embedded default: verify a domain, enable DNSSEC (built-in signer).
        added = call(port, raw_key, "POST", "/api/v1/domains/", {"name": customer_domain})
        dnsnet.publish_txt(customer_domain, added["verification_record"])
        assert call(port, raw_key, "POST", f"/api/v1/domains/{customer_domain}/verify/")["verified"]
        enabled = call(port, raw_key, "POST", f"/api/v1/domains/{customer_domain}/dnssec/enable/")
        # Tasks run in-process, so the answer is usually the finished operation; when the
        # embedded beat's sweep claimed it first, it is a 202 to follow, as on the full stack.
        deadline = time.monotonic() + 30
        while enabled["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
            enabled = call(port, raw_key, "GET", f"/api/v1/operations/{enabled['id']}/")
        assert enabled["state"] == "succeeded"
        mx_value = enabled["result"]["DnssecMxValue"]
        assert mx_value == f"{customer_domain.replace('.', '-')}.o-v1.mx.provider.test"
        # The zone as published: its file with the journal of changes applied.
        published = io.BytesIO()
        published_zone(tmp_path / "var" / "zones" / "o-v1.mx.provider.test.zone", published)
        zone_file = published.getvalue().decode()
        assert f"{mx_value}. 3600 IN A 192.0.2.25" in zone_file
        assert "RRSIG A 13" in zone_file

        # The embedded beat checks the domain on its schedule, without anyone asking.
        database = tmp_path / "var" / "dane-admin.sqlite3"
        triggers = check_run_triggers(database, customer_domain, deadline=time.monotonic() + 40)
        assert triggers == ["schedule"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # anything left of the group


def output_until_key(process: subprocess.Popen[str], deadline: float) -> list[str]:
    """deploy/run's output up to the API key it prints; fails (never hangs) at ``deadline``."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while seen[-2:-1] != ["API key (shown once):"]:
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        assert line is not None, f"deploy/run ended early: {seen}"
        seen.append(line)
    return seen


def check_run_triggers(database: Path, name: str, deadline: float) -> list[str]:
    """The triggers of the stored check runs of ``name`` (waiting for one until deadline)."""
    query = (
        "SELECT r.trigger FROM domains_checkrun r "
        "JOIN domains_accepteddomain d ON d.id = r.domain_id WHERE d.name = ?"
    )
    while time.monotonic() < deadline:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        ) as connection:
            rows = connection.execute(query, (name,)).fetchall()
        if rows:
            return [row[0] for row in rows]
        time.sleep(0.5)
    return []


def test_secret_key_is_mandatory_outside_debug(tmp_path: Path) -> None:
    env = embedded_env(tmp_path, DEBUG="0")
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_run_command_starts_a_validating_resolver_of_its_own(tmp_path: Path) -> None:
    """Without DANE_RESOLVER, deploy/run starts deploy/resolver.py: Unbound on loopback,
    validating from the root with the IANA trust anchor, stopped with the service."""
    port = free_port()
    script = [sys.executable, str(ROOT / "deploy" / "resolver.py")]
    env = {
        **os.environ,
        "DANE_RESOLVER_DIR": str(tmp_path),  # never a developer's resolver
        "DANE_RESOLVER_OFFLINE": "1",  # no packet off loopback (not even the root key probe)
    }
    subprocess.run([*script, "up", str(port)], env=env, check=True, timeout=60, capture_output=True)
    try:
        query = dns.message.make_query("localhost.", "A")
        answer = dns.query.udp(query, "127.0.0.1", port=port, timeout=3)
        assert [rr.to_text() for rrset in answer.answer for rr in rrset] == ["127.0.0.1"]
        conf = (tmp_path / "unbound.conf").read_text()
        assert f"interface: 127.0.0.1@{port}" in conf
        assert 'module-config: "validator iterator"' in conf
        assert "20326" in (tmp_path / "root.key").read_text()  # the root's KSK-2017
        assert "do-not-query-address: 0.0.0.0/0" in conf
        assert "do-not-query-address: ::/0" in conf
        started = time.monotonic()
        outside = dns.query.udp(
            dns.message.make_query("example.com.", "A"), "127.0.0.1", port=port, timeout=5
        )
        assert outside.rcode() == dns.rcode.SERVFAIL  # it may not ask anyone
        assert time.monotonic() - started < 2
    finally:
        subprocess.run([*script, "down"], env=env, check=True, timeout=60, capture_output=True)
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query("localhost.", "A"), "127.0.0.1", port=port, timeout=1)
