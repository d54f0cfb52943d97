"""Retention (the beat purge) and the reads the pages and operators use."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.tlsrpt.report import MEDIA_TYPE_JSON, ReportLimits, parse_report, read_report
from domains.models import AcceptedDomain, AuditEvent
from domains.tasks import purge_tls_reports
from domains.tlsrpt import selectors, services
from domains.tlsrpt.models import Channel, TlsFailureDetail, TlsReport, TlsRptDaily
from tests.tlsrpt.conftest import vector_bytes

pytestmark = pytest.mark.django_db
LIMITS = ReportLimits(max_compressed=1024 * 1024, max_decompressed=5 * 1024 * 1024, max_depth=16)


def store(
    domain: AcceptedDomain, name: str, days_ago: int, report_id: str, **changes: object
) -> None:
    document = json.loads(vector_bytes(name))
    start = (timezone.now() - timedelta(days=days_ago)).date()
    document["date-range"] = {
        "start-datetime": f"{start}T00:00:00Z",
        "end-datetime": f"{start}T23:59:59Z",
    }
    document["report-id"] = report_id
    document.update(changes)
    raw = json.dumps(document).encode()
    parsed, _ = read_report(raw, MEDIA_TYPE_JSON, LIMITS)
    services.store_report(parsed, raw, channel=Channel.HTTPS, domain=domain)
    services.process_pending_reports()


def test_purge_deletes_what_is_past_retention_and_is_audited(
    domain: AcceptedDomain, settings: SettingsWrapper
) -> None:
    settings.TLSRPT_RETENTION_DAYS = 30
    store(domain, "rfc8460-appendix-b.json", 40, "old")
    store(domain, "rfc8460-appendix-b.json", 2, "new")
    assert purge_tls_reports.apply().get() > 0
    assert list(TlsReport.objects.values_list("report_id", flat=True)) == ["new"]
    assert TlsFailureDetail.objects.filter(report__report_id="old").count() == 0
    assert not TlsRptDaily.objects.filter(
        day__lt=timezone.now().date() - timedelta(days=30)
    ).exists()
    assert AuditEvent.objects.filter(action="tlsrpt.reports_purged").count() == 1
    assert purge_tls_reports.apply().get() == 0
    assert (
        settings.CELERY_BEAT_SCHEDULE["purge-tls-reports"]["task"]
        == "domains.tasks.purge_tls_reports"
    )


def test_reads_for_pages_and_operators(domain: AcceptedDomain) -> None:
    store(domain, "rfc8460-appendix-b.json", 1, "b1")
    store(domain, "peer-stalwart-rpt02.json", 0, "s1")
    orgs = selectors.reporting_organizations(domain, 30)
    assert [(o["organization_name"], o["reports"]) for o in orgs] == [
        ("Company-X", 1),
        ("Google Inc.", 1),
    ]
    types = {
        (t["policy_type"], t["result_type"]): t["failed_sessions"]
        for t in selectors.policy_result_types(domain, 30)
    }
    assert types[("sts", "starttls-not-supported")] == 200
    assert types[("sts", "certificate-host-mismatch")] == 1
    groups = selectors.failure_groups(domain, 30)
    assert groups[0]["result_type"] == "starttls-not-supported"
    assert groups[0]["failed_sessions"] == 200
    top = selectors.top_failing_domains(30)
    assert top[0]["domain__name"] == domain.name
    assert top[0]["failed_sessions"] == 304
    assert {row["result_type"] for row in selectors.result_types_over_time(30)} >= {
        "validation-failure"
    }


def test_own_mx_faults_for_the_history(domain: AcceptedDomain, partition) -> None:
    AcceptedDomain.objects.filter(pk=domain.pk).update(
        partition=partition, mx_token="contoso-example"
    )
    domain.refresh_from_db()
    host = domain.dnssec_mx_value
    assert host is not None
    document = json.loads(vector_bytes("rfc8460-appendix-b.json"))
    failures = document["policies"][0]["failure-details"]
    failures[0]["receiving-mx-hostname"] = host
    failures[0]["result-type"] = "starttls-not-supported"  # not a fault of ours to mark
    failures[1]["receiving-mx-hostname"] = host.upper()  # certificate-expired
    failures[1]["result-type"] = "certificate-expired"
    failures[2]["result-type"] = "tlsa-invalid"  # another host
    store(domain, "rfc8460-appendix-b.json", 0, "mx", policies=document["policies"])
    marked = selectors.own_mx_faults(domain, 30)
    assert [(f.result_type, f.receiving_mx_hostname) for f in marked] == [
        ("certificate-expired", host)
    ]


def test_a_report_the_database_refuses_does_not_hold_up_the_others(
    domain: AcceptedDomain, caplog: pytest.LogCaptureFixture
) -> None:
    # A NUL in a failure detail, as if the intake had let one through: COPY refuses the row.
    document = json.loads(vector_bytes("rfc8460-appendix-b.json"))
    document["report-id"] = "poisoned"
    document["policies"][0]["failure-details"][0]["additional-information"] = "x\x00y"
    poisoned = json.dumps(document).encode()
    parsed = parse_report(json.loads(poisoned))
    services.store_report(parsed, poisoned, channel=Channel.HTTPS, domain=domain)
    store(domain, "peer-stalwart-rpt02.json", 0, "good")  # processes both
    assert not TlsReport.objects.filter(processed_at__isnull=True).exists()
    good = TlsReport.objects.get(report_id="good")
    assert TlsFailureDetail.objects.filter(report=good).count() == 1
    assert not TlsFailureDetail.objects.filter(report__report_id="poisoned").exists()
    assert "kept without details" in caplog.text
