"""Every answer under /api/ that is an error is JSON in one shape: ``{"code", "detail"}``,
whether the view, DRF or Django's URL resolver produced it."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from dane_admin.api.errors import server_error
from domains.models import Tenant

pytestmark = pytest.mark.django_db


def assert_error(response: object, status: int, code: str) -> str:
    """``status`` with a JSON body ``{"code": code, "detail": ...}``; the detail."""
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return str(body["detail"])


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/operations/{uuid.uuid4()}/",
        f"/api/v1/operations/{uuid.uuid4()}",
        f"/api/v1/dane-validations/{uuid.uuid4()}/",
        "/api/v1/operations/not-a-uuid/",
    ],
)
def test_an_unknown_id_is_a_404_that_names_no_model(api: APIClient, url: str) -> None:
    detail = assert_error(api.get(url), 404, "not_found")
    assert "Operation" not in detail
    assert "matches the given query" not in detail


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/operations/0.5/",
        "/api/v1/dane-validations/%C2%84/",
        "/api/v1/no-such-thing/",
        "/api/",
        "/api/v2/domains/",
        "/api/v1/domains/a.example/no-such-action/",
    ],
)
def test_a_path_the_api_does_not_have_is_a_json_404(api: APIClient, url: str) -> None:
    assert_error(api.get(url), 404, "not_found")


def test_an_unknown_api_path_is_json_even_without_credentials() -> None:
    assert_error(Client().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_a_path_outside_the_api_keeps_the_html_404() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_another_tenants_domain_and_an_unknown_one_answer_alike(
    api: APIClient, other_tenant: Tenant
) -> None:
    theirs = other_tenant.domains.get(is_initial=True).name
    first = api.get(f"/api/v1/domains/{theirs}/")
    second = api.get("/api/v1/domains/unknown.example/")
    assert_error(first, 404, "DomainNotFound")
    assert_error(second, 404, "DomainNotFound")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/domains/"),
        ("patch", "/api/v1/domains/a.example/"),
        ("get", "/api/v1/domains/a.example/verify/"),
        ("delete", "/api/v1/operations/{id}/"),
    ],
)
def test_a_method_the_resource_lacks_is_a_json_405(api: APIClient, method: str, url: str) -> None:
    response = getattr(api, method)(url.format(id=uuid.uuid4()))
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_an_accept_header_the_api_cannot_serve_is_a_json_406(api: APIClient) -> None:
    response = api.get("/api/v1/domains/", HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")


def test_a_body_that_is_not_json_is_a_json_415(api: APIClient) -> None:
    response = api.post("/api/v1/domains/", "name=a.example", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_no_credentials_is_a_json_401() -> None:
    response = APIClient().get("/api/v1/domains/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_host_django_refuses_is_a_json_400_under_the_api() -> None:
    response = Client(HTTP_HOST="evil.example").get("/api/v1/domains/")
    assert_error(response, 400, "InvalidRequest")


def test_an_unexpected_error_under_the_api_is_a_json_500_without_details() -> None:
    response = server_error(RequestFactory().get("/api/v1/domains/"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "ServerError"
    assert server_error(RequestFactory().get("/admin/"))["Content-Type"].startswith("text/html")
