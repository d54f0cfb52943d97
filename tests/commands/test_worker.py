"""The commands end to end: API → Redis → a real Celery worker → Knot → Unbound (AD), and
recovery when the worker is killed or Knot is down in the middle of an operation."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from dnsops.models import Partition, ZoneRRset
from dnsops.provisioning import detect_drift
from domains.models import AcceptedDomain, Operation, Tenant
from tests.conftest import client_for
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url, inbound_addresses, make_verified_domain, register_inbound_key
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dns]


def wait_for(operation_id: str, *, timeout: float = 60) -> Operation:
    """Poll the database until the operation has finished."""
    deadline = time.monotonic() + timeout
    while True:
        operation = Operation.objects.get(pk=operation_id)
        if operation.is_finished:
            return operation
        assert time.monotonic() < deadline, f"operation still {operation.state}: {operation.steps}"
        time.sleep(0.2)


def test_api_to_worker_to_knot_to_unbound(
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    key = register_inbound_key("current")
    name = make_verified_domain(tenant)
    enabled = wait_for(api.post(enable_url(name, "dnssec")).json()["id"])
    assert enabled.state == "succeeded", enabled.error_detail
    host = enabled.result["DnssecMxValue"]  # type: ignore[index]
    a = dnsnet.resolve(host, "A")
    assert (a.records, a.authenticated) == (inbound_addresses(4), True)

    dane = wait_for(api.post(enable_url(name, "smtp-dane-inbound")).json()["id"])
    assert dane.state == "succeeded", dane.error_detail
    tlsa = dnsnet.resolve(f"_25._tcp.{host}", "TLSA")
    assert (tlsa.records, tlsa.authenticated) == ([key.tlsa_record], True)
    assert AcceptedDomain.objects.get(name=name).dane_state == "enabled"


def test_fifty_concurrent_enables_give_one_operation_and_one_record_set(
    worker: WorkerProcess, tenant: Tenant, partition: Partition
) -> None:
    name = make_verified_domain(tenant)
    clients = [client_for(tenant) for _ in range(50)]

    def enable(client: APIClient) -> tuple[int, str]:
        try:
            response = client.post(enable_url(name, "dnssec"))
            return response.status_code, response.json()["id"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(enable, clients))

    assert {status for status, _ in answers} <= {200, 202}
    # Requests that arrived while the work ran got that same operation; any that came after
    # it finished got a record of their own saying the outcome was already in place.
    for _, operation_id in answers:
        wait_for(operation_id)
    operations = Operation.objects.filter(domain_name=name)
    [worked] = [op for op in operations if "published" in op.steps]
    assert all(op.steps == ["already-in-place"] for op in operations if op.pk != worked.pk)
    # Every 202 named the one operation doing the work; the first request created it.
    assert {op_id for status, op_id in answers if status == 202} <= {str(worked.pk)}
    assert str(worked.pk) in {op_id for _, op_id in answers}
    operation = wait_for(str(worked.pk))
    assert operation.state == "succeeded"
    assert {op.result["DnssecMxValue"] for op in operations.all()} == {  # type: ignore[index]
        operation.result["DnssecMxValue"]  # type: ignore[index]
    }
    assert ZoneRRset.objects.filter(name=operation.result["DnssecMxValue"]).count() == 2  # type: ignore[index]
    assert AcceptedDomain.objects.filter(mx_token__isnull=False).count() == 1


def test_operation_survives_a_worker_killed_mid_way(
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    name = make_verified_domain(tenant)
    dnsnet.authoritative_control("signal", signal.SIGSTOP)  # accepts, never answers
    try:
        operation_id = api.post(enable_url(name, "dnssec")).json()["id"]
        deadline = time.monotonic() + 30
        while Operation.objects.get(pk=operation_id).state != "running":
            assert time.monotonic() < deadline, "the worker never started the operation"
            time.sleep(0.05)
        worker.kill()  # SIGKILL in the middle of the operation
    finally:
        dnsnet.authoritative_control("signal", signal.SIGCONT)
    assert Operation.objects.get(pk=operation_id).state == "running"

    worker.start()  # its beat sweep takes the operation over once the lease runs out
    operation = wait_for(operation_id)

    assert operation.state == "succeeded", operation.error_detail
    assert operation.attempts >= 2
    partition.refresh_from_db()
    assert not detect_drift(partition)
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"


def test_operation_completes_after_knot_comes_back(
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    register_inbound_key("current")
    name = make_verified_domain(tenant)
    assert wait_for(api.post(enable_url(name, "dnssec")).json()["id"]).state == "succeeded"
    dnsnet.authoritative_control("stop")
    try:
        operation_id = api.post(enable_url(name, "smtp-dane-inbound")).json()["id"]
        deadline = time.monotonic() + 30
        while Operation.objects.get(pk=operation_id).attempts < 2:
            assert time.monotonic() < deadline, "the operation was not retried"
            time.sleep(0.1)
        assert Operation.objects.get(pk=operation_id).state in ("pending", "running")
    finally:
        dnsnet.authoritative_control("start")

    operation = wait_for(operation_id)

    assert operation.state == "succeeded", operation.error_detail
    assert AcceptedDomain.objects.get(name=name).dane_state == "enabled"
    partition.refresh_from_db()
    assert not detect_drift(partition)
