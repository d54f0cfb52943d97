"""Django's PostgreSQL backend, with a cheaper health check of kept connections.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before its first use in each
request or task by sending ``SELECT 1``: a round trip per request, as much as the one query of
the API's hottest reads. Here the check first looks at the connection without sending
anything: PostgreSQL writes to an idle connection only to end it (a restart or an
administrator's ``pg_terminate_backend`` sends FATAL, then closes the socket, and a killed
server's kernel closes it), so a connection that the driver holds as good, idle outside a
transaction, with nothing to read on its socket, is used as it is. Anything else gets
Django's ``SELECT 1`` (and is replaced if that fails). A server that vanished without closing
the socket (a host crash) is noticed by the request's own query, as it would be by the
``SELECT 1``; Django then closes the connection at the end of that request.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    """PostgreSQL with :meth:`close_if_health_check_failed` checking idle connections locally."""

    def close_if_health_check_failed(self) -> None:
        """Close the kept connection if it fails its health check (see the module)."""
        if (
            self.pool  # type: ignore[attr-defined]  # (Django 5.1+, not in the stubs)
            or self.connection is None
            or not self.health_check_enabled  # type: ignore[attr-defined]
            or self.health_check_done  # type: ignore[has-type]
        ):
            super().close_if_health_check_failed()
            return
        if not self.is_quiet_and_idle():
            super().close_if_health_check_failed()  # SELECT 1, and close when it fails
            return
        self.health_check_done = True

    def is_quiet_and_idle(self) -> bool:
        """True when the driver holds the connection as good and idle, and the server has
        written nothing to it since the last answer."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.pgconn.status != pq.ConnStatus.OK:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
        return not readable
