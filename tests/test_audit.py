"""Every state change leaves one audit event, written with the change; failures leave none."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.models import AuditEvent, Tenant

pytestmark = pytest.mark.django_db


def actions(tenant: Tenant) -> list[str]:
    return list(
        AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list("action", flat=True)
    )


def test_the_trail_of_a_tenant_and_its_domains(api: APIClient, tenant: Tenant) -> None:
    api.post("/api/v1/domains/", {"name": "contoso.example"}, format="json")
    api.post("/api/v1/domains/", {"name": "contoso.example"}, format="json")  # refused
    api.post("/api/v1/domains/", {"name": "not a name"}, format="json")  # refused
    api.delete("/api/v1/domains/contoso.example/")
    api.delete(f"/api/v1/domains/{tenant.slug}.onprovider.test/")  # refused

    assert actions(tenant) == [
        "tenant.created",
        "api_key.created",
        "domain.added",
        "domain.deleted",
    ]
    added, deleted = AuditEvent.objects.filter(
        tenant=tenant, action__in=["domain.added", "domain.deleted"]
    ).order_by("id")
    assert added.target_id == deleted.target_id == "contoso.example"
    assert added.actor == deleted.actor
    assert added.actor.startswith("api-key:")
    created = AuditEvent.objects.get(tenant=tenant, action="tenant.created")
    assert created.actor == "cli"
    assert created.data["initial_domain"] == f"{tenant.slug}.onprovider.test"


def test_audit_events_are_append_only(tenant: Tenant) -> None:
    event = AuditEvent.objects.filter(tenant=tenant).first()
    assert event is not None
    event.actor = "someone else"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_audit_events_are_only_written_inside_the_change_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_audit_event(
            AuditAction.DOMAIN_ADDED,
            actor=Actor.cli(),
            tenant=None,
            target_type="domain",
            target_id="x.example",
        )
    assert not AuditEvent.objects.filter(target_id="x.example").exists()


def test_revoking_a_key_twice_audits_once(tenant: Tenant) -> None:
    key, _ = services.create_api_key(tenant, name="k", actor=Actor.cli())
    services.revoke_api_key(key, actor=Actor.cli())
    services.revoke_api_key(key, actor=Actor.cli())
    assert actions(tenant).count("api_key.revoked") == 1
