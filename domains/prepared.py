"""Statements of the hot paths, compiled by the ORM once per process and planned by
PostgreSQL once per connection: one-row reads (:class:`CompiledSelect`), updates
(:class:`CompiledUpdate`) and the inserts of a few new rows (:func:`insert_rows`,
:func:`insert`).

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
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import UpdateQuery

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
        slots = _slots(params, placeholders)
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


@dataclass(frozen=True)
class CompiledUpdate:
    """A queryset's ``update(**changes)``, compiled once: :meth:`run` runs it again."""

    sql: str
    slots: tuple[Slot, ...]
    using: str

    @classmethod
    def of(
        cls, queryset: QuerySet[Any], changes: dict[str, Any], **placeholders: object
    ) -> CompiledUpdate:
        """Compile ``queryset.update(**changes)`` as ``update`` does, its filters and changes
        built with ``placeholders`` (a distinct value per parameter name, as
        :meth:`CompiledSelect.of` takes them); ValueError when a placeholder does not reach
        the statement as it was given (a value the field converts)."""
        query = queryset.query.chain(UpdateQuery)
        assert isinstance(query, UpdateQuery)
        query.add_update_values(changes)
        query.annotations = {}
        sql, params = query.get_compiler(queryset.db).as_sql()
        return cls(sql, _slots(params, placeholders), queryset.db)

    def run(self, **values: object) -> int:
        """Run the statement with these parameter values (database values: a related row's
        key, not the row) and return how many rows it updated. One round trip."""
        params = [values[slot.name] if slot.name else slot.constant for slot in self.slots]
        connection = connections[self.using]
        with connection.cursor() as cursor:
            _execute(cursor, connection, self.sql, params)
            return int(cursor.rowcount)


def _slots(params: Sequence[Any], placeholders: dict[str, object]) -> tuple[Slot, ...]:
    """The statement's parameters: a placeholder's name, or a constant of the statement."""
    names = {value: name for name, value in placeholders.items()}
    slots = tuple(
        Slot(names[param]) if _is_placeholder(param, names) else Slot(None, param)
        for param in params
    )
    missing = set(placeholders) - {slot.name for slot in slots}
    if missing:
        raise ValueError(f"placeholders not in the statement: {sorted(missing)}")
    return slots


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


#: The most rows :func:`insert_rows` writes by one prepared statement (a statement per count).
PREPARED_INSERT_ROWS = 8


@dataclass(frozen=True)
class InsertStatement:
    """``INSERT`` of ``rows`` rows of a model: the fields given, the database's returned."""

    sql: str
    fields: tuple[Field[Any, Any], ...]
    returning: Field[Any, Any] | None


@functools.cache
def _insert_statement(model: type[Model], using: str, rows: int) -> InsertStatement | None:
    """The ``INSERT`` of ``rows`` new rows of ``model``: every concrete field, except an
    auto-incremented primary key, which it returns (as ``bulk_create`` does on PostgreSQL);
    None for a model the ORM must write (a default the database makes, a generated field,
    multi-table inheritance), or on a database that returns no inserted rows."""
    meta = model._meta
    connection = connections[using]
    pk = meta.pk
    concrete = tuple(meta.concrete_fields)
    if (
        pk is None
        or meta.parents
        or not connection.features.can_return_rows_from_bulk_insert
        or any(field.generated or field.db_default is not NOT_PROVIDED for field in concrete)
    ):
        return None
    returning = pk if isinstance(pk, AutoFieldMixin) else None
    fields = tuple(field for field in concrete if field is not returning)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * rows)
    table = quote(meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 - the model's names
    if returning is not None:
        sql += f" RETURNING {quote(returning.column)}"
    return InsertStatement(sql, fields, returning)


def insert_rows(instances: Sequence[Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """Write new instances of one model as ``bulk_create`` does (no save signals), a few in one
    prepared ``INSERT`` (a fraction of the ORM's Python calls): their related objects checked
    and their keys taken, each field's ``pre_save`` (``auto_now``) and database value as the
    ORM's insert takes them, an auto-incremented key set from the rows returned. More rows
    than :data:`PREPARED_INSERT_ROWS`, a model it cannot write, or auto-incremented keys given,
    go to ``bulk_create``."""
    if not instances:
        return
    model = type(instances[0])
    statement = (
        _insert_statement(model, using, len(instances))
        if len(instances) <= PREPARED_INSERT_ROWS
        else None
    )
    if statement is None or (
        statement.returning is not None and any(i.pk is not None for i in instances)
    ):
        model._default_manager.using(using).bulk_create(instances, batch_size=1000)
        return
    connection = connections[using]
    pk = model._meta.pk
    params: list[Any] = []
    for instance in instances:
        instance._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        if statement.returning is None and instance.pk is None and pk.has_default():
            instance.pk = pk.get_default()  # as bulk_create does
        params.extend(
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for field in statement.fields
        )
    with connection.cursor() as cursor:
        _execute(cursor, connection, statement.sql, params)
        returned = cursor.fetchall() if statement.returning is not None else ()
    for instance, row in zip(instances, returned, strict=False):
        setattr(instance, statement.returning.attname, row[0])  # type: ignore[union-attr]
    for instance in instances:
        instance._state.adding = False
        instance._state.db = using


def insert(instance: Model, using: str = DEFAULT_DB_ALIAS) -> None:
    """Save the new ``instance`` as ``instance.save(force_insert=True)`` does, by
    :func:`insert_rows`; a model with save signals connected is saved by ``save``."""
    model = type(instance)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        instance.save(force_insert=True, using=using)
        return
    insert_rows([instance], using)


def _is_placeholder(param: object, names: dict[object, str]) -> bool:
    """True when ``param`` is one of the placeholder values (compared by type as well, so a
    constant ``1`` is never taken for a placeholder ``True``; the driver's wrapper of a value,
    e.g. psycopg's ``Int2`` of a small integer column, is the value)."""
    try:
        return param in names and any(
            isinstance(param, type(value)) and value == param for value in names
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
