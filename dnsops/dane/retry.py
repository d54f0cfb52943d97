"""The retry schedule of a deferred message and the status code it reports at each moment.

After a failed first attempt at time T the message is retried 15 minutes later, 15 minutes
after that (T + 30 min), then every hour (T + 1 h 30, T + 2 h 30, ... T + 23 h 30) until 24 hours
have passed since T. From then on the message has expired: the failure is reported with its
5.x.x code in the NDR; before that it is reported with its 4.x.x code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dnsops.dane.verdicts import Verdict

FIRST_RETRY_DELAYS = (timedelta(minutes=15), timedelta(minutes=15))
"""The delays before the first retries, each counted from the attempt before it."""

RETRY_INTERVAL = timedelta(hours=1)
"""The delay between later retries."""

MESSAGE_LIFETIME = timedelta(hours=24)
"""How long after the first attempt a message is retried before it expires."""


def expires_at(first_attempt: datetime) -> datetime:
    """When a message first tried at ``first_attempt`` expires."""
    return first_attempt + MESSAGE_LIFETIME


def attempt_times(first_attempt: datetime) -> tuple[datetime, ...]:
    """Every attempt of a message that keeps failing, the first one included."""
    expiry = expires_at(first_attempt)
    times = [first_attempt]
    for delay in FIRST_RETRY_DELAYS:
        times.append(times[-1] + delay)
    while times[-1] + RETRY_INTERVAL < expiry:
        times.append(times[-1] + RETRY_INTERVAL)
    return tuple(time for time in times if time < expiry)


def next_attempt(first_attempt: datetime, now: datetime) -> datetime | None:
    """The first scheduled attempt after ``now``, or ``None`` once no attempt is left."""
    return next((time for time in attempt_times(first_attempt) if time > now), None)


def status_code_for(verdict: Verdict, first_attempt: datetime, now: datetime) -> str | None:
    """The enhanced status code reported for ``verdict`` at ``now``.

    The 4.x.x code while the message is within its lifetime, the 5.x.x code from the moment it
    expires; verdicts that are never retried (null MX, no such domain) always give their 5.x.x
    code, and verdicts that deliver give ``None``.
    """
    info = verdict.info
    if info.temporary_code is None or now >= expires_at(first_attempt):
        return info.permanent_code
    return info.temporary_code
