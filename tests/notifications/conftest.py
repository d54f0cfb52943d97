"""Fixtures of the notification tests: loopback receivers allowed, short timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notifications.support import Receiver, start_receiver


@pytest.fixture(autouse=True)
def _loopback_receivers(settings: Any) -> None:
    """Webhooks may be http:// on loopback here (the MTA-STS tests allow loopback the same way)."""
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = True
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.NOTIFY_WEBHOOK_TIMEOUT = 2.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver that answers 200 (tests set ``statuses`` for other answers first)."""
    found = Receiver()
    server = start_receiver(found)
    yield found
    server.shutdown()
    server.server_close()
