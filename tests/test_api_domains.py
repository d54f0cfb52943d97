"""The domains API as automation uses it: add, list, read, delete, and bad requests."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from domains.models import AcceptedDomain, AuditEvent, Tenant

pytestmark = pytest.mark.django_db


def test_tenant_starts_with_its_verified_initial_domain(api: APIClient, tenant: Tenant) -> None:
    response = api.get("/api/v1/domains/")
    assert response.status_code == 200
    [initial] = response.json()["results"]
    assert initial["name"] == f"{tenant.slug}.onprovider.test"
    assert initial["is_initial"] is True
    assert initial["verified"] is True


def test_add_domain_returns_the_txt_record_to_publish(api: APIClient, tenant: Tenant) -> None:
    response = api.post("/api/v1/domains/", {"name": "Bücher.Example."}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "xn--bcher-kva.example"
    assert body["display_name"] == "bücher.example"
    assert body["verified"] is False
    assert body["verification_record_name"] == "xn--bcher-kva.example"
    assert body["verification_record"].startswith("dane-admin-verification=")
    stored = AcceptedDomain.objects.get(tenant=tenant, name="xn--bcher-kva.example")
    assert body["verification_record"] == f"dane-admin-verification={stored.verification_token}"


def test_domain_can_be_read_by_u_label_or_a_label(api: APIClient) -> None:
    api.post("/api/v1/domains/", {"name": "bücher.example"}, format="json")
    for name in ("bücher.example", "xn--bcher-kva.example", "XN--BCHER-KVA.EXAMPLE"):
        response = api.get(f"/api/v1/domains/{name}/")
        assert response.status_code == 200, name
        assert response.json()["name"] == "xn--bcher-kva.example"
        assert response["ETag"] == '"1"'


def test_adding_the_same_domain_twice_is_a_conflict(api: APIClient, tenant: Tenant) -> None:
    assert (
        api.post("/api/v1/domains/", {"name": "contoso.example"}, format="json").status_code == 201
    )
    response = api.post("/api/v1/domains/", {"name": "CONTOSO.example."}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "DomainAlreadyExists"
    assert AcceptedDomain.objects.filter(tenant=tenant, name="contoso.example").count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "x.onprovider.test",
        "a.o-v1.mx.provider.test",
        "mx.provider.test",
        "contoso-com.mail.protection.provider.test",
    ],
)
def test_provider_namespaces_cannot_be_added(api: APIClient, name: str) -> None:
    response = api.post("/api/v1/domains/", {"name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "DomainReserved"
    assert not AcceptedDomain.objects.filter(name=name).exists()


def test_delete_domain(api: APIClient, tenant: Tenant) -> None:
    api.post("/api/v1/domains/", {"name": "contoso.example"}, format="json")
    assert api.delete("/api/v1/domains/contoso.example/").status_code == 204
    assert not AcceptedDomain.objects.filter(name="contoso.example").exists()
    assert api.get("/api/v1/domains/contoso.example/").status_code == 404


def test_delete_honours_if_match(api: APIClient) -> None:
    api.post("/api/v1/domains/", {"name": "contoso.example"}, format="json")
    stale = api.delete("/api/v1/domains/contoso.example/", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    assert stale.json()["code"] == "VersionConflict"
    assert AcceptedDomain.objects.filter(name="contoso.example").exists()
    etag = api.get("/api/v1/domains/contoso.example/")["ETag"]
    for malformed in ("7", '"seven"', '"1", "2"'):
        response = api.delete("/api/v1/domains/contoso.example/", HTTP_IF_MATCH=malformed)
        assert response.status_code == 400, malformed
    weak = api.delete("/api/v1/domains/contoso.example/", HTTP_IF_MATCH=f"W/{etag}")
    assert weak.status_code == 412  # If-Match compares strongly
    assert api.delete("/api/v1/domains/contoso.example/", HTTP_IF_MATCH=etag).status_code == 204


def test_initial_domain_cannot_be_deleted(api: APIClient, tenant: Tenant) -> None:
    initial = f"{tenant.slug}.onprovider.test"
    response = api.delete(f"/api/v1/domains/{initial}/")
    assert response.status_code == 409
    assert response.json()["code"] == "DomainNotDeletable"
    assert AcceptedDomain.objects.filter(name=initial).exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"name": "contoso.example"', "application/json", 400),  # truncated JSON
        ('["contoso.example"]', "application/json", 400),  # not an object
        ('"contoso.example"', "application/json", 400),
        ("null", "application/json", 400),
        ('{"name": "contoso.example", "is_initial": true}', "application/json", 400),
        (
            '{"name": "contoso.example", "verified_at": "2020-01-01T00:00:00Z"}',
            "application/json",
            400,
        ),
        ('{"name": 42}', "application/json", 400),
        ('{"name": null}', "application/json", 400),
        ('{"name": ["contoso.example"]}', "application/json", 400),
        ("{}", "application/json", 400),
        ("name=contoso.example", "application/x-www-form-urlencoded", 415),
        ("<name>contoso.example</name>", "application/xml", 415),
        ("\xff\xfe{", "application/json", 400),
    ],
)
def test_malformed_requests_change_nothing(
    api: APIClient, tenant: Tenant, body: str, content_type: str, status: int
) -> None:
    domains_before = AcceptedDomain.objects.count()
    audit_before = AuditEvent.objects.count()
    response = api.generic("POST", "/api/v1/domains/", body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response.json()["code"]
    assert response.json()["detail"]
    assert AcceptedDomain.objects.count() == domains_before
    assert AuditEvent.objects.count() == audit_before


def test_huge_body_is_refused_in_the_api_error_shape(api: APIClient) -> None:
    # A valid name, padded past the 256 KB limit: only the size can refuse it.
    body = json.dumps({"name": "contoso.example", "padding": "a" * (300 * 1024)})
    response = api.generic("POST", "/api/v1/domains/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "RequestTooLarge"
    assert AcceptedDomain.objects.filter(is_initial=False).count() == 0


def test_deeply_nested_json_is_a_400_not_a_crash(api: APIClient) -> None:
    body = "[" * 100_000  # under the size limit, too deep for the JSON decoder
    response = api.generic("POST", "/api/v1/domains/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested too deeply" in response.json()["detail"]
    assert AcceptedDomain.objects.filter(is_initial=False).count() == 0


@pytest.mark.parametrize(
    "header", [None, "Api-Key nope.nope", "Api-Key ", "Bearer abc", "Api-Key " + "x" * 5000]
)
def test_requests_without_a_valid_key_are_401(header: str | None) -> None:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/domains/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_revoked_key_no_longer_works(tenant: Tenant) -> None:
    from domains import services
    from domains.audit import Actor
    from domains.models import TenantAPIKey

    _, raw_key = services.create_api_key(tenant, name="short-lived", actor=Actor.cli())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/v1/domains/").status_code == 200
    services.revoke_api_key(
        TenantAPIKey.objects.get(prefix=raw_key.split(".")[0]), actor=Actor.cli()
    )
    assert client.get("/api/v1/domains/").status_code == 401


@pytest.mark.parametrize(
    "display_name", ["contoso.example", "p\u0430ypal.example", "bücher.example"]
)
def test_the_lean_domain_representation_is_what_drf_renders(
    tenant: Tenant, display_name: str
) -> None:
    from django.utils import timezone
    from rest_framework import serializers

    from domains.api.serializers import DomainSerializer
    from domains.names import parse_domain_name

    name = parse_domain_name(display_name).alabel
    for verified_at in (None, timezone.now()):
        domain = AcceptedDomain.objects.create(
            tenant=tenant, name=name, display_name=display_name, verified_at=verified_at
        )
        serializer = DomainSerializer()
        drf = serializers.ModelSerializer.to_representation(serializer, domain)
        lean = serializer.to_representation(domain)
        assert json.dumps(lean) == json.dumps(drf)  # the same fields, in the same order
        domain.delete()
