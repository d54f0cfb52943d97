"""The worker's processing of stored reports costs the same statements per batch however many
reports the batch holds, and still writes one ``domain.tlsrpt_failure`` event per report with
failures, and wakes the webhook delivery once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from domains.models import AcceptedDomain, Tenant
from domains.notifications.events import wake_delivery
from domains.notifications.models import Event, EventType
from domains.tlsrpt import services
from domains.tlsrpt.models import TlsReport
from tests.support import make_verified_domain

pytestmark = pytest.mark.django_db


def post_reports(domains: list[AcceptedDomain], count: int, report: Callable[[], bytes]) -> None:
    """``count`` reports, spread over ``domains``, accepted by the intake (not processed: its
    wake-up runs at a commit that never comes in this test)."""
    for number in range(count):
        token = services.endpoint_for(domains[number % len(domains)]).token
        response = Client().post(
            f"/tlsrpt/{token}/", data=report(), content_type="application/tlsrpt+json"
        )
        assert response.status_code == 201, response.content


def process(capture: Callable[..., Any]) -> tuple[int, int, int]:
    """Process what is pending: (reports processed, statements, delivery wake-ups)."""
    with capture() as callbacks, CaptureQueriesContext(connection) as queries:
        processed = services.process_pending_reports()
    wake_ups = [callback for callback in callbacks if callback is wake_delivery]
    return processed, len(queries), len(wake_ups)


def test_a_batch_costs_the_same_statements_for_two_reports_as_for_ten(
    tenant: Tenant,
    domain: AcceptedDomain,
    unique_report: Callable[[str], bytes],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    domains = [domain, AcceptedDomain.objects.get(name=make_verified_domain(tenant))]

    def failing() -> bytes:
        return unique_report("rfc8460-appendix-b.json")

    post_reports(domains, 2, failing)
    two = process(django_capture_on_commit_callbacks)
    post_reports(domains, 10, failing)
    ten = process(django_capture_on_commit_callbacks)

    assert (two[0], ten[0]) == (2, 10)
    assert ten[1] == two[1]  # statements: nothing per report
    assert (two[2], ten[2]) == (1, 1)  # one wake-up of the delivery per batch
    events = Event.objects.filter(type=EventType.TLSRPT_FAILURE)
    assert events.count() == 12
    for event in events:
        report = TlsReport.objects.get(public_id=event.data["report"])
        assert event.domain_id == report.domain_id
        assert event.tenant_id == tenant.pk
        assert event.data == {
            "organization": report.organization_name,
            "report_id": report.report_id,
            "failed_sessions": report.total_failure_session_count,
            "successful_sessions": report.total_successful_session_count,
            "report": str(report.public_id),
        }
        assert event.link.endswith(f"/t/{tenant.slug}/domains/{report.domain.name}/tls-reports/")
