"""The domain lock a command takes: what it reads after waiting for another command."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from dnsops.models import Partition
from domains.commands import locked_domain
from domains.models import AcceptedDomain, Tenant
from tests.dblocks import wait_until_blocked_on_a_lock
from tests.support import make_verified_domain

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_command_that_waited_for_the_lock_sees_the_partition_assigned_meanwhile(
    tenant: Tenant, partition: Partition
) -> None:
    domain = AcceptedDomain.objects.get(name=make_verified_domain(tenant))
    seen: dict[str, str | None] = {}

    def second_command() -> None:
        try:
            with transaction.atomic():
                locked = locked_domain(tenant, domain.name)
                seen["host"] = locked.dnssec_mx_value if locked else "no domain"
        finally:
            connection.close()

    waiter = threading.Thread(target=second_command)
    with transaction.atomic():  # the first command holds the lock and assigns the partition
        locked_domain(tenant, domain.name)
        waiter.start()
        wait_until_blocked_on_a_lock()
        AcceptedDomain.objects.filter(pk=domain.pk).update(partition=partition, mx_token="tok")
    waiter.join(timeout=10)

    assert seen == {"host": f"tok.{partition.zone}"}
