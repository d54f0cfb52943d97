"""The one state machine of the commands.

:data:`TRANSITIONS` says, for each operation kind, which state field it moves and its states
while working, when done and when failed; :func:`move_states` is the one function that moves
a state: a conditional update, the audit event of each domain that moved, and (``wake``) a
worker woken after commit. The commands, the worker's success and failure paths and the
status checks' ``pending_mx → enabled`` promotion all move states through it.

Wake-ups are coalesced (:func:`wake`): the first commit of a window of
``DANE_OPERATION_WAKE_UP_WINDOW`` seconds sends one wake-up that runs when the window ends, and
the commits within the window send none, since that run claims their operations too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Field, Model
from django.utils import timezone

from dane_admin.celery import app as celery_app
from domains import migration, wakeups
from domains.audit import Actor, audit_event, record_audit_events
from domains.choices import AuditAction, DaneState, DnssecState, OperationKind
from domains.models import AcceptedDomain, Tenant
from domains.notifications import events as notifications
from domains.prepared import CompiledUpdate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transition:
    """The state field an operation kind moves, and its states."""

    field: str
    working: str
    done: str
    failed: str


TRANSITIONS: dict[OperationKind, Transition] = {
    OperationKind.ENABLE_DNSSEC: Transition(
        "dnssec_state", DnssecState.ENABLING, DnssecState.PENDING_MX, DnssecState.FAILED
    ),
    OperationKind.DISABLE_DNSSEC: Transition(
        "dnssec_state", DnssecState.DISABLING, DnssecState.DISABLED, DnssecState.FAILED
    ),
    OperationKind.ENABLE_DANE: Transition(
        "dane_state", DaneState.ENABLING, DaneState.ENABLED, DaneState.FAILED
    ),
    OperationKind.DISABLE_DANE: Transition(
        "dane_state", DaneState.DISABLING, DaneState.DISABLED, DaneState.FAILED
    ),
}

#: The audit action that records a change of each state field.
STATE_CHANGE_ACTIONS = {
    "dnssec_state": AuditAction.DNSSEC_STATE_CHANGED,
    "dane_state": AuditAction.DANE_STATE_CHANGED,
}

#: The worker's task, enqueued by name (``domains.tasks`` imports the modules that move states).
PROCESS_OPERATIONS = "domains.tasks.process_operations"
#: A wake-up a worker gets to later than this (seconds) is dropped: the beat sweep (every 5 s)
#: has run the operation by then.
WAKE_UP_EXPIRES = 30.0


@dataclass(frozen=True)
class Move:
    """One domain a state move is asked for, and what its audit event adds to from/to;
    ``domain``: the row itself, read after its lock (its new migration step is then computed
    from it and stored by the UPDATE that moves the state)."""

    domain_id: int
    name: str
    tenant: Tenant | None
    audit_data: dict[str, Any] = field(default_factory=dict)
    domain: AcceptedDomain | None = None

    @classmethod
    def of(cls, domain: AcceptedDomain, **audit_data: Any) -> Move:
        """The move of a domain loaded after its lock."""
        return cls(domain.pk, domain.name, domain.tenant, audit_data, domain)


def move_states(
    moves: Sequence[Move],
    state_field: str,
    *,
    source: str,
    target: str,
    actor: Actor,
    also: dict[str, Any] | None = None,
    wake: str | None = None,
) -> set[int]:
    """Move ``state_field`` from ``source`` to ``target`` for the domains of ``moves`` that
    are still in ``source`` (their rows locked by the caller), with ``also`` set in the same
    UPDATE, store their migration step again (one domain given loaded: in that UPDATE, else
    :func:`domains.migration.refresh_steps`), and record one audit event per domain moved;
    returns the ids moved.

    ``wake`` names a task to wake a worker for once the transaction commits (:func:`wake`,
    when any domain moved).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("States move inside the transaction of the change.")
    ids = [move.domain_id for move in moves]
    now = timezone.now()
    changes = {
        state_field: target,
        "version": F("version") + 1,
        "updated_at": now,
        # since when the DNSSEC state is what it is (the fleet overview's "stuck in pending_mx")
        **({"dnssec_state_since": now} if state_field == "dnssec_state" else {}),
        **(also or {}),
    }
    if len(ids) == 1:  # a command's one domain: the conditional UPDATE says whether it moved
        loaded = moves[0].domain
        if loaded is not None:
            changes["migration_step"] = migration.step_of(loaded, **{state_field: target})
        moving = set(ids) if _move_one(ids[0], state_field, source, changes) else set()
    else:
        moving = set(
            AcceptedDomain.objects.filter(pk__in=ids, **{state_field: source}).values_list(
                "pk", flat=True
            )
        )
        if moving:
            AcceptedDomain.objects.filter(pk__in=moving).update(**changes)
    if not moving:
        return moving
    if "migration_step" not in changes:
        migration.refresh_steps(moving)
    record_audit_events(
        [
            audit_event(
                STATE_CHANGE_ACTIONS[state_field],
                actor=actor,
                tenant=move.tenant,
                target_type="domain",
                target_id=move.name,
                data={"from": source, "to": target, **move.audit_data},
            )
            for move in moves
            if move.domain_id in moving
        ]
    )
    notifications.record_enabled(
        [(m.domain_id, m.name, m.tenant) for m in moves if m.domain_id in moving],
        state_field,
        source,
        target,
    )
    if wake is not None:
        transaction.on_commit(partial(wake_worker, wake))
    return moving


def _move_one(domain_id: int, state_field: str, source: str, changes: dict[str, Any]) -> bool:
    """The conditional UPDATE of one domain still in ``source`` (whether it moved), by a
    statement compiled and prepared once per state field and set of columns changed
    (:class:`domains.prepared.CompiledUpdate`); by the ORM when a value is not a plain one."""
    values = {name: value for name, value in changes.items() if name != "version"}
    plain = all(value is None or isinstance(value, PLAIN_VALUES) for value in values.values())
    statement = _move_statement(state_field, tuple(values)) if plain else None
    if statement is None:
        query = AcceptedDomain.objects.filter(pk=domain_id, **{state_field: source})
        return bool(query.update(**changes))
    database_values = {
        f"set_{name}": value.pk if isinstance(value, Model) else value
        for name, value in values.items()
    }
    return bool(statement.run(pk=domain_id, source=source, **database_values))


#: The values :func:`_move_one` passes to its compiled statement as they are (a row: its key).
PLAIN_VALUES = (str, int, datetime, Model)
#: A placeholder of each kind of column :func:`_move_statement` compiles.
_PLACEHOLDERS: dict[str, Callable[[int], object]] = {
    "CharField": lambda n: f"\x00placeholder{n}",
    "PositiveSmallIntegerField": lambda n: -(2**62) - n,
    "PositiveIntegerField": lambda n: -(2**62) - n,
    "IntegerField": lambda n: -(2**62) - n,
    "ForeignKey": lambda n: -(2**62) - n,
    "DateTimeField": lambda n: datetime(2, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
}


@cache
def _move_statement(state_field: str, names: tuple[str, ...]) -> CompiledUpdate | None:
    """The UPDATE of one domain's ``state_field`` (still in its source state) with the
    columns ``names`` set and its version raised; None when a column is of a kind without a
    placeholder here, or its values do not reach the statement as given (SQLite's dates)."""
    pk, source = -(2**62) + 1, "\x00source"
    placeholders: dict[str, object] = {"pk": pk, "source": source}
    changes: dict[str, Any] = {"version": F("version") + 1}
    for number, name in enumerate(names):
        field = AcceptedDomain._meta.get_field(name)
        make = _PLACEHOLDERS.get(field.get_internal_type()) if isinstance(field, Field) else None
        if make is None:
            return None
        placeholders[f"set_{name}"] = changes[name] = make(number)
    query = AcceptedDomain.objects.filter(pk=pk, **{state_field: source})
    try:
        return CompiledUpdate.of(query, changes, **placeholders)
    except ValueError:
        return None


def wake_worker(task_name: str) -> None:
    """After a commit: wake a worker to run ``task_name``, unless a wake-up sent within the
    last ``DANE_OPERATION_WAKE_UP_WINDOW`` seconds runs after this commit anyway.

    The first caller of a window (``domains.wakeups``) sends the task with a countdown of the
    window, so it runs after every commit that found the window open: its claim takes their
    work too. A wake-up lost on the way, or a worker that dies, delays the work until the
    beat sweep of the task (every 5 s for ``process_operations``), never loses it. On the
    embedded default (tasks in-process) every commit runs the task at once.
    """
    window = settings.DANE_OPERATION_WAKE_UP_WINDOW
    if settings.CELERY_TASK_ALWAYS_EAGER or window <= 0:
        enqueue(task_name, expires=WAKE_UP_EXPIRES)
    elif wakeups.open_window(task_name, window):
        enqueue(task_name, countdown=window, expires=window + WAKE_UP_EXPIRES)


def enqueue(task_name: str, *args: Any, **options: Any) -> None:
    """Send the task called ``task_name`` (run in-process on the embedded default); if the
    broker is down, log it: the periodic sweeps pick the work up, and a request whose change
    is committed never fails for it."""
    if task_name not in celery_app.tasks:  # a web process has not imported the task modules
        celery_app.loader.import_default_modules()
    try:
        celery_app.tasks[task_name].apply_async(args, **options)
    except Exception:
        logger.exception("could not enqueue %s; the periodic sweep will run it", task_name)
