"""Operations never stay "running": a DNS driver that cannot be set up, and an operation whose
worker dies on it every time, both end (retried, then DnssecOperationFailed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains.models import AcceptedDomain, AuditEvent, Operation, Tenant
from domains.operations import process_due_operations
from tests.support import enable_url, make_verified_domain

pytestmark = [pytest.mark.django_db]


def test_an_unusable_dns_driver_retries_then_fails_the_operation(
    api: APIClient, tenant: Tenant, partition: Partition, settings: Settings
) -> None:
    settings.DANE_DNS_BACKEND = "no-such-driver"  # a typo in the deployment
    settings.DANE_OPERATION_MAX_ATTEMPTS = 2
    name = make_verified_domain(tenant)
    operation_id = api.post(enable_url(name, "dnssec")).json()["id"]

    process_due_operations()
    operation = Operation.objects.get(pk=operation_id)
    assert (operation.state, operation.attempts) == ("pending", 1)
    assert "not usable" in operation.error_detail
    assert "no-such-driver" not in operation.error_detail  # the type of error, not its text

    Operation.objects.filter(pk=operation_id).update(next_attempt_at=timezone.now())
    process_due_operations()
    operation.refresh_from_db()
    assert (operation.state, operation.error_code) == ("failed", "DnssecOperationFailed")
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "failed"


def test_an_operation_whose_worker_always_dies_ends_failed(
    api: APIClient, tenant: Tenant, partition: Partition, settings: Settings
) -> None:
    settings.DANE_OPERATION_MAX_ATTEMPTS = 3
    name = make_verified_domain(tenant)
    operation_id = api.post(enable_url(name, "dnssec")).json()["id"]
    expired = timezone.now() - timedelta(seconds=1)
    # Three workers took it in turn and died: running, its lease run out, attempts used up.
    Operation.objects.filter(pk=operation_id).update(
        state="running", attempts=3, lease_until=expired
    )

    process_due_operations()

    operation = Operation.objects.get(pk=operation_id)
    assert (operation.state, operation.error_code) == ("failed", "DnssecOperationFailed")
    assert "gave up after 3 attempts" in operation.error_detail
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "failed"
    assert AuditEvent.objects.filter(action="operation.failed", target_id=operation_id).exists()
