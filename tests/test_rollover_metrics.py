"""The rollover's Prometheus collector: its families parse with prometheus-client's text
parser and carry what each probed address serves; /metrics includes them."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dnsops.models import ServedCertificate
from domains.metrics import scrape_registry
from domains.rollover_metrics import RolloverCollector
from tests.support import register_inbound_key

pytestmark = pytest.mark.django_db


def test_the_collector_exports_match_and_findings() -> None:
    key = register_inbound_key("current")
    ServedCertificate.objects.create(
        address="127.0.0.9", port=25, probed_at=key.created_at, detail="connection refused"
    )
    registry = CollectorRegistry()
    registry.register(RolloverCollector())
    families = {
        family.name: family
        for family in text_string_to_metric_families(generate_latest(registry).decode())
    }
    (match,) = families["dane_inbound_served_key_match"].samples
    assert (match.labels["address"], match.value) == ("127.0.0.9", 0)
    (finding,) = families["dane_inbound_probe_findings"].samples
    assert (finding.labels, finding.value) == ({"code": "EK006", "severity": "error"}, 1)
    assert families["dane_inbound_rollover_in_progress"].samples[0].value == 0


def test_metrics_scrape_includes_the_rollover_families() -> None:
    families = {
        family.name
        for family in text_string_to_metric_families(generate_latest(scrape_registry()).decode())
    }
    assert {
        "dane_inbound_served_key_match",
        "dane_inbound_probe_findings",
        "dane_inbound_rollover_in_progress",
        "dane_inbound_key_expiry_seconds",
    } <= families
