"""Signing in and out, the password pages, throttled failures, roles, tenants and languages,
in Chromium against the live server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from domains import services
from domains.audit import Actor
from domains.models import Tenant
from tests.ui.conftest import MakeMember, check_page, tenant_url, url_of

pytestmark = pytest.mark.django_db(transaction=True)


def fill_sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_lands_on_the_domains_page_and_sign_out_returns(
    page: Page, live_server: Any, ui_tenant: Tenant, make_member: MakeMember
) -> None:
    user, password = make_member(ui_tenant, "admin")
    page.goto(url_of(live_server, "/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    check_page(page, "sign-in", phone=True)

    fill_sign_in(page, user.username, password)

    expect(page).to_have_url(tenant_url(live_server, ui_tenant))
    expect(page.get_by_role("heading", level=1)).to_have_text("Domains")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies["sessionid"]
    assert (session["httpOnly"], session["sameSite"], session["secure"]) == (True, "Lax", True)
    check_page(page, "domains-empty")

    page.get_by_text(user.username).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto(tenant_url(live_server, ui_tenant))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_failed_sign_ins_are_throttled(
    page: Page, live_server: Any, ui_tenant: Tenant, make_member: MakeMember, settings: Any
) -> None:
    user, password = make_member(ui_tenant, "admin")
    page.goto(url_of(live_server, "/accounts/login/"))
    fill_sign_in(page, user.username, "wrong")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        fill_sign_in(page, user.username, "wrong")

    page.goto(url_of(live_server, "/accounts/login/"))
    fill_sign_in(page, user.username, password)  # the right password, too late

    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-ins")
    check_page(page, "sign-in-locked")
    page.goto(tenant_url(live_server, ui_tenant))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_password_change_and_reset_by_mail(
    page: Page, live_server: Any, ui_tenant: Tenant, make_member: MakeMember
) -> None:
    user, password = make_member(ui_tenant, "admin")
    user.email = "admin@contoso.example"
    user.save()
    page.goto(url_of(live_server, "/accounts/login/"))
    fill_sign_in(page, user.username, password)
    page.goto(url_of(live_server, "/accounts/password/change/"))
    check_page(page, "password-change")
    page.get_by_label("Old password").fill(password)
    page.get_by_label("New password", exact=True).fill("a-New-passw0rd-for-DANE")
    page.get_by_label("New password confirmation").fill("a-New-passw0rd-for-DANE")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    user.refresh_from_db()
    assert user.check_password("a-New-passw0rd-for-DANE")

    page.context.clear_cookies()
    page.goto(url_of(live_server, "/accounts/password/reset/"))
    check_page(page, "password-reset")
    page.get_by_label("Email").fill("admin@contoso.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    [message] = mail.outbox
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", str(message.body))
    assert link is not None, message.body
    page.goto(link.group(0))
    page.get_by_label("New password", exact=True).fill("the-Reset-passw0rd-2")
    page.get_by_label("New password confirmation").fill("the-Reset-passw0rd-2")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password set")
    user.refresh_from_db()
    assert user.check_password("the-Reset-passw0rd-2")


def test_member_of_two_tenants_switches_and_others_are_404(
    page: Page, live_server: Any, make_member: MakeMember, sign_in: Any
) -> None:
    first = services.create_tenant("contoso", name="Contoso Ltd", actor=Actor.cli())
    second = services.create_tenant("fabrikam", name="Fabrikam Inc", actor=Actor.cli())
    stranger = services.create_tenant("woodgrove", name="Woodgrove Bank", actor=Actor.cli())
    user, _ = make_member(first, "admin")
    services.add_member(second, user, actor=Actor.cli(), role="viewer")
    sign_in(user)

    page.goto(tenant_url(live_server, first))
    page.get_by_text("Contoso Ltd").first.click()
    check_page(page, "tenant-switcher")
    page.get_by_role("link", name=re.compile("Fabrikam Inc")).click()
    expect(page).to_have_url(tenant_url(live_server, second))
    page.goto(url_of(live_server, "/"))
    expect(page).to_have_url(tenant_url(live_server, second))  # the choice is remembered

    response = page.goto(tenant_url(live_server, stranger))
    assert response is not None
    assert response.status == 404
    response = page.goto(url_of(live_server, "/t/no-such-tenant/"))
    assert response is not None
    assert response.status == 404


def test_language_follows_the_browser_until_the_switch(
    browser: Any, live_server: Any, ui_tenant: Tenant, make_member: MakeMember
) -> None:
    user, password = make_member(ui_tenant, "admin")
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        page.goto(url_of(live_server, "/accounts/login/"))
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
        expect(page.get_by_role("heading", level=1)).to_have_text("登入")
        check_page(page, "sign-in-zh-hant")
        page.get_by_label("使用者名稱").fill(user.username)
        page.get_by_label("密碼").fill(password)
        page.get_by_role("button", name="登入").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("網域")
        check_page(page, "domains-zh-hant")

        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Domains")
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Domains")
    finally:
        context.close()
