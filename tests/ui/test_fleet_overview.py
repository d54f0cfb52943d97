"""The operators' fleet overview in Chromium on the real stack: after a burst of commands
carried out by the Celery worker, the figures an operator reads (states, funnel, operations,
the charts' tables) are the database's; the charts are drawn (Chart.js under the CSP); the
page passes axe on a desktop and a phone."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import Page, expect

from dnsops.models import Partition
from domains import fleet
from domains.choices import IN_FLIGHT_STATES, DaneState, DnssecState
from domains.models import AcceptedDomain, Operation, Tenant
from tests.conftest import client_for
from tests.support import enable_url, make_operator, make_verified_domain
from tests.ui.conftest import check_page, url_of
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dns]


def cells(page: Page, table: str) -> list[list[str]]:
    """The text of each body row of the table ``#table`` (header cell first)."""
    rows = page.locator(f"#{table} tbody tr")
    return [
        [cell.strip() for cell in rows.nth(index).locator("th, td").all_inner_texts()]
        for index in range(rows.count())
    ]


def test_an_operator_sees_the_fleet_as_the_database_has_it(
    worker: WorkerProcess,
    partition: Partition,
    ui_tenant: Tenant,
    page: Page,
    live_server: Any,
    sign_in: Any,
) -> None:
    api = client_for(ui_tenant)
    names = [make_verified_domain(ui_tenant) for _ in range(5)]
    for name in names[:4]:  # a burst of commands; the fifth domain stays disabled
        assert api.post(enable_url(name, "dnssec")).status_code == 202
    deadline = time.monotonic() + 90
    while Operation.objects.filter(state__in=IN_FLIGHT_STATES).exists():
        assert time.monotonic() < deadline, "the worker did not finish the burst"
        time.sleep(0.2)
    assert AcceptedDomain.objects.filter(dnssec_state=DnssecState.PENDING_MX).count() == 4

    operator, _ = make_operator()
    sign_in(operator)
    page.goto(url_of(live_server, "/operator/"))
    expect(page.get_by_role("heading", name="Fleet overview", level=1)).to_be_visible()

    verified = AcceptedDomain.objects.filter(verified_at__isnull=False)
    summary = page.locator("#fleet-summary")
    expect(summary.locator("[data-figure=domains]")).to_have_text(str(verified.count()))
    expect(summary.locator("[data-figure=in-flight]")).to_have_text("0")
    expect(summary.locator("[data-figure=failed]")).to_have_text("0")

    # Domains by state: every cell is the database's count.
    by_state = Counter(
        {
            (row["dnssec_state"], row["dane_state"]): row["n"]
            for row in verified.values("dnssec_state", "dane_state").annotate(n=Count("id"))
        }
    )
    dane_states = [state.value for state in DaneState]
    for row in cells(page, "fleet-states"):
        dnssec = row[0]
        expected = [by_state[(dnssec, dane)] for dane in dane_states]
        assert [int(value) for value in row[1:-1]] == expected, dnssec
        assert int(row[-1]) == sum(expected)
    assert by_state[(DnssecState.PENDING_MX, DaneState.DISABLED)] == 4

    # The funnel: pending_mx domains (checked or not) are at step 4, disabled ones at 1; the
    # tenant's own domain on the provider has no migration to do.
    migrating = [domain for domain in verified if not domain.is_initial]
    funnel = {int(row[0]): int(row[2]) for row in cells(page, "fleet-funnel")}
    assert funnel[4] == 4
    assert funnel[1] == sum(1 for d in migrating if d.dnssec_state == DnssecState.DISABLED)
    assert sum(funnel.values()) == len(migrating)

    # Operations requested and finished in the last 24 hours, and per hour.
    assert cells(page, "fleet-last-day") == [
        ["Requested", "4"],
        ["Succeeded", "4"],
        ["Failed", "0"],
    ]
    hours = cells(page, "fleet-hours")
    assert len(hours) == fleet.OPERATION_HOURS
    assert hours[-1][0] == timezone.now().strftime("%H:00")
    assert [sum(int(row[column]) for row in hours) for column in (1, 2, 3)] == [4, 4, 0]

    # The check outcomes chart's table: today's runs per status, as the rollup has them.
    today = page.locator(f"#fleet-outcomes tbody tr[data-day='{timezone.now():%Y-%m-%d}']")
    expect(today).to_have_count(1)
    for canvas in page.locator("canvas[data-chart]").all():  # drawn, the CSP allowing it
        assert canvas.evaluate("element => Boolean(element.chart)")

    check_page(page, "operator fleet overview", phone=True)
