"""The UI's buttons that do network work share the API's per-tenant rate limits (no browser:
what is checked is the count, not the page)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from domains import services
from domains.audit import Actor
from domains.models import DaneValidation, Tenant
from tests.support import make_verified_domain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two of each a minute, for the API and the UI alike, counted from zero."""
    rates = {"status-refresh": "2/min", "inbound-probe": "2/min", "dane-validation": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()


@pytest.fixture
def browser_session(tenant: Tenant) -> Client:
    """A signed-in admin of ``tenant``."""
    membership, _ = services.provision_member(tenant, "alice", role="admin", actor=Actor.cli())
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_probe_button_counts_against_the_apis_inbound_probe_limit(
    api: APIClient, browser_session: Client, tenant: Tenant
) -> None:
    name = make_verified_domain(tenant)  # no DNSSEC yet: nothing to probe, but counted
    api_url = f"/api/v1/domains/{name}/smtp-dane-inbound/"
    assert api.get(api_url, {"probe": "true"}).status_code == 200
    page = f"/t/{tenant.slug}/domains/{name}/inbound/"
    assert b"Too many probes" not in browser_session.get(page, {"probe": "1"}).content

    refused = browser_session.get(page, {"probe": "1"})

    assert refused.status_code == 200
    assert b"Too many probes just now" in refused.content
    assert b"data-countdown-until=" in refused.content
    assert api.get(api_url, {"probe": "true"}).status_code == 429
    assert b"Too many probes" not in browser_session.get(page).content  # no probe: no limit


def test_the_outbound_test_counts_against_the_apis_validation_limit(
    api: APIClient, browser_session: Client, tenant: Tenant
) -> None:
    for _ in range(2):
        api.post("/api/v1/dane-validations/", {"domain": "bad..name"}, format="json")

    refused = browser_session.post(f"/t/{tenant.slug}/outbound/", {"domain": "example.com"})

    assert refused.status_code == 429
    assert b"Too many tests just now" in refused.content
    assert not DaneValidation.objects.exists()
