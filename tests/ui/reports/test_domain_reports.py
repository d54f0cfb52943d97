"""Pages 5-7 in Chromium on the real stack: a domain's status report with its permalink, the
history with what changed, and SMTP DANE inbound with the probe of the inbound servers."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth.models import User
from django.db import connection
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.choices import InboundKeyState
from dnsops.models import Partition
from domains import checks, commands
from domains.audit import Actor
from domains.choices import IN_FLIGHT_STATES
from domains.inbound_keys import register_certificate
from domains.models import AcceptedDomain, CheckRun, Operation, Tenant
from domains.operations import process_due_operations
from tests.checks_io.support import add_verified_domain, mx_records
from tests.dane_io.servers import Credentials, LoopbackServers, next_address, self_signed
from tests.dnsnet import DnsTestNetwork
from tests.ui.conftest import MakeMember, check_page, tenant_url

T = TypeVar("T")

pytestmark = [pytest.mark.dns, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ui_partition(transactional_db: None, dnsnet: DnsTestNetwork) -> Partition:
    """A partition zone of its own (provisioned on first use), committed for the live server."""
    label = f"t{uuid.uuid4().hex[:8]}"
    from django.conf import settings

    return Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")


@pytest.fixture
def servers() -> Iterator[LoopbackServers]:
    """Loopback SMTP servers for one test."""
    pool = LoopbackServers()
    yield pool
    pool.close()


MX_TTL = 1


def short_lived_mx(zone: str, *records: str) -> list[tuple[str, str, str, int, str]]:
    """UPDATE changes that make ``records`` the MX RRset of ``zone`` with a TTL of
    :data:`MX_TTL` seconds (so the validating resolver forgets the old set quickly)."""
    return [
        (op, name, rdtype, MX_TTL, rdata)
        for op, name, rdtype, _, rdata in mx_records(zone, *records)
    ]


def in_thread(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``work`` in another thread: Playwright's sync API holds this thread's event loop,
    and the checks and probes run their own (``asyncio.run``)."""

    def run() -> T:
        try:
            return work(*args, **kwargs)
        finally:
            connection.close()  # the thread's own connection, or the test database stays busy

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def carry_out_operations(tenant: Tenant, name: str) -> None:
    """Carry out the domain's due operations (in another thread: the visibility check runs its
    own event loop), and wait for any that the session's worker, woken by the command, claimed
    first."""
    in_thread(process_due_operations)
    deadline = time.monotonic() + 60
    in_flight = Operation.objects.filter(
        tenant=tenant, domain_name=name, state__in=IN_FLIGHT_STATES
    )
    while in_flight.exists():
        assert time.monotonic() < deadline, list(in_flight.values("state", "error_detail"))
        time.sleep(0.1)


def dnssec_domain(tenant: Tenant, dnsnet: DnsTestNetwork) -> tuple[str, str]:
    """A signed zone in the test network, verified for ``tenant`` with DNSSEC enabled (the
    operation carried out in-process): its name and its DnssecMxValue."""
    name = f"c{uuid.uuid4().hex[:12]}.{dnsnet.top_zone}"
    dnsnet.create_customer_zone(name, "signed")
    add_verified_domain(tenant, name)
    commands.enable_dnssec(tenant, name, actor=Actor.cli())
    carry_out_operations(tenant, name)
    domain = AcceptedDomain.objects.select_related("partition").get(tenant=tenant, name=name)
    assert domain.dnssec_mx_value is not None, domain.last_error
    return name, domain.dnssec_mx_value


def test_the_status_report_history_and_permalink_follow_the_mx_change(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    ui_partition: Partition,
    dnsnet: DnsTestNetwork,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    name, host = dnssec_domain(ui_tenant, dnsnet)
    legacy = f"mx1.{name}"
    dnsnet.update(
        ("add", legacy, "A", 60, "192.0.2.25"), *short_lived_mx(name, f"10 {legacy}"), zone=name
    )
    first = in_thread(checks.dnssec_status, ui_tenant, name, refresh=True)
    assert [f["code"] for f in first["MxValidation"]["Findings"]] == ["EX007"]
    user, _ = make_member(ui_tenant, "admin")
    sign_in(user)

    page.goto(tenant_url(live_server, ui_tenant, f"domains/{name}/status/"))
    mx = page.get_by_role("region", name=re.compile("^MX"))
    expect(mx.get_by_role("heading", level=2)).to_contain_text("Failed")
    expect(mx).to_contain_text("EX007")
    expect(mx).to_contain_text(host)  # the action names the MX host to add
    expect(mx).to_contain_text(f"10 {legacy}")  # the MX records the check looked at
    check_page(page, "status-report", phone=True)

    dnsnet.update(*short_lived_mx(name, f"10 {legacy}", f"20 {host}"), zone=name)
    dnsnet.wait_until_resolved(name, "MX", [f"10 {legacy}.", f"20 {host}."])
    page.get_by_role("button", name="Run the checks now").click()
    expect(page).to_have_url(re.compile(r"/status/runs/[0-9a-f-]{36}/$"))
    latest = CheckRun.objects.filter(domain__name=name).latest("started_at")
    expect(page).to_have_url(re.compile(rf"/status/runs/{latest.public_id}/$"))
    expect(mx).not_to_contain_text("EX007")
    expect(mx).to_contain_text("EX009")  # another host is more preferred

    page.get_by_role("link", name="History").click()
    cells = page.locator(".history-cells li")
    # Ours and any the worker ran for the enable command: one cell per stored run.
    runs = CheckRun.objects.filter(domain__name=name).count()
    assert runs >= 2
    expect(cells).to_have_count(runs)
    expect(cells.first).to_contain_text("Failed")  # text, not colour alone
    changes = page.get_by_role("table", name="What changed since the previous run")
    newest = changes.locator("tbody tr").first
    expect(newest).to_contain_text("new: EX009")
    expect(newest).to_contain_text("resolved: EX007")
    expect(changes.locator("tbody tr").last).to_contain_text("The first run shown.")
    check_page(page, "history", phone=True)

    page.goto(
        tenant_url(live_server, ui_tenant, f"domains/{name}/status/runs/{first['CheckRun']['Id']}/")
    )
    expect(mx).to_contain_text("EX007")  # the permalink keeps showing that run


def test_inbound_status_shows_expected_and_returned_tlsa_and_probes_each_address(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    ui_partition: Partition,
    dnsnet: DnsTestNetwork,
    servers: LoopbackServers,
    settings: SettingsWrapper,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    registered, stale = self_signed("mx.provider.test"), self_signed("old.provider.test")
    good_address, stale_address = next_address(), next_address()
    servers.smtp(good_address, Credentials.of([registered.certificate], registered.key))
    servers.smtp(stale_address, Credentials.of([stale.certificate], stale.key))
    settings.DANE_INBOUND_ADDRESSES = [good_address, stale_address]
    settings.DANE_INBOUND_SMTP_PORT = servers.port
    pem = registered.certificate.public_bytes(serialization.Encoding.PEM).decode()
    register_certificate(
        pem,
        name=f"inbound-{uuid.uuid4().hex[:6]}",
        state=InboundKeyState.CURRENT,
        actor=Actor.cli(),
    )
    name, _ = dnssec_domain(ui_tenant, dnsnet)
    commands.enable_smtp_dane_inbound(ui_tenant, name, actor=Actor.cli())
    carry_out_operations(ui_tenant, name)
    viewer, _ = make_member(ui_tenant, "viewer")  # probing reads: viewers may
    sign_in(viewer)

    page.goto(tenant_url(live_server, ui_tenant, f"domains/{name}/inbound/"))
    table = page.get_by_role("table", name="Expected TLSA records and those the resolver returns")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("Expected")
    expect(table.locator("tbody tr")).to_contain_text("Returned")
    expect(page.locator("dl.facts")).to_contain_text("Yes (AD)")
    check_page(page, "inbound")

    page.get_by_role("button", name="Probe now").click()
    served = page.get_by_role("table", name="Certificate served per inbound address")
    good = served.locator("tr", has_text=good_address)
    expect(good).to_contain_text("Matches")
    expect(good).to_contain_text("0 (the server certificate)")
    expect(served.locator("tr", has_text=stale_address)).to_contain_text("tlsa-invalid")
    expect(page.locator("#probe-result")).to_contain_text(
        "Not every address serves a matching certificate"
    )
    assert page.locator("#probe-result").get_attribute("aria-live") == "polite"
    check_page(page, "inbound-probe", phone=True)


def test_another_tenants_domain_reports_are_404(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    from domains import services

    other = services.create_tenant(f"o-{uuid.uuid4().hex[:8]}", actor=Actor.cli())
    theirs = add_verified_domain(other, f"theirs-{uuid.uuid4().hex[:6]}.example")
    user, _ = make_member(ui_tenant, "admin")
    sign_in(user)

    for path in ("status/", "inbound/", "history/", f"status/runs/{uuid.uuid4()}/"):
        response = page.goto(tenant_url(live_server, ui_tenant, f"domains/{theirs.name}/{path}"))
        assert response is not None
        assert response.status == 404, path
