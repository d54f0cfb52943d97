"""TLS-RPT pages: a domain's reports (sessions per day as a chart and a table, result types,
reporting organizations, failure details, the raw reports, the TXT record to publish) and
the operators' page across all domains (staff only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from domains.tlsrpt import selectors
from domains.tlsrpt import services as tlsrpt_services
from domains.ui.access import Member, operator_page, tenant_page
from domains.ui.views.status import domain_of

#: The days the pages cover, ending today (UTC), as the API summary's default.
DAYS = 30
#: The chart's drawing area in SVG user units (one bar per day).
CHART_HEIGHT = 120
BAR_STEP = 12
BAR_WIDTH = 9
RECENT_REPORTS = 50


@dataclass(frozen=True)
class ChartBar:
    """One day's bar: the failed sessions stacked on the successful ones."""

    day: selectors.DaySummary
    x: int
    success_y: int
    success_height: int
    failure_y: int
    failure_height: int


def chart_bars(summary: list[selectors.DaySummary]) -> list[ChartBar]:
    """The bars of the sessions chart, scaled to the busiest day."""
    busiest = max(
        (d.total_successful_session_count + d.total_failure_session_count for d in summary),
        default=0,
    )
    scale = CHART_HEIGHT / busiest if busiest else 0.0
    bars = []
    for index, day in enumerate(summary):
        success = round(day.total_successful_session_count * scale)
        failure = round(day.total_failure_session_count * scale)
        if day.total_failure_session_count and not failure:
            failure = 1  # a failure is never invisible
        bars.append(
            ChartBar(
                day=day,
                x=index * BAR_STEP,
                success_y=CHART_HEIGHT - success,
                success_height=success,
                failure_y=CHART_HEIGHT - success - failure,
                failure_height=failure,
            )
        )
    return bars


@tenant_page
def tls_reports(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """The domain's TLS-RPT reports of the last 30 days and the record that brings them."""
    domain = domain_of(member, name)
    summary = selectors.daily_summary(domain, DAYS)
    rua = tlsrpt_services.rua_for(domain)
    context: dict[str, Any] = {
        "nav": "domains",
        "domain": domain,
        "days": DAYS,
        "summary": summary,
        "bars": chart_bars(summary),
        "chart_width": DAYS * BAR_STEP,
        "chart_height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "total_successful": sum(d.total_successful_session_count for d in summary),
        "total_failed": sum(d.total_failure_session_count for d in summary),
        "result_types": selectors.policy_result_types(domain, DAYS),
        "organizations": selectors.reporting_organizations(domain, DAYS),
        "failures": selectors.failure_groups(domain, DAYS),
        "reports": selectors.reports_of(domain, since=selectors.first_day(DAYS))[:RECENT_REPORTS],
        "record_name": f"_smtp._tls.{domain.name}",
        "record_value": tlsrpt_services.tlsrpt_record(domain),
        "published": selectors.published_state(domain, rua),
    }
    return render(request, "ui/tlsrpt/domain.html", context)


@tenant_page
def tls_report_raw(
    request: HttpRequest, member: Member, name: str, report_id: uuid.UUID
) -> HttpResponse:
    """One report of the domain as received (JSON, as a download); 404 for another tenant's."""
    domain = domain_of(member, name)
    found = selectors.raw_report(domain, report_id)
    if found is None:
        raise Http404(_("No such report."))
    report = found[0]
    response = HttpResponse(selectors.raw_json(report), content_type="application/tlsrpt+json")
    filename = f"tlsrpt-{domain.name}-{report.public_id}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@operator_page
def operator_tlsrpt(request: HttpRequest) -> HttpResponse:
    """Operators: reports received and refused per day, the top failing domains and the
    result types over time, across all tenants; 403 for anyone else."""
    context = {
        "nav": "operator_tlsrpt",
        "days": DAYS,
        "received": selectors.reports_received_per_day(DAYS),
        "refusals": selectors.refusals_per_day(DAYS),
        "top_domains": selectors.top_failing_domains(DAYS),
        "result_types": selectors.result_types_over_time(DAYS),
    }
    return render(request, "ui/tlsrpt/operator.html", context)
