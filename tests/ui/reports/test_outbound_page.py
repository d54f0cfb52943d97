"""Page 8 in Chromium: an outbound DANE test against the test network's signed zones and
loopback SMTP servers (as tests/dane_io does), its trace, verdict, code and retry schedule."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from domains import services
from domains.audit import Actor
from domains.models import DaneValidation, Tenant
from tests.dane_io.scenario import Scenario, credentials, tlsa
from tests.dane_io.servers import LoopbackServers, self_signed
from tests.dnsnet import DnsTestNetwork
from tests.ui.conftest import MakeMember, check_page, tenant_url

pytestmark = [pytest.mark.dns, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scenario(dnsnet: DnsTestNetwork, settings: SettingsWrapper) -> Iterator[Scenario]:
    """Zones and loopback SMTP servers of one test; the service may choose the port and
    connect to loopback, as a test deployment does."""
    settings.DANE_VALIDATION_ALLOW_PORT = True
    settings.DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES = True
    pool = LoopbackServers()
    yield Scenario(dnsnet, pool)
    pool.close()


def test_an_outbound_test_shows_the_trace_verdict_code_and_retry_schedule(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    scenario: Scenario,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    passing = scenario.zone()
    leaf = self_signed("mx1")
    scenario.mx(passing, scenario.host(passing, "mx1", credentials(leaf), tlsa(leaf)))
    failing = scenario.zone()
    scenario.mx(failing, scenario.host(failing, "mx1", None, tlsa(self_signed("mx1"))))
    user, _ = make_member(ui_tenant, "admin")
    sign_in(user)

    page.goto(tenant_url(live_server, ui_tenant, "outbound/"))
    check_page(page, "outbound-form")
    page.get_by_label("Destination domain").fill(passing)
    page.get_by_label("Port").fill(str(scenario.servers.port))
    page.get_by_role("button", name="Run the test").click()
    expect(page).to_have_url(re.compile(r"/outbound/[0-9a-f-]{36}/$"))
    verdict = page.get_by_role("region", name="Verdict")
    expect(verdict).to_contain_text("Delivered")
    expect(verdict).to_contain_text("pass")
    expect(verdict).to_contain_text(f"{tlsa(leaf)}")
    expect(verdict).to_contain_text("at depth 0")
    trace = page.get_by_role("table", name=re.compile("Step trace"))
    for step in ("mx", "tlsa", "starttls", "tls-handshake", "verify"):
        expect(trace.locator("tbody th", has_text=re.compile(rf"^{step}$")).first).to_be_visible()
    expect(page.get_by_role("heading", name="Retry schedule")).to_have_count(0)
    check_page(page, "outbound-pass", phone=True)

    page.get_by_role("link", name="Outbound DANE test").first.click()
    page.get_by_label("Destination domain").fill(failing)
    page.get_by_label("Port").fill(str(scenario.servers.port))
    page.get_by_role("button", name="Run the test").click()
    expect(verdict).to_contain_text("Deferred")
    expect(verdict).to_contain_text("4.7.321")
    schedule = page.get_by_role("table", name="Delivery attempts while the failure lasts")
    expect(schedule.locator("tbody tr")).to_have_count(27)  # 26 attempts in 24 h, then expiry
    expect(schedule.locator("tbody tr").last).to_contain_text("5.7.321")
    check_page(page, "outbound-deferred")

    page.get_by_role("link", name="Outbound DANE test").first.click()
    past = page.get_by_role("table", name="Past validations")
    expect(past.locator("tbody tr")).to_have_count(2)
    expect(past.locator("tbody tr").first).to_contain_text(failing)
    expect(past.locator("tbody tr").first).to_contain_text("4.7.321")


def test_bad_input_is_refused_and_viewers_see_no_test_form(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    admin, _ = make_member(ui_tenant, "admin")
    sign_in(admin)
    page.goto(tenant_url(live_server, ui_tenant, "outbound/"))
    page.get_by_label("Destination domain").fill("postmaster@example.test")
    page.get_by_role("button", name="Run the test").click()
    expect(page.locator(".field-error")).to_be_visible()
    assert not ui_tenant.dane_validations.exists()

    theirs = DaneValidation.objects.create(
        tenant=services.create_tenant(f"o-{uuid.uuid4().hex[:8]}", actor=Actor.cli()),
        domain="example.test",
        verdict="pass",
        disposition="delivered",
        result={},
        requested_by="cli",
        started_at=timezone.now(),
        finished_at=timezone.now(),
        duration_ms=1,
    )
    response = page.goto(tenant_url(live_server, ui_tenant, f"outbound/{theirs.pk}/"))
    assert response is not None
    assert response.status == 404

    page.context.clear_cookies()
    viewer, _ = make_member(ui_tenant, "viewer")
    sign_in(viewer)
    page.goto(tenant_url(live_server, ui_tenant, "outbound/"))
    expect(page.get_by_role("button", name="Run the test")).to_have_count(0)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    assert token
    forged = page.request.post(
        tenant_url(live_server, ui_tenant, "outbound/"),
        form={"domain": "example.test", "csrfmiddlewaretoken": token},
        headers={"X-CSRFToken": token, "Referer": live_server.url},
    )
    assert forged.status == 403
    assert not ui_tenant.dane_validations.exists()
