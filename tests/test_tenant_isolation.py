"""Another tenant's domain is indistinguishable from a domain that does not exist (404)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from domains.models import AcceptedDomain, AuditEvent, Tenant

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/domains/{name}/"),
    ("delete", "/api/v1/domains/{name}/"),
    ("post", "/api/v1/domains/{name}/verify/"),
]


@pytest.fixture
def others_domain(other_api: APIClient) -> str:
    response = other_api.post("/api/v1/domains/", {"name": "fabrikam.example"}, format="json")
    assert response.status_code == 201
    return "fabrikam.example"


def test_list_shows_only_own_domains(
    api: APIClient, tenant: Tenant, other_tenant: Tenant, others_domain: str
) -> None:
    names = [d["name"] for d in api.get("/api/v1/domains/").json()["results"]]
    assert names == [f"{tenant.slug}.onprovider.test"]
    assert others_domain not in names
    assert f"{other_tenant.slug}.onprovider.test" not in names


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_others_domain_is_404_exactly_like_an_unknown_one(
    api: APIClient, others_domain: str, method: str, path: str
) -> None:
    audit_before = AuditEvent.objects.count()
    theirs = getattr(api, method)(path.format(name=others_domain))
    unknown = getattr(api, method)(path.format(name="nobody-has-this.example"))
    assert theirs.status_code == 404
    assert unknown.status_code == 404
    assert theirs.json()["code"] == unknown.json()["code"] == "DomainNotFound"
    assert AcceptedDomain.objects.get(name=others_domain).verified_at is None
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_others_initial_domain_is_404(
    api: APIClient, other_tenant: Tenant, method: str, path: str
) -> None:
    response = getattr(api, method)(path.format(name=f"{other_tenant.slug}.onprovider.test"))
    assert response.status_code == 404
    assert AcceptedDomain.objects.filter(tenant=other_tenant, is_initial=True).exists()


def test_the_same_name_can_be_pending_in_two_tenants(
    api: APIClient, tenant: Tenant, others_domain: str
) -> None:
    """Adding a name pending elsewhere neither fails nor reveals the other tenant."""
    response = api.post("/api/v1/domains/", {"name": others_domain}, format="json")
    assert response.status_code == 201
    assert AcceptedDomain.objects.filter(name=others_domain).count() == 2
    mine = AcceptedDomain.objects.get(name=others_domain, tenant=tenant)
    theirs = AcceptedDomain.objects.exclude(tenant=tenant).get(name=others_domain)
    assert mine.verification_token != theirs.verification_token
