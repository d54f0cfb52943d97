"""A backlog larger than one claim is drained by one call, claim after claim, and each full
claim wakes another worker process to share it."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains import operations
from domains.models import Operation, Tenant
from tests.support import enable_url, make_verified_domain

pytestmark = [pytest.mark.django_db]


def test_a_backlog_is_drained_claim_after_claim(
    api: APIClient, tenant: Tenant, partition: Partition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "CLAIM_LIMIT", 2)
    claims: list[int] = []
    claim = operations.claim_due_operations

    def counted_claim() -> list[Operation]:
        claimed = claim(2)
        claims.append(len(claimed))
        return claimed

    wakeups: list[str] = []

    def sent(task: str, **options: Any) -> None:
        wakeups.append(task)

    monkeypatch.setattr(operations, "claim_due_operations", counted_claim)
    monkeypatch.setattr(operations, "enqueue", sent)  # the wake-up of another worker process
    names = [make_verified_domain(tenant) for _ in range(5)]
    ids = [api.post(enable_url(name, "dnssec")).json()["id"] for name in names]

    assert operations.process_due_operations() == 5
    assert claims == [2, 2, 1]  # the last claim was not full: nothing more was due
    assert wakeups == [operations.PROCESS_OPERATIONS] * 2  # one per full claim
    states = set(Operation.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states == {"succeeded"}
