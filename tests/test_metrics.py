"""``/metrics``: off without a token, 401 without the right bearer token, and with it the
Prometheus text format (read by prometheus-client's own parser) with every documented
series; the Grafana dashboard names only metrics that exist; with the stack's
``PROMETHEUS_MULTIPROC_DIR`` the worker's events are in the web process's answer."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery import current_app
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pytest_django.fixtures import Settings as SettingsWrapper

from domains.models import AcceptedDomain, Tenant
from tests.conftest import client_for
from tests.factories import DomainFactory, OperationFactory
from tests.support import enable_url, make_verified_domain, register_inbound_key
from tests.worker import WorkerProcess

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-test-token-0123456789"
DASHBOARD = ROOT / "deploy" / "grafana" / "dane-admin.json"

#: The series docs/metrics.md lists, as exposed (sample names).
DOCUMENTED = {
    "dane_domains",
    "dane_domains_migration_step",
    "dane_findings",
    "dane_operations",
    "dane_operations_retrying",
    "dane_sweep_lag_seconds",
    "dane_checks_overdue",
    "dane_inbound_key_expiry_seconds",
    "dane_celery_queue_length",
    "dane_operation_duration_seconds_bucket",
    "dane_check_runs_total",
    "dane_dns_push_seconds_bucket",
    "dane_dns_visibility_wait_seconds_bucket",
    "dane_outbound_validations_total",
}


def scrape(client: Client) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The metrics with the token: sample name → [(labels, value)], and each family's name
    (a gauge of no rows has no sample) → its samples' list."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        samples.setdefault(family.name, [])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


@pytest.fixture
def metrics_on(settings: SettingsWrapper) -> None:
    settings.DANE_METRICS_TOKEN = TOKEN


def test_metrics_are_off_without_a_token_setting(client: Client) -> None:
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@pytest.mark.usefixtures("metrics_on")
def test_metrics_refuse_a_missing_or_wrong_token(client: Client) -> None:
    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
        response = client.get("/metrics", headers=header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"dane_" not in response.content


@pytest.mark.usefixtures("metrics_on")
def test_metrics_parse_and_count_the_fleet(client: Client, tenant: Tenant) -> None:
    now = timezone.now()
    pending = DomainFactory.create_batch(
        3, tenant=tenant, pending_mx=True, last_check_codes="EX007"
    )
    dane = DomainFactory.create(
        tenant=tenant, dane_enabled=True, last_check_codes="", next_check_at=now
    )
    dnssec = DomainFactory.create(  # overdue for ten minutes
        tenant=tenant,
        dnssec_enabled=True,
        last_check_codes="",
        next_check_at=now - timedelta(seconds=600),
    )
    # The steps the service layer stores after runs with these findings (domains.migration).
    for domains_at, step in (([d.pk for d in pending], 4), ([dane.pk], 9), ([dnssec.pk], 8)):
        AcceptedDomain.objects.filter(pk__in=domains_at).update(migration_step=step)
    OperationFactory(domain__tenant=tenant, state="failed", error_code="DnssecOperationFailed")
    OperationFactory(domain__tenant=tenant, attempts=2)  # pending, after a failed attempt
    register_inbound_key("current")

    samples = scrape(client)

    assert all(name.startswith("dane_") for name in samples)
    assert all(values for name, values in samples.items() if name in DOCUMENTED), "no sample"
    assert set(samples) >= DOCUMENTED, DOCUMENTED - set(samples)
    domains = {(s["dnssec_state"], s["dane_state"]): v for s, v in samples["dane_domains"]}
    assert domains[("pending_mx", "disabled")] == 3
    assert domains[("enabled", "enabled")] == 1
    assert domains[("enabled", "disabled")] == 1
    steps = {s["step"]: v for s, v in samples["dane_domains_migration_step"]}
    assert steps["4"] == 3  # pending_mx, EX007: add the DNSSEC MX
    assert steps["9"] == 1  # DANE on, nothing found
    assert steps["8"] == 1  # DNSSEC on, MX right: enable DANE
    migrating = AcceptedDomain.objects.filter(verified_at__isnull=False, is_initial=False)
    assert sum(steps.values()) == migrating.count()  # the tenant's own domain has no step
    assert ({"code": "EX007"}, 3.0) in samples["dane_findings"]
    operations = {(s["state"], s["kind"]): v for s, v in samples["dane_operations"]}
    assert operations == {("pending", "Enable-DnssecForVerifiedDomain"): 1}  # in flight only
    assert samples["dane_operations_retrying"] == [
        ({"kind": "Enable-DnssecForVerifiedDomain"}, 1.0)
    ]
    assert samples["dane_checks_overdue"] == [({}, 2.0)]
    assert samples["dane_sweep_lag_seconds"][0][1] >= 600
    [(key, seconds)] = samples["dane_inbound_key_expiry_seconds"]
    assert key["state"] == "current"
    assert seconds > 0
    queues = {s["queue"] for s, _ in samples["dane_celery_queue_length"]}
    assert queues == {"celery", "checks", "notifications"}


@pytest.mark.usefixtures("metrics_on")
def test_a_scrape_answers_while_the_broker_is_away(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("broker_url", "broker_read_url"):
        monkeypatch.setattr(current_app.conf, name, "redis://127.0.0.1:9/0")  # nothing there
    started = time.monotonic()
    samples = scrape(client)
    assert samples["dane_celery_queue_length"] == []  # no sample rather than no answer
    assert "dane_domains" in samples
    assert time.monotonic() - started < 15


@pytest.mark.usefixtures("metrics_on")
def test_the_grafana_dashboard_names_only_exported_metrics(client: Client) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    without_labels = [re.sub(r"\b(?:by|without)\s*\([^)]*\)", "", expr) for expr in exprs]
    named = {name for expr in without_labels for name in re.findall(r"\bdane_[a-z_]+", expr)}
    assert len(named) >= 14
    exported = set(scrape(client))
    assert named <= exported, named - exported


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("metrics_on")
def test_the_workers_events_are_in_the_web_processs_metrics(
    worker: WorkerProcess, partition: object, tenant: Tenant, client: Client
) -> None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        pytest.skip("needs the stack's PROMETHEUS_MULTIPROC_DIR (deploy/test sets it)")

    def finished() -> float:
        [(_, count)] = [
            (labels, value)
            for labels, value in scrape(client)["dane_operation_duration_seconds_count"]
            if labels == {"kind": "Enable-DnssecForVerifiedDomain", "state": "succeeded"}
        ]
        return count

    before = finished()
    api = client_for(tenant)
    names = [make_verified_domain(tenant) for _ in range(3)]
    for name in names:
        assert api.post(enable_url(name, "dnssec")).status_code == 202
    deadline = time.monotonic() + 90
    while finished() < before + len(names):  # the worker, not this process, finished them
        assert time.monotonic() < deadline, "the worker's operations never showed in /metrics"
        time.sleep(0.2)
    pushes = scrape(client)["dane_dns_push_seconds_count"]
    assert any(labels == {"backend": "rfc2136"} and value >= 1 for labels, value in pushes)
