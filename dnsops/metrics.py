"""Prometheus instruments of the DNS machinery, and the registry every ``dane_`` event metric
of the service is created in (so a scrape shows only the service's own metrics, not the
client library's process and platform collectors).

Event metrics are recorded where the event happens, in whichever process it happens (web
server, Celery worker). With ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client keeps their
values in files of that directory, and ``/metrics`` adds up every process's files; without it
(the embedded default, one process) they live in this process only.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

#: The registry of the service's event metrics (``domains.instruments`` adds to it too).
REGISTRY = CollectorRegistry(auto_describe=True)

#: Seconds: from a few milliseconds (one UPDATE on loopback) to the visibility timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

DNS_PUSH_SECONDS = Histogram(
    "dane_dns_push_seconds",
    "Time to push one partition's changed names to the DNS servers (all batches).",
    ["backend"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DNS_VISIBILITY_WAIT_SECONDS = Histogram(
    "dane_dns_visibility_wait_seconds",
    "Time from the end of a push until every DNS server showed every batch (or gave up).",
    ["backend"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

# Every series the dashboards name exists from the first scrape (at zero).
for _backend in ("builtin", "rfc2136", "powerdns"):
    DNS_PUSH_SECONDS.labels(_backend)
    DNS_VISIBILITY_WAIT_SECONDS.labels(_backend)


def backend_label(backend: object) -> str:
    """The driver's name as a label value: its module's (``rfc2136``, ``powerdns``,
    ``builtin``)."""
    return type(backend).__module__.rsplit(".", 1)[-1]
