"""The step-by-step record of one outbound DANE validation, and the deadline that bounds it.

Every lookup, SMTP exchange and decision becomes a :class:`Step` (what, for which host and
address, how it went, why, and how long it took), so a person can see where a destination
failed. :class:`Deadline` is the validation's overall time limit: each network step waits at
most the smaller of its own timeout and what is left of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One step of a validation."""

    step: str
    outcome: str
    detail: str
    milliseconds: float
    host: str | None = None
    address: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The step as stored and shown by the API."""
        return {
            "step": self.step,
            "host": self.host,
            "address": self.address,
            "outcome": self.outcome,
            "detail": self.detail,
            "milliseconds": self.milliseconds,
        }


class Trace:
    """The steps of one validation, in the order they finished."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(
        self,
        step: str,
        outcome: str,
        detail: str,
        *,
        started: float | None = None,
        host: str | None = None,
        address: str | None = None,
    ) -> None:
        """Record a step; ``started`` is its ``time.perf_counter()`` start (none: a decision)."""
        elapsed = 0.0 if started is None else (time.perf_counter() - started) * 1000
        self.steps.append(Step(step, str(outcome), detail, round(elapsed, 1), host, address))


class Deadline:
    """The overall time limit of a validation."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0

    def budget(self, step_timeout: float) -> float:
        """How long the next step may take: its own timeout, cut to what is left."""
        return min(step_timeout, self.remaining())
