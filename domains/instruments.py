"""Prometheus instruments of the product's events, recorded where they happen (the worker
finishing an operation, a sweep storing check runs, an outbound validation): counters and
histograms in ``dnsops.metrics.REGISTRY`` (multiprocess-safe, see there). The gauges computed
from the database at scrape time are in ``domains.metrics``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from prometheus_client import Counter as CounterMetric
from prometheus_client import Histogram

from dnsops.dane.verdicts import Verdict
from dnsops.metrics import REGISTRY
from domains.choices import OperationKind, OperationState
from domains.models import Operation

#: Seconds from a command's request to its end: a few seconds normally, hours when retried.
OPERATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0)

OPERATION_DURATION_SECONDS = Histogram(
    "dane_operation_duration_seconds",
    "Seconds from an operation's creation until it succeeded or failed for good.",
    ["kind", "state"],
    buckets=OPERATION_BUCKETS,
    registry=REGISTRY,
)
CHECK_RUNS = CounterMetric(
    "dane_check_runs",
    "Status check runs stored, by overall status (Passed, Warning, Failed).",
    ["result"],
    registry=REGISTRY,
)
OUTBOUND_VALIDATIONS = CounterMetric(
    "dane_outbound_validations",
    "Outbound DANE validations run (API and test_dane), by verdict.",
    ["verdict"],
    registry=REGISTRY,
)

# Every series the dashboards name exists from the first scrape (at zero).
for _kind in OperationKind:
    for _state in (OperationState.SUCCEEDED, OperationState.FAILED):
        OPERATION_DURATION_SECONDS.labels(_kind.value, _state.value)
for _result in ("Passed", "Warning", "Failed"):
    CHECK_RUNS.labels(_result)
for _verdict in Verdict:
    OUTBOUND_VALIDATIONS.labels(_verdict.value)


def observe_operations(operations: Sequence[Operation], state: str, finished_at: datetime) -> None:
    """Once the transaction commits: the durations of ``operations``, which ended in
    ``state`` at ``finished_at``."""
    durations = [
        (operation.kind, (finished_at - operation.created_at).total_seconds())
        for operation in operations
    ]

    def observe() -> None:
        for kind, seconds in durations:
            OPERATION_DURATION_SECONDS.labels(kind, state).observe(max(seconds, 0.0))

    transaction.on_commit(observe)


def count_check_runs(results: Iterable[str]) -> None:
    """Count stored check runs by overall status."""
    for result, count in Counter(results).items():
        CHECK_RUNS.labels(result).inc(count)


def count_outbound_validation(verdict: str) -> None:
    """Count one outbound validation."""
    OUTBOUND_VALIDATIONS.labels(verdict).inc()
