"""``/metrics`` in the Prometheus text format: the scrape-time collectors (gauges computed from
the database and the broker when Prometheus asks) and the exposition of everything.

``COLLECTORS`` is the one list of scrape-time collectors: to add metrics, write a class with a
``collect()`` that yields prometheus-client metric families named ``dane_…`` (cheap, indexed
queries only: a scrape runs them all), append it here, and list its metrics in
``docs/metrics.md``. Event metrics (counters, histograms) are in ``domains.instruments`` and
``dnsops.metrics``; with ``PROMETHEUS_MULTIPROC_DIR`` set they are read from every process's
files (``MultiProcessCollector``), otherwise from this process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from celery import current_app
from django.conf import settings
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from dnsops.metrics import REGISTRY
from domains import fleet
from domains import instruments as _instruments  # noqa: F401 - its metrics are in REGISTRY
from domains.rollover_metrics import RolloverCollector

logger = logging.getLogger(__name__)


class FleetCollector(Collector):
    """Domains by state, by migration step and by finding code; operations in flight and
    retrying; the sweep's lag (``domains.fleet``: one indexed query each)."""

    def collect(self) -> Iterator[Metric]:
        """The fleet's gauges now."""
        now = timezone.now()
        groups = fleet.domain_groups()
        domains = GaugeMetricFamily(
            "dane_domains",
            "Verified domains by DNSSEC state and SMTP DANE inbound state.",
            labels=["dnssec_state", "dane_state"],
        )
        for (dnssec_state, dane_state), count in sorted(fleet.states(groups).items()):
            domains.add_metric([dnssec_state, dane_state], count)
        yield domains
        steps = GaugeMetricFamily(
            "dane_domains_migration_step",
            "Verified domains at each step (1-9) of the MX migration.",
            labels=["step"],
        )
        for step, count in fleet.funnel(groups):
            steps.add_metric([str(step)], count)
        yield steps
        findings = GaugeMetricFamily(
            "dane_findings",
            "Domains whose latest status check has a finding with this code.",
            labels=["code"],
        )
        for code, count in fleet.findings_now(groups):
            findings.add_metric([code], count)
        yield findings
        operations = GaugeMetricFamily(
            "dane_operations",
            "Operations in flight (pending, running), by state and kind.",
            labels=["state", "kind"],
        )
        for state, kind, count in fleet.operations_in_flight():
            operations.add_metric([state, kind], count)
        yield operations
        retrying = GaugeMetricFamily(
            "dane_operations_retrying",
            "Operations waiting for another attempt after a transient failure, by kind.",
            labels=["kind"],
        )
        for kind, count in fleet.operations_retrying():
            retrying.add_metric([kind], count)
        yield retrying
        lag = fleet.sweep_lag(now)
        yield GaugeMetricFamily(
            "dane_sweep_lag_seconds",
            "Seconds since the oldest due status check became due (0: none is due).",
            value=lag.seconds,
        )
        yield GaugeMetricFamily(
            "dane_checks_overdue", "Domains whose status check is due now.", value=lag.overdue
        )


class InboundKeyCollector(Collector):
    """Seconds until each inbound key's certificate expires."""

    def collect(self) -> Iterator[Metric]:
        """One gauge per key."""
        now = timezone.now()
        expiry = GaugeMetricFamily(
            "dane_inbound_key_expiry_seconds",
            "Seconds until the inbound certificate's notAfter (negative: expired).",
            labels=["key", "state"],
        )
        for key in fleet.inbound_keys():
            expiry.add_metric([key.name, key.state], (key.not_after - now).total_seconds())
        yield expiry


class CeleryQueueCollector(Collector):
    """Messages waiting in each Celery queue (on Redis: ``LLEN`` of the queue's list)."""

    def collect(self) -> Iterator[Metric]:
        """The queue lengths; nothing when the broker does not answer (logged)."""
        lengths = GaugeMetricFamily(
            "dane_celery_queue_length", "Messages waiting in the Celery queue.", labels=["queue"]
        )
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                with current_app.connection_for_read() as connection:
                    connection.ensure_connection(max_retries=1, timeout=2)  # never hang a scrape
                    client = connection.default_channel.client  # type: ignore[attr-defined]  # Redis
                    for queue in settings.CELERY_TASK_QUEUES:
                        lengths.add_metric([queue.name], client.llen(queue.name))
            except Exception as exc:  # a scrape never fails because the broker is away
                logger.warning("celery queue lengths unavailable", extra={"error": str(exc)})
        yield lengths


#: The scrape-time collectors, in the order their metrics are exposed.
COLLECTORS: list[Collector] = [
    FleetCollector(),
    InboundKeyCollector(),
    RolloverCollector(),
    CeleryQueueCollector(),
]


class _EventMetrics(Collector):
    """This process's event metrics (no ``PROMETHEUS_MULTIPROC_DIR``)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """A registry of everything one scrape shows: the event metrics of every process (or of
    this one) and the ``COLLECTORS``."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_EventMetrics())
    for collector in COLLECTORS:
        registry.register(collector)
    return registry


def exposition() -> bytes:
    """The metrics in the Prometheus text format."""
    return generate_latest(scrape_registry())
