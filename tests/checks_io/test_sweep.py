"""The schedule: the beat sweep claims due domains (SKIP LOCKED) and fans them out in chunks;
a chunk is checked concurrently and stored; backoff while nothing changes; the real worker."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from dane_admin.celery import app
from domains import checks
from domains.models import AcceptedDomain, CheckRun, Tenant
from domains.tasks import process_operations, sweep_due_checks
from tests.checks_io.support import mx_records
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url, make_verified_domain
from tests.worker import WorkerProcess

pytestmark = pytest.mark.dns


@pytest.mark.django_db
def test_sweep_claims_due_domains_checks_them_and_backs_off(
    tenant: Tenant,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DANE_CHECK_BATCH_SIZE = 2
    due = []
    for _ in range(3):
        zone = new_zone("signed")
        dnsnet.update(*mx_records(zone, f"0 {enable_dnssec(zone)}"), zone=zone)
        due.append(zone)
    later = new_zone("signed")
    enable_dnssec(later)
    AcceptedDomain.objects.filter(name=later).update(
        next_check_at=timezone.now() + timedelta(hours=1)
    )
    disabled = make_verified_domain(tenant)
    AcceptedDomain.objects.filter(name=disabled).update(next_check_at=timezone.now())

    with django_capture_on_commit_callbacks() as callbacks:
        assert checks.dispatch_due_checks() == 3

    # partial(enqueue, "domains.tasks.check_domains", ids): one task per chunk, by name
    assert {callback.args[0] for callback in callbacks} == {"domains.tasks.check_domains"}
    chunks = [callback.args[1] for callback in callbacks]
    assert sorted(len(chunk) for chunk in chunks) == [1, 2]
    claimed = AcceptedDomain.objects.filter(pk__in=[pk for chunk in chunks for pk in chunk])
    assert sorted(claimed.values_list("name", flat=True)) == sorted(due)
    lease_end = timezone.now() + checks.CLAIM_LEASE - timedelta(seconds=10)
    assert all(d.next_check_at and d.next_check_at > lease_end for d in claimed)
    with django_capture_on_commit_callbacks() as again:
        assert checks.dispatch_due_checks() == 0  # claimed: not due any more
    assert again == []

    for chunk in chunks:
        assert checks.check_domains(chunk) == len(chunk)

    for domain in AcceptedDomain.objects.filter(name__in=due):
        run = CheckRun.objects.get(domain=domain)
        assert (run.trigger, run.overall_status) == ("schedule", "Passed")
        assert domain.dnssec_state == "enabled"
        assert domain.checks_unchanged == 0
        assert domain.next_check_at is not None
        delay = (domain.next_check_at - run.finished_at).total_seconds()
        assert 0.85 * settings.DANE_CHECK_INTERVAL < delay < 1.15 * settings.DANE_CHECK_INTERVAL

    checks.check_domains([pk for chunk in chunks for pk in chunk])  # nothing changed
    for domain in AcceptedDomain.objects.filter(name__in=due):
        assert domain.checks_unchanged == 1
        assert domain.next_check_at is not None
        delay = (domain.next_check_at - timezone.now()).total_seconds()
        assert 1.7 * settings.DANE_CHECK_INTERVAL < delay < 2.3 * settings.DANE_CHECK_INTERVAL
    assert CheckRun.objects.filter(domain__name__in=due).count() == 6


@pytest.mark.django_db(transaction=True)
def test_claim_skips_domains_locked_by_someone_else(tenant: Tenant) -> None:
    names = [make_verified_domain(tenant) for _ in range(2)]
    AcceptedDomain.objects.filter(name__in=names).update(
        dnssec_state="pending_mx", next_check_at=timezone.now() - timedelta(seconds=1)
    )
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                AcceptedDomain.objects.select_for_update().get(name=names[0])
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with transaction.atomic():
            claimed = checks.claim_due_domains(10)
    finally:
        release.set()
        holder.join()

    assert claimed == [AcceptedDomain.objects.get(name=names[1]).pk]


@pytest.mark.django_db(transaction=True)
def test_the_worker_sweeps_due_domains_and_enables_them(
    worker: WorkerProcess,
    api: APIClient,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec_with_worker: Callable[[str], str],
) -> None:
    zone = new_zone("signed")
    host = enable_dnssec_with_worker(zone)
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)
    AcceptedDomain.objects.filter(name=zone).update(next_check_at=timezone.now())
    for _ in range(3000):  # a burst of commands queued ahead: ~30 s of wake-ups to work off
        process_operations.apply_async()

    try:
        sweep_due_checks.delay()
        deadline = time.monotonic() + 15  # the checks' own queue: not behind the burst
        while not CheckRun.objects.filter(domain__name=zone, trigger="schedule").exists():
            assert time.monotonic() < deadline, "no scheduled run was stored"
            time.sleep(0.2)
    finally:
        app.control.purge()
    assert AcceptedDomain.objects.get(name=zone).dnssec_state == "enabled"
    assert api.get(f"/api/v1/domains/{zone}/dnssec/").json()["MxValidation"]["Status"] == "Passed"


@pytest.fixture
def enable_dnssec_with_worker(
    api: APIClient, tenant: Tenant, partition: Any
) -> Callable[[str], str]:
    """Enable DNSSEC for a new verified domain ``name`` and let the real worker carry it out."""
    from tests.checks_io.support import add_verified_domain

    def enable(name: str) -> str:
        add_verified_domain(tenant, name)
        assert api.post(enable_url(name, "dnssec")).status_code == 202
        deadline = time.monotonic() + 60
        while (domain := AcceptedDomain.objects.get(name=name)).dnssec_state != "pending_mx":
            assert time.monotonic() < deadline, domain.dnssec_state
            time.sleep(0.2)
        assert domain.dnssec_mx_value is not None
        return domain.dnssec_mx_value

    return enable


@pytest.mark.django_db(transaction=True)
def test_a_running_check_renews_its_short_lease_and_a_stopped_one_is_due_a_lease_later(
    tenant: Tenant, settings: SettingsWrapper
) -> None:
    """The worker's claim is a short lease kept alive while its checks run: nobody takes the
    domain over meanwhile, and once the heartbeat stops (here: the check gave up at its time
    limit and stored nothing, as a killed worker stores nothing) the domain is due again
    about one lease later, not after the sweep's claim."""
    lease = 0.9
    settings.DANE_CHECK_LEASE_SECONDS = lease
    settings.DANE_CHECK_TIMEOUT = 4 * lease
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:  # reads, never answers
        black_hole.bind(("127.0.0.1", 0))
        settings.DANE_RESOLVER = f"127.0.0.1:{black_hole.getsockname()[1]}"
        settings.DANE_DNS_TIMEOUT = 10 * lease
        name = make_verified_domain(tenant)
        AcceptedDomain.objects.filter(name=name).update(
            dnssec_state="pending_mx", next_check_at=timezone.now()
        )
        with transaction.atomic():
            claimed = checks.claim_due_domains(10)
        assert claimed == [AcceptedDomain.objects.get(name=name).pk]

        stored: list[int] = []

        def check() -> None:
            try:
                stored.append(checks.check_domains(claimed))
            finally:
                connection.close()

        worker = threading.Thread(target=check)
        started = time.monotonic()
        worker.start()
        time.sleep(2.5 * lease)  # the check runs for longer than two leases
        assert worker.is_alive()
        held_until = AcceptedDomain.objects.get(name=name).next_check_at
        assert held_until is not None
        assert held_until - timezone.now() <= timedelta(seconds=lease + 0.5)  # a short lease
        with transaction.atomic():
            assert checks.claim_due_domains(10) == []  # renewed: nobody takes it over
        worker.join(timeout=30)
        assert stored == [0]  # it gave up at the time limit: nothing stored
        gave_up = time.monotonic()
        assert gave_up - started >= 4 * lease

    while True:
        with transaction.atomic():
            if checks.claim_due_domains(10) == claimed:
                break
        assert time.monotonic() - gave_up < lease + 5, "the stopped check's lease did not end"
        time.sleep(0.05)
