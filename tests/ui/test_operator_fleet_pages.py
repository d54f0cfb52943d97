"""The operators' fleet pages in Chromium on the real stack: a partition zone changed behind
the product's back shows "drift" at the top until the drift repair (run from the page, on
the worker) puts it back; the operations queue's filters; the read-only view of a tenant's
domain refuses a POST; and a tenant admin's "re-check all" follows its batch to the end."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from dnsops.backends.rfc2136 import Rfc2136Backend
from dnsops.models import Partition, ZoneRRset
from dnsops.provisioning import ensure_partition, push_names, repair_drift
from domains.choices import DnssecState, ErrorCode, OperationState
from domains.models import Tenant
from tests.dnsnet import DnsTestNetwork
from tests.factories import DomainFactory, OperationFactory
from tests.support import make_operator, make_verified_domain
from tests.ui.conftest import check_page, tenant_url, url_of
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dns]


@pytest.fixture
def operator_page(page: Page, sign_in: Callable[[User], None]) -> Page:
    sign_in(make_operator()[0])
    return page


def test_a_zone_changed_behind_the_products_back_shows_drift_until_repaired(
    worker: WorkerProcess, operator_page: Page, live_server: Any, dnsnet: DnsTestNetwork
) -> None:
    page = operator_page
    backend = Rfc2136Backend.from_settings()
    label = f"u-{uuid.uuid4().hex[:8]}"
    partition = Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")
    partition = ensure_partition(partition, backend)
    host = f"contoso-com.{partition.zone}"
    ZoneRRset.objects.create(
        partition=partition, name=host, rdtype="A", ttl=300, rdatas=["192.0.2.25"]
    )
    push_names(partition, [host], backend)
    repair_drift(partition, backend)

    page.goto(url_of(live_server, "/operator/"))
    page.get_by_role("navigation", name="Operators").get_by_role(
        "link", name="Partition zones"
    ).click()
    top = page.locator("[data-zone-problems]")
    expect(top).to_contain_text("Every partition zone is served consistently")
    zone = page.locator(f'[data-zone="{partition.zone}"]')
    expect(zone).to_contain_text("Servers agree")
    expect(zone).to_contain_text("Matches the expected DS")

    rogue = f"rogue.{partition.zone}"
    dnsnet.update(("add", rogue, "A", 300, "203.0.113.1"), zone=partition.zone)
    page.reload()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(partition.zone)
    expect(alert).to_contain_text("drift: the zone changed on its servers")
    expect(zone.get_by_text("Needs attention")).to_be_visible()
    check_page(page, "operator-partitions", phone=True)

    zone.get_by_role("button", name="Run drift repair now").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Drift repair of {partition.zone} is queued."
    )
    last_repair = page.locator(f'[data-zone="{partition.zone}"] [data-last-repair]')
    for _ in range(120):  # the worker repairs it; the page shows what the repair changed
        if "1 unexpected" in last_repair.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(last_repair).to_contain_text("0 missing, 0 changed, 1 unexpected")
    expect(last_repair).to_contain_text(f"{rogue} A")
    expect(page.locator("[data-zone-problems]")).to_contain_text(
        "Every partition zone is served consistently"
    )


def test_the_operations_queue_filters_and_opens_an_operation(
    operator_page: Page, live_server: Any, ui_tenant: Tenant
) -> None:
    page = operator_page
    domain = DomainFactory.create(tenant=ui_tenant, verified=True, dnssec_state=DnssecState.FAILED)
    failed = OperationFactory.create(
        domain=domain,
        state=OperationState.FAILED,
        error_code=ErrorCode.DNSSEC_OPERATION_FAILED,
        error_detail="the update was refused",
        steps=["placed"],
        attempts=6,
    )
    OperationFactory.create(domain__tenant=ui_tenant)  # pending
    OperationFactory.create()  # another tenant's, pending

    page.goto(url_of(live_server, "/operator/operations/"))
    rows = page.locator("tbody tr[data-operation]")
    expect(rows).to_have_count(3)
    page.get_by_label("State").select_option("failed")
    page.get_by_label("Error code").select_option(ErrorCode.DNSSEC_OPERATION_FAILED)
    page.get_by_label("Tenant").fill(ui_tenant.slug)
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-operation", str(failed.id))
    check_page(page, "operator-operations", phone=True)

    rows.first.get_by_role("link").click()
    expect(page.locator("[data-attempts]")).to_contain_text("6")
    expect(page.locator("[data-steps]")).to_contain_text("placed")
    expect(page.get_by_role("button", name="Run this command again")).to_be_visible()
    check_page(page, "operator-operation")


def test_the_read_only_domain_view_has_no_write_and_refuses_a_post(
    operator_page: Page, live_server: Any, ui_tenant: Tenant
) -> None:
    page = operator_page
    name = make_verified_domain(ui_tenant)
    page.goto(url_of(live_server, "/operator/domains/"))
    page.get_by_label("Domain name or tenant").fill(name[:8])
    page.get_by_role("button", name="Search").click()
    check_page(page, "operator-domain-search")
    page.get_by_role("link", name=name).click()
    expect(page.locator("[data-read-only]")).to_contain_text(ui_tenant.slug)
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("button", name="Check again now")).to_have_count(0)
    expect(page.get_by_role("link", name="Enable DNSSEC")).to_have_count(0)
    check_page(page, "operator-domain-read-only")

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(page.url, headers={"X-CSRFToken": csrf})
    assert refused.status == 403


def test_re_check_all_follows_the_batch_until_every_domain_is_done(
    worker: WorkerProcess, admin_page: Page, live_server: Any, ui_tenant: Tenant
) -> None:
    page = admin_page
    for _ in range(2):
        make_verified_domain(ui_tenant)
    page.goto(tenant_url(live_server, ui_tenant))
    page.get_by_role("button", name="Re-check all").click()
    progress = page.locator("#check-batch")
    expect(progress.locator("[data-batch-done]")).to_have_text(
        "3 of 3 domains done", timeout=60_000
    )
    expect(progress).to_have_attribute("data-state", "done")
    expect(progress).to_contain_text("2 checked, 1 not checkable")
    check_page(page, "re-check-all")
    progress.get_by_role("link", name="Show the domains with their new results").click()
    expect(page.get_by_text("Not checked yet")).to_have_count(1)  # only the initial domain
