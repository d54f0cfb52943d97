"""A NUL byte in anything the client chooses (headers, cookies, path, query) is refused
cleanly: PostgreSQL cannot hold NUL in text, so none may reach a query (no 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor
from domains.models import Tenant

pytestmark = pytest.mark.django_db

NUL = "\x00"


def assert_api_error(response: object, status: int) -> dict[str, str]:
    """The answer is ``status`` in the API's JSON error shape."""
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) >= {"code", "detail"}
    return dict(body)


@pytest.mark.parametrize(
    "header",
    [f"Api-Key ab{NUL}cd.efgh", f"Api-Key {NUL}", f"Api-Key abcd.ef{NUL}gh", f"Api{NUL}-Key x.y"],
)
def test_a_nul_byte_in_the_api_key_is_an_invalid_key(header: str) -> None:
    response = APIClient().get("/api/v1/domains/", HTTP_AUTHORIZATION=header)
    assert_api_error(response, 401)


@pytest.mark.parametrize("url", ["/api/v1/domains/", "/api/schema/", "/admin/"])
def test_a_nul_byte_in_the_session_cookie_is_no_session(url: str) -> None:
    client = Client()
    client.cookies["sessionid"] = f"abcdefgh{NUL}ijklmnop"
    response = client.get(url)
    assert response.status_code in {200, 302, 401}
    if url.startswith("/api/v1/"):
        assert_api_error(response, 401)
    if url == "/admin/":
        assert response.status_code == 302  # to the login page: not logged in


def test_a_nul_byte_in_a_real_looking_session_cookie_does_not_log_in(tenant: Tenant) -> None:
    user = User.objects.create_user("member", password="x-password-1")
    services.add_member(tenant, user, actor=Actor.cli())
    client = Client()
    client.force_login(user)
    session_key = client.cookies["sessionid"].value
    assert client.get("/api/v1/domains/").status_code == 200
    client.cookies["sessionid"] = session_key + NUL
    assert_api_error(client.get("/api/v1/domains/"), 401)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/domains/a{NUL}b.example/",
        f"/api/v1/domains/a{NUL}b.example/dnssec/",
        f"/api/v1/operations/{NUL}/",
        f"/api/v1/operations/{NUL}",
        f"/api/v1/dane-validations/{NUL}/",
    ],
)
def test_a_nul_byte_in_an_api_path_is_a_json_error(api: APIClient, url: str) -> None:
    response = api.get(url)
    assert response.status_code in {400, 404}
    assert_api_error(response, response.status_code)


@pytest.mark.parametrize(
    "query",
    [
        f"limit=1{NUL}",
        f"offset={NUL}",
        f"refresh=true{NUL}",
        f"x{NUL}=1",
    ],
)
def test_a_nul_byte_in_an_api_query_is_a_400(api: APIClient, tenant: Tenant, query: str) -> None:
    domain = tenant.domains.get(is_initial=True)
    for path in ("/api/v1/domains/", f"/api/v1/domains/{domain.name}/dnssec/"):
        assert_api_error(api.get(f"{path}?{query}"), 400)


@pytest.mark.parametrize(
    "header",
    ["HTTP_IF_MATCH", "HTTP_IDEMPOTENCY_KEY", "HTTP_X_REQUEST_ID", "HTTP_ACCEPT"],
)
def test_a_nul_byte_in_another_header_changes_nothing(
    api: APIClient, tenant: Tenant, header: str
) -> None:
    domain = services.add_domain(tenant, "contoso.example", actor=Actor.cli())
    extra: dict[str, Any] = {header: f'"1"{NUL}'}
    response = api.delete(f"/api/v1/domains/{domain.name}/", **extra)
    assert response.status_code in {204, 400, 406}
    if response.status_code != 204:
        assert_api_error(response, response.status_code)
    response = api.post(
        f"/api/v1/domains/{domain.name}/dnssec/enable/", **{**extra, header: f"key{NUL}"}
    )
    assert response.status_code != 500
    if response.status_code >= 400:
        assert_api_error(response, response.status_code)


@pytest.fixture
def operator() -> Client:
    """A logged-in superuser."""
    user = User.objects.create_superuser("operator", "operator@provider.test", "x-password-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/domains/accepteddomain/?q=a{NUL}b",
        f"/admin/domains/tenant/?q={NUL}",
        f"/admin/domains/tenantapikey/?q={NUL}&revoked__exact=1",
        f"/admin/domains/auditevent/?action__exact={NUL}",
        f"/admin/domains/accepteddomain/?dnssec_state__exact={NUL}",
        f"/admin/domains/accepteddomain/{NUL}/change/",
        f"/admin/domains/tenant/1{NUL}/change/",
    ],
)
def test_a_nul_byte_in_an_admin_url_is_not_a_server_error(operator: Client, url: str) -> None:
    response = operator.get(url)
    assert response.status_code in {200, 302, 400, 404}


def test_a_nul_byte_in_the_admin_login_form_is_a_form_error() -> None:
    response = Client().post("/admin/login/", {"username": f"op{NUL}", "password": "x"})
    assert response.status_code in {200, 400}


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/domains/", {"name": f"a{NUL}b.example"}),
        ("/api/v1/dane-validations/", {"domain": f"a{NUL}b.example"}),
        ("/api/v1/domains/", {f"name{NUL}": "a.example"}),
    ],
)
def test_a_nul_byte_in_a_json_body_is_a_400(api: APIClient, url: str, body: dict[str, str]) -> None:
    assert_api_error(api.post(url, body, format="json"), 400)
