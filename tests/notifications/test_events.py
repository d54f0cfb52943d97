"""Events are written by the service layer in the transaction of the change: report changes
(and only those), DNSSEC problems, a domain reaching enabled, a failed operation, a TLS-RPT
report with failures; the check store never waits for a receiver."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.test import Client

from domains import checks, operations
from domains.choices import OperationState
from domains.models import AcceptedDomain, CheckRun, Tenant
from domains.notifications import delivery
from domains.notifications.events import record_event
from domains.notifications.models import Event, EventType, Webhook
from domains.notifications.secrets import encrypt_secret
from domains.tlsrpt import services as tlsrpt_services
from tests.factories import DomainFactory, OperationFactory
from tests.notifications.support import Receiver, outcome
from tests.tlsrpt.conftest import vector_bytes

pytestmark = pytest.mark.django_db


def events_of(domain: AcceptedDomain) -> list[Event]:
    return list(Event.objects.filter(domain=domain).order_by("id"))


def test_a_report_change_is_an_event_and_an_unchanged_report_is_not() -> None:
    domain = DomainFactory.create(dnssec_enabled=True)
    checks.store_outcomes([outcome(domain, mx=("EX005",))], CheckRun.Trigger.SCHEDULE)
    (first,) = events_of(domain)
    assert first.type == EventType.REPORT_CHANGED
    assert first.data["appeared"] == ["EX005"]

    domain.refresh_from_db()
    checks.store_outcomes([outcome(domain, mx=("EX005",))], CheckRun.Trigger.SCHEDULE)
    assert events_of(domain) == [first]  # nothing changed: no event

    domain.refresh_from_db()
    checks.store_outcomes([outcome(domain, dns=("ED008",))], CheckRun.Trigger.SCHEDULE)
    changed, problem = events_of(domain)[1:]
    assert changed.type == EventType.REPORT_CHANGED
    assert changed.data["appeared"] == ["ED008"]
    assert changed.data["disappeared"] == ["EX005"]
    assert changed.data["before"]["MxValidation"] == {"status": "Failed", "codes": ["EX005"]}
    assert changed.data["after"]["DnsValidation"] == {"status": "Failed", "codes": ["ED008"]}
    assert {"section": "DnsValidation", "from": "Passed", "to": "Failed"} in changed.data[
        "sections"
    ]
    (new_finding,) = changed.data["new_findings"]
    assert new_finding["code"] == "ED008"
    assert new_finding["action"]  # the remedy travels with the event
    assert problem.type == EventType.DNSSEC_PROBLEM
    assert problem.data == {"codes": ["ED008"], "problems": ["bogus"]}
    assert changed.link.endswith(f"/domains/{domain.name}/status/")


def test_signatures_expiring_and_ds_drift_are_dnssec_problems() -> None:
    domain = DomainFactory.create(dnssec_enabled=True)
    checks.store_outcomes([outcome(domain)], CheckRun.Trigger.SCHEDULE)
    assert events_of(domain) == []  # a first report with nothing to say
    domain.refresh_from_db()
    checks.store_outcomes([outcome(domain, dns=("ED007", "ED011"))], CheckRun.Trigger.SCHEDULE)
    problem = Event.objects.get(domain=domain, type=EventType.DNSSEC_PROBLEM)
    assert problem.data["problems"] == ["ds_drift", "signatures_expiring"]


def test_reaching_enabled_is_an_event() -> None:
    domain = DomainFactory.create(pending_mx=True)
    checks.store_outcomes([outcome(domain)], CheckRun.Trigger.SCHEDULE)
    domain.refresh_from_db()
    assert domain.dnssec_state == "enabled"
    enabled = Event.objects.get(domain=domain, type=EventType.DOMAIN_ENABLED)
    assert enabled.data == {"feature": "dnssec", "from": "pending_mx", "to": "enabled"}
    assert enabled.tenant == domain.tenant


def test_a_failed_operation_is_an_event() -> None:
    operation = OperationFactory.create(state=OperationState.RUNNING)
    operations.fail(operation, "the DNS server refused the update", repair=False)
    event = Event.objects.get(type=EventType.OPERATION_FAILED)
    assert event.tenant == operation.tenant
    assert event.domain_name == operation.domain_name
    assert event.data["operation"] == str(operation.id)
    assert event.data["error"] == "the DNS server refused the update"
    assert event.link.endswith(f"/t/{operation.tenant.slug}/operations/")


def test_a_tls_rpt_report_with_failures_is_an_event(tenant: Tenant) -> None:
    domain = tenant.domains.get(is_initial=True)
    token = tlsrpt_services.endpoint_for(domain).token
    for name in ("rfc8460-appendix-b.json", "peer-parsedmarc-google-2024.json"):
        response = Client().post(
            f"/tlsrpt/{token}/", data=vector_bytes(name), content_type="application/tlsrpt+json"
        )
        assert response.status_code == 201
    assert not Event.objects.filter(type=EventType.TLSRPT_FAILURE).exists()  # not processed yet
    assert tlsrpt_services.process_pending_reports() == 2  # the worker's task
    (event,) = Event.objects.filter(type=EventType.TLSRPT_FAILURE)  # the Google one: no failures
    assert event.domain == domain
    assert event.data["failed_sessions"] > 0
    assert event.data["report"] == str(
        domain.tls_reports.get(total_failure_session_count__gt=0).public_id
    )


def test_an_event_rolls_back_with_its_change(tenant: Tenant) -> None:
    def a_change_that_fails() -> None:
        with transaction.atomic():
            record_event(EventType.TLSA_MISMATCH, tenant=tenant, domain_name="x.example")
            raise ValueError("the change failed")

    with pytest.raises(ValueError, match="the change failed"):
        a_change_that_fails()
    assert not Event.objects.exists()


def test_a_burst_of_changes_is_stored_without_waiting_for_a_slow_receiver(
    tenant: Tenant, receiver: Receiver
) -> None:
    receiver.delay = 3.0  # longer than the whole store may take
    Webhook.objects.create(
        tenant=tenant,
        url=receiver.url,
        secret_encrypted=encrypt_secret("whsec_test"),
        secret_hint="test",
        created_by="test",
    )
    domains = [DomainFactory.create(tenant=tenant, dnssec_enabled=True) for _ in range(100)]

    started = time.monotonic()
    checks.store_outcomes([outcome(d, mx=("EX004",)) for d in domains], CheckRun.Trigger.SCHEDULE)
    stored_in = time.monotonic() - started

    assert stored_in < receiver.delay
    assert receiver.requests == []  # the store talks to no receiver
    assert Event.objects.filter(tenant=tenant, type=EventType.REPORT_CHANGED).count() == 100
    receiver.delay = 0.0
    assert delivery.deliver_due() == 100
    assert len(receiver.accepted) == 100
    assert set(receiver.accepted.values()) == {1}
