"""POST /tlsrpt/<token>/: every vector report is stored through HTTPS with its counts (once
processed: these tests run in a transaction no worker sees, so they process in-process what
the worker would); the endpoint refuses what it must (415, 413, 400 saying why, 429), counts
the refusals and stores nothing for them, stores a duplicate once, and needs no session or
CSRF token."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from domains.audit import Actor
from domains.models import AcceptedDomain
from domains.tlsrpt import services
from domains.tlsrpt.models import (
    TlsFailureDetail,
    TlsReport,
    TlsRptDaily,
    TlsRptOrganizationDaily,
    TlsRptRefusal,
)
from tests.tlsrpt.conftest import ACCEPTED_REPORTS, vector_bytes
from tests.tlsrpt.test_report_parser import gzip_bomb

pytestmark = pytest.mark.django_db


def url_of(domain: AcceptedDomain) -> str:
    return f"/tlsrpt/{services.endpoint_for(domain).token}/"


def post(domain: AcceptedDomain, body: bytes, content_type: str):
    return Client(enforce_csrf_checks=True).post(
        url_of(domain), data=body, content_type=content_type
    )


def refusals(reason: str) -> int:
    return sum(
        TlsRptRefusal.objects.filter(channel="https", reason=reason).values_list("count", flat=True)
    )


@pytest.mark.parametrize("name", ACCEPTED_REPORTS)
@pytest.mark.parametrize("gzipped", [True, False])
def test_vector_reports_are_stored_with_their_counts(
    domain: AcceptedDomain, name: str, gzipped: bool
) -> None:
    raw = vector_bytes(name)
    document = json.loads(raw)
    body = gzip.compress(raw) if gzipped else raw
    media_type = "application/tlsrpt+gzip" if gzipped else "application/tlsrpt+json"
    response = post(domain, body, media_type)
    assert response.status_code == 201, response.content
    assert response.json()["report-id"] == document["report-id"]
    report = TlsReport.objects.get(domain=domain)
    assert report.processed_at is None  # answered before its details are written
    assert not TlsFailureDetail.objects.filter(report=report).exists()
    assert services.process_pending_reports() == 1
    report.refresh_from_db()
    assert report.processed_at is not None
    summaries = [p["summary"] for p in document["policies"]]
    assert report.total_successful_session_count == sum(
        s.get("total-successful-session-count", 0) for s in summaries
    )
    assert report.total_failure_session_count == sum(
        s.get("total-failure-session-count", 0) for s in summaries
    )
    failures = [f for p in document["policies"] for f in p.get("failure-details", [])]
    stored = TlsFailureDetail.objects.filter(report=report)
    assert sorted(stored.values_list("result_type", "failed_session_count")) == sorted(
        (f["result-type"], f["failed-session-count"]) for f in failures
    )
    assert report.policies.count() == len(document["policies"])
    assert gzip.decompress(bytes(report.raw_gzip)) == raw
    org = TlsRptOrganizationDaily.objects.get(domain=domain)
    assert (org.organization_name, org.reports) == (document["organization-name"], 1)


def test_appendix_b_aggregates_per_day_policy_and_result_type(domain: AcceptedDomain) -> None:
    assert (
        post(domain, vector_bytes("rfc8460-appendix-b.json"), "application/tlsrpt+json").status_code
        == 201
    )
    services.process_pending_reports()
    rows = {
        (row.policy_type, row.result_type): (row.successful_sessions, row.failed_sessions)
        for row in TlsRptDaily.objects.filter(domain=domain)
    }
    assert rows == {
        ("sts", ""): (5326, 303),
        ("sts", "certificate-expired"): (0, 100),
        ("sts", "starttls-not-supported"): (0, 200),
        ("sts", "validation-failure"): (0, 3),
    }


def test_a_duplicate_is_accepted_and_stored_once(domain: AcceptedDomain) -> None:
    body = vector_bytes("peer-stalwart-rpt02.json")
    assert post(domain, body, "application/tlsrpt+json").status_code == 201
    again = post(domain, gzip.compress(body), "application/tlsrpt+gzip")
    assert again.status_code == 200
    assert again.json()["stored"] is False
    assert TlsReport.objects.filter(domain=domain).count() == 1
    assert services.process_pending_reports() == 1
    assert services.process_pending_reports() == 0  # processed once, counted once
    summary = TlsRptDaily.objects.get(domain=domain, result_type="")
    assert (summary.successful_sessions, summary.failed_sessions, summary.reports) == (23, 1, 1)


def test_other_media_types_are_415_and_counted(domain: AcceptedDomain) -> None:
    for media_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        response = post(domain, vector_bytes("rfc8460-appendix-b.json"), media_type)
        assert response.status_code == 415
        assert response.json()["code"] == "UnsupportedMediaType"
    assert refusals("unsupported-media-type") == 3
    assert not TlsReport.objects.exists()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (vector_bytes("rfc8460-appendix-b.as-printed.txt"), "not JSON"),
        (b'{"organization-name": "x"}', '"date-range" is a required property'),
        (b"[" * 5000 + b"]" * 5000, "nest"),
        (
            vector_bytes("rfc8460-appendix-b.json").replace(b'"Company-X"', b'"Company\\u0000X"'),
            "NUL character",
        ),
    ],
)
def test_malformed_reports_are_400_saying_why_and_kept_nowhere(
    domain: AcceptedDomain, body: bytes, says: str
) -> None:
    response = post(domain, body, "application/tlsrpt+json")
    assert response.status_code == 400
    assert response.json()["code"] == "ReportRejected"
    assert says in response.json()["detail"]
    assert not TlsReport.objects.exists()
    assert TlsRptRefusal.objects.filter(channel="https").count() == 1


def test_oversized_upload_is_413_before_reading(
    domain: AcceptedDomain, settings: SettingsWrapper
) -> None:
    settings.TLSRPT_MAX_UPLOAD_BYTES = 1000
    response = post(domain, b"{" + b" " * 2000 + b"}", "application/tlsrpt+json")
    assert response.status_code == 413
    assert response.json()["code"] == "RequestTooLarge"
    assert refusals("too-large") == 1


def test_gzip_bomb_is_413_at_the_decompressed_limit(domain: AcceptedDomain) -> None:
    response = post(domain, gzip_bomb(), "application/tlsrpt+gzip")
    assert response.status_code == 413
    assert "decompresses to more than 5242880 bytes" in response.json()["detail"]
    assert refusals("decompressed-too-large") == 1


def test_rate_limit_per_token(
    domain: AcceptedDomain,
    other_tenant,
    settings: SettingsWrapper,
    unique_report: Callable[[str], bytes],
) -> None:
    # A day-long window: four posts on a slow machine never straddle a window boundary the
    # way they can straddle a minute (the counter is per fixed window).
    settings.TLSRPT_RATE_PER_TOKEN = "3/day"
    codes = [
        post(
            domain, unique_report("peer-stalwart-rpt03.json"), "application/tlsrpt+json"
        ).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [201, 201, 201]
    assert codes[3] == 429
    other = other_tenant.domains.get(is_initial=True)
    assert (
        post(
            other, unique_report("peer-stalwart-rpt03.json"), "application/tlsrpt+json"
        ).status_code
        == 201
    )


def test_default_rate_takes_a_burst_of_60(
    domain: AcceptedDomain, unique_report: Callable[[str], bytes]
) -> None:
    for _ in range(60):
        response = post(
            domain, unique_report("peer-stalwart-rpt03.json"), "application/tlsrpt+json"
        )
        assert response.status_code == 201
    assert TlsReport.objects.filter(domain=domain).count() == 60


def test_unknown_or_rotated_token_is_404(domain: AcceptedDomain) -> None:
    old = url_of(domain)
    services.rotate_token(domain, actor=Actor.cli())
    response = Client().post(
        old, data=vector_bytes("rfc8460-appendix-b.json"), content_type="application/tlsrpt+json"
    )
    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "detail": "No report endpoint here."}
    assert (
        Client().post("/tlsrpt/x/", data=b"{}", content_type="application/tlsrpt+json").status_code
        == 404
    )
    assert (
        post(domain, vector_bytes("rfc8460-appendix-b.json"), "application/tlsrpt+json").status_code
        == 201
    )


def test_no_session_no_csrf_nothing_else(domain: AcceptedDomain) -> None:
    response = post(domain, vector_bytes("rfc8460-appendix-b.json"), "application/tlsrpt+json")
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert Client().get(url_of(domain)).status_code == 405
    assert (
        Client()
        .post(url_of(domain) + "x/", data=b"{}", content_type="application/tlsrpt+json")
        .status_code
        == 404
    )


def test_refusals_do_not_log_the_token(
    domain: AcceptedDomain, caplog: pytest.LogCaptureFixture
) -> None:
    token = services.endpoint_for(domain).token
    post(domain, b"nope", "application/tlsrpt+json")
    post(domain, b"{}", "text/plain")
    assert caplog.records, "the refusals are logged"
    assert all(
        token not in record.getMessage() and token not in str(record.__dict__)
        for record in caplog.records
    )


def test_a_token_rotated_after_it_was_seen_takes_no_more_reports(
    domain: AcceptedDomain, unique_report: Callable[[str], bytes]
) -> None:
    old = url_of(domain)
    body = unique_report("peer-stalwart-rpt03.json")
    assert Client().post(old, data=body, content_type="application/tlsrpt+json").status_code == 201
    services.rotate_token(domain, actor=Actor.cli())  # this process still remembers the old one
    again = unique_report("peer-stalwart-rpt03.json")
    response = Client().post(old, data=again, content_type="application/tlsrpt+json")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    assert TlsReport.objects.filter(domain=domain).count() == 1


def test_reports_in_a_burst_share_one_wake_up(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, object]] = []
    monkeypatch.setattr(services, "enqueue", lambda task, **options: sent.append(options))
    monkeypatch.setattr(services, "_wake_covers_until", 0.0)
    clock = iter([100.0, 100.1, 100.2, 100.3])
    monkeypatch.setattr(services.time, "monotonic", lambda: next(clock))
    for _ in range(4):
        services.wake_report_processing()
    # The wake-up sent at 100.0 runs at 100.25: after the reports of 100.1 and 100.2.
    assert [options["countdown"] for options in sent] == [services.WAKE_DELAY] * 2
