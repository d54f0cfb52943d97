"""The report pages read a bounded number of rows: their SQL queries do not grow with the
number of check runs, operations or audit events (no browser: the count is what matters)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, CheckRun, Tenant
from tests.checks_io.support import add_verified_domain

pytestmark = pytest.mark.django_db

RESULT = {
    "Domain": "q.example",
    "DnssecFeatureStatus": "pending_mx",
    "DomainValidation": {"Status": "Passed", "Findings": []},
    "MxValidation": {"Status": "Failed", "Findings": [{"code": "EX007", "severity": "error"}]},
}


def add_runs(domain: AcceptedDomain, count: int) -> None:
    """``count`` stored check runs of ``domain``, a minute apart."""
    start = timezone.now() - timedelta(days=1)
    CheckRun.objects.bulk_create(
        CheckRun(
            domain=domain,
            trigger=CheckRun.Trigger.SCHEDULE,
            started_at=start + timedelta(minutes=i),
            finished_at=start + timedelta(minutes=i),
            duration=timedelta(0),
            overall_status="Failed",
            result=RESULT,
        )
        for i in range(count)
    )


def queries_of(client: Client, url: str) -> int:
    """How many SQL queries answering ``url`` took (it must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_report_pages_take_the_same_queries_whatever_the_history(tenant: Tenant) -> None:
    membership, _ = services.provision_member(tenant, "alice", role="viewer", actor=Actor.cli())
    client = Client()
    client.force_login(membership.user)
    domain = add_verified_domain(tenant, "q.example")
    pages = [
        f"/t/{tenant.slug}/domains/q.example/status/",
        f"/t/{tenant.slug}/domains/q.example/history/",
        f"/t/{tenant.slug}/operations/",
        f"/t/{tenant.slug}/audit/",
        f"/t/{tenant.slug}/settings/",
    ]
    add_runs(domain, 3)
    client.get(pages[0])  # the first page of a tenant writes the chosen tenant to the session
    few = [queries_of(client, url) for url in pages]

    add_runs(domain, 200)
    for i in range(100):
        services.add_domain(tenant, f"d{i}.example", actor=Actor("user:alice"))

    assert [queries_of(client, url) for url in pages] == few
    assert max(few) <= 15, few
