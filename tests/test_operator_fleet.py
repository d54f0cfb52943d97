"""The operators' pages and actions without a browser: the operations queue's filters, an
operation's steps and attempts, re-running a failed operation and repairing a partition's
drift now (UI and operator API, audited, refused to members), the domain search and its
read-only domain page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains import services
from domains.audit import Actor
from domains.choices import AuditAction, DnssecState, ErrorCode, OperationKind, OperationState
from domains.models import AcceptedDomain, AuditEvent, Operation, Tenant
from tests.factories import DomainFactory, OperationFactory, PartitionFactory
from tests.support import make_operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(make_operator()[0])
    return client


def failed_operation(tenant: Tenant) -> Operation:
    domain = DomainFactory.create(tenant=tenant, verified=True, dnssec_state=DnssecState.FAILED)
    return OperationFactory.create(
        domain=domain,
        state=OperationState.FAILED,
        error_code=ErrorCode.DNSSEC_OPERATION_FAILED,
        error_detail="Knot refused the update",
        steps=["placed", "pushed"],
        attempts=3,
    )


def test_the_queue_filters_by_state_kind_error_code_and_tenant(
    operator_client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    failed = failed_operation(tenant)
    pending = OperationFactory.create(domain__tenant=tenant)
    theirs = failed_operation(other_tenant)
    url = reverse("ui:operator_operations")

    def shown(**query: str) -> set[str]:
        page = operator_client.get(url, query)
        assert page.status_code == 200
        ids = {str(op.id) for op in (failed, pending, theirs)}
        return {op_id for op_id in ids if f'data-operation="{op_id}"' in page.content.decode()}

    assert shown() == {str(failed.id), str(pending.id), str(theirs.id)}
    assert shown(state="failed") == {str(failed.id), str(theirs.id)}
    assert shown(state="failed", tenant=tenant.slug) == {str(failed.id)}
    assert shown(error_code=ErrorCode.DNSSEC_OPERATION_FAILED) == {str(failed.id), str(theirs.id)}
    assert shown(kind=OperationKind.DISABLE_DANE) == set()
    assert shown(state="no-such-state") == {str(failed.id), str(pending.id), str(theirs.id)}


def test_an_operation_page_shows_steps_attempts_and_reruns_a_failed_one(
    operator_client: Client, tenant: Tenant
) -> None:
    failed = failed_operation(tenant)
    page = operator_client.get(reverse("ui:operator_operation", args=[failed.id]))
    content = page.content.decode()
    assert "<code>placed</code>" in content
    assert "<code>pushed</code>" in content
    assert "data-attempts>3" in content
    assert "Run this command again" in content
    assert operator_client.get(reverse("ui:operator_operation", args=["nope"])).status_code == 404

    rerun = operator_client.post(reverse("ui:operator_rerun", args=[failed.id]))
    new = Operation.objects.exclude(pk=failed.pk).get(domain=failed.domain)
    assert rerun.headers["Location"] == reverse("ui:operator_operation", args=[new.id])
    assert (new.kind, new.state, new.actor) == (failed.kind, "pending", new.actor)
    assert new.actor.startswith("operator:")
    event = AuditEvent.objects.get(action=AuditAction.OPERATION_RERUN)
    assert (event.target_id, event.data["rerun_as"], event.tenant) == (
        str(failed.id),
        str(new.id),
        tenant,
    )

    # The new one is pending, not failed: running it "again" is refused and changes nothing.
    operator_client.post(reverse("ui:operator_rerun", args=[new.id]))
    assert Operation.objects.filter(domain=failed.domain).count() == 2


def test_the_operator_api_reruns_and_repairs_drift_for_operators_only(
    tenant: Tenant,
) -> None:
    failed = failed_operation(tenant)
    partition = PartitionFactory.create()
    membership, _ = services.provision_member(tenant, "admin-x", role="admin", actor=Actor.cli())
    rerun_url = f"/api/v1/operator/operations/{failed.id}/rerun/"
    repair_url = f"/api/v1/operator/partitions/{partition.pk}/repair-drift/"

    member = APIClient()
    member.force_login(membership.user)
    assert member.post(rerun_url).status_code == 403
    assert member.post(repair_url).status_code == 403
    assert APIClient().post(repair_url).status_code == 403

    operator = APIClient()
    operator.force_login(make_operator()[0])
    answer = operator.post(rerun_url)
    assert answer.status_code == 202
    assert answer.headers["Location"] == f"/api/v1/operations/{answer.json()['id']}"
    again = operator.post(rerun_url)  # the failed one is still failed: the same new operation
    assert again.json()["id"] == answer.json()["id"]
    not_failed = operator.post(f"/api/v1/operator/operations/{answer.json()['id']}/rerun/")
    assert (not_failed.status_code, not_failed.json()["code"]) == (409, "OperationNotFailed")
    unknown = operator.post("/api/v1/operator/operations/nope/rerun/")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "OperationNotKnown")

    queued = operator.post(repair_url)
    assert queued.status_code == 202
    assert queued.json() == {"partition": partition.pk, "zone": partition.zone, "queued": True}
    event = AuditEvent.objects.get(action=AuditAction.PARTITION_DRIFT_REPAIR_REQUESTED)
    assert (event.target_id, event.tenant) == (partition.zone, None)
    assert event.actor.startswith("operator:")
    missing = operator.post("/api/v1/operator/partitions/999999/repair-drift/")
    assert (missing.status_code, missing.json()["code"]) == (404, "PartitionNotKnown")


def test_the_partitions_page_queues_a_drift_repair(operator_client: Client) -> None:
    partition = Partition.objects.create(label="unprovisioned", zone="unprovisioned.example")
    page = operator_client.get(reverse("ui:operator_partitions"))
    assert page.status_code == 200
    assert "Not provisioned" in page.content.decode()
    answer = operator_client.post(reverse("ui:operator_repair_drift", args=[partition.pk]))
    assert answer.headers["Location"] == reverse("ui:operator_partitions")
    assert AuditEvent.objects.filter(action=AuditAction.PARTITION_DRIFT_REPAIR_REQUESTED).exists()


def test_the_domain_search_opens_a_read_only_domain_page(
    operator_client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = DomainFactory.create(tenant=tenant, verified=True, name="contoso-shop.example")
    DomainFactory.create(tenant=other_tenant, verified=True, name="contoso-mail.example")
    DomainFactory.create(tenant=other_tenant, verified=True, name="fabrikam.example")
    found = operator_client.get(reverse("ui:operator_domains"), {"q": "contoso"}).content.decode()
    assert "contoso-shop.example" in found
    assert "contoso-mail.example" in found
    assert "fabrikam.example" not in found

    url = reverse("ui:operator_domain", args=[mine.pk])
    page = operator_client.get(url)
    content = page.content.decode()
    assert page.status_code == 200
    assert "Read-only view" in content
    assert "Check again now" not in content
    assert "/run/enable-dnssec/" not in content  # the command buttons
    assert 'method="post"' not in content.split("<main")[-1].split("</main>")[0]
    before = AcceptedDomain.objects.get(pk=mine.pk).updated_at
    assert operator_client.post(url).status_code == 403
    assert AcceptedDomain.objects.get(pk=mine.pk).updated_at == before
    assert not tenant.memberships.exists()
