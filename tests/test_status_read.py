"""The stored status read (``GET /api/v1/domains/{name}/dnssec/``): always the latest stored
run and the domain's current states (nothing of it is kept between requests but the compiled
statement), and another tenant's checked domain is a 404 like an unknown name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains.models import AcceptedDomain, Tenant
from tests.factories import CheckRunFactory

pytestmark = pytest.mark.django_db(transaction=True)


def status_url(name: str) -> str:
    return f"/api/v1/domains/{name}/dnssec/"


def test_the_next_read_shows_a_run_stored_and_a_state_moved_by_another_process(
    api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    first = CheckRunFactory.create(domain__tenant=tenant, domain__partition=partition)
    domain = first.domain
    before = api.get(status_url(domain.name)).json()
    assert before["CheckRun"]["Id"] == str(first.public_id)
    # The worker (another process, its own connection) stores a newer run and moves the state.
    worker = connections.create_connection("default")
    try:
        with worker.cursor() as cursor:
            cursor.execute(
                "INSERT INTO domains_checkrun (domain_id, public_id, trigger, started_at,"
                " finished_at, duration, dns_queries, overall_status, result)"
                " SELECT domain_id, gen_random_uuid(), 'schedule', %s, %s, duration,"
                " dns_queries, 'Failed', result FROM domains_checkrun WHERE id = %s"
                " RETURNING public_id",
                [first.started_at + timedelta(seconds=5), timezone.now(), first.pk],
            )
            stored = str(cursor.fetchone()[0])
            cursor.execute(
                "UPDATE domains_accepteddomain SET dnssec_state = 'disabled',"
                " partition_id = NULL, mx_token = NULL WHERE id = %s",
                [domain.pk],
            )
    finally:
        worker.close()
    after = api.get(status_url(domain.name)).json()
    assert after["CheckRun"]["Id"] == stored
    assert after["CheckRun"]["OverallStatus"] == "Failed"
    assert after["MigrationStep"] != before["MigrationStep"]
    assert (
        after["MigrationStep"] == api.get(status_url(domain.name.upper())).json()["MigrationStep"]
    )


def test_another_tenants_checked_domain_is_a_404_like_an_unknown_one(
    api: APIClient, other_tenant: Tenant
) -> None:
    theirs = CheckRunFactory.create(domain__tenant=other_tenant).domain.name
    assert AcceptedDomain.objects.get(name=theirs).tenant == other_tenant
    unknown = "nobody-has-this.example"
    answers = {name: api.get(status_url(name)) for name in (theirs, unknown)}
    assert [answer.status_code for answer in answers.values()] == [404, 404]
    assert answers[theirs].json()["code"] == "EG001"  # the cmdlet's "not in service"
    assert answers[theirs].content.decode().replace(theirs, unknown) == (
        answers[unknown].content.decode()
    )


def test_the_read_prepares_its_statement_again_on_a_new_connection(
    api: APIClient, tenant: Tenant
) -> None:
    name = CheckRunFactory.create(domain__tenant=tenant).domain.name
    first = api.get(status_url(name))
    connections["default"].close()  # e.g. replaced after a database restart
    again = api.get(status_url(name))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
