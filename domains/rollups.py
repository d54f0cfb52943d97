"""Maintained rollups the fleet overview reads instead of scanning history: check runs per
UTC day by overall status and by finding code (``CheckRunDaily``), added to in the
transaction that stores the runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from django.db import connection

from domains.models import CheckRunDaily


def add_check_runs(runs: Iterable[tuple[date, str, list[str]]]) -> None:
    """Add runs, each ``(day, overall status, finding codes)``, to the daily rollup: one
    ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite alike), so concurrent sweeps
    add up instead of overwriting each other."""
    counts: Counter[tuple[date, str, str]] = Counter()
    for day, status, codes in runs:
        counts[(day, CheckRunDaily.Kind.OUTCOME, status)] += 1
        for code in set(codes):
            counts[(day, CheckRunDaily.Kind.CODE, code)] += 1
    if not counts:
        return
    table = connection.ops.quote_name(CheckRunDaily._meta.db_table)
    rows = sorted(counts.items())  # one order for every writer: no deadlock between them
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[date | str | int] = []
    for (day, kind, key), count in rows:
        params += [day, kind, key, count]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, kind, key, count) VALUES {values} "  # noqa: S608 - our table name
            f"ON CONFLICT (day, kind, key) DO UPDATE SET count = {table}.count + excluded.count",
            params,
        )
