"""The TLS-RPT API: the domain's TXT record to publish, the report list with its filters, the
daily summary, one report, the raw download, rotating the URI; all tenant-scoped."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from domains.models import AcceptedDomain, AuditEvent
from domains.tlsrpt import services
from tests.tlsrpt.conftest import vector_bytes

pytestmark = pytest.mark.django_db


def report_days_ago(name: str, days: int, report_id: str) -> bytes:
    """A vector report moved to ``days`` before today (UTC), with its own report-id."""
    document = json.loads(vector_bytes(name))
    start = (timezone.now() - timedelta(days=days)).date()
    document["date-range"] = {
        "start-datetime": f"{start}T00:00:00Z",
        "end-datetime": f"{start}T23:59:59Z",
    }
    document["report-id"] = report_id
    return json.dumps(document).encode()


def deliver(domain: AcceptedDomain, body: bytes) -> None:
    token = services.endpoint_for(domain).token
    response = Client().post(f"/tlsrpt/{token}/", data=body, content_type="application/tlsrpt+json")
    assert response.status_code == 201, response.content
    services.process_pending_reports()  # what the worker does (it cannot see this transaction)


@pytest.fixture
def reports(domain: AcceptedDomain) -> AcceptedDomain:
    """Three reports: App. B today, rpt02 (certificate-host-mismatch) 2 days ago and the
    Google one (successes only) 40 days ago."""
    deliver(domain, report_days_ago("rfc8460-appendix-b.json", 0, "b-today"))
    deliver(domain, report_days_ago("peer-stalwart-rpt02.json", 2, "rpt02"))
    deliver(domain, report_days_ago("peer-parsedmarc-google-2024.json", 40, "google"))
    return domain


def base(domain: AcceptedDomain) -> str:
    return f"/api/v1/domains/{domain.name}/tls-reports/"


def test_domain_json_says_which_txt_to_publish(
    api: APIClient, domain: AcceptedDomain, settings
) -> None:
    settings.DANE_PUBLIC_URL = "https://reports.provider.example:8443/some/path"
    body = api.get(f"/api/v1/domains/{domain.name}/").json()
    token = services.endpoint_for(domain).token
    assert body["tlsrpt_record"] == (
        f"v=TLSRPTv1; rua=https://reports.provider.example:8443/tlsrpt/{token}/"
    )
    assert len(token) >= 40
    listed = api.get("/api/v1/domains/").json()["results"]
    assert [d["tlsrpt_record"] for d in listed] == [body["tlsrpt_record"]]


def test_list_filters_by_date_and_result_type(api: APIClient, reports: AcceptedDomain) -> None:
    everything = api.get(base(reports)).json()
    assert [r["report_id"] for r in everything["results"]] == ["b-today", "rpt02", "google"]
    since = (timezone.now() - timedelta(days=5)).date().isoformat()
    recent = api.get(base(reports), {"since": since}).json()
    assert [r["report_id"] for r in recent["results"]] == ["b-today", "rpt02"]
    until = (timezone.now() - timedelta(days=1)).date().isoformat()
    older = api.get(base(reports), {"until": until}).json()
    assert [r["report_id"] for r in older["results"]] == ["rpt02", "google"]
    mismatch = api.get(base(reports), {"result_type": "certificate-host-mismatch"}).json()
    assert [r["report_id"] for r in mismatch["results"]] == ["rpt02"]
    bad = api.get(base(reports), {"since": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "InvalidRequest"
    assert "since" in bad.json()["errors"]


def test_summary_per_day_with_rfc_field_names(api: APIClient, reports: AcceptedDomain) -> None:
    response = api.get(base(reports) + "summary/", {"days": 30})
    assert response.status_code == 200
    days = response.json()["days"]
    assert len(days) == 30
    today, two_days_ago = days[-1], days[-3]
    assert today == {
        "date": timezone.now().date().isoformat(),
        "total_successful_session_count": 5326,
        "total_failure_session_count": 303,
        "result_types": {
            "certificate-expired": 100,
            "starttls-not-supported": 200,
            "validation-failure": 3,
        },
    }
    assert two_days_ago["total_successful_session_count"] == 23
    assert two_days_ago["result_types"] == {"certificate-host-mismatch": 1}
    assert sum(d["total_successful_session_count"] for d in days) == 5326 + 23  # Google: day -40
    wider = api.get(base(reports) + "summary/", {"days": 60}).json()["days"]
    assert sum(d["total_successful_session_count"] for d in wider) == 5326 + 23 + 48
    assert api.get(base(reports) + "summary/", {"days": 0}).status_code == 400
    assert api.get(base(reports) + "summary/", {"days": "x"}).json()["code"] == "InvalidRequest"


def test_one_report_with_failure_details_and_the_raw_download(
    api: APIClient, reports: AcceptedDomain
) -> None:
    listed = api.get(base(reports), {"result_type": "validation-failure"}).json()["results"]
    report_pk = listed[0]["id"]
    detail = api.get(f"{base(reports)}{report_pk}/").json()
    policy = detail["policies"][0]
    assert policy["policy_type"] == "sts"
    assert policy["mx_host"] == ["*.mail.company-y.example"]
    failure = next(f for f in policy["failure_details"] if f["result_type"] == "validation-failure")
    assert failure == {
        "result_type": "validation-failure",
        "failed_session_count": 3,
        "sending_mta_ip": "198.51.100.62",
        "receiving_mx_hostname": "mx-backup.mail.company-y.example",
        "receiving_mx_helo": "",
        "receiving_ip": "203.0.113.58",
        "additional_information": "",
        "failure_reason_code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED",
    }
    raw = api.get(f"{base(reports)}{report_pk}/raw/")
    assert raw.status_code == 200
    assert raw["Content-Type"] == "application/tlsrpt+gzip"
    assert json.loads(gzip.decompress(raw.content))["report-id"] == "b-today"
    missing = api.get(f"{base(reports)}{uuid.uuid4()}/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "TlsReportNotFound"
    assert api.get(f"{base(reports)}{uuid.uuid4()}/raw/").status_code == 404


def test_report_ids_are_opaque(api: APIClient, reports: AcceptedDomain) -> None:
    listed = api.get(base(reports)).json()["results"]
    ids = [report["id"] for report in listed]
    assert all(str(uuid.UUID(report_id)) == report_id for report_id in ids)
    assert len(set(ids)) == 3
    stored = reports.tls_reports.get(report_id="b-today")
    assert str(stored.public_id) in ids
    for path in (f"{stored.pk}/", f"{stored.pk}/raw/"):  # the database's counter finds nothing
        assert api.get(base(reports) + path).status_code == 404
    raw = api.get(f"{base(reports)}{stored.public_id}/raw/")
    assert str(stored.public_id) in raw["Content-Disposition"]
    assert f"-{stored.pk}." not in raw["Content-Disposition"]


def test_a_report_shows_once_processed(api: APIClient, domain: AcceptedDomain) -> None:
    token = services.endpoint_for(domain).token
    body = report_days_ago("rfc8460-appendix-b.json", 0, "pending")
    posted = Client().post(f"/tlsrpt/{token}/", data=body, content_type="application/tlsrpt+json")
    assert posted.status_code == 201
    pending = domain.tls_reports.get()
    assert api.get(base(domain)).json()["results"] == []
    assert api.get(f"{base(domain)}{pending.public_id}/").status_code == 404
    today = api.get(base(domain) + "summary/", {"days": 1}).json()["days"][0]
    assert today["total_successful_session_count"] == 0
    assert services.process_pending_reports() == 1
    assert [r["id"] for r in api.get(base(domain)).json()["results"]] == [str(pending.public_id)]
    assert api.get(f"{base(domain)}{pending.public_id}/").status_code == 200
    today = api.get(base(domain) + "summary/", {"days": 1}).json()["days"][0]
    assert today["total_successful_session_count"] == 5326


def test_other_tenants_get_404_everywhere(
    other_api: APIClient, reports: AcceptedDomain, api: APIClient
) -> None:
    report_pk = api.get(base(reports)).json()["results"][0]["id"]
    for path in (
        base(reports),
        base(reports) + "summary/",
        f"{base(reports)}{report_pk}/",
        f"{base(reports)}{report_pk}/raw/",
    ):
        response = other_api.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "DomainNotFound"
    assert other_api.post(f"/api/v1/domains/{reports.name}/tlsrpt-token/rotate/").status_code == 404
    assert APIClient().get(base(reports)).status_code in (401, 403)


def test_rotating_the_token_retires_the_old_uri_and_is_audited(
    api: APIClient, domain: AcceptedDomain
) -> None:
    old = api.get(f"/api/v1/domains/{domain.name}/").json()["tlsrpt_record"]
    response = api.post(f"/api/v1/domains/{domain.name}/tlsrpt-token/rotate/")
    assert response.status_code == 200
    new = response.json()["tlsrpt_record"]
    assert response.json()["tlsrpt_record_name"] == f"_smtp._tls.{domain.name}"
    assert new != old
    assert api.get(f"/api/v1/domains/{domain.name}/").json()["tlsrpt_record"] == new
    old_path = "/" + old.split("/", 3)[3]
    body = vector_bytes("rfc8460-appendix-b.json")
    assert (
        Client().post(old_path, data=body, content_type="application/tlsrpt+json").status_code
        == 404
    )
    new_path = "/" + new.split("/", 3)[3]
    assert (
        Client().post(new_path, data=body, content_type="application/tlsrpt+json").status_code
        == 201
    )
    event = AuditEvent.objects.get(action="domain.tlsrpt_token_rotated")
    assert (event.target_id, event.tenant_id) == (domain.name, domain.tenant_id)
    assert new.split("/")[-2] not in json.dumps(event.data)
