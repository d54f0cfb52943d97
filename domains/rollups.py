"""Maintained rollups the fleet overview reads instead of scanning history: check runs per
UTC day by overall status and by finding code (``CheckRunDaily``, added to in the transaction
that stores the runs), and operations and outbound validations per UTC hour
(``ActivityHourly``: added to after the commit of the change they count, so that no request
waits on a shared counter row, or by a worker in its own transaction; operations are counted
as requested when a worker first claims them, in the hour they were created)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Model

from domains.models import ActivityHourly, CheckRunDaily


def _add(
    model: type[Model], columns: tuple[str, str, str], counts: Counter[tuple[object, str, str]]
) -> None:
    """Add ``counts`` to the rollup table of ``model`` (unique on ``columns``, plus ``count``):
    one ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite alike), so concurrent
    writers add up instead of overwriting each other."""
    if not counts:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    rows = sorted(counts.items(), key=lambda item: tuple(map(str, item[0])))  # one lock order
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[object] = []
    for key, count in rows:  # choices as their plain values
        params += [*(str(part) if isinstance(part, str) else part for part in key), count]
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, count) VALUES {values} "  # noqa: S608 - our names
            f"ON CONFLICT ({names}) DO UPDATE SET count = {table}.count + excluded.count",
            params,  # type: ignore[arg-type]
        )


def add_check_runs(runs: Iterable[tuple[date, str, list[str]]]) -> None:
    """Add runs, each ``(day, overall status, finding codes)``, to the daily rollup."""
    counts: Counter[tuple[object, str, str]] = Counter()
    for day, status, codes in runs:
        counts[(day, CheckRunDaily.Kind.OUTCOME, status)] += 1
        for code in set(codes):
            counts[(day, CheckRunDaily.Kind.CODE, code)] += 1
    _add(CheckRunDaily, ("day", "kind", "key"), counts)


def hour_of(moment: datetime) -> datetime:
    """The start of the (UTC) hour of ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


Activity = tuple[datetime, str, str]  # (when, event, key)


def _activity_counts(events: Iterable[Activity]) -> Counter[tuple[object, str, str]]:
    return Counter((hour_of(when), event, key[:120]) for when, event, key in events)


def count_activity(events: Iterable[Activity]) -> None:
    """Once the transaction commits: add events, each ``(when, event, key)``, to the hourly
    rollup (an event whose process dies in between goes uncounted there; the rows are not)."""
    counts = _activity_counts(events)
    if counts:
        transaction.on_commit(lambda: _add(ActivityHourly, ("hour", "event", "key"), counts))


def add_activity(events: Iterable[Activity]) -> None:
    """Add events, each ``(when, event, key)``, to the hourly rollup now, in the caller's
    transaction (a worker's: the count commits with the change it counts, exactly once)."""
    _add(ActivityHourly, ("hour", "event", "key"), _activity_counts(events))
