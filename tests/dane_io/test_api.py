"""``/api/v1/dane-validations/``: run and store a validation, tenant isolation, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from domains.models import DaneValidation, Tenant
from tests.dane_io.scenario import Scenario, credentials, tlsa
from tests.dane_io.servers import self_signed

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

URL = "/api/v1/dane-validations/"


@pytest.fixture
def test_switches(settings: SettingsWrapper) -> None:
    """The switches a test deployment turns on: choose the port, reach loopback addresses."""
    settings.DANE_VALIDATION_ALLOW_PORT = True
    settings.DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def destination(scenario: Scenario) -> str:
    """A signed domain whose only MX passes DANE-EE."""
    zone = scenario.zone()
    leaf = self_signed("mx1")
    scenario.mx(zone, scenario.host(zone, "mx1", credentials(leaf), tlsa(leaf)))
    return zone


@pytest.mark.usefixtures("test_switches")
def test_a_validation_is_run_stored_and_shown_to_its_tenant_only(
    api: APIClient, other_api: APIClient, tenant: Tenant, scenario: Scenario, destination: str
) -> None:
    response = api.post(
        URL, {"domain": destination.upper() + ".", "port": scenario.servers.port}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["domain"] == destination
    assert body["verdict"] == "pass"
    assert body["disposition"] == "delivered"
    assert body["status_code"] is None
    assert body["requested_by"].startswith("api-key:")
    assert body["result"]["match"]["usage"] == "DANE-EE"
    assert {step["step"] for step in body["result"]["steps"]} >= {"mx", "tlsa", "verify"}
    assert all(
        set(step) == {"step", "host", "address", "outcome", "detail", "milliseconds"}
        for step in body["result"]["steps"]
    )
    stored = DaneValidation.objects.get(id=body["id"])
    assert stored.tenant == tenant

    mine = api.get(URL).json()
    assert [item["id"] for item in mine["results"]] == [body["id"]]
    assert "result" not in mine["results"][0]
    assert api.get(f"{URL}{body['id']}/").json()["result"] == body["result"]
    assert other_api.get(URL).json()["results"] == []
    missing = other_api.get(f"{URL}{body['id']}/")
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "detail"}


@pytest.mark.usefixtures("test_switches")
def test_a_failing_destination_is_a_stored_result_with_its_code(
    api: APIClient, scenario: Scenario
) -> None:
    zone = scenario.zone()
    scenario.mx(zone, scenario.host(zone, "mx1", None, tlsa(self_signed("mx1"))))

    response = api.post(URL, {"domain": zone, "port": scenario.servers.port}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["verdict"] == "starttls-not-supported"
    assert body["status_code"] == "4.7.321"
    assert body["result"]["retry"]["next_attempt_at"]


def test_production_defaults_use_port_25_and_refuse_private_addresses(
    api: APIClient, settings: SettingsWrapper, scenario: Scenario, destination: str
) -> None:
    settings.DEBUG = False
    response = api.post(URL, {"domain": destination, "port": 2525}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidRequest"
    assert "port" in response.json()["errors"]
    assert not DaneValidation.objects.exists()

    response = api.post(URL, {"domain": destination}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["port"] == 25
    assert body["verdict"] == "connection-failed"
    connect = [step for step in body["result"]["steps"] if step["step"] == "connect"]
    assert [step["outcome"] for step in connect] == ["not-allowed"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"domain": ""},
        {"domain": "exa mple.test"},
        {"domain": "*.example.test"},
        {"domain": "127.0.0.1"},
        {"domain": "[::1]"},
        {"domain": "postmaster@example.test"},
        {"domain": "https://example.test/"},
        {"domain": "localhost"},
        {"domain": "example.localhost"},
        {"domain": "single"},
        {"domain": "a" * 64 + ".test"},
        {"domain": ("a" * 60 + ".") * 5 + "test"},
        {"domain": "bad\u0000name.test"},
        {"domain": "e\u202excom.test"},
        {"domain": 123},
        {"domain": ["example.test"]},
        {"domain": None},
        {"domain": "example.test", "port": "2525"},
        {"domain": "example.test", "port": 25.0},
        {"domain": "example.test", "port": True},
        {"domain": "example.test", "port": 0},
        {"domain": "example.test", "port": 70000},
        {"domain": "example.test", "tenant": "someone-else"},
        ["example.test"],
        "example.test",
    ],
)
@pytest.mark.usefixtures("test_switches")
def test_bad_input_is_refused_and_nothing_is_stored(api: APIClient, body: Any) -> None:
    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "InvalidRequest"
    assert not DaneValidation.objects.exists()


def test_a_body_that_is_not_json_is_refused(api: APIClient) -> None:
    response = api.post(URL, "domain=example.test", content_type="text/plain")

    assert response.status_code == 415
    assert not DaneValidation.objects.exists()


def test_without_an_api_key_nothing_runs(tenant: Tenant) -> None:
    client = APIClient()

    assert client.post(URL, {"domain": "example.test"}, format="json").status_code == 401
    assert client.get(URL).status_code == 401
    assert not DaneValidation.objects.exists()


def test_an_unknown_or_malformed_id_is_404(api: APIClient) -> None:
    assert api.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get(f"{URL}not-a-uuid/").status_code == 404
