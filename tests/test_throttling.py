"""Requests that do network work while the caller waits are rate-limited per tenant."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from dane_admin.api.throttling import TenantWorkThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two of each a minute, counted from zero."""
    rates = {"status-refresh": "2/min", "inbound-probe": "2/min", "dane-validation": "2/min"}
    monkeypatch.setattr(TenantWorkThrottle, "THROTTLE_RATES", rates)
    cache.clear()


def test_validations_are_limited_per_tenant(api: APIClient, other_api: APIClient) -> None:
    body = {"domain": "bad..name"}  # refused as invalid, still counted: the limit comes first
    answers = [api.post("/api/v1/dane-validations/", body, format="json") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[2].json()["code"] == "throttled"
    assert int(answers[2]["Retry-After"]) > 0
    assert other_api.post("/api/v1/dane-validations/", body, format="json").status_code == 400
    assert api.get("/api/v1/dane-validations/").status_code == 200  # reading is not limited


def test_only_refreshes_of_the_status_are_limited(api: APIClient) -> None:
    url = "/api/v1/domains/unknown.example/dnssec/"
    spellings = ["true", "t", "Y"]  # every spelling the view reads as true counts
    assert [api.get(url, {"refresh": flag}).status_code for flag in spellings] == [404, 404, 429]
    assert api.get(url).status_code == 404  # the stored result: not limited
