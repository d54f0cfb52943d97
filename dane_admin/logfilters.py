"""Logging filters of the service (configured in ``settings.LOGGING``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

# What Celery's "Task … succeeded" line carries as the return value of a periodic task that
# found nothing to do (the sweeps return how many items they handled).
_NOTHING_DONE = frozenset({"0", "None", "[]", "{}"})


class IdlePeriodicTasks(logging.Filter):
    """Turns the "succeeded" line of a periodic task that did nothing into a DEBUG line.

    The beat schedule runs some tasks every few seconds; at INFO their lines would flood the
    console (and scroll the demo's printed credentials away) while saying nothing. A run that
    did work, and every failure, keeps its level.
    """

    def __init__(self, task_names: Iterable[str]) -> None:
        """``task_names``: the tasks of the beat schedule."""
        super().__init__()
        self.task_names = frozenset(task_names)

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote an idle periodic task's success line; drop it unless DEBUG is on."""
        data = getattr(record, "data", None)
        if (
            record.name == "celery.app.trace"
            and record.levelno == logging.INFO
            and isinstance(data, dict)
            and data.get("name") in self.task_names
            and str(data.get("return_value")) in _NOTHING_DONE
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True
