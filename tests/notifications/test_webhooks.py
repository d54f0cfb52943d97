"""Webhooks against a real HTTP receiver on loopback: the signature, retries with backoff
(the clock injected), failure after the window, idempotency by event id, the address guard,
the secret kept out of every later answer, and tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from domains.choices import AuditAction
from domains.models import AuditEvent, Tenant
from domains.notifications import delivery
from domains.notifications.events import record_event
from domains.notifications.models import (
    DeliveryAttempt,
    Event,
    EventType,
    Webhook,
    WebhookDelivery,
)
from domains.notifications.secrets import decrypt_secret
from tests.notifications.support import Clock, Receiver, signature_is_valid

pytestmark = pytest.mark.django_db


def create_webhook(api: APIClient, url: str, **extra: Any) -> dict[str, Any]:
    response = api.post("/api/v1/webhooks/", {"url": url, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def an_event(tenant: Tenant, event_type: str = EventType.DOMAIN_ENABLED) -> Event:
    domain = tenant.domains.get(is_initial=True)
    with transaction.atomic():
        return record_event(event_type, tenant=tenant, domain=domain, data={"feature": "dnssec"})


def test_the_receiver_gets_a_signed_event_once(
    api: APIClient, tenant: Tenant, receiver: Receiver
) -> None:
    created = create_webhook(api, receiver.url)
    event = an_event(tenant)

    assert delivery.deliver_due() == 1

    (request,) = receiver.requests
    assert signature_is_valid(
        created["secret"], request.headers["Dane-Admin-Signature"], request.body
    )
    assert not signature_is_valid(
        "whsec_wrong", request.headers["Dane-Admin-Signature"], request.body
    )
    assert request.headers["Idempotency-Key"] == str(event.public_id)
    assert request.headers["Content-Type"] == "application/json"
    body = request.json
    assert body["id"] == str(event.public_id)
    assert body["type"] == "domain.enabled"
    assert body["tenant"] == tenant.slug
    assert body["domain"] == event.domain_name
    assert body["link"].endswith(f"/t/{tenant.slug}/domains/{event.domain_name}/status/")
    (shown,) = api.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()["results"]
    assert shown["state"] == "succeeded"
    assert shown["attempt_log"][0]["status_code"] == 200
    assert shown["attempt_log"][0]["response_snippet"] == '{"ok": true}'
    assert delivery.deliver_due() == 0  # delivered: never again


def test_a_receiver_failing_twice_gets_the_event_once_after_backoff(
    api: APIClient, tenant: Tenant, receiver: Receiver, settings: Any
) -> None:
    settings.NOTIFY_WEBHOOK_RETRY_BASE_SECONDS = 10
    receiver.statuses = [500, 503]
    create_webhook(api, receiver.url)
    event = an_event(tenant)
    clock = Clock()

    assert delivery.deliver_due(clock) == 1
    clock.advance(seconds=9)
    assert delivery.deliver_due(clock) == 0  # the first retry is 10 s after the failure
    clock.advance(seconds=1)
    assert delivery.deliver_due(clock) == 1
    clock.advance(seconds=19)
    assert delivery.deliver_due(clock) == 0  # then 20 s
    clock.advance(seconds=1)
    assert delivery.deliver_due(clock) == 1
    clock.advance(days=2)
    assert delivery.deliver_due(clock) == 0

    assert len(receiver.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in receiver.requests} == {str(event.public_id)}
    assert [r.headers["Dane-Admin-Delivery-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert receiver.accepted == {str(event.public_id): 1}
    (row,) = WebhookDelivery.objects.filter(event=event)
    assert row.state == "succeeded"
    assert row.attempts == 3
    log = list(row.attempt_log.order_by("attempted_at"))
    assert [attempt.status_code for attempt in log] == [500, 503, 200]
    assert len(log[0].response_snippet) == 500  # capped


def test_a_receiver_that_always_fails_ends_failed_after_the_schedule(
    api: APIClient, tenant: Tenant, receiver: Receiver, settings: Any
) -> None:
    settings.NOTIFY_WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.NOTIFY_WEBHOOK_RETRY_MAX_SECONDS = 3600
    settings.NOTIFY_WEBHOOK_RETRY_WINDOW_SECONDS = 86400
    receiver.statuses = [500] * 1000
    created = create_webhook(api, receiver.url)
    an_event(tenant)
    clock = Clock()
    start = clock.now
    # 0, 1, 3, 7, 15, 31, 63 min, then hourly up to 24 h: 7 + 23 + the last at the window's end
    expected = [0, 60, 180, 420, 900, 1860, 3780]
    while expected[-1] + 3600 < 86400:
        expected.append(expected[-1] + 3600)
    expected.append(86400)

    seen = []
    for _ in range(len(expected) + 5):
        seen.append(round((clock.now - start).total_seconds()))
        assert delivery.deliver_due(clock) == 1
        row = WebhookDelivery.objects.get()
        if row.state != "pending":
            break
        assert row.next_attempt_at is not None
        clock.now = row.next_attempt_at

    row = WebhookDelivery.objects.get()
    assert row.state == "failed"
    assert seen == expected
    assert row.attempts == len(expected) == len(receiver.requests)
    assert row.finished_at is not None
    assert row.finished_at - row.created_at == timedelta(days=1)
    assert DeliveryAttempt.objects.filter(delivery=row, succeeded=False).count() == len(expected)
    failure = AuditEvent.objects.get(action=AuditAction.WEBHOOK_DELIVERY_FAILED)
    assert failure.tenant == tenant
    assert failure.target_id == created["id"]


def test_only_public_addresses_are_posted_to_outside_tests(
    api: APIClient, tenant: Tenant, receiver: Receiver, settings: Any
) -> None:
    create_webhook(api, receiver.url)
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # the production default
    an_event(tenant)

    assert delivery.deliver_due() == 1

    assert receiver.requests == []
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert "non-public" in attempt.error


def test_https_is_required_outside_debug(api: APIClient, settings: Any) -> None:
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = False
    response = api.post("/api/v1/webhooks/", {"url": "http://hooks.example/x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidWebhook"
    bad_type = api.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example/x", "event_types": ["domain.nope"]},
        format="json",
    )
    assert bad_type.status_code == 400
    assert Webhook.objects.count() == 0
    assert create_webhook(api, "https://hooks.example/x")["url"] == "https://hooks.example/x"


def test_the_secret_is_shown_once_and_kept_encrypted(
    api: APIClient, tenant: Tenant, receiver: Receiver
) -> None:
    created = create_webhook(api, receiver.url, event_types=["domain.enabled"])
    secret = created["secret"]
    assert secret.startswith("whsec_")

    stored = Webhook.objects.get()
    assert secret not in stored.secret_encrypted
    assert decrypt_secret(stored.secret_encrypted) == secret
    listed = api.get("/api/v1/webhooks/")
    one = api.get(f"/api/v1/webhooks/{created['id']}/")
    for answer in (listed, one):
        assert answer.status_code == 200
        assert secret not in answer.content.decode()
    assert one.json()["secret_hint"] == secret[-4:]
    audit = AuditEvent.objects.get(action=AuditAction.WEBHOOK_CREATED)
    assert secret not in str(audit.data)


def test_event_types_filter_what_a_webhook_gets(
    api: APIClient, tenant: Tenant, receiver: Receiver
) -> None:
    create_webhook(api, receiver.url, event_types=["operation.failed"])
    an_event(tenant, EventType.DOMAIN_ENABLED)
    wanted = an_event(tenant, EventType.OPERATION_FAILED)

    delivery.deliver_due()

    assert [r.json["id"] for r in receiver.requests] == [str(wanted.public_id)]


def test_send_test_event_and_delete(api: APIClient, tenant: Tenant, receiver: Receiver) -> None:
    created = create_webhook(api, receiver.url, event_types=["operation.failed"])
    response = api.post(f"/api/v1/webhooks/{created['id']}/test/")
    assert response.status_code == 202
    assert response.json()["event_type"] == "webhook.test"

    delivery.deliver_due()

    (request,) = receiver.requests
    assert request.json["type"] == "webhook.test"
    assert signature_is_valid(
        created["secret"], request.headers["Dane-Admin-Signature"], request.body
    )
    assert api.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 204
    assert api.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    actions = set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert {AuditAction.WEBHOOK_TEST_SENT, AuditAction.WEBHOOK_DELETED} <= actions


def test_other_tenants_webhooks_and_events_are_404(
    api: APIClient, other_api: APIClient, tenant: Tenant, other_tenant: Tenant, receiver: Receiver
) -> None:
    created = create_webhook(api, receiver.url)
    mine = an_event(tenant)
    an_event(other_tenant)
    base = f"/api/v1/webhooks/{created['id']}/"

    for method, path in (
        ("get", base),
        ("delete", base),
        ("get", f"{base}deliveries/"),
        ("post", f"{base}test/"),
    ):
        response = getattr(other_api, method)(path)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    assert other_api.get("/api/v1/webhooks/").json()["results"] == []
    assert api.get("/api/v1/webhooks/nonsense/").status_code == 404
    ids = [event["id"] for event in api.get("/api/v1/events/").json()["results"]]
    assert ids == [str(mine.public_id)]
    assert Webhook.objects.filter(pk__isnull=False).count() == 1


def test_events_are_filtered_by_type_domain_and_time(api: APIClient, tenant: Tenant) -> None:
    enabled = an_event(tenant, EventType.DOMAIN_ENABLED)
    failed = an_event(tenant, EventType.OPERATION_FAILED)

    def ids(query: str) -> list[str]:
        response = api.get(f"/api/v1/events/?{query}")
        assert response.status_code == 200, response.content
        return [event["id"] for event in response.json()["results"]]

    assert ids("") == [str(failed.public_id), str(enabled.public_id)]
    assert ids("type=domain.enabled") == [str(enabled.public_id)]
    assert ids(f"domain={enabled.domain_name}") == [str(failed.public_id), str(enabled.public_id)]
    assert ids("domain=other.example") == []
    later = (failed.occurred_at + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"since={later}") == []
    assert ids(f"until={later}") == [str(failed.public_id), str(enabled.public_id)]
    assert api.get("/api/v1/events/?type=nope").json()["code"] == "InvalidRequest"
