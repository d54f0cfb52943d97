"""Health probes, the OpenAPI document and its docs page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def test_healthz_needs_nothing(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_broker(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_reports_a_dead_broker(client: Client, settings: SettingsWrapper) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("failed")
    assert "127.0.0.1:9" not in response.content.decode()


def test_openapi_document_lists_the_contract(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/domains/",
        "/api/v1/domains/{name}/",
        "/api/v1/domains/{name}/verify/",
        "/api/v1/operations/{id}/",
        "/api/v1/dane-validations/",
    ):
        assert path in paths, path
    status_query = paths["/api/v1/domains/{name}/dnssec/"]["get"]
    assert "refresh" in [parameter["name"] for parameter in status_query["parameters"]]
    assert {"404", "503"} <= status_query["responses"].keys()
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["ApiKey"]["description"],
    }
    assert "Api-Key <key>" in schemes["ApiKey"]["description"]
    for path, methods in paths.items():
        if path.startswith("/api/v1/operator/"):  # the operators' session only, never a key
            for operation in methods.values():
                assert operation["security"] == [{"cookieAuth": []}], path
        elif path.startswith("/api/v1/"):
            for operation in methods.values():
                assert {"ApiKey": []} in operation["security"], path
    assert "409" in paths["/api/v1/operator/inbound-keys/{name}/promote/"]["post"]["responses"]
    command = paths["/api/v1/domains/{name}/dnssec/enable/"]["post"]["responses"]
    assert "Location" in command["202"]["headers"]
    assert "401" in command


def test_api_docs_page_uses_no_cdn(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()


def test_openapi_document_generates_without_warnings(tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "/api/v1/operations/{id}/" in (tmp_path / "s.yml").read_text()
