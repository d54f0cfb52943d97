"""``manage.py run_embedded_beat``: the periodic tasks of the embedded default.

With no broker there is no ``celery beat``: this runs every entry of ``CELERY_BEAT_SCHEDULE``
in this process at its interval (the operation sweep, drift repair, due status checks), so a
single-machine install keeps its schedule. ``deploy/run`` starts it beside the web server.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dane_admin.celery import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    """Run the beat schedule in-process."""

    help = "Run CELERY_BEAT_SCHEDULE in this process (the embedded default has no broker)."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--once``: run every entry once and stop."""
        parser.add_argument("--once", action="store_true", help="Run each entry once, then stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run each due entry, then sleep until the next one is due."""
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("A broker is configured: run `celery -A dane_admin beat` instead.")
        app.loader.import_default_modules()  # registers the autodiscovered tasks
        schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
        entries = {
            name: (app.tasks[entry["task"]], float(entry["schedule"]))
            for name, entry in schedule.items()
        }
        due_at = dict.fromkeys(entries, 0.0)
        while True:
            for name, (task, interval) in entries.items():
                if time.monotonic() >= due_at[name]:
                    self._run(name, task)
                    due_at[name] = time.monotonic() + interval
            if options["once"]:
                return
            time.sleep(max(0.0, min(due_at.values()) - time.monotonic()))

    @staticmethod
    def _run(name: str, task: Any) -> None:
        """One entry; a failure is logged and the schedule goes on."""
        try:
            task.apply(throw=True)
        except Exception:
            logger.exception("Scheduled task %s failed", name)
