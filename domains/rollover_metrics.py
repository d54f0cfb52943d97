"""Prometheus metric families of the inbound key rollover, as a prometheus-client custom
collector (``RolloverCollector``, one of ``domains.metrics.COLLECTORS``): read from the
database at each scrape (the probe's last results), so every process exports the same values.
The keys' expiry is ``dane_inbound_key_expiry_seconds`` of ``domains.metrics``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domains import rollover


class RolloverCollector(Collector):
    """``dane_inbound_served_key_match``, ``dane_inbound_probe_findings`` and
    ``dane_inbound_rollover_in_progress``."""

    def collect(self) -> Iterator[Metric]:
        """One sample per inbound address and per finding code."""
        now = timezone.now()
        served = rollover.served_status(now=now)
        match = GaugeMetricFamily(
            "dane_inbound_served_key_match",
            "1 when the chain the inbound address served at the last probe matches a "
            "published TLSA record, else 0.",
            labels=["address", "key"],
        )
        for entry in served:
            match.add_metric([entry["Address"], entry["ServedKey"] or ""], int(entry["Matches"]))
        yield match

        findings = GaugeMetricFamily(
            "dane_inbound_probe_findings",
            "Findings of the served-certificate probe now, by code and severity (EK0xx).",
            labels=["code", "severity"],
        )
        counts = Counter(
            (finding["code"], finding["severity"])
            for finding in rollover.current_findings(served, now=now)
        )
        for (code, severity), count in sorted(counts.items()):
            findings.add_metric([code, severity], count)
        yield findings

        state = rollover.rollover_state()
        yield GaugeMetricFamily(
            "dane_inbound_rollover_in_progress",
            "1 while a next key is published or an outgoing key is not yet retired.",
            value=int(state["InProgress"]),
        )
