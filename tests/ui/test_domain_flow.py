"""The core flow in Chromium on the real stack: add a domain, publish its TXT record in the
test network, verify, enable DNSSEC (the Celery worker carries it out, the page polls), move
the MX records through the migration steps until the wizard says "enable SMTP DANE", enable
it and see the TLSA records; and what viewers, strangers and forged requests get."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from dnsops.models import Partition
from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, AuditEvent, Tenant
from tests.dnsnet import DnsTestNetwork
from tests.support import make_verified_domain, register_inbound_key
from tests.ui.conftest import MakeMember, check_page, tenant_url, url_of
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dns]


def set_mx(dnsnet: DnsTestNetwork, domain: str, *records: str) -> None:
    """Replace the MX RRset of ``domain`` in the test zone (TTL 1) and wait until the
    validating resolver serves it, as an admin would before pressing "Check again now"."""
    dnsnet.update(
        ("replace", domain, "MX", 1, records[0]),
        *(("add", domain, "MX", 1, record) for record in records[1:]),
    )
    dnsnet.wait_until_resolved(domain, "MX", list(records))


def recheck_and_expect_step(page: Page, number: int, text: str) -> None:
    page.get_by_role("button", name="Check again now").click()
    expect(page.get_by_role("heading", name=f"MX migration: step {number} of 9")).to_be_visible()
    expect(page.locator("[data-step-action]")).to_contain_text(text)


def test_add_verify_enable_dnssec_migrate_mx_and_enable_dane(
    worker: WorkerProcess,
    partition: Partition,
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    dnsnet: DnsTestNetwork,
    customer_domain: str,
) -> None:
    key = register_inbound_key("current")
    user, password = make_member(ui_tenant, "admin")
    page.goto(url_of(live_server, "/"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Add a domain").click()
    check_page(page, "add-domain")
    page.get_by_label("Domain name").fill(customer_domain)
    page.get_by_role("button", name="Add the domain").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(customer_domain)
    record = page.locator("[data-record-value]").inner_text()
    assert record == AcceptedDomain.objects.get(name=customer_domain).verification_record
    check_page(page, "verify-domain")

    near_miss = record.replace("dane-admin-verification=", "Dane-Admin-Verification=")
    dnsnet.publish_txt(customer_domain, near_miss)
    page.get_by_role("button", name="Verify now").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("VerificationRecordNotFound")
    expect(alert).to_contain_text("no quotes or spaces inside the value")
    dnsnet.publish_txt(customer_domain, record)
    dnsnet.wait_until_resolved(customer_domain, "TXT", [f'"{record}"'])
    page.get_by_role("button", name="Verify now").click()
    expect(page.locator(".messages")).to_contain_text(f"{customer_domain} is verified.")
    expect(page.get_by_role("heading", name="MX migration: step 1 of 9")).to_be_visible()

    page.get_by_role("link", name="Enable DNSSEC").click()
    expect(page.get_by_text("What will change")).to_be_visible()
    check_page(page, "confirm-enable-dnssec")
    page.get_by_role("button", name="Confirm: Enable DNSSEC").click()
    progress = page.locator("#operation-progress")
    expect(progress).to_have_attribute("data-state", "succeeded", timeout=60_000)
    domain = AcceptedDomain.objects.select_related("partition").get(name=customer_domain)
    host = domain.dnssec_mx_value
    assert host is not None
    expect(progress).to_contain_text(f"DnssecMxValue: {host}")
    assert page.locator("#operation").get_attribute("aria-live") == "polite"

    legacy = f"{domain.mx_token}.mail.protection.provider.test."
    set_mx(dnsnet, customer_domain, f"0 {legacy}")
    recheck_and_expect_step(page, 4, f"for {host} with preference 20")
    expect(page.locator("[data-live-mx]")).to_have_text(f"0 {legacy}")
    check_page(page, "domain-wizard-step-4", phone=True)

    set_mx(dnsnet, customer_domain, f"0 {legacy}", f"20 {host}.")
    recheck_and_expect_step(page, 6, "the legacy MX to 30")
    expect(page.locator(".steps [aria-current=step]")).to_contain_text("Make the DNSSEC MX host")
    stored = AcceptedDomain.objects.filter(name=customer_domain).values_list("migration_step")
    assert stored.get() == (6,)  # the run stored the step the domains table filters by

    set_mx(dnsnet, customer_domain, f"30 {legacy}", f"0 {host}.")
    recheck_and_expect_step(page, 7, "Delete the legacy MX records")

    set_mx(dnsnet, customer_domain, f"0 {host}.")
    recheck_and_expect_step(page, 8, "enable SMTP DANE inbound")
    check_page(page, "domain-wizard-step-8", phone=True)

    page.get_by_role("link", name="Enable SMTP DANE inbound").click()
    page.get_by_role("button", name="Confirm: Enable SMTP DANE inbound").click()
    expect(progress).to_have_attribute("data-state", "succeeded", timeout=60_000)
    page.reload()
    expect(page.get_by_role("heading", name="MX migration: step 9 of 9")).to_be_visible()
    expect(page.get_by_text(key.tlsa_record)).to_be_visible()
    check_page(page, "domain-done", phone=True)

    page.goto(tenant_url(live_server, ui_tenant))
    row = page.get_by_role("row", name=re.compile(customer_domain))
    expect(row).to_contain_text("Step 9 of 9")
    expect(row).to_contain_text("Passed")
    check_page(page, "domains", phone=True)
    actors = set(
        AuditEvent.objects.filter(target_id=customer_domain).values_list("actor", flat=True)
    )
    assert f"user:{user.username}" in actors


def csrf_token_of(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_viewer_sees_no_write_button_and_a_forged_post_is_403(
    page: Page, live_server: Any, ui_tenant: Tenant, make_member: MakeMember, sign_in: Any
) -> None:
    name = make_verified_domain(ui_tenant)
    pending = services.add_domain(ui_tenant, f"p-{name}", actor=Actor.cli())
    viewer, _ = make_member(ui_tenant, "viewer")
    sign_in(viewer)

    page.goto(tenant_url(live_server, ui_tenant))
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Add a domain")).to_have_count(0)
    check_page(page, "domains-viewer")
    for domain in (name, pending.name):
        page.goto(tenant_url(live_server, ui_tenant, f"domains/{domain}/"))
        expect(page.get_by_role("heading", level=1)).to_have_text(domain)
        writes = page.locator("main").get_by_role("button").filter(has_not_text="Copy")
        expect(writes).to_have_count(0)
        expect(page.locator("main a.button")).to_have_count(0)

    forged = page.request.post(
        tenant_url(live_server, ui_tenant, f"domains/{name}/run/enable-dnssec/"),
        form={"csrfmiddlewaretoken": csrf_token_of(page)},
    )
    assert forged.status == 403
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "disabled"
    assert not AuditEvent.objects.filter(action="operation.requested").exists()


def test_other_tenants_domain_is_404_and_a_post_without_csrf_is_refused(
    admin_page: Page, live_server: Any, ui_tenant: Tenant, make_member: MakeMember
) -> None:
    page = admin_page
    stranger = services.create_tenant("woodgrove", name="Woodgrove", actor=Actor.cli())
    theirs = make_verified_domain(stranger)
    ours = services.add_domain(ui_tenant, "contoso.example", actor=Actor.cli())

    for url in (
        tenant_url(live_server, ui_tenant, f"domains/{theirs}/"),
        tenant_url(live_server, stranger, f"domains/{theirs}/"),
        tenant_url(live_server, ui_tenant, "domains/no-such.example/"),
    ):
        response = page.goto(url)
        assert response is not None, url
        assert response.status == 404, url

    page.goto(tenant_url(live_server, ui_tenant, f"domains/{ours.name}/"))
    refused = page.request.post(tenant_url(live_server, ui_tenant, f"domains/{ours.name}/verify/"))
    assert refused.status == 403
    assert AuditEvent.objects.filter(target_id=ours.name).count() == 1  # domain.added only


def test_domain_page_in_traditional_chinese(
    browser: Any, live_server: Any, ui_tenant: Tenant, make_member: MakeMember
) -> None:
    name = make_verified_domain(ui_tenant)
    user, password = make_member(ui_tenant, "admin")
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        page.goto(url_of(live_server, "/"))
        page.get_by_label("使用者名稱").fill(user.username)
        page.get_by_label("密碼").fill(password)
        page.get_by_role("button", name="登入").click()
        page.goto(tenant_url(live_server, ui_tenant, f"domains/{name}/"))
        expect(page.get_by_role("heading", name="MX 遷移：第 1 步（共 9 步）")).to_be_visible()
        expect(page.get_by_role("link", name="啟用 DNSSEC")).to_be_visible()
        check_page(page, "domain-zh-hant", phone=True)
    finally:
        context.close()


def test_user_without_write_role_cannot_add_domains(
    page: Page, live_server: Any, ui_tenant: Tenant, make_member: MakeMember, sign_in: Any
) -> None:
    viewer: User
    viewer, _ = make_member(ui_tenant, "viewer")
    sign_in(viewer)
    response = page.goto(tenant_url(live_server, ui_tenant, "domains/add/"))
    assert response is not None
    assert response.status == 200
    forged = page.request.post(
        tenant_url(live_server, ui_tenant, "domains/add/"),
        form={"csrfmiddlewaretoken": csrf_token_of(page), "name": "fabrikam.example"},
    )
    assert forged.status == 403
    assert not AcceptedDomain.objects.filter(name="fabrikam.example").exists()
