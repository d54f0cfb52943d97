"""The console stays quiet: idle periodic tasks log at DEBUG, work and failures keep their level."""

from __future__ import annotations

import logging

import pytest

from dane_admin.logfilters import IdlePeriodicTasks


def task_line(name: str, return_value: str, level: int = logging.INFO) -> logging.LogRecord:
    """A record as Celery's tracer writes it when a task succeeds."""
    record = logging.LogRecord(
        "celery.app.trace", level, __file__, 1, "Task %s succeeded", (name,), None
    )
    record.data = {"name": name, "return_value": return_value}
    return record


@pytest.fixture
def quiet() -> IdlePeriodicTasks:
    return IdlePeriodicTasks(["domains.tasks.process_operations", "dnsops.tasks.repair_all_drift"])


@pytest.mark.parametrize("nothing", ["0", "None"])
def test_an_idle_periodic_run_is_dropped_at_info(quiet: IdlePeriodicTasks, nothing: str) -> None:
    record = task_line("domains.tasks.process_operations", nothing)
    assert quiet.filter(record) is False
    assert record.levelname == "DEBUG"


def test_an_idle_periodic_run_is_shown_when_debug_is_on(quiet: IdlePeriodicTasks) -> None:
    logger = logging.getLogger("celery.app.trace")
    before = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert quiet.filter(task_line("dnsops.tasks.repair_all_drift", "None")) is True
    finally:
        logger.setLevel(before)


def test_a_periodic_run_that_did_work_keeps_its_line(quiet: IdlePeriodicTasks) -> None:
    record = task_line("domains.tasks.process_operations", "12")
    assert quiet.filter(record) is True
    assert record.levelname == "INFO"


def test_other_tasks_and_failures_are_untouched(quiet: IdlePeriodicTasks) -> None:
    assert quiet.filter(task_line("domains.tasks.check_domains", "0")) is True
    failure = task_line("domains.tasks.process_operations", "0", level=logging.ERROR)
    assert quiet.filter(failure) is True
    assert failure.levelname == "ERROR"
