"""Coalescing windows for worker wake-ups, shared by every web and worker process.

A window is a Redis key set with ``SET NX PX`` on the broker's Redis: the first caller of a
window opens it (and sends the one wake-up of the window), the others find it open and send
nothing. Without a Redis broker (the embedded default runs tasks in-process) every caller
opens its own window, and so does a caller that cannot reach Redis (the broker is then down
too: the periodic sweeps do the work).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import urlsplit

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

#: Seconds a window check may wait for Redis before the caller wakes the worker anyway.
REDIS_TIMEOUT = 2.0


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    """A client of the broker's Redis (its pool is thread-safe and renewed after a fork)."""
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )


def open_window(name: str, seconds: float) -> bool:
    """Open the window ``name`` for ``seconds`` unless it is open already; True when this
    call opened it (or when no shared Redis can say: the caller then acts as the first)."""
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return True
    try:
        opened = _client(url).set(f"dane:window:{name}", 1, nx=True, px=max(1, int(seconds * 1000)))
    except redis.RedisError as exc:
        logger.warning("wake-up window not checked", extra={"error": type(exc).__name__})
        return True
    return bool(opened)
