"""The factories make what the service itself would: a key that authenticates, an operation
its tenant (only) can read, a domain in pending_mx that the next command takes from there."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dnsops.models import Partition, ZoneRRset
from dnsops.provisioning import detect_drift
from domains.models import AcceptedDomain
from domains.operations import process_due_operations
from tests.dnsnet import DnsTestNetwork
from tests.factories import CheckRunFactory, DomainFactory, OperationFactory, raw_api_key
from tests.support import enable_url

pytestmark = pytest.mark.django_db


def client_with(raw_key: str) -> APIClient:
    """An API client that sends ``raw_key``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_a_factory_key_reads_its_tenants_operation_only() -> None:
    operation = OperationFactory.create()
    own = client_with(raw_api_key(tenant=operation.tenant))
    other = client_with(raw_api_key())

    response = own.get(f"/api/v1/operations/{operation.id}/")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["domain"]) == (
        "pending",
        operation.domain_name,
    )
    assert other.get(f"/api/v1/operations/{operation.id}/").status_code == 404


def test_a_pending_mx_domain_is_disabled_from_there(
    partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    domain = DomainFactory.create(partition=partition, pending_mx=True, publish=True)
    assert ZoneRRset.objects.filter(partition=partition, name=domain.dnssec_mx_value).exists()
    assert not detect_drift(partition)  # the server holds what the database wants
    api = client_with(raw_api_key(tenant=domain.tenant))

    response = api.post(enable_url(domain.name, "dnssec", "disable"))
    assert response.status_code == 202, response.content
    process_due_operations()

    assert api.get(response["Location"]).json()["state"] == "succeeded"
    assert AcceptedDomain.objects.get(pk=domain.pk).dnssec_state == "disabled"
    assert not ZoneRRset.objects.filter(partition=partition).exists()
    assert not detect_drift(partition)


def test_a_check_run_belongs_to_a_placed_domain() -> None:
    run = CheckRunFactory.create()
    assert run.domain.dnssec_state == "pending_mx"
    assert run.domain.dnssec_mx_value is not None
    assert run.domain.check_runs.get() == run
