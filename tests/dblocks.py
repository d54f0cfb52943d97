"""For tests about locks: wait until another database session is blocked on one."""

from __future__ import annotations

import time

from django.db import connection


def wait_until_blocked_on_a_lock(timeout: float = 10) -> None:
    """Poll PostgreSQL until another session of this database waits for a lock (a row lock
    or an advisory lock)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else frozen per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = cursor.fetchone()
            if row and row[0]:
                return
            assert time.monotonic() < deadline, "no other session ever waited for a lock"
            time.sleep(0.02)
