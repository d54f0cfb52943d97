"""The API reads ``application/json`` in UTF-8 and nothing else, and a name is a JSON string."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from domains.models import AcceptedDomain, AuditEvent, Tenant

pytestmark = pytest.mark.django_db

BODY = '{"name": "contoso.example"}'


@pytest.mark.parametrize(
    "content_type",
    [
        "*/*",
        "application/*",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "text/json",
        "application/json-seq",
        "",
    ],
)
def test_a_body_not_declared_as_utf8_json_is_a_415_and_changes_nothing(
    api: APIClient, tenant: Tenant, content_type: str
) -> None:
    audit_before = AuditEvent.objects.count()
    response = api.generic("POST", "/api/v1/domains/", BODY, content_type=content_type)
    assert response.status_code == 415, response.content
    assert response.json()["code"] == "unsupported_media_type"
    assert not AcceptedDomain.objects.filter(tenant=tenant, name="contoso.example").exists()
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"],
)
def test_utf8_json_is_read(api: APIClient, content_type: str) -> None:
    response = api.generic("POST", "/api/v1/domains/", BODY, content_type=content_type)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("name", [42, 4.2, True, {"a": "b"}])
def test_a_name_that_is_not_a_json_string_is_refused_as_such(api: APIClient, name: object) -> None:
    response = api.post("/api/v1/domains/", {"name": name}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidRequest"
    assert body["errors"]["name"] == ["Not a valid string."]
