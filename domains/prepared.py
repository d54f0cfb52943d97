"""Statements of the hot read paths, compiled by the ORM once per process and planned by
PostgreSQL once per connection.

Building a statement with the ORM (cloning querysets, resolving lookups and joins, compiling)
costs about a millisecond of Python, and PostgreSQL plans a join of three tables in about as
long again (``EXPLAIN ANALYZE``: planning 0.5-2 ms, execution 0.08 ms), each time, since
Django binds parameters on the client. :class:`CompiledSelect` compiles a queryset once, with
a distinct placeholder value for each parameter, and runs the same SQL with the request's
values, applying the fields' converters (JSON, and SQLite's dates) to the row as the ORM
would. On PostgreSQL the statement is a server-side prepared statement (``PREPARE`` once per
connection, sent with its first ``EXECUTE`` in one round trip; then ``EXECUTE`` alone), so it
is planned once per connection. The SQL stays the ORM's: table and column names, joins and
quoting follow the models. (A prepared statement lives in its session: a transaction-mode
connection pooler in front of PostgreSQL would need this turned off.)
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import NOT_PROVIDED, Field, Model, QuerySet
from django.db.models.signals import post_save, pre_save

#: Per PostgreSQL connection (the driver's object): the name each statement was prepared as.
_prepared: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_serial = itertools.count()  # a new name after a failure (PREPARE may have happened)
_PLACEHOLDER = re.compile(r"%(s|%)")


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
        it returns no row. One statement, one round trip."""
        params: list[Any] = [
            values[slot.name] if slot.name else slot.constant for slot in self.slots
        ]
        connection = connections[self.using]
        with connection.cursor() as cursor:
            _execute(cursor, connection, self.sql, params)
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


def _execute(cursor: Any, connection: Any, sql: str, params: list[Any]) -> None:
    """Run ``sql``: on PostgreSQL, ``EXECUTE`` the statement prepared on this connection,
    preparing it first (in the same round trip) when it is not yet."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    names = _prepared.setdefault(connection.connection, {})
    name = names.get(sql)
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    if name is not None:
        cursor.execute(f"EXECUTE {name}{arguments}", params)
        return
    name = f"dane_{hashlib.sha256(sql.encode()).hexdigest()[:12]}_{next(_serial)}"
    numbers = itertools.count(1)
    numbered = _PLACEHOLDER.sub(lambda match: f"${next(numbers)}" if match[1] == "s" else "%%", sql)
    cursor.execute(f"PREPARE {name} AS {numbered}; EXECUTE {name}{arguments}", params)
    cursor.nextset()  # past PREPARE's empty result, to EXECUTE's rows
    names[sql] = name


@functools.cache
def _insert_statement(
    model: type[Model], using: str
) -> tuple[str, tuple[Field[Any, Any], ...]] | None:
    """``INSERT`` of every concrete field of ``model`` and those fields in the statement's
    order; None for a model whose row the ORM's ``save`` must write (a primary key without a
    Python default, a default the database makes, a generated field, multi-table
    inheritance)."""
    meta = model._meta
    fields = tuple(meta.concrete_fields)
    if (
        meta.parents
        or meta.pk is None
        or not meta.pk.has_default()
        or any(field.generated or field.db_default is not NOT_PROVIDED for field in fields)
    ):
        return None
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    table = quote(meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({values})", fields  # noqa: S608


def insert(instance: Model, using: str = DEFAULT_DB_ALIAS) -> None:
    """Save the new ``instance`` as ``instance.save(force_insert=True)`` does, in one prepared
    ``INSERT`` (about a tenth of the ORM's Python calls): its related objects checked and
    their keys taken, then each field's ``pre_save`` (``auto_now``) and database value, as the
    ORM's insert takes them. A model with save signals connected, or whose row the database
    completes, is saved by ``save``."""
    model = type(instance)
    statement = _insert_statement(model, using)
    if statement is None or pre_save.has_listeners(model) or post_save.has_listeners(model):
        instance.save(force_insert=True, using=using)
        return
    sql, fields = statement
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    connection = connections[using]
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        _execute(cursor, connection, sql, params)
    instance._state.adding = False
    instance._state.db = using


def _is_placeholder(param: object, names: dict[object, str]) -> bool:
    """True when ``param`` is one of the placeholder values (compared by type as well, so a
    constant ``1`` is never taken for a placeholder ``True``)."""
    try:
        return param in names and any(
            type(value) is type(param) and value == param for value in names
        )
    except TypeError:  # an unhashable constant
        return False


def field_names(model: Any, prefix: str = "", only: set[str] | None = None) -> Sequence[str]:
    """The column attribute names of ``model``'s concrete fields (those in ``only``, if
    given), in the model's order (``Model.from_db`` takes them so), each after ``prefix``."""
    return [
        f"{prefix}{field.attname}"
        for field in model._meta.concrete_fields
        if only is None or field.attname in only
    ]
