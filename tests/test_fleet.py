"""The fleet overview's aggregates (``domains.fleet``) against the rows they count: stuck
pending_mx domains, the sweep's lag, operations in flight, retrying and failed, operations
per hour, outbound verdicts."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from domains import fleet
from domains.models import DaneValidation, Operation, Tenant
from tests.factories import DomainFactory, OperationFactory

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


def test_operations_in_flight_retrying_failed_and_per_hour(tenant: Tenant) -> None:
    now = timezone.now()
    OperationFactory(domain__tenant=tenant)  # pending, first attempt
    OperationFactory(domain__tenant=tenant, state="running", attempts=1)
    OperationFactory(domain__tenant=tenant, attempts=3, kind="Enable-SmtpDaneInbound")
    failed = OperationFactory(
        domain__tenant=tenant, state="failed", error_code="DnssecOperationFailed"
    )
    long_ago = cast(Operation, OperationFactory(domain__tenant=tenant, state="succeeded"))
    Operation.objects.filter(pk=long_ago.pk).update(created_at=now - timedelta(days=3))

    summary = fleet.operations_summary(now)
    assert summary.in_flight == [
        ("pending", "Enable-DnssecForVerifiedDomain", 1),
        ("pending", "Enable-SmtpDaneInbound", 1),
        ("running", "Enable-DnssecForVerifiedDomain", 1),
    ]
    assert summary.retrying == [("Enable-SmtpDaneInbound", 1)]
    assert summary.last_day == [("failed", 1), ("pending", 2), ("running", 1)]
    assert summary.failed_codes == [(failed.kind, "DnssecOperationFailed", 1)]
    hours = fleet.operations_per_hour(now)
    assert len(hours) == fleet.OPERATION_HOURS
    assert hours[-1]["pending"] == 2
    assert hours[-1]["failed"] == 1
    assert sum(int(row["succeeded"]) for row in hours) == 0  # three days ago: not charted
    assert fleet.operations_in_flight() == summary.in_flight


def test_outbound_verdicts_of_the_last_thirty_days(tenant: Tenant) -> None:
    now = timezone.now()
    for verdict, age in (("pass", 1), ("pass", 2), ("tlsa-invalid", 3), ("pass", 40)):
        DaneValidation.objects.create(
            tenant=tenant,
            domain="x.example",
            verdict=verdict,
            disposition="delivered",
            result={},
            requested_by="cli",
            started_at=now - timedelta(days=age),
            finished_at=now - timedelta(days=age),
            duration_ms=1,
        )
    assert fleet.outbound_verdicts(now) == [("pass", 2), ("tlsa-invalid", 1)]
