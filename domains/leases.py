"""Leases of claimed work, renewed while a worker works on it (a heartbeat).

A worker that claims operations holds them for ``DANE_OPERATION_LEASE_SECONDS``, and a worker
that starts a chunk of status checks holds its domains for ``DANE_CHECK_LEASE_SECONDS``; a
thread renews the lease every third of it until the work is done. The lease can therefore be
short: a worker killed with its work (``kill -9``, out of memory, a lost machine) delays it by
one lease, not by the longest time the work may take.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from domains.choices import OperationState
from domains.models import Operation

logger = logging.getLogger(__name__)

#: Renews a lease: takes the lease last set and the new one; False when nothing is held any more.
Renewal = Callable[[datetime, datetime], bool]


@contextmanager
def heartbeat(lease: datetime, seconds: float, renew: Renewal) -> Iterator[None]:
    """Call ``renew(current, renewed)`` every third of ``seconds`` while the block runs, with
    ``renewed`` a lease of ``seconds`` from then; stop early once it returns False."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # In-process on SQLite, or a claim not committed yet: no other worker can take it.
        yield
        return
    stop = threading.Event()

    def beat(current: datetime) -> None:
        try:
            while not stop.wait(seconds / 3):
                renewed = timezone.now() + timedelta(seconds=seconds)
                try:
                    if not renew(current, renewed):
                        return
                    current = renewed
                except DatabaseError as exc:  # the database is away: try again next beat
                    logger.warning("lease not renewed", extra={"error": type(exc).__name__})
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, args=(lease,), name="lease-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def renewing_leases(operations: Sequence[Operation]) -> Iterator[None]:
    """Renew this worker's leases on ``operations`` every third of a lease while it works on
    them, so that only a dead worker's operations wait for a lease to run out. A lease is
    renewed only while it is still the one this claim set (the operation is still ours)."""
    ids = [operation.pk for operation in operations]
    lease = operations[0].lease_until

    def renew(current: datetime, renewed: datetime) -> bool:
        Operation.objects.filter(
            pk__in=ids, state=OperationState.RUNNING, lease_until=current
        ).update(lease_until=renewed)
        return True

    if lease is None:
        yield
        return
    with heartbeat(lease, settings.DANE_OPERATION_LEASE_SECONDS, renew):
        yield
