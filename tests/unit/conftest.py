"""The unit tier: pure logic, no database and no network (``pytest tests/unit`` needs no server).

pytest-django already refuses database access to tests without the ``django_db`` mark; the
fixture below refuses sockets too, so a test that reaches the network fails instead of
quietly depending on a server.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any socket connection or datagram a test failure."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a unit test tried to use the network; it belongs outside tests/unit")

    for method in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, method, refuse)
