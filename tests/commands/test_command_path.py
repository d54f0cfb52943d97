"""The short paths of a command under load: an MX token taken by another domain (tried
unchecked, then carried out again), the operation in flight looked for only while a state is
a working one, and the worker's wake-ups coalesced per window, with no operation lost when
the one wake-up of a window is (the beat sweep carries it out)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, cast

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import signals
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains import prepared, transitions, wakeups
from domains.api.serializers import OperationSerializer
from domains.audit import Actor, record_audit_event, written_together
from domains.choices import AuditAction
from domains.commands import disable_dnssec, enable_dnssec
from domains.errors import OperationInProgress
from domains.models import AcceptedDomain, AuditEvent, Operation, Tenant
from domains.transitions import PROCESS_OPERATIONS
from tests.commands.test_worker import wait_for
from tests.factories import DomainFactory
from tests.support import enable_url, make_verified_domain
from tests.worker import WorkerProcess

pytestmark = pytest.mark.django_db

WINDOW_KEY = f"dane:window:{PROCESS_OPERATIONS}"


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> redis.Redis:
    """The broker's Redis, the wake-up window closed (and forgotten by this process)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(WINDOW_KEY)
    monkeypatch.setattr(wakeups, "_known_open", {})
    return client


def test_an_mx_token_another_domain_holds_is_skipped_for_the_next_candidate(
    api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    base = f"a{uuid.uuid4().hex[:8]}"
    holder = cast(
        AcceptedDomain, DomainFactory(tenant=tenant, verified=True, name=f"{base}.b-example")
    )
    assert api.post(enable_url(holder.name, "dnssec")).status_code == 202
    holder.refresh_from_db()
    assert holder.mx_token == f"{base}-b-example"

    name = f"{base}-b.example"  # the same first candidate: "<base>-b-example"
    DomainFactory(tenant=tenant, verified=True, name=name)
    response = api.post(enable_url(name, "dnssec"))

    assert response.status_code == 202, response.content
    domain = AcceptedDomain.objects.get(name=name)
    assert domain.mx_token is not None
    assert domain.mx_token.startswith(f"{base}-b-example-")  # with its stable hash
    assert (domain.dnssec_state, domain.partition_id) == ("enabling", partition.pk)
    assert Operation.objects.filter(domain_name=name, state="pending").count() == 1
    partition.refresh_from_db()
    assert partition.placed == 2  # the rolled-back first try took no place


def test_a_domain_at_rest_is_not_asked_for_an_operation_in_flight(
    tenant: Tenant, partition: Partition
) -> None:
    name = make_verified_domain(tenant)
    with CaptureQueriesContext(connection) as first:
        enable_dnssec(tenant, name, actor=Actor.cli())
    assert not any('FROM "domains_operation"' in q["sql"] for q in first.captured_queries)

    with CaptureQueriesContext(connection) as again:  # enabling: the operation is looked up
        repeated = enable_dnssec(tenant, name, actor=Actor.cli())
    assert any('FROM "domains_operation"' in q["sql"] for q in again.captured_queries)
    assert not repeated.created
    with pytest.raises(OperationInProgress):  # another command while the enable is in flight
        disable_dnssec(tenant, name, actor=Actor.cli())


def test_commands_within_a_window_share_one_wake_up(
    broker: redis.Redis, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DANE_OPERATION_WAKE_UP_WINDOW = 0.5
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        transitions, "enqueue", lambda task, **options: sent.append({"task": task, **options})
    )
    for _ in range(5):
        transitions.wake_worker(PROCESS_OPERATIONS)
    # One wake-up, run when the window ends: after every commit that found it open.
    assert sent == [{"task": PROCESS_OPERATIONS, "countdown": 0.5, "expires": 30.5}]
    assert 0 < broker.pttl(WINDOW_KEY) <= 500

    deadline = time.monotonic() + 10
    while broker.exists(WINDOW_KEY) or wakeups._known_open[PROCESS_OPERATIONS] > time.monotonic():
        assert time.monotonic() < deadline  # the window closes
        time.sleep(0.05)
    transitions.wake_worker(PROCESS_OPERATIONS)
    assert len(sent) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.dns
def test_an_operation_whose_wake_up_was_lost_is_carried_out_by_the_sweep(
    worker: WorkerProcess, broker: redis.Redis, api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    # Another process opened the window, and its wake-up never arrives.
    broker.set(WINDOW_KEY, 1, px=60_000)
    try:
        name = make_verified_domain(tenant)
        response = api.post(enable_url(name, "dnssec"))
        assert response.status_code == 202
        operation = wait_for(response.json()["id"], timeout=30)  # the beat sweep: every 5 s
    finally:
        broker.delete(WINDOW_KEY)
    assert operation.state == "succeeded", operation.error_detail
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"


def test_the_lean_operation_body_is_drf_s(
    api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    """The 202 body, built without DRF's field walk, is byte for byte what DRF's
    ModelSerializer renders, and what the operation's Location then shows."""
    name = make_verified_domain(tenant)
    response = api.post(enable_url(name, "dnssec"))
    assert response.status_code == 202, response.content
    operation = Operation.objects.get(pk=response.json()["id"])
    assert response.content == api.get(response["Location"]).content
    assert response.content == JSONRenderer().render(drf_representation(operation))

    operation.state, operation.finished_at = "failed", timezone.now()
    operation.error_code, operation.error_detail = "DnssecOperationFailed", "No partition."
    operation.result = {"Result": "Error", "ErrorData": None}
    operation.attempts, operation.next_attempt_at = 3, None
    serializer = OperationSerializer()
    assert json.dumps(serializer.to_representation(operation)) == json.dumps(
        drf_representation(operation)
    )


def drf_representation(operation: Operation) -> dict[str, Any]:
    """What DRF's ModelSerializer makes of the operation (the serializer's own fields)."""
    return dict(serializers.ModelSerializer.to_representation(OperationSerializer(), operation))


def test_a_prepared_insert_writes_the_row_create_writes(tenant: Tenant) -> None:
    """``prepared.insert`` stores every field as ``Operation.objects.create`` does (defaults,
    ``auto_now`` times, JSON), and a model with a save signal connected goes through save."""
    domains = [cast(AcceptedDomain, DomainFactory(tenant=tenant, verified=True)) for _ in "ab"]
    fields: dict[str, Any] = {"tenant": tenant, "kind": "enable_dnssec", "feature": "dnssec"}
    fields |= {"actor": "cli", "steps": ["accepted"], "result": {"Result": "Success"}}
    created = Operation.objects.create(domain=domains[0], domain_name=domains[0].name, **fields)
    inserted = Operation(domain=domains[1], domain_name=domains[1].name, **fields)
    prepared.insert(inserted)
    assert not inserted._state.adding

    def row(operation: Operation) -> dict[str, Any]:
        values = Operation.objects.filter(pk=operation.pk).values().get()
        assert values["created_at"] <= values["updated_at"]  # both set, as auto_now sets them
        ignored = ("id", "domain_id", "domain_name", "created_at", "updated_at")
        return {name: value for name, value in values.items() if name not in ignored}

    assert row(inserted) == row(created)
    calls: list[object] = []
    receiver = lambda **kwargs: calls.append(kwargs["instance"])  # noqa: E731
    signals.post_save.connect(receiver, sender=Operation, weak=False)
    try:
        signalled = Operation(domain=None, domain_name="x.example", **fields)
        prepared.insert(signalled)
    finally:
        signals.post_save.disconnect(receiver, sender=Operation)
    assert calls == [signalled]
    assert Operation.objects.filter(pk=signalled.pk).exists()


def test_audit_events_written_together_get_their_ids_in_order(tenant: Tenant) -> None:
    """A few rows of an auto-incremented key in one prepared INSERT: each event gets the id
    of its row, in the order recorded, as ``bulk_create`` gives them."""
    with transaction.atomic(), written_together():
        events = [
            record_audit_event(
                AuditAction.OPERATION_REQUESTED,
                actor=Actor.cli(),
                tenant=tenant,
                target_type="operation",
                target_id=f"op-{n}",
                data={"n": n},
            )
            for n in range(3)
        ]
    assert [event.pk for event in events] == sorted(event.pk for event in events)
    stored = AuditEvent.objects.filter(pk__in=[event.pk for event in events]).order_by("pk")
    assert [(e.target_id, e.data, e.tenant_id) for e in stored] == [
        (f"op-{n}", {"n": n}, tenant.pk) for n in range(3)
    ]
    assert all(not event._state.adding for event in events)


def test_a_command_s_state_move_is_one_prepared_update(
    tenant: Tenant, partition: Partition
) -> None:
    """The conditional UPDATE of a command's domain runs as a statement prepared once: the
    same state, version and placement as the ORM's update would write."""
    first, second = make_verified_domain(tenant), make_verified_domain(tenant)
    enable_dnssec(tenant, first, actor=Actor.cli())
    with CaptureQueriesContext(connection) as queries:
        enable_dnssec(tenant, second, actor=Actor.cli())
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any(sql.startswith('UPDATE "domains_accepteddomain"') for sql in statements)
    for name in (first, second):
        domain = AcceptedDomain.objects.get(name=name)
        assert (domain.dnssec_state, domain.version, domain.partition_id) == (
            "enabling",
            2,
            partition.pk,
        )
        assert domain.mx_token == name.replace(".", "-")
        assert domain.dnssec_state_since == domain.updated_at
        assert domain.migration_step is not None
