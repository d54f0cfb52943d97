"""Placing domains in partitions when enables race: the capacity holds, and the counter of
places always equals the domains placed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from pytest_django.fixtures import Settings

from dnsops.models import Partition
from domains import commands
from domains.audit import Actor
from domains.choices import IN_FLIGHT_STATES
from domains.errors import DnssecOperationFailed
from domains.models import AcceptedDomain, AuditEvent, Operation, Tenant
from tests.support import make_verified_domain
from tests.worker import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _worker_drains_the_enables(worker: WorkerProcess) -> Iterator[None]:
    """The enables are carried out by the real worker before the test's tables are emptied
    (a worker still writing while they are truncated deadlocks the teardown)."""
    yield
    deadline = time.monotonic() + 90
    while Operation.objects.filter(state__in=IN_FLIGHT_STATES).exists():
        assert time.monotonic() < deadline, "the worker did not finish the enables"
        time.sleep(0.2)


def enable_at_once(tenant: Tenant, names: list[str]) -> dict[str, str]:
    """Enable DNSSEC for ``names`` from one thread (and database session) each, released
    together; what each got: ``accepted`` or the error's code."""
    start = threading.Barrier(len(names))
    outcomes: dict[str, str] = {}

    def enable(name: str) -> None:
        try:
            start.wait(timeout=30)
            commands.enable_dnssec(tenant, name, actor=Actor.cli())
            outcomes[name] = "accepted"
        except DnssecOperationFailed as exc:
            outcomes[name] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=enable, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_enables_racing_for_the_last_place_fill_it_once(
    tenant: Tenant, partition: Partition, settings: Settings
) -> None:
    settings.DANE_PARTITIONS = [partition.label]  # no other partition to overflow into
    Partition.objects.filter(pk=partition.pk).update(capacity=3)
    for _ in range(2):
        commands.enable_dnssec(tenant, make_verified_domain(tenant), actor=Actor.cli())
    racing = [make_verified_domain(tenant) for _ in range(6)]

    outcomes = enable_at_once(tenant, racing)

    assert sorted(outcomes.values()) == ["DnssecOperationFailed"] * 5 + ["accepted"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "accepted")
    placed = AcceptedDomain.objects.filter(partition=partition, mx_token__isnull=False)
    assert placed.count() == 3
    assert placed.filter(name=winner).exists()
    assert not AcceptedDomain.objects.filter(name__in=racing, mx_token__isnull=False).exclude(
        name=winner
    )
    partition.refresh_from_db()
    assert (partition.placed, partition.status) == (3, "full")  # the refused gave theirs back
    events = AuditEvent.objects.filter(action="partition.status", target_id=partition.zone)
    assert [event.data for event in events] == [{"from": "active", "to": "full", "domains": 3}]


def test_concurrent_enables_with_room_all_take_a_place(
    tenant: Tenant, partition: Partition, settings: Settings
) -> None:
    settings.DANE_PARTITIONS = [partition.label]
    names = [make_verified_domain(tenant) for _ in range(6)]

    outcomes = enable_at_once(tenant, names)

    assert outcomes == dict.fromkeys(names, "accepted")
    partition.refresh_from_db()
    assert (partition.placed, partition.status) == (6, "active")
    assert AcceptedDomain.objects.filter(partition=partition, mx_token__isnull=False).count() == 6
