"""The commands, one function per provider cmdlet (SPEC §4), called by the API, the management
commands and the UI.

Each one locks and checks the domain, moves its state through the state machine
(``domains.transitions``: one conditional UPDATE with the domain's placement and migration
step, its audit event, the worker woken after commit), records what the zone must publish
(``domains.publishing`` says what that is) and creates the Operation, all in one transaction
whose audit events are written in one INSERT; ``domains.operations`` does the DNS work.
Errors are ``domains.errors`` (their texts in the reader's language: the UI's, and English in
the API unless ``Accept-Language`` asks for zh-Hant), result shapes ``domains.results``. A
repeated command returns the operation in flight; a command whose outcome already holds
succeeds at once and changes nothing. The worker counts an operation as requested in the
hourly rollup when it first claims it (``domains.operations.claim_due_operations``), so no
request updates a shared counter row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from dnsops.choices import PartitionStatus
from dnsops.models import Partition
from dnsops.partitions import (
    allocate_mx_token,
    mx_token_candidates,
    partition_with_room,
    release_place,
    take_place,
)
from dnsops.provisioning import set_desired_rrsets
from domains import prepared, publishing, rollups
from domains.audit import Actor, record_audit_event, written_together
from domains.choices import (
    DNSSEC_PUBLISHED_STATES,
    IN_FLIGHT_STATES,
    AuditAction,
    DaneState,
    DnssecState,
    OperationKind,
    OperationState,
)
from domains.errors import (
    DnssecOperationFailed,
    DomainNotFound,
    DomainNotSupported,
    IdempotencyKeyReused,
    OperationInProgress,
    PartitionNotFound,
)
from domains.inbound_keys import ensure_keys_registered, published_tlsa_records
from domains.models import AcceptedDomain, ActivityHourly, Operation, Tenant
from domains.names import DomainNameError, parse_domain_name
from domains.prepared import CompiledSelect, field_names
from domains.results import CommandOutcome, success_result
from domains.transitions import (
    PROCESS_OPERATIONS,
    STATE_CHANGE_ACTIONS,
    TRANSITIONS,
    Move,
    move_states,
)


class Command(Protocol):
    """The signature every cmdlet function shares."""

    def __call__(
        self, tenant: Tenant, name: str, *, actor: Actor, idempotency_key: str | None = None
    ) -> CommandOutcome: ...


def command_alabel(name: str) -> str:
    """The A-label of the domain a command names; DomainNotFound when it is no domain name."""
    try:
        return parse_domain_name(name).alabel
    except DomainNameError as exc:
        raise DomainNotFound.of_command(
            gettext("%(name)r is not an accepted domain of this tenant.") % {"name": name}
        ) from exc


def supported_domain(tenant: Tenant, name: str) -> AcceptedDomain:
    """The tenant's verified domain called ``name``; DomainNotFound / DomainNotSupported."""
    alabel = command_alabel(name)
    domain = (
        AcceptedDomain.objects.select_related("partition")
        .filter(tenant=tenant, name=alabel)
        .first()
    )
    return _supported(domain, alabel)


def _supported(domain: AcceptedDomain | None, alabel: str) -> AcceptedDomain:
    """``domain`` (the tenant's domain ``alabel``, if any) when commands are offered for it;
    DomainNotFound / DomainNotSupported."""
    if domain is None:
        raise DomainNotFound.of_command(
            gettext("%(domain)s is not an accepted domain of this tenant.") % {"domain": alabel}
        )
    if not domain.is_verified:
        raise DomainNotFound.of_command(
            gettext(
                "%(domain)s is not verified yet: publish its verification TXT record and verify it."
            )
            % {"domain": alabel}
        )
    if domain.is_initial or domain.is_self_service:
        text = (
            gettext(
                "%(domain)s is the tenant's initial domain; DNSSEC and DANE are not offered for it."
            )
            if domain.is_initial
            else gettext(
                "%(domain)s is a self-service domain; DNSSEC and DANE are not offered for it."
            )
        )
        raise DomainNotSupported(text % {"domain": alabel})
    return domain


def _move(
    domain: AcceptedDomain,
    state_field: str,
    target: str,
    actor: Actor,
    *,
    also: dict[str, Any] | None = None,
    **details: Any,
) -> None:
    """Move a state field of the domain (its row locked by the caller) through the state
    machine, with ``also`` (e.g. its placement) set by the same UPDATE and its audit event
    (whose data holds ``details`` too, e.g. the partition and MX host a domain was placed
    on); a worker is woken after commit when ``target`` is a state the worker finishes."""
    source = getattr(domain, state_field)
    if source == target:
        if also:
            AcceptedDomain.objects.filter(pk=domain.pk).update(**also)
        return
    working = {t.working for t in TRANSITIONS.values() if t.field == state_field}
    moved = move_states(
        [Move.of(domain, **details)],
        state_field,
        source=source,
        target=target,
        actor=actor,
        also=also,
        wake=PROCESS_OPERATIONS if target in working else None,
    )
    if not moved:
        raise OperationInProgress(
            gettext("%(domain)s changed meanwhile; retry the command.") % {"domain": domain.name}
        )
    setattr(domain, state_field, target)
    domain.version += 1


class PartitionFilled(Exception):
    """The partition chosen for a placement filled up before the command took its place."""


class TokenTaken(Exception):
    """Another domain holds the MX token a placement tried without checking."""


@dataclass
class Place:
    """Where an Enable-DnssecForVerifiedDomain places its domain: a partition chosen without
    a lock, whose place the command's transaction takes last (``dnsops.partitions
    .take_place``), so concurrent enables hold the partition row only while they commit;
    and its MX token: the first candidate, unchecked, unless ``check_tokens``. Another
    domain holding it is rare (``a-b.example`` and ``a.b-example``): the unique constraint
    then stops the transaction, and the command is carried out again, checking."""

    check_tokens: bool = False
    partition: Partition | None = None
    token: str | None = None

    def choose(self) -> Partition | None:
        """A partition with room (None when none has), its place taken by :meth:`take`."""
        self.partition = partition_with_room()
        return self.partition

    def choose_token(self, domain: AcceptedDomain) -> str:
        """The MX token of ``domain`` (every candidate checked when ``check_tokens``)."""
        if self.check_tokens:
            self.token = allocate_mx_token(
                domain.name,
                lambda t: AcceptedDomain.objects.filter(mx_token=t).exclude(pk=domain.pk).exists(),
            )
        else:
            self.token = next(mx_token_candidates(domain.name))
        return self.token

    def token_taken(self, tenant: Tenant, alabel: str) -> bool:
        """Whether another domain than the tenant's ``alabel`` holds the token tried."""
        others = AcceptedDomain.objects.exclude(tenant=tenant, name=alabel)
        return self.token is not None and others.filter(mx_token=self.token).exists()

    def take(self) -> None:
        """Take the chosen partition's place; PartitionFilled when it has no room any more."""
        if self.partition is not None and not take_place(self.partition):
            raise PartitionFilled(self.partition.zone)


def _needs_place(domain: AcceptedDomain) -> bool:
    """Whether enabling DNSSEC places the domain: the first time, or when its partition is
    being emptied (a domain keeps its token and its place otherwise)."""
    if domain.dnssec_state in DNSSEC_PUBLISHED_STATES:
        return False
    current = domain.partition
    return domain.mx_token is None or current is None or current.status == PartitionStatus.RETIRED


# Each transition runs with the domain row locked. It returns a result when the command's
# outcome already holds (nothing to do), or None after it moved the state and recorded what
# the zone must publish (a worker will do it).
Step = Callable[[AcceptedDomain, Actor, Place], dict[str, Any] | None]


def _enable_dnssec(domain: AcceptedDomain, actor: Actor, place: Place) -> dict[str, Any] | None:
    if domain.dnssec_state in DNSSEC_PUBLISHED_STATES:
        return success_result(OperationKind.ENABLE_DNSSEC, domain)
    placement: dict[str, Any] = {}
    if _needs_place(domain):
        partition = place.choose()
        if partition is None:
            raise DnssecOperationFailed(
                gettext("No DNSSEC partition has room for %(domain)s; the provider must add one.")
                % {"domain": domain.name}
            )
        token = place.choose_token(domain)
        if domain.partition is not None and domain.mx_token is not None:
            release_place(domain.partition.pk)  # it leaves its retired partition
        domain.partition, domain.mx_token = partition, token
        placement = {"partition": partition, "mx_token": token}
    assert domain.partition is not None
    set_desired_rrsets(domain.partition, publishing.host_rrsets(domain))
    _move(
        domain,
        "dnssec_state",
        DnssecState.ENABLING,
        actor,
        also=placement,
        partition=domain.partition.zone,
        mx_host=publishing.mx_host(domain),
    )
    return None


def _disable_dnssec(domain: AcceptedDomain, actor: Actor, place: Place) -> dict[str, Any] | None:
    if domain.dnssec_state == DnssecState.DISABLED:
        return success_result(OperationKind.DISABLE_DNSSEC, domain)
    if domain.partition is None:
        _move(domain, "dnssec_state", DnssecState.DISABLED, actor)
        return success_result(OperationKind.DISABLE_DNSSEC, domain)
    set_desired_rrsets(
        domain.partition, [], [*publishing.host_keys(domain), publishing.tlsa_key(domain)]
    )
    # DNSSEC first: its migration step (3, being disabled) needs no check run, nor SMTP
    # DANE's after it.
    _move(domain, "dnssec_state", DnssecState.DISABLING, actor)
    _move(domain, "dane_state", DaneState.DISABLED, actor)
    return None


def _enable_dane(domain: AcceptedDomain, actor: Actor, place: Place) -> dict[str, Any] | None:
    if domain.dnssec_state not in DNSSEC_PUBLISHED_STATES or domain.partition is None:
        raise PartitionNotFound(
            gettext(
                "%(domain)s has no DNSSEC partition: enable DNSSEC for it first "
                "(Enable-DnssecForVerifiedDomain)."
            )
            % {"domain": domain.name}
        )
    if domain.dane_state == DaneState.ENABLED:
        return success_result(OperationKind.ENABLE_DANE, domain)
    ensure_keys_registered()
    records = published_tlsa_records()
    if not records:
        raise DnssecOperationFailed(
            gettext(
                "The provider has registered no inbound TLS key, so there is no TLSA record to "
                "publish; retry once one is registered."
            )
        )
    rrset = publishing.tlsa_rrset_at(publishing.tlsa_owner(domain), records)
    set_desired_rrsets(domain.partition, [rrset])
    _move(domain, "dane_state", DaneState.ENABLING, actor)
    return None


def _disable_dane(domain: AcceptedDomain, actor: Actor, place: Place) -> dict[str, Any] | None:
    if domain.dane_state == DaneState.DISABLED:
        return success_result(OperationKind.DISABLE_DANE, domain)
    if domain.partition is None:
        _move(domain, "dane_state", DaneState.DISABLED, actor)
        return success_result(OperationKind.DISABLE_DANE, domain)
    set_desired_rrsets(domain.partition, [], [publishing.tlsa_key(domain)])
    _move(domain, "dane_state", DaneState.DISABLING, actor)
    return None


STEPS: dict[OperationKind, Step] = {
    OperationKind.ENABLE_DNSSEC: _enable_dnssec,
    OperationKind.DISABLE_DNSSEC: _disable_dnssec,
    OperationKind.ENABLE_DANE: _enable_dane,
    OperationKind.DISABLE_DANE: _disable_dane,
}


def locked_domain(tenant: Tenant, alabel: str) -> AcceptedDomain | None:
    """The tenant's domain ``alabel`` (None: it has none), its row locked FOR UPDATE.

    One statement without a join, on purpose: when PostgreSQL re-reads a row another
    transaction changed while this one waited for the lock, it returns the new row but keeps
    the joined rows of the statement's old snapshot, so a join in the locking query could pair
    the new state with the partition the domain had before (none) — a "Success" without an MX
    host. The partition is read by a statement of its own when first used
    (``domain.partition``; none for a domain not placed yet), after the lock: the current one.
    The tenant is the caller's. (Compiled and prepared once, :mod:`domains.prepared`: every
    command runs it, and building it through the ORM costs more than running it.)
    """
    row = _locked_domain_statement().first(tenant_id=tenant.pk, name=alabel)
    if row is None:
        return None
    domain = AcceptedDomain.from_db(DEFAULT_DB_ALIAS, _DOMAIN_FIELDS, row)
    domain.tenant = tenant
    return domain


_DOMAIN_FIELDS = field_names(AcceptedDomain)


@cache
def _locked_domain_statement() -> CompiledSelect:
    """``locked_domain``'s statement (compiled inside the first command's transaction, as
    ``select_for_update`` requires)."""
    tenant_placeholder, name_placeholder = -(2**62), "\x00name"
    locked = (
        AcceptedDomain.objects.filter(tenant_id=tenant_placeholder, name=name_placeholder)
        .order_by()
        .select_for_update()
        .values_list(*_DOMAIN_FIELDS)
    )
    return CompiledSelect.of(locked, tenant_id=tenant_placeholder, name=name_placeholder)


#: How many times a command chooses a partition again when the one it chose filled up meanwhile.
PLACEMENT_ATTEMPTS = 5

#: The state fields the commands move.
STATE_FIELDS = tuple(STATE_CHANGE_ACTIONS)
#: The (state field, state) pairs of a domain while an operation works on it.
WORKING_STATES = frozenset((t.field, t.working) for t in TRANSITIONS.values())


def _operation_in_flight(domain: AcceptedDomain) -> Operation | None:
    """The domain's operation in flight, looked for only when one of its states is a working
    one: the command that sets a working state creates the operation in its transaction, and
    the worker ends both in one (``domains.operations``), so a domain in no working state has
    none. (Were one there, the unique constraint on operations in flight would stop the new
    one: see :func:`_run_in_transaction`.)"""
    if not any((field, getattr(domain, field)) in WORKING_STATES for field in STATE_FIELDS):
        return None
    return Operation.objects.filter(domain=domain, state__in=IN_FLIGHT_STATES).first()


def _in_progress(in_flight: Operation, name: str) -> OperationInProgress:
    return OperationInProgress(
        gettext(
            "%(kind)s is still running for %(domain)s (operation %(id)s); wait for it to finish."
        )
        % {"kind": in_flight.kind, "domain": name, "id": in_flight.id}
    )


def run_command(
    kind: OperationKind,
    tenant: Tenant,
    name: str,
    *,
    actor: Actor,
    idempotency_key: str | None = None,
) -> CommandOutcome:
    """Carry out ``kind`` for the tenant's domain ``name``: the body of every cmdlet.

    An enable whose chosen partition filled up before its transaction took the place is
    rolled back and carried out again, on a partition chosen again; one whose MX token
    another domain holds, again with every token candidate checked.
    """
    if idempotency_key is not None:
        repeated = _repeat_of(kind, tenant, name, idempotency_key)
        if repeated is not None:
            return CommandOutcome(repeated, created=False)
    alabel = command_alabel(name)
    check_tokens = False
    for _ in range(PLACEMENT_ATTEMPTS):
        try:
            place = Place(check_tokens=check_tokens)
            return _run_in_transaction(kind, tenant, alabel, actor, idempotency_key, place)
        except PartitionFilled:
            continue
        except TokenTaken:
            check_tokens = True
    raise DnssecOperationFailed(
        gettext("The DNSSEC partitions kept filling up while %(domain)s was placed; retry.")
        % {"domain": alabel}
    )


def _run_in_transaction(
    kind: OperationKind,
    tenant: Tenant,
    alabel: str,
    actor: Actor,
    idempotency_key: str | None,
    place: Place,
) -> CommandOutcome:
    """The command's transaction: the domain row locked, the operation in flight or a new one
    (its audit events written together); the partition place (an enable that places the
    domain) taken last."""
    try:
        with transaction.atomic():
            with written_together():
                domain = _supported(locked_domain(tenant, alabel), alabel)
                in_flight = _operation_in_flight(domain)
                if in_flight is not None:
                    if in_flight.kind != kind:
                        raise _in_progress(in_flight, domain.name)
                    return CommandOutcome(in_flight, created=False)
                if idempotency_key is not None:
                    _release_expired_key(tenant, idempotency_key)
                operation = _record_operation(kind, domain, actor, idempotency_key, place)
            place.take()
    except IntegrityError:
        # A unique constraint stopped it: another domain holds the MX token tried, or another
        # request created the same operation first (same key, or same domain and feature).
        if place.token_taken(tenant, alabel):
            raise TokenTaken(place.token) from None
        repeated = _repeat_of(kind, tenant, alabel, idempotency_key) if idempotency_key else None
        if repeated is not None:
            return CommandOutcome(repeated, created=False)
        running = list(
            Operation.objects.filter(tenant=tenant, domain_name=alabel, state__in=IN_FLIGHT_STATES)
        )
        same = [operation for operation in running if operation.kind == kind]
        if same:
            return CommandOutcome(same[0], created=False)
        if running:
            raise _in_progress(running[0], alabel) from None
        raise
    return CommandOutcome(operation, created=True)


def _record_operation(
    kind: OperationKind,
    domain: AcceptedDomain,
    actor: Actor,
    idempotency_key: str | None,
    place: Place,
) -> Operation:
    """Move the state, create the operation and its audit event; wake a worker on commit.
    A command whose outcome already holds is counted in the hourly rollup here (requested
    and succeeded at once); the others when a worker claims them."""
    done = STEPS[kind](domain, actor, place)
    now = timezone.now()
    operation = Operation(
        tenant=domain.tenant,
        domain=domain,
        domain_name=domain.name,
        kind=kind,
        feature=kind.feature,
        state=OperationState.SUCCEEDED if done else OperationState.PENDING,
        steps=["already-in-place"] if done else ["accepted"],
        next_attempt_at=None if done else now,
        idempotency_key=idempotency_key,
        actor=actor.label,
        result=done,
        finished_at=now if done else None,
    )
    prepared.insert(operation)  # Operation.objects.create, in a prepared statement
    record_audit_event(
        AuditAction.OPERATION_REQUESTED,
        actor=actor,
        tenant=domain.tenant,
        target_type="operation",
        target_id=str(operation.id),
        data={"kind": kind, "domain": domain.name, "state": operation.state},
    )
    if done:
        Event = ActivityHourly.Event
        rollups.count_activity([(now, Event.REQUESTED, kind), (now, Event.SUCCEEDED, kind)])
    return operation


def _key_window_start() -> datetime:
    """When the idempotency keys still remembered were first used, at the earliest."""
    return timezone.now() - timedelta(seconds=settings.DANE_IDEMPOTENCY_KEY_TTL_SECONDS)


def _release_expired_key(tenant: Tenant, idempotency_key: str) -> None:
    """Take an expired key off the operation that used it, so the new one can hold it."""
    Operation.objects.filter(
        tenant=tenant, idempotency_key=idempotency_key, created_at__lt=_key_window_start()
    ).update(idempotency_key=None)


def _repeat_of(
    kind: OperationKind, tenant: Tenant, name: str, idempotency_key: str
) -> Operation | None:
    """The operation an Idempotency-Key names within its window; refuses reuse for something
    else. A key older than ``DANE_IDEMPOTENCY_KEY_TTL_SECONDS`` names nothing any more."""
    operation = Operation.objects.filter(
        tenant=tenant, idempotency_key=idempotency_key, created_at__gte=_key_window_start()
    ).first()
    if operation is None:
        return None
    try:
        same_domain = operation.domain_name == parse_domain_name(name).alabel
    except DomainNameError:
        same_domain = False
    if operation.kind != kind or not same_domain:
        raise IdempotencyKeyReused(
            gettext(
                "The Idempotency-Key was already used for %(kind)s of %(domain)s; use a new "
                "key for a different command."
            )
            % {"kind": operation.kind, "domain": operation.domain_name}
        )
    return operation


def enable_dnssec(
    tenant: Tenant, name: str, *, actor: Actor, idempotency_key: str | None = None
) -> CommandOutcome:
    """Enable-DnssecForVerifiedDomain: publish the domain's DNSSEC MX host."""
    return run_command(
        OperationKind.ENABLE_DNSSEC, tenant, name, actor=actor, idempotency_key=idempotency_key
    )


def disable_dnssec(
    tenant: Tenant, name: str, *, actor: Actor, idempotency_key: str | None = None
) -> CommandOutcome:
    """Disable-DnssecForVerifiedDomain: withdraw the MX host (and its TLSA records)."""
    return run_command(
        OperationKind.DISABLE_DNSSEC, tenant, name, actor=actor, idempotency_key=idempotency_key
    )


def enable_smtp_dane_inbound(
    tenant: Tenant, name: str, *, actor: Actor, idempotency_key: str | None = None
) -> CommandOutcome:
    """Enable-SmtpDaneInbound: publish TLSA records for the provider's inbound keys."""
    return run_command(
        OperationKind.ENABLE_DANE, tenant, name, actor=actor, idempotency_key=idempotency_key
    )


def disable_smtp_dane_inbound(
    tenant: Tenant, name: str, *, actor: Actor, idempotency_key: str | None = None
) -> CommandOutcome:
    """Disable-SmtpDaneInbound: withdraw the TLSA records."""
    return run_command(
        OperationKind.DISABLE_DANE, tenant, name, actor=actor, idempotency_key=idempotency_key
    )
