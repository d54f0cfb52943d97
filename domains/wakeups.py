"""Coalescing windows for worker wake-ups, shared by every web and worker process.

A window is a Redis key set with ``SET NX PX`` on the broker's Redis: the first caller of a
window opens it (and sends the one wake-up of the window), the others find it open and send
nothing. A process remembers until when a window it saw is open (the key's remaining time,
read in the same round trip), so it asks Redis about once per window. Without a Redis broker
(the embedded default runs tasks in-process) every caller opens its own window, and so does
a caller that cannot reach Redis (the broker is then down too: the periodic sweeps do the
work).
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from urllib.parse import urlsplit

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

#: Seconds a window check may wait for Redis before the caller wakes the worker anyway.
REDIS_TIMEOUT = 2.0

#: This process's knowledge: window name → the monotonic time until which it is open (at
#: least: measured from before Redis was asked).
_known_open: dict[str, float] = {}


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    """A client of the broker's Redis (its pool is thread-safe and renewed after a fork)."""
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )


def open_window(name: str, seconds: float) -> bool:
    """Open the window ``name`` for ``seconds`` unless it is open already; True when this
    call opened it (or when no shared Redis can say: the caller then acts as the first)."""
    now = time.monotonic()
    if _known_open.get(name, 0.0) > now:
        return False
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return True
    key = f"dane:window:{name}"
    try:
        pipe = _client(url).pipeline(transaction=False)
        pipe.set(key, 1, nx=True, px=max(1, int(seconds * 1000)))
        pipe.pttl(key)
        opened, remaining_ms = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("wake-up window not checked", extra={"error": type(exc).__name__})
        return True
    if remaining_ms > 0:
        _known_open[name] = now + remaining_ms / 1000
    return bool(opened)
