"""Statements of the hot read paths, compiled by the ORM once per process.

Building a statement with the ORM (cloning querysets, resolving lookups and joins, compiling)
costs about a millisecond of Python, several times what running it costs on a kept
connection. :class:`CompiledSelect` compiles a queryset once, with a distinct placeholder
value for each parameter, and then runs the same SQL with the request's values, applying the
fields' converters (JSON, and SQLite's dates) to the row as the ORM would. The SQL stays the
ORM's: table and column names, joins and quoting follow the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class Slot:
    """One parameter of the statement: a named value of each run, or a constant."""

    name: str | None
    constant: object = None


@dataclass(frozen=True)
class CompiledSelect:
    """A one-row ``values_list`` query, compiled once: :meth:`first` runs it again."""

    sql: str
    slots: tuple[Slot, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (column, functions, expression)
    using: str

    @classmethod
    def of(cls, queryset: QuerySet[Any], **placeholders: object) -> CompiledSelect:
        """Compile ``queryset`` (a ``values_list`` of plain fields, no annotations), built with
        ``placeholders``: a distinct value per parameter name, found again among the compiled
        parameters (every other parameter is a constant of the statement)."""
        using = queryset.db
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        names = {value: name for name, value in placeholders.items()}
        slots = tuple(
            Slot(names[param]) if _is_placeholder(param, names) else Slot(None, param)
            for param in params
        )
        missing = set(placeholders) - {slot.name for slot in slots}
        if missing:
            raise ValueError(f"placeholders not in the statement: {sorted(missing)}")
        expressions = [expression for expression, _, _ in compiler.select]
        converters = tuple(
            (column, tuple(functions), expression)
            for column, (functions, expression) in compiler.get_converters(expressions).items()
        )
        return cls(sql, slots, converters, using)

    def first(self, **values: object) -> tuple[Any, ...] | None:
        """The first row of the statement with these parameter values, converted; None when
        it returns no row."""
        params = [values[slot.name] if slot.name else slot.constant for slot in self.slots]
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        return self._converted(list(row), connection)

    def _converted(self, row: list[Any], connection: Any) -> tuple[Any, ...]:
        for column, functions, expression in self.converters:
            value = row[column]
            for convert in functions:
                value = convert(value, expression, connection)
            row[column] = value
        return tuple(row)


def _is_placeholder(param: object, names: dict[object, str]) -> bool:
    """True when ``param`` is one of the placeholder values (compared by type as well, so a
    constant ``1`` is never taken for a placeholder ``True``)."""
    try:
        return param in names and any(
            type(value) is type(param) and value == param for value in names
        )
    except TypeError:  # an unhashable constant
        return False


def field_names(model: Any, prefix: str = "") -> Sequence[str]:
    """The column attribute names of ``model``'s concrete fields, each after ``prefix``."""
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]
