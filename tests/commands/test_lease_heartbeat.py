"""Leases of claimed operations: a live worker keeps its operations past the lease (its
heartbeat renews it), and the operations of a worker killed with ``kill -9`` are taken over
about one lease later (lease + the beat sweep), not after the longest an operation may take."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from dnsops.models import Partition
from dnsops.provisioning import PUBLISH_LOCK_CLASS, detect_drift
from domains.models import AcceptedDomain, Operation, Tenant
from domains.operations import claim_due_operations
from tests.dblocks import wait_until_blocked_on_a_lock
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url, make_verified_domain
from tests.worker import WORKER_SETTINGS, WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dns]

LEASE = float(WORKER_SETTINGS["DANE_OPERATION_LEASE_SECONDS"])
SWEEP = 5.0  # CELERY_BEAT_SCHEDULE["process-due-operations"]
# lease + sweep, plus the new worker's start-up and the operation itself on a loaded machine
RECOVERY_BOUND = LEASE + SWEEP + 20.0


def test_a_live_worker_keeps_its_lease_and_a_killed_one_loses_it_after_one_lease(
    worker: WorkerProcess,
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
) -> None:
    name = make_verified_domain(tenant)
    key = [PUBLISH_LOCK_CLASS, partition.pk]
    with connection.cursor() as cursor:  # the worker will wait for the partition's publishing
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        operation_id = api.post(enable_url(name, "dnssec")).json()["id"]
        wait_until_blocked_on_a_lock(timeout=30)
        time.sleep(2.5 * LEASE)  # the worker is alive, working for longer than a lease

        operation = Operation.objects.get(pk=operation_id)
        assert (operation.state, operation.attempts) == ("running", 1)
        assert operation.lease_until is not None
        assert claim_due_operations() == []  # its lease is renewed: nobody may take it over

        worker.kill()
        killed_at = time.monotonic()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
    worker.start()
    while (operation := Operation.objects.get(pk=operation_id)).state != "succeeded":
        assert time.monotonic() - killed_at < RECOVERY_BOUND, (operation.state, operation.steps)
        time.sleep(0.1)
    recovery = time.monotonic() - killed_at
    print(f"recovery after kill -9: {recovery:.1f} s (lease {LEASE:.0f} s, sweep {SWEEP:.0f} s)")

    assert operation.attempts == 2  # taken over once, by the new worker
    assert recovery < RECOVERY_BOUND
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"
    partition.refresh_from_db()
    assert not detect_drift(partition)
