"""The intake answers, a real Celery worker processes (RFC 8460 §5.4): a report shows in the
API once its details and aggregates are written, each counted once; a report whose wake-up
was lost is processed by the beat's sweep (the pending rows are the queue)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient

from domains.models import AcceptedDomain
from domains.tasks import process_tls_reports
from domains.tlsrpt import services
from domains.tlsrpt.models import TlsRptDaily
from tests.worker import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


def post(domain: AcceptedDomain, body: bytes) -> None:
    """Deliver ``body`` to the domain's report URI; it must be accepted."""
    token = services.endpoint_for(domain).token
    response = Client().post(f"/tlsrpt/{token}/", data=body, content_type="application/tlsrpt+json")
    assert response.status_code == 201, response.content


def wait_until_listed(api: APIClient, domain: AcceptedDomain, count: int) -> list[dict]:
    """Poll the domain's report list until it shows ``count`` reports."""
    deadline = time.monotonic() + 60
    while True:
        results = api.get(f"/api/v1/domains/{domain.name}/tls-reports/").json()["results"]
        if len(results) >= count:
            return results
        assert time.monotonic() < deadline, f"{len(results)} of {count} reports processed"
        time.sleep(0.1)


def test_the_worker_writes_what_the_intake_stored(
    worker: WorkerProcess,
    api: APIClient,
    domain: AcceptedDomain,
    unique_report: Callable[[str], bytes],
) -> None:
    for _ in range(3):
        post(domain, unique_report("rfc8460-appendix-b.json"))
    listed = wait_until_listed(api, domain, 3)
    assert {report["total_failure_session_count"] for report in listed} == {303}
    detail = api.get(f"/api/v1/domains/{domain.name}/tls-reports/{listed[0]['id']}/").json()
    assert len(detail["policies"][0]["failure_details"]) == 3
    summary = TlsRptDaily.objects.get(domain=domain, result_type="")
    assert (summary.successful_sessions, summary.failed_sessions, summary.reports) == (
        3 * 5326,
        3 * 303,
        3,
    )
    worker.wait_until_idle()  # the processing claims once more after the batch it committed


def test_a_report_whose_wake_up_was_lost_is_processed_by_the_sweep(
    worker: WorkerProcess,
    api: APIClient,
    domain: AcceptedDomain,
    unique_report: Callable[[str], bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "wake_report_processing", lambda: None)
    post(domain, unique_report("peer-stalwart-rpt02.json"))
    assert domain.tls_reports.get().processed_at is None
    process_tls_reports.delay()  # what the beat sends every 30 s
    wait_until_listed(api, domain, 1)
    assert domain.tls_reports.get().processed_at is not None
    worker.wait_until_idle()  # the sweep claims once more after the batch it committed
