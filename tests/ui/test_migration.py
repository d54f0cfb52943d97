"""The migration step of SPEC §4 (``domains/migration.py``): findings → step, the API's
``MigrationStep``, and the domains table's constant number of SQL queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains import migration, services
from domains.audit import Actor
from domains.migration import RunEvidence, migration_step
from domains.models import AcceptedDomain, CheckRun, Tenant

HOST = "contoso-example.o-v1.mx.provider.test"


def step(dnssec: str = "pending_mx", dane: str = "disabled", **evidence: Any) -> Any:
    return migration_step(
        domain="contoso.example",
        verified=True,
        dnssec_state=dnssec,
        dane_state=dane,
        expected_host=None if dnssec == "disabled" else HOST,
        evidence=RunEvidence(**evidence) if evidence else None,
    )


@pytest.mark.parametrize(
    ("mx_code", "number", "words"),
    [
        ("EX007", 4, f"for {HOST} with preference 20"),
        ("EX002", 4, "preference 20"),
        ("EX012", 4, "preference 20"),
        ("EX006", 6, "the legacy MX to 30, " + HOST + " to 0"),
        ("EX009", 6, "to preference 0"),
        ("EX004", 6, "to preference 0"),
        ("EX003", 6, "to preference 0"),
        ("EX008", 6, "to preference 0"),
        ("EX005", 7, "raise its TTL to 3600"),
    ],
)
def test_mx_findings_map_to_their_step(mx_code: str, number: int, words: str) -> None:
    found = step(mx_status="Failed", mx_code=mx_code)
    assert (found.number, found.code) == (number, mx_code)
    assert words in found.action_text
    assert found.to_dict()["Of"] == 9


def test_record_to_publish_follows_the_step() -> None:
    assert step(mx_status="Failed", mx_code="EX007").record == {
        "Name": "contoso.example",
        "Type": "MX",
        "Preference": 20,
        "Value": f"{HOST}.",
        "Ttl": None,
    }
    assert step(mx_status="Failed", mx_code="EX005").record["Ttl"] == 3600


def test_mta_sts_enforce_without_the_host_names_a_pattern_that_matches() -> None:
    found = step(mx_status="Failed", mx_code="EX007", mta_sts_codes=("ES001",))
    assert (found.number, found.code) == (2, "ES001")
    assert '"mx: *.o-v1.mx.provider.test"' in found.action_text
    assert "*.mx.provider.test" not in found.action_text.replace("*.o-v1.mx.provider.test", "")


def test_states_before_and_after_the_mx_change() -> None:
    assert step(dnssec="disabled").number == 1
    assert step(dnssec="disabled", mx_status="Failed", mta_sts_mode="enforce").number == 2
    enabling = step(dnssec="enabling")
    assert (enabling.number, enabling.in_progress) == (3, True)
    assert step(mx_status="Passed").number == 8
    assert step(mx_status="Passed", mta_sts_codes=("ES011",)).number == 7
    done = step(dnssec="enabled", dane="enabled", mx_status="Passed")
    assert (done.number, done.done) == (9, True)
    unverified = migration_step(
        domain="contoso.example",
        verified=False,
        dnssec_state="disabled",
        dane_state="disabled",
        expected_host=None,
        evidence=None,
    )
    assert unverified is None


def stored_run(domain: AcceptedDomain, mx_code: str | None, started: Any = None) -> CheckRun:
    started = started or timezone.now()
    findings = [] if mx_code is None else [{"code": mx_code, "severity": "error"}]
    result = {
        "Domain": domain.name,
        "DnssecFeatureStatus": domain.dnssec_state,
        "ExpectedMxRecord": {"Value": domain.dnssec_mx_value, "Preference": 0},
        "MxValidation": {"Status": "Failed" if findings else "Passed", "Findings": findings},
        "MtaStsValidation": {"Status": "NotApplicable", "Findings": [], "Policy": None},
    }
    run = CheckRun.objects.create(
        domain=domain,
        trigger="schedule",
        started_at=started,
        finished_at=started,
        duration=timedelta(0),
        overall_status="Failed" if findings else "Passed",
        result=result,
    )
    migration.refresh_steps([domain.pk])  # as storing a run does (domains.checks)
    return run


def pending_domain(tenant: Tenant, partition: Partition, name: str) -> AcceptedDomain:
    domain = services.add_domain(tenant, name, actor=Actor.cli())
    AcceptedDomain.objects.filter(pk=domain.pk).update(
        verified_at=timezone.now(),
        dnssec_state="pending_mx",
        partition=partition,
        mx_token=name.replace(".", "-"),
    )
    domain.refresh_from_db()
    return domain


@pytest.mark.django_db
def test_api_status_document_has_the_migration_step(
    api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    domain = pending_domain(tenant, partition, "contoso.example")
    stored_run(domain, "EX005", timezone.now() - timedelta(minutes=5))
    stored_run(domain, "EX006")  # the latest counts

    body = api.get("/api/v1/domains/contoso.example/dnssec/").json()

    assert body["MigrationStep"] == {
        "Number": 6,
        "Of": 9,
        "Title": "Make the DNSSEC MX host the most preferred",
        "Action": (
            f"Once mail flows through {domain.dnssec_mx_value} (step 5), swap the preferences "
            f"at contoso.example: the legacy MX to 30, {domain.dnssec_mx_value} to 0."
        ),
        "Record": {
            "Name": "contoso.example",
            "Type": "MX",
            "Preference": 0,
            "Value": f"{domain.dnssec_mx_value}.",
            "Ttl": None,
        },
        "Code": "EX006",
        "InProgress": False,
        "Done": False,
    }
    services.add_domain(tenant, "fabrikam.example", actor=Actor.cli())
    unverified = api.get("/api/v1/domains/fabrikam.example/dnssec/").json()
    assert unverified["MigrationStep"] is None


@pytest.mark.django_db
def test_openapi_documents_migration_step(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    step_schema = schema["components"]["schemas"]["MigrationStep"]
    assert {"Number", "Of", "Title", "Action", "Record"} <= set(step_schema["properties"])


@pytest.mark.django_db
def test_domains_page_queries_do_not_grow_with_the_domains(
    tenant: Tenant, partition: Partition
) -> None:
    user, _ = services.provision_member(tenant, "alice", role="admin", actor=Actor.cli())
    client = Client()
    client.force_login(user.user)

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/t/{tenant.slug}/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    for index in range(3):
        stored_run(pending_domain(tenant, partition, f"a{index}.example"), "EX007")
    queries_for_page()  # the first request also updates the session
    few = queries_for_page()
    for index in range(60):
        stored_run(pending_domain(tenant, partition, f"b{index}.example"), "EX006")
    many = queries_for_page()
    assert many == few

    page = client.get(f"/t/{tenant.slug}/?step=6").content.decode()
    assert "60 accepted domains" in page
    assert "b0.example" in page
    assert "a0.example" not in page
    assert "Page 1 of 2" in page
    assert (
        "63 accepted domains" in client.get(f"/t/{tenant.slug}/?state=pending_mx").content.decode()
    )
    both = client.get(f"/t/{tenant.slug}/?state=pending_mx&step=4").content.decode()
    assert "3 accepted domains" in both
    assert "a2.example" in both
    assert "b0.example" not in both
