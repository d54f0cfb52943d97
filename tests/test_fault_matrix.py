"""The fault matrix on the real stack: Redis stopped during commands, the worker killed
mid-batch, Knot stopped shorter and longer than the retries, PostgreSQL restarted during a
burst, Unbound stopped during checks.

Each fault asserts what an operator would check afterwards: every operation ended (succeeded,
or failed with DnssecOperationFailed), no domain got two operations for one command, the zone
holds exactly the records the database wants, every HTTP answer during the fault was a 2xx or
a JSON 503 (never a 500: the test client raises on one), and the recovery stayed under its
bound. The servers are stopped and started with deploy/stack.py's own functions and always
started again. Each fault prints its figures (``pytest -s``): recovery time, lost and
duplicated operations.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from rest_framework.test import APIClient

from dnsops.models import Partition
from dnsops.provisioning import detect_drift
from domains.models import Operation, Tenant
from tests.dnsnet import DnsTestNetwork
from tests.factories import DomainFactory
from tests.support import enable_url, make_verified_domain
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dns]

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
BATCH = 5  # commands per fault


def _port(address: str) -> str:
    """The port of ``host:port`` or of a URL."""
    return address.rsplit(":", 1)[1].split("/", 1)[0]


@pytest.fixture(scope="module")
def stack() -> Iterator[ModuleType]:
    """deploy/stack.py, to stop and start this checkout's servers on the ports this test
    runs against (so a server is never started again on the script's default port)."""
    ports = {
        "DANE_STACK_PG_PORT": str(settings.DATABASES["default"]["PORT"]),
        "DANE_STACK_REDIS_PORT": _port(settings.CELERY_BROKER_URL),
        "DANE_STACK_KNOT_PORT": _port(settings.DANE_DNS_SERVERS[0]),
        "DANE_STACK_UNBOUND_PORT": _port(settings.DANE_RESOLVER),
    }
    for name, port in ports.items():
        assert os.environ.setdefault(name, port) == port, f"{name} is not this test's port"
    sys.path.insert(0, str(DEPLOY))
    try:
        # Reloaded: an earlier import may have read other ports from the environment.
        stack = importlib.reload(importlib.import_module("stack"))
        assert int(ports["DANE_STACK_PG_PORT"]) == stack.PG_PORT
        yield stack
    finally:
        sys.path.remove(str(DEPLOY))


def answer(response: Any, *accepted: int) -> int:
    """Assert ``response`` is one of ``accepted`` or a JSON 503 in the API's error shape."""
    if response.status_code == 503:
        body = response.json()
        assert set(body) >= {"code", "detail"}, body
        assert response["Retry-After"].isdigit()
    else:
        assert response.status_code in accepted, response.content
    return int(response.status_code)


def enable_all(api: APIClient, names: list[str]) -> dict[str, int]:
    """POST the DNSSEC enable of each name; the status code of each answer."""
    return {name: answer(api.post(enable_url(name, "dnssec")), 202) for name in names}


def operations_of(names: list[str]) -> list[Operation]:
    """The operations of these domains."""
    return list(Operation.objects.filter(domain_name__in=names))


def wait_until_all_end(names: list[str], since: float, bound: float) -> float:
    """Seconds from ``since`` until every operation of ``names`` has ended (bounded)."""
    while True:
        operations = operations_of(names)
        if len(operations) == len(names) and all(op.is_finished for op in operations):
            return time.monotonic() - since
        lost = [op.domain_name for op in operations if not op.is_finished]
        assert time.monotonic() - since < bound, f"not ended within {bound} s: {lost}"
        time.sleep(0.2)


def assert_consistent(fault: str, names: list[str], partition: Partition, recovery: float) -> None:
    """The invariants of every fault, and its figures."""
    operations = operations_of(names)
    ended = [op for op in operations if op.is_finished]
    for op in ended:
        assert op.state == "succeeded" or op.error_code == "DnssecOperationFailed", op.error_code
    duplicated = (
        Operation.objects.filter(domain_name__in=names)
        .values("domain_name", "kind")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .count()
    )
    lost = len(names) - len(ended)
    print(
        f"\nFAULT {fault}: recovery {recovery:.1f} s, operations {len(operations)}, "
        f"succeeded {sum(op.state == 'succeeded' for op in ended)}, lost {lost}, "
        f"duplicated {duplicated}"
    )
    assert (lost, duplicated) == (0, 0)
    partition.refresh_from_db()
    assert not detect_drift(partition)


def provisioned(api: APIClient, tenant: Tenant, partition: Partition) -> None:
    """Enable one domain first, so the partition zone exists on Knot before the fault."""
    name = make_verified_domain(tenant)
    enable_all(api, [name])
    wait_until_all_end([name], time.monotonic(), 60)


def test_redis_stopped_during_commands(
    stack: ModuleType,
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    names = [make_verified_domain(tenant) for _ in range(BATCH)]
    stack.redis_down()
    try:
        assert set(enable_all(api, names).values()) == {202}  # recorded; the sweep will run them
        time.sleep(2)
    finally:
        stack.redis_up()
    back = time.monotonic()
    recovery = wait_until_all_end(names, back, bound=60)
    assert_consistent("redis stopped during commands", names, partition, recovery)


def test_worker_killed_mid_batch(
    stack: ModuleType,
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    names = [make_verified_domain(tenant) for _ in range(BATCH)]
    dnsnet.authoritative_control("signal", signal.SIGSTOP)  # Knot accepts, never answers
    try:
        enable_all(api, names)
        deadline = time.monotonic() + 30
        while not Operation.objects.filter(domain_name__in=names, state="running").exists():
            assert time.monotonic() < deadline, "the worker never started the batch"
            time.sleep(0.05)
        worker.kill()
        killed = time.monotonic()
    finally:
        dnsnet.authoritative_control("signal", signal.SIGCONT)
    worker.start()
    recovery = wait_until_all_end(names, killed, bound=60)
    assert_consistent("worker killed mid-batch", names, partition, recovery)
    assert all(op.state == "succeeded" for op in operations_of(names))


def test_knot_stopped_shorter_than_the_retries(
    stack: ModuleType,
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    provisioned(api, tenant, partition)
    names = [make_verified_domain(tenant) for _ in range(BATCH)]
    stack.knot_stop()
    try:
        enable_all(api, names)
        time.sleep(3)
    finally:
        stack.knot_start()
    recovery = wait_until_all_end(names, time.monotonic(), bound=90)
    assert_consistent("knot stopped shorter than the retries", names, partition, recovery)
    assert all(op.state == "succeeded" for op in operations_of(names))


def test_knot_stopped_longer_than_the_retries(
    stack: ModuleType,
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    tmp_path: Path,
) -> None:
    provisioned(api, tenant, partition)
    names = [make_verified_domain(tenant) for _ in range(BATCH)]
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    impatient = WorkerProcess(url, tmp_path, {"DANE_OPERATION_MAX_ATTEMPTS": "2"})
    worker.stop()
    stack.knot_stop()
    try:
        impatient.start()
        enable_all(api, names)
        recovery = wait_until_all_end(names, time.monotonic(), bound=60)
    finally:
        impatient.stop()
        stack.knot_start()
        worker.start()
    assert_consistent("knot stopped longer than the retries", names, partition, recovery)
    for op in operations_of(names):
        assert (op.state, op.error_code) == ("failed", "DnssecOperationFailed")


def test_postgresql_restarted_during_a_burst(
    stack: ModuleType,
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    names = [make_verified_domain(tenant) for _ in range(BATCH)]
    first, second = names[: BATCH // 2], names[BATCH // 2 :]
    enable_all(api, first)
    stack.postgres_down()
    try:
        during = enable_all(api, second)
    finally:
        stack.postgres_up()
        connection.close()
    back = time.monotonic()
    assert set(during.values()) == {503}  # JSON DatabaseUnavailable, nothing recorded
    for name in second:  # what a client does after a 503: send the command again
        deadline = time.monotonic() + 30
        while answer(api.post(enable_url(name, "dnssec")), 202) != 202:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    recovery = wait_until_all_end(names, back, bound=90)
    assert_consistent("postgresql restarted during a burst", names, partition, recovery)
    assert all(op.state == "succeeded" for op in operations_of(names))


def test_unbound_stopped_during_checks(
    stack: ModuleType, api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    domain = DomainFactory.create(tenant=tenant, partition=partition, pending_mx=True, publish=True)
    unverified = DomainFactory.create(tenant=tenant).name
    status = f"/api/v1/domains/{domain.name}/dnssec/?refresh=true"
    stack.unbound_stop()
    try:
        during = api.get(status)  # we could not look: not findings about the customer's DNS
        assert (answer(during), during.json()["code"]) == (503, "DnsLookupFailed")
        verify = api.post(f"/api/v1/domains/{unverified}/verify/")
        assert (answer(verify, 409), verify.json()["code"]) == (503, "DnsLookupFailed")
    finally:
        stack.unbound_start()
    back = time.monotonic()
    host = domain.dnssec_mx_value or ""
    while not dnsnet.resolve(host, "A").authenticated:  # the resolver validates again
        assert time.monotonic() - back < 30, "the resolver did not come back"
        time.sleep(0.2)
    assert answer(api.get(status), 200) == 200
    recovery = time.monotonic() - back
    assert api.get(status).json()["DnsValidation"] is not None
    assert_consistent("unbound stopped during checks", [], partition, recovery)
