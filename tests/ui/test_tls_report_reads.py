"""The reads behind the TLS-RPT pages without a browser: whether the TXT is published (from
the latest check run's TLS-RPT section), the chart's bars, and who may open the operators'
page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from domains.models import AcceptedDomain
from domains.tlsrpt import selectors, services
from domains.ui.views.tls_reports import BAR_STEP, CHART_HEIGHT, chart_bars
from tests.factories import CheckRunFactory, DomainFactory
from tests.support import make_operator

pytestmark = pytest.mark.django_db

OURS = "https://dane-admin.provider.test/tlsrpt/token/"


def checked(domain: AcceptedDomain, section: dict[str, object] | None, minutes_ago: int) -> None:
    """A check run of ``domain`` ``minutes_ago`` minutes ago with TLS-RPT ``section``."""
    started = timezone.now() - timedelta(minutes=minutes_ago)
    result: dict[str, object] = {"Domain": domain.name}
    if section is not None:
        result["TlsRpt"] = section
    CheckRunFactory(
        domain=domain, started_at=started, finished_at=started + timedelta(seconds=1), result=result
    )


def section(published: bool | None, valid: bool, rua: list[str]) -> dict[str, object]:
    """A TLS-RPT section of a status document."""
    return {"Published": published, "Valid": valid, "Rua": rua, "Findings": []}


def test_published_state_follows_the_latest_check_run() -> None:
    domain = DomainFactory.create(pending_mx=True)
    unchecked = selectors.published_state(domain, OURS)
    assert (unchecked.published, unchecked.checked_at) == (None, None)

    checked(domain, section(False, False, []), minutes_ago=30)
    assert selectors.published_state(domain, OURS).published is False

    checked(domain, section(True, True, ["mailto:tlsrpt@elsewhere.example"]), minutes_ago=20)
    elsewhere = selectors.published_state(domain, OURS)
    assert (elsewhere.published, elsewhere.valid, elsewhere.ours) == (True, True, False)

    checked(domain, section(True, True, ["mailto:x@y.example", OURS]), minutes_ago=10)
    ours = selectors.published_state(domain, OURS)
    assert (ours.published, ours.ours) == (True, True)

    checked(domain, None, minutes_ago=0)  # stopped before the TLS-RPT section (EG002...)
    assert selectors.published_state(domain, OURS).published is None


def test_the_chart_scales_to_the_busiest_day_and_never_hides_a_failure() -> None:
    days = [
        selectors.DaySummary(date(2026, 1, 1), 0, 0, {}),
        selectors.DaySummary(date(2026, 1, 2), 10_000, 1, {"tlsa-invalid": 1}),
        selectors.DaySummary(date(2026, 1, 3), 2_500, 2_500, {"certificate-expired": 2_500}),
    ]
    empty, busiest, half = chart_bars(days)
    assert (empty.success_height, empty.failure_height) == (0, 0)
    assert busiest.success_height + busiest.failure_height == CHART_HEIGHT + 1
    assert busiest.failure_height == 1  # 1 in 10,001 still shows
    assert half.success_height == half.failure_height == CHART_HEIGHT // 4
    assert half.failure_y == CHART_HEIGHT - CHART_HEIGHT // 2
    assert [bar.x for bar in (empty, busiest, half)] == [0, BAR_STEP, 2 * BAR_STEP]


def test_the_operator_page_is_for_operators(client: Client) -> None:
    services.count_refusal("https", "not-json")
    assert client.get("/operator/tlsrpt/").status_code == 302  # to the sign-in form
    client.force_login(User.objects.create_user("member-only"))
    assert client.get("/operator/tlsrpt/").status_code == 403
    client.force_login(User.objects.create_user("staff-only", is_staff=True))
    assert client.get("/operator/tlsrpt/").status_code == 403  # staff without the permission
    client.force_login(make_operator()[0])
    page = client.get("/operator/tlsrpt/")
    assert page.status_code == 200
    assert b"not-json" in page.content
