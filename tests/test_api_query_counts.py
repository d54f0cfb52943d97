"""The SQL statements each API endpoint issues: a small constant, whatever the data.

The figures are what ``bench/serving.py`` reports (docs/architecture.md lists them); a change
that adds a statement to a hot path has to change them here, on purpose.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains.models import AcceptedDomain, Operation, Tenant
from tests.factories import CheckRunFactory, DomainFactory
from tests.support import enable_url, make_verified_domain, register_inbound_key

pytestmark = pytest.mark.django_db

#: Authentication: the key and its tenant, in one query, on the key's first request in the
#: process; none while the process trusts it (DANE_API_KEY_CACHE_SECONDS, tests/test_api_keys.py).
AUTH = 1
AUTH_CACHED = 0


def test_the_stored_status_read_issues_one_statement(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    run = CheckRunFactory.create(
        domain__tenant=tenant, domain__partition=partition, domain__mx_token="m1"
    )
    with django_assert_num_queries(AUTH + 1):  # the latest run with its domain and partition
        first = api.get(f"/api/v1/domains/{run.domain.name}/dnssec/")
    assert first.status_code == 200, first.content
    assert first.json()["CheckRun"]["Id"] == str(run.public_id)
    assert first.json()["MigrationStep"] is not None
    with django_assert_num_queries(AUTH_CACHED + 1):
        again = api.get(f"/api/v1/domains/{run.domain.name}/dnssec/")
    assert again.json() == first.json()


@pytest.mark.parametrize("page", [5, 50])
def test_a_page_of_the_domain_list_costs_the_same_whatever_its_size(
    api: APIClient, tenant: Tenant, page: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    DomainFactory.create_batch(page, tenant=tenant, verified=True)
    # The first read allocates the page's TLS-RPT endpoints: one INSERT and one SELECT, for
    # the whole page.
    with django_assert_num_queries(AUTH + 2 + 2):
        first = api.get(f"/api/v1/domains/?limit={page}")
    with django_assert_num_queries(AUTH_CACHED + 2):  # the count, the page with its endpoints
        again = api.get(f"/api/v1/domains/?limit={page}")
    assert first.json() == again.json()
    rows = again.json()["results"]
    assert len(rows) == page
    assert len({row["tlsrpt_record"] for row in rows}) == page  # each its own endpoint


def finish(name: str, **states: str) -> None:
    """What the worker does when it carries out the domain's operation: set its states."""
    Operation.objects.filter(domain_name=name).update(state="succeeded", finished_at=timezone.now())
    AcceptedDomain.objects.filter(name=name).update(**states)


def test_each_command_issues_a_constant_few_statements(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    register_inbound_key("current")
    name = make_verified_domain(tenant)
    # Every command, in a transaction (2 statements, savepoints here): the domain locked, the
    # desired RRsets, the state (one conditional UPDATE, with the migration step), the
    # operation and its audit events (one INSERT). A domain in no working state has no
    # operation in flight to look for. (The key is looked up on the first command only: AUTH,
    # then AUTH_CACHED.)
    command = 2 + 5
    # Enable-DnssecForVerifiedDomain also chooses a partition with room and (last) takes its
    # place there; the domain's placement (its MX token tried unchecked: the unique
    # constraint stands guard) goes in the state's UPDATE, and its step (3, being enabled)
    # needs no check run.
    with django_assert_num_queries(AUTH + command + 2):
        assert api.post(enable_url(name, "dnssec")).status_code == 202
    finish(name, dnssec_state="enabled")
    # The other commands read the domain's partition, and the latest check run for the step;
    # Enable-SmtpDaneInbound also the inbound keys and their TLSA records.
    with django_assert_num_queries(AUTH_CACHED + command + 2 + 2):
        assert api.post(enable_url(name, "smtp-dane-inbound")).status_code == 202
    finish(name, dane_state="enabled")
    with django_assert_num_queries(AUTH_CACHED + command + 2):
        assert api.post(enable_url(name, "smtp-dane-inbound", "disable")).status_code == 202
    finish(name, dane_state="disabled")
    # Disable-DnssecForVerifiedDomain also moves SMTP DANE's state (already off: no UPDATE);
    # its step (3, being disabled) needs no check run.
    with django_assert_num_queries(AUTH_CACHED + command + 1):
        assert api.post(enable_url(name, "dnssec", "disable")).status_code == 202
