"""A viewer's signed-in session reads the tenant through the API but changes nothing: every
write answers 403 in the API's error shape, as the UI refuses it, and an admin's session and
an API key still write."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, AuditEvent

pytestmark = pytest.mark.django_db


def session_client(role: str) -> tuple[APIClient, str]:
    """An API client signed in as a ``role`` member of a new tenant with one domain."""
    tenant = services.create_tenant(f"t-{role}", name=role, actor=Actor.cli())
    name = services.add_domain(tenant, f"{role}.example.test", actor=Actor.cli()).name
    membership, _ = services.provision_member(tenant, f"{role}-1", role=role, actor=Actor.cli())
    client = APIClient()
    client.force_login(membership.user)
    return client, name


def test_a_viewer_session_reads_but_every_write_is_a_403() -> None:
    client, name = session_client("viewer")
    assert client.get("/api/v1/domains/").status_code == 200
    assert client.get(f"/api/v1/domains/{name}/").status_code == 200
    events = AuditEvent.objects.count()
    writes = [
        client.post("/api/v1/domains/", {"name": "other.example.test"}, format="json"),
        client.delete(f"/api/v1/domains/{name}/"),
        client.post(f"/api/v1/domains/{name}/dnssec/enable/"),
        client.post("/api/v1/webhooks/", {"url": "https://hooks.example.test/"}, format="json"),
        client.post("/api/v1/check-batches/", {"domains": "all"}, format="json"),
    ]
    for response in writes:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied", response.json()
        assert response.json()["detail"]
    assert AcceptedDomain.objects.filter(name=name).exists()
    assert AuditEvent.objects.count() == events  # nothing changed


def test_an_admin_session_still_writes() -> None:
    client, name = session_client("admin")
    response = client.delete(f"/api/v1/domains/{name}/")
    assert response.status_code in (200, 202, 204), response.content
    assert not AcceptedDomain.objects.filter(name=name).exists()
