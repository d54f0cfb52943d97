"""The fleet overview's aggregates (``domains.fleet``) against the rows and events they count:
stuck pending_mx domains, the sweep's lag, operations in flight and retrying, operations
requested and failed per hour (the rollup the worker keeps), outbound
verdicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from domains import commands, fleet, operations, rollups
from domains.audit import Actor
from domains.models import ActivityHourly, Operation, Tenant
from tests.factories import DomainFactory, OperationFactory
from tests.support import make_verified_domain

pytestmark = pytest.mark.django_db


def test_stuck_pending_mx_domains_and_the_sweep_lag(
    tenant: Tenant, settings: SettingsWrapper
) -> None:
    settings.DANE_STUCK_PENDING_MX_DAYS = 7
    now = timezone.now()
    old = DomainFactory(
        tenant=tenant,
        pending_mx=True,
        dnssec_state_since=now - timedelta(days=10),
        last_check_codes="EX007 ET001",
        next_check_at=now - timedelta(minutes=5),
    )
    DomainFactory(tenant=tenant, pending_mx=True, dnssec_state_since=now - timedelta(days=2))
    DomainFactory(tenant=tenant, verified=True, next_check_at=now - timedelta(hours=1))  # unchecked

    count, stuck = fleet.stuck_pending_mx(now)
    assert count == 1
    assert [(s.name, s.tenant, s.codes) for s in stuck] == [(old.name, tenant.slug, "EX007 ET001")]
    lag = fleet.sweep_lag(now)
    assert lag.overdue == 1  # the disabled domain is not checked, so never overdue
    assert lag.seconds == pytest.approx(300, abs=1)


def test_operations_in_flight_retrying_and_the_hourly_rollup(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    later = timezone.now() + timedelta(hours=1)  # not due: no claim below takes them
    OperationFactory(domain__tenant=tenant, next_attempt_at=later)  # pending, first attempt
    OperationFactory(domain__tenant=tenant, state="running", attempts=1)
    OperationFactory(
        domain__tenant=tenant, attempts=3, kind="Enable-SmtpDaneInbound", next_attempt_at=later
    )
    failing = cast(
        Operation,
        OperationFactory(domain__tenant=tenant, state="running", kind="Enable-SmtpDaneInbound"),
    )
    names = [make_verified_domain(tenant) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        for name in names:  # two requests, counted when a worker first claims them
            commands.enable_dnssec(tenant, name, actor=Actor.cli())
        operations.fail(failing, "refused", repair=False)
    assert fleet.operations_summary(timezone.now()).last_day[0] == ("operation.requested", 0)
    claimed = operations.claim_due_operations()
    assert sorted(op.domain_name for op in claimed) == sorted(names)
    # A worker that died on them: claimed again once their lease ran out, not counted again.
    Operation.objects.filter(pk__in=[op.pk for op in claimed]).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert len(operations.claim_due_operations()) == 2

    now = timezone.now()
    summary = fleet.operations_summary(now)
    assert summary.in_flight == [
        ("pending", "Enable-DnssecForVerifiedDomain", 1),
        ("pending", "Enable-SmtpDaneInbound", 1),
        ("running", "Enable-DnssecForVerifiedDomain", 3),
    ]
    assert summary.retrying == [("Enable-SmtpDaneInbound", 1)]
    assert summary.last_day == [
        ("operation.requested", 2),
        ("operation.succeeded", 0),
        ("operation.failed", 1),
    ]
    assert summary.failed_codes == [("Enable-SmtpDaneInbound", "DnssecOperationFailed", 1)]
    hours = fleet.operations_per_hour(now)
    assert len(hours) == fleet.OPERATION_HOURS
    assert hours[-1]["hour"] == now.replace(minute=0, second=0, microsecond=0)
    assert sum(row["operation.requested"] for row in hours) == 2
    assert sum(row["operation.failed"] for row in hours) == 1
    assert fleet.operations_in_flight() == summary.in_flight


def test_outbound_verdicts_of_the_last_thirty_days(django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        rollups.count_activity(
            (now - timedelta(days=age), ActivityHourly.Event.VALIDATION, verdict)
            for verdict, age in (("pass", 1), ("pass", 2), ("tlsa-invalid", 3), ("pass", 40))
        )
    assert fleet.outbound_verdicts(now) == [("pass", 2), ("tlsa-invalid", 1)]
