"""The TLS-RPT pages in Chromium on the real stack: a domain's reports (chart, table, result
types, organizations, failure details, raw download, the TXT record and whether it is
published) agree with the API summary; the history marks days of own-MX faults; the
operators' page is for staff only; another tenant's domain is a 404; zh-Hant renders."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from domains.models import AcceptedDomain, Tenant
from domains.tlsrpt import services
from tests.conftest import client_for
from tests.factories import CheckRunFactory, DomainFactory
from tests.support import make_operator
from tests.ui.conftest import PHONE, MakeMember, check_page, tenant_url, url_of

pytestmark = pytest.mark.django_db(transaction=True)

VECTORS = Path(__file__).resolve().parents[2] / "data" / "tlsrpt"


def report_days_ago(
    name: str, days: int, report_id: str, rename_mx: tuple[str, str] | None = None
) -> bytes:
    """A vector report moved to ``days`` before today (UTC), with its own report-id and the
    receiving MX host ``rename_mx[0]`` renamed to ``rename_mx[1]``."""
    document = json.loads((VECTORS / name).read_bytes())
    start = (timezone.now() - timedelta(days=days)).date()
    document["date-range"] = {
        "start-datetime": f"{start}T00:00:00Z",
        "end-datetime": f"{start}T23:59:59Z",
    }
    document["report-id"] = report_id
    renames = dict([rename_mx]) if rename_mx else {}
    for policy in document["policies"]:
        for failure in policy.get("failure-details", []):
            host = failure.get("receiving-mx-hostname")
            if host in renames:
                failure["receiving-mx-hostname"] = renames[host]
    return json.dumps(document).encode()


def ingest(domain: AcceptedDomain, body: bytes) -> None:
    """Deliver ``body`` as the HTTPS intake does (the domain's own token)."""
    token = services.endpoint_for(domain).token
    ingested = services.accept_https_report(token, body, "application/tlsrpt+json")
    assert ingested.created
    services.process_pending_reports()  # what the worker does once the intake has answered


@pytest.fixture
def reported_domain(ui_tenant: Tenant) -> AcceptedDomain:
    """A domain of the tenant on a partition (so it has its MX host at the provider), checked
    once with our TLS-RPT record published, and three reports: App. B today (its
    validation-failure at our MX host), rpt02 two days ago, mail.ru five days ago. Its next
    check is an hour away, as after a real run: the session's worker sweeps due domains (a
    never-scheduled one is due), and a check of it here would store a run of its own."""
    domain = DomainFactory.create(
        tenant=ui_tenant, pending_mx=True, next_check_at=timezone.now() + timedelta(hours=1)
    )
    assert domain.dnssec_mx_value is not None
    CheckRunFactory(
        domain=domain,
        result={
            "Domain": domain.name,
            "TlsRpt": {
                "Published": True,
                "Valid": True,
                "Rua": [services.rua_for(domain)],
                "Findings": [],
            },
        },
    )
    ours = ("mx-backup.mail.company-y.example", domain.dnssec_mx_value)
    ingest(domain, report_days_ago("rfc8460-appendix-b.json", 0, "b-today", rename_mx=ours))
    ingest(domain, report_days_ago("peer-stalwart-rpt02.json", 2, "rpt02"))
    ingest(domain, report_days_ago("peer-parsedmarc-mail.ru.json", 5, "mailru"))
    return domain


def status_of(page: Page, url: str) -> int:
    """The HTTP status of the page at ``url``."""
    response = page.goto(url)
    assert response is not None
    return response.status


def reports_url(live_server: Any, tenant: Tenant, domain: AcceptedDomain) -> str:
    """The domain's TLS reports page."""
    return tenant_url(live_server, tenant, f"domains/{domain.name}/tls-reports/")


def test_the_tls_reports_page_shows_what_the_api_summary_says(
    admin_page: Page,
    context: BrowserContext,
    live_server: Any,
    ui_tenant: Tenant,
    reported_domain: AcceptedDomain,
    tmp_path: Path,
) -> None:
    page = admin_page
    api = client_for(ui_tenant)
    summary = api.get(
        f"/api/v1/domains/{reported_domain.name}/tls-reports/summary/", {"days": 30}
    ).json()
    days = summary["days"]
    reported = [
        day
        for day in days
        if day["total_successful_session_count"] or day["total_failure_session_count"]
    ]
    assert len(reported) == 3

    page.goto(tenant_url(live_server, ui_tenant, f"domains/{reported_domain.name}/"))
    page.get_by_role("link", name="TLS reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"TLS reports: {reported_domain.display_name}"
    )
    table = page.locator("#sessions-table")
    expect(table.locator("tbody tr")).to_have_count(30)
    for day in reported:
        row = table.locator(f'tr[data-day="{day["date"]}"]')
        expect(row.locator("[data-successful]")).to_have_text(
            str(day["total_successful_session_count"])
        )
        expect(row.locator("[data-failed]")).to_have_text(str(day["total_failure_session_count"]))
        for result_type, count in day["result_types"].items():
            expect(row).to_contain_text(f"{result_type} {count}")
    ok = sum(day["total_successful_session_count"] for day in days)
    failed = sum(day["total_failure_session_count"] for day in days)
    expect(page.locator("#sessions-totals")).to_have_text(
        f"{ok} successful and {failed} failed sessions in all."
    )
    expect(page.get_by_role("img", name="Successful and failed sessions")).to_be_visible()

    expect(page.locator("#organizations")).to_contain_text("Company-X")
    failures = page.locator("#failures")
    expect(failures).to_contain_text("198.51.100.62")
    expect(failures).to_contain_text(reported_domain.dnssec_mx_value or "")
    expect(failures).to_contain_text("203.0.113.58")
    expect(failures).to_contain_text("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED")
    expect(page.locator("#result-types")).to_contain_text("validation-failure")

    record = services.tlsrpt_record(reported_domain)
    expect(page.locator("[data-record-value]")).to_have_text(record)
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.locator("#tlsrpt-published")).to_contain_text("Published")
    expect(page.locator("#tlsrpt-published")).to_contain_text("this service's report address")
    check_page(page, "tls-reports", phone=True)

    row = page.locator("#reports tr", has_text="Company-X")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download JSON").click()
    saved = tmp_path / "report.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_bytes())["report-id"] == "b-today"

    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hant", "url": live_server.url}]
    )
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"TLS 報告：{reported_domain.display_name}"
    )
    check_page(page, "tls-reports-zh-hant")


def test_the_history_marks_days_of_faults_at_our_mx_and_other_tenants_see_nothing(
    admin_page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    reported_domain: AcceptedDomain,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    page = admin_page
    page.goto(tenant_url(live_server, ui_tenant, f"domains/{reported_domain.name}/history/"))
    faults = page.locator("#own-mx-faults")
    today = timezone.now().date().isoformat()
    expect(faults.locator("li")).to_have_count(1)  # rpt02's mismatch is not at our MX host
    expect(faults.locator(f'li[data-day="{today}"]')).to_contain_text(
        "validation-failure: 3 failed sessions"
    )
    expect(page.locator(".history-cells")).to_contain_text("TLS-RPT: MX fault that day")
    check_page(page, "history-tlsrpt-faults")

    other = DomainFactory.create(pending_mx=True)
    assert status_of(page, reports_url(live_server, ui_tenant, other)) == 404
    report_pk = reported_domain.tls_reports.get(report_id="b-today").public_id
    outsider, _ = make_member(other.tenant, "admin")
    sign_in(outsider)
    for path in ("tls-reports/", f"tls-reports/{report_pk}/raw/"):
        url = tenant_url(live_server, other.tenant, f"domains/{reported_domain.name}/{path}")
        assert status_of(page, url) == 404, path


#: JavaScript: whether an element's text ends inside its table's scroll box (not cut off).
CONTENT_INSIDE_ITS_TABLE = """cell => {
  const text = document.createRange();
  text.selectNodeContents(cell);
  const box = cell.closest(".table-wrap").getBoundingClientRect();
  return text.getBoundingClientRect().right <= box.right;
}"""


def test_the_operator_page_is_for_staff_only(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    reported_domain: AcceptedDomain,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    member, _ = make_member(ui_tenant, "admin")
    sign_in(member)
    assert status_of(page, url_of(live_server, "/operator/tlsrpt/")) == 403

    services.count_refusal("https", "malformed JSON")
    sign_in(make_operator("operator-tlsrpt")[0])
    assert status_of(page, url_of(live_server, "/operator/tlsrpt/")) == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("TLS-RPT across all domains")
    received = page.locator("#received tbody tr")
    expect(received).to_have_count(1)  # all three arrived today (they cover three days)
    expect(received).to_contain_text("3")
    expect(page.locator("#refusals")).to_contain_text("malformed JSON")
    top = page.locator("#top-domains tr", has_text=reported_domain.name)
    failed = sum(report.total_failure_session_count for report in reported_domain.tls_reports.all())
    expect(top).to_contain_text(str(failed))
    expect(page.locator("#result-types-over-time")).to_contain_text("validation-failure")
    check_page(page, "operator-tlsrpt", phone=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    name_cell = page.locator("#top-domains th[scope=row]").first  # a long name wraps, uncut
    assert name_cell.evaluate(CONTENT_INSIDE_ITS_TABLE)
    expect(page.get_by_role("link", name="TLS-RPT")).to_have_attribute("aria-current", "page")
