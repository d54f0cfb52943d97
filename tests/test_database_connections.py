"""Kept PostgreSQL connections: the health check sends nothing while a connection is quiet,
and a connection the server ended is replaced before the next request uses it."""

from __future__ import annotations

import select
import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def start_request() -> None:
    """What Django does when a request (or a Celery task) starts with a kept connection."""
    connection.close_if_unusable_or_obsolete()


def test_the_backend_checks_kept_connections() -> None:
    assert connection.settings_dict["ENGINE"] == "dane_admin.db.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    assert connection.settings_dict["CONN_MAX_AGE"]


def test_a_quiet_connection_is_reused_without_a_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    pid = backend_pid()
    start_request()
    monkeypatch.setattr(
        type(connections["default"]), "is_usable", lambda self: pytest.fail("SELECT 1 was sent")
    )
    assert backend_pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_it_is_used() -> None:
    pid = backend_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    socket = connection.connection.fileno()
    deadline = time.monotonic() + 10
    while not select.select([socket], [], [], 0.1)[0]:  # the server's FATAL, then its EOF
        assert time.monotonic() < deadline, "the terminated backend never wrote"
    start_request()
    assert backend_pid() != pid  # a new connection, and the request's query succeeded
