"""Pages 9 and 10 in Chromium: API keys created (shown once) and revoked, checked against the
API; members added, given another role and removed; viewers change nothing; the operations
and the audit trail, filtered."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor
from domains.choices import Feature, OperationKind
from domains.models import AuditEvent, Membership, Operation, Tenant
from tests.ui.conftest import MakeMember, check_page, tenant_url

pytestmark = pytest.mark.django_db(transaction=True)


def api_status(raw_key: str) -> int:
    """The status of ``GET /api/v1/domains/`` signed with ``raw_key``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client.get("/api/v1/domains/").status_code


def record_operation(tenant: Tenant, name: str, state: str, actor: str) -> Operation:
    """A finished Enable-DnssecForVerifiedDomain of ``name`` (test data: the commands
    themselves are tested in tests/commands)."""
    succeeded = state == "succeeded"
    return Operation.objects.create(
        tenant=tenant,
        domain_name=name,
        kind=OperationKind.ENABLE_DNSSEC,
        feature=Feature.DNSSEC,
        state=state,
        actor=actor,
        error_code="" if succeeded else "DnssecOperationFailed",
        error_detail="" if succeeded else "The DNS server refused the update.",
        result={
            "Result": "Success",
            "DnssecMxValue": f"{name.replace('.', '-')}.o-v1.mx.provider.test",
            "ErrorData": None,
        }
        if succeeded
        else None,
        finished_at=timezone.now(),
    )


def test_an_admin_creates_and_revokes_a_key_and_manages_members(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    admin, _ = make_member(ui_tenant, "admin", username="alice")
    sign_in(admin)
    page.goto(tenant_url(live_server, ui_tenant, "settings/"))
    check_page(page, "settings")

    page.get_by_label("Name of the new key").fill("deployment pipeline")
    page.get_by_role("button", name="Create the key").click()
    raw_key = page.locator("#new-api-key").inner_text().strip()
    assert api_status(raw_key) == 200
    keys = page.get_by_role("table", name="Keys of this organisation")
    expect(keys.locator("tr", has_text="deployment pipeline")).to_contain_text("Active")
    page.goto(tenant_url(live_server, ui_tenant, "settings/"))
    expect(page.locator("#new-api-key")).to_have_count(0)  # shown once
    assert raw_key not in page.content()

    page.get_by_role("link", name="Revoke deployment pipeline").click()  # asks first
    heading = page.get_by_role("heading", name="Revoke the API key “deployment pipeline”")
    expect(heading).to_be_visible()
    check_page(page, "settings-confirm-revoke", phone=True)
    page.get_by_role("link", name="Cancel").click()  # cancelling changes nothing
    expect(keys.locator("tr", has_text="deployment pipeline")).to_contain_text("Active")
    assert api_status(raw_key) == 200
    page.get_by_role("link", name="Revoke deployment pipeline").click()
    page.get_by_role("button", name="Revoke the key").click()
    expect(keys.locator("tr", has_text="deployment pipeline")).to_contain_text("Revoked")
    assert api_status(raw_key) in (401, 403)

    page.get_by_label("User name").fill("bob")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Add the member").click()
    password = page.locator("#new-member-password").inner_text().strip()
    bob = User.objects.get(username="bob")
    assert bob.check_password(password)
    members = page.get_by_role("table", name="Members of this organisation")
    page.get_by_label("Role of bob").select_option("viewer")
    page.get_by_role("button", name="Change the role of bob").click()
    expect(page.get_by_label("Role of bob")).to_have_value("viewer")
    assert Membership.objects.get(user=bob, tenant=ui_tenant).role == "viewer"
    check_page(page, "settings-members", phone=True)

    page.get_by_role("link", name="Remove bob").click()
    expect(page.get_by_role("heading", name="Remove bob")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(members.locator("tr", has_text="bob")).to_have_count(1)
    assert Membership.objects.filter(user=bob, tenant=ui_tenant).exists()
    page.get_by_role("link", name="Remove bob").click()
    page.get_by_role("button", name="Remove the member").click()
    expect(members.locator("tr", has_text="bob")).to_have_count(0)
    actions = set(
        AuditEvent.objects.filter(tenant=ui_tenant, actor="user:alice").values_list(
            "action", flat=True
        )
    )
    assert actions >= {
        "api_key.created",
        "api_key.revoked",
        "tenant.member_added",
        "tenant.member_role_changed",
        "tenant.member_removed",
    }

    page.get_by_label("Role of alice").select_option("viewer")  # the last admin
    page.get_by_role("button", name="Change the role of alice").click()
    expect(page.locator(".notice-error")).to_contain_text("the only admin")
    assert Membership.objects.get(user=admin, tenant=ui_tenant).role == "admin"


def test_a_viewer_sees_no_write_button_and_a_forged_post_is_refused(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    admin, _ = make_member(ui_tenant, "admin")
    api_key, raw_key = services.create_api_key(ui_tenant, name="ci", actor=Actor.cli())
    viewer, _ = make_member(ui_tenant, "viewer")
    sign_in(viewer)

    page.goto(tenant_url(live_server, ui_tenant, "settings/"))
    main = page.locator("main")
    expect(main.locator("form[method=post]")).to_have_count(0)
    expect(main.get_by_role("button")).to_have_count(0)
    check_page(page, "settings-viewer")

    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    assert token
    for path, form in (
        (f"settings/keys/{api_key.prefix}/revoke/", {}),
        ("settings/keys/", {"name": "mine"}),
        ("settings/members/", {"username": "mallory", "role": "admin"}),
        (
            f"settings/members/{Membership.objects.get(user=admin).pk}/remove/",
            {},
        ),
    ):
        forged = page.request.post(
            tenant_url(live_server, ui_tenant, path),
            form={**form, "csrfmiddlewaretoken": token},
            headers={"X-CSRFToken": token},
        )
        assert forged.status == 403, path
        if path.endswith("/revoke/") or path.endswith("/remove/"):  # nor its confirmation page
            assert page.request.get(tenant_url(live_server, ui_tenant, path)).status == 403
    assert api_status(raw_key) == 200
    assert not User.objects.filter(username="mallory").exists()
    assert Membership.objects.filter(user=admin, tenant=ui_tenant).exists()

    page.context.clear_cookies()
    sign_in(admin)
    page.goto(tenant_url(live_server, ui_tenant, "settings/"))
    without_token = page.request.post(
        tenant_url(live_server, ui_tenant, "settings/keys/"), form={"name": "no token"}
    )
    assert without_token.status == 403
    assert not ui_tenant.api_keys.filter(name="no token").exists()


def test_operations_and_audit_trail_are_the_tenants_and_filter(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    other = services.create_tenant("other-co", actor=Actor.cli())
    services.add_domain(ui_tenant, "alpha.example", actor=Actor("user:carol"))
    services.add_domain(ui_tenant, "beta.example", actor=Actor("user:dave"))
    services.add_domain(other, "gamma.example", actor=Actor("user:eve"))
    record_operation(ui_tenant, "alpha.example", "succeeded", "user:carol")
    record_operation(ui_tenant, "beta.example", "failed", "user:dave")
    record_operation(other, "gamma.example", "succeeded", "user:eve")
    user, _ = make_member(ui_tenant, "viewer")
    sign_in(user)

    page.goto(tenant_url(live_server, ui_tenant, "audit/"))
    trail = page.get_by_role("table", name=re.compile("audit event"))
    expect(trail).to_contain_text("alpha.example")
    expect(trail).not_to_contain_text("gamma.example")
    check_page(page, "audit", phone=True)
    page.get_by_label("Action").select_option("domain.added")
    page.get_by_label("Who").fill("dave")
    page.get_by_role("button", name="Filter").click()
    expect(trail.locator("tbody tr")).to_have_count(1)
    expect(trail.locator("tbody tr")).to_contain_text("beta.example")
    expect(page).to_have_url(re.compile(r"action=domain.added"))

    page.get_by_role("link", name="Operations", exact=True).click()
    table = page.get_by_role("table", name=re.compile("operation"))
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).not_to_contain_text("gamma.example")
    done = table.locator("tr", has_text="alpha.example")
    expect(done).to_contain_text("Succeeded")
    expect(done).to_contain_text("alpha-example.o-v1.mx.provider.test")
    check_page(page, "operations", phone=True)
    page.get_by_label("State").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("DnssecOperationFailed")


def test_the_pages_render_in_traditional_chinese(
    browser: Any,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
) -> None:
    user, _ = make_member(ui_tenant, "admin")
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 860})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    try:
        for path, heading in (
            ("settings/", "設定"),
            ("audit/", "作業與稽核"),
            ("outbound/", "外寄 DANE 測試"),
        ):
            page.goto(tenant_url(live_server, ui_tenant, path))
            expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            check_page(page, f"{path.strip('/')}-zh-hant")
        expect(page.get_by_role("button", name="執行測試")).to_be_visible()
    finally:
        context.close()
