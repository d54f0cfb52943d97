"""While the database is down: every endpoint under /api/ answers a JSON 503 with
Retry-After, other pages a plain 503 page, /readyz says so, and nothing leaks the driver's
message."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from domains.models import Tenant
from tests.conftest import client_for
from tests.support import make_operator

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_PORT = "9"  # discard: nothing listens there on loopback


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point the default connection at a loopback port where no PostgreSQL listens."""
    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = DEAD_PORT
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.fixture
def database_down() -> Iterator[None]:
    """The database is unreachable during the test."""
    with database_unreachable():
        yield


def api_operations(client: Client) -> list[tuple[str, str]]:
    """Every (method, concrete path) of the OpenAPI document under /api/, each path parameter
    filled with a value of its type (an integer, a UUID for the other ids, a domain name)."""
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    operations = []
    for template, methods in paths.items():
        schemas = {
            parameter["name"]: parameter.get("schema", {})
            for operation in methods.values()
            if isinstance(operation, dict)
            for parameter in operation.get("parameters", [])
            if parameter.get("in") == "path"
        }

        def value(param: re.Match[str], schemas: dict[str, dict[str, str]] = schemas) -> str:
            schema = schemas.get(param[1], {})
            if schema.get("type") == "integer":
                return "1"
            if schema.get("format") == "uuid" or param[1] == "id" or param[1].endswith("_id"):
                return str(uuid.uuid4())  # every other id of the API is a UUID
            return "contoso.example"

        path = re.sub(r"\{(\w+)\}", value, template)
        operations += [(method, path) for method in methods if method != "parameters"]
    return operations


def assert_database_unavailable(response: Any, *, json: bool) -> None:
    """A 503 with Retry-After, in the API's error shape when ``json``; no driver text."""
    body = response.content.decode()
    assert response.status_code == 503, body
    assert response["Retry-After"].isdigit()
    assert "Traceback" not in body
    assert "127.0.0.1" not in body  # the driver's message names the host: logs only
    if json:
        assert response.json() == {
            "code": "DatabaseUnavailable",
            "detail": "The service's database cannot be reached now; retry later.",
        }
    else:
        assert response["Content-Type"].startswith("text/html")
        assert "Service unavailable" in body


def test_every_api_endpoint_answers_a_json_503(tenant: Tenant, client: Client) -> None:
    api: APIClient = client_for(tenant)
    operator = APIClient()  # the operator API takes an operator's session, not a key
    operator.force_login(make_operator()[0])
    operations = api_operations(client)
    assert len(operations) >= 15  # the whole contract, not an empty document
    with database_unreachable():
        for method, path in operations:
            caller = operator if path.startswith("/api/v1/operator/") else api
            response = caller.generic(
                method.upper(), path, '{"name": "contoso.example"}', "application/json"
            )
            assert_database_unavailable(response, json=True)


def test_pages_answer_a_plain_503(client: Client, database_down: None) -> None:
    client.cookies["sessionid"] = "x" * 32  # so the admin must read the session table
    assert_database_unavailable(client.get("/admin/"), json=False)


def test_readyz_reports_the_database(client: Client, database_down: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("failed")
