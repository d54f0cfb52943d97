"""Leases of claimed operations, renewed while a worker works on them (a heartbeat).

A worker that claims operations holds them for ``DANE_OPERATION_LEASE_SECONDS``; a thread
renews the lease every third of it until the work is done. The lease can therefore be short:
a worker killed with its operations (``kill -9``, out of memory, a lost machine) delays them by
one lease, not by the longest time an operation may take.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from domains.choices import OperationState
from domains.models import Operation

logger = logging.getLogger(__name__)


@contextmanager
def renewing_leases(operations: Sequence[Operation]) -> Iterator[None]:
    """Renew this worker's leases on ``operations`` every third of a lease while it works on
    them, so that only a dead worker's operations wait for a lease to run out. A lease is
    renewed only while it is still the one this claim set (the operation is still ours)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # In-process on SQLite, or a claim not committed yet: no other worker can take them.
        yield
        return
    ids = [operation.pk for operation in operations]
    stop = threading.Event()

    def renew(lease: datetime | None) -> None:
        try:
            while not stop.wait(settings.DANE_OPERATION_LEASE_SECONDS / 3):
                renewed = timezone.now() + timedelta(seconds=settings.DANE_OPERATION_LEASE_SECONDS)
                try:
                    Operation.objects.filter(
                        pk__in=ids, state=OperationState.RUNNING, lease_until=lease
                    ).update(lease_until=renewed)
                    lease = renewed
                except DatabaseError as exc:  # the database is away: try again next beat
                    logger.warning("lease not renewed", extra={"error": type(exc).__name__})
        finally:
            connection.close()  # this thread's own connection

    heartbeat = threading.Thread(
        target=renew, args=(operations[0].lease_until,), name="lease-heartbeat", daemon=True
    )
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()
