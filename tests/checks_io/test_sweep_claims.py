"""A queued chunk's claim: when it waits longer than the claim, is lost, or is delivered twice,
its domains are claimed again into another chunk, and exactly one of the chunks checks them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from domains import checks
from domains.models import AcceptedDomain, CheckRun, Partition, Tenant
from domains.tasks import check_domains, sweep_due_checks
from tests.support import make_verified_domain
from tests.worker import WorkerProcess

pytestmark = pytest.mark.dns


def due_domain(tenant: Tenant, partition: Partition) -> AcceptedDomain:
    """A verified domain in ``pending_mx`` (its MX host allocated, nothing published: its
    checks fail, and are stored) whose check is due now."""
    name = make_verified_domain(tenant)
    AcceptedDomain.objects.filter(name=name).update(
        dnssec_state="pending_mx",
        partition=partition,
        mx_token=f"m{name[1:11]}",
        next_check_at=timezone.now(),
    )
    return AcceptedDomain.objects.get(name=name)


def dispatched(capture: Callable[..., Any]) -> list[tuple[list[int], str]]:
    """The chunks (ids, claim time) one sweep enqueues, without sending them."""
    with capture() as callbacks:
        checks.dispatch_due_checks()
    assert {callback.args[0] for callback in callbacks} <= {checks.CHECK_DOMAINS}
    return [(callback.args[1], callback.args[2]) for callback in callbacks]


def let_claim_run_out(domain: AcceptedDomain) -> None:
    """The clock moves past the sweep's claim while the chunk still waits in the queue."""
    held = AcceptedDomain.objects.get(pk=domain.pk).next_check_at
    assert held is not None
    assert held - timezone.now() > checks.CLAIM_LEASE - timedelta(seconds=10)  # claimed
    AcceptedDomain.objects.filter(pk=domain.pk).update(next_check_at=held - checks.CLAIM_LEASE)


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["late chunk", "re-dispatched chunk"])
def test_a_chunk_that_waited_past_its_claim_is_checked_once(
    tenant: Tenant,
    partition: Partition,
    django_capture_on_commit_callbacks: Callable[..., Any],
    first: str,
) -> None:
    domain = due_domain(tenant, partition)
    [late] = dispatched(django_capture_on_commit_callbacks)
    assert late[0] == [domain.pk]
    assert dispatched(django_capture_on_commit_callbacks) == []  # claimed: not due

    let_claim_run_out(domain)
    [again] = dispatched(django_capture_on_commit_callbacks)  # not left unchecked
    assert again[0] == [domain.pk]
    assert again[1] > late[1]

    order = [late, again] if first == "late chunk" else [again, late]
    stored = [check_domains(ids, claimed_at) for ids, claimed_at in order]

    assert stored == [1, 0]  # whichever starts first checks it; the other skips it
    assert CheckRun.objects.filter(domain=domain).count() == 1
    after = AcceptedDomain.objects.get(pk=domain.pk)
    assert after.next_check_at is not None
    assert after.next_check_at - timezone.now() > timedelta(seconds=0.8 * 300)  # scheduled


@pytest.mark.django_db
def test_a_copy_of_a_running_chunk_takes_nothing(
    tenant: Tenant, partition: Partition, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """A message redelivered while its first delivery still runs (acks_late, Redis's
    visibility timeout) leaves the domains and their lease to the first."""
    domain = due_domain(tenant, partition)
    [(ids, claimed_at)] = dispatched(django_capture_on_commit_callbacks)
    claim = datetime.fromisoformat(claimed_at)

    taken, lease = checks.take_check_claims(ids, claim)
    again, _ = checks.take_check_claims(ids, claim)

    assert (taken, again) == ([domain.pk], [])
    assert AcceptedDomain.objects.get(pk=domain.pk).next_check_at == lease


@pytest.mark.django_db(transaction=True)
def test_the_worker_redispatches_a_lost_chunk_and_skips_its_late_copy(
    worker: WorkerProcess, tenant: Tenant, partition: Partition
) -> None:
    """The real worker: a chunk whose message was lost comes back once its claim runs out and
    is checked; when the lost message turns up after all, the worker checks nothing twice."""
    lost = due_domain(tenant, partition)
    with transaction.atomic():
        claimed_at = timezone.now()
        assert checks.claim_due_domains(10) == [lost.pk]  # its message never reaches a worker
    let_claim_run_out(lost)

    sweep_due_checks.delay()  # the beat's sweep (every 15 s), sent now
    deadline = time.monotonic() + 60
    while not CheckRun.objects.filter(domain=lost).exists():
        assert time.monotonic() < deadline, "the lost chunk's domain was not checked"
        time.sleep(0.2)

    check_domains.delay([lost.pk], claimed_at.isoformat())  # the lost message, late
    marker = due_domain(tenant, partition)  # checked after it on the same queue (one solo worker)
    sweep_due_checks.delay()
    while not CheckRun.objects.filter(domain=marker).exists():
        assert time.monotonic() < deadline, "the worker did not get to the marker"
        time.sleep(0.2)
    assert CheckRun.objects.filter(domain=lost).count() == 1
