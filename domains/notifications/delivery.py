"""Webhook delivery: fan the outbox's events out to the tenants' webhooks, POST the due
deliveries (signed, concurrently, a time limit on each), log every attempt, and retry with
capped exponential backoff for ``NOTIFY_WEBHOOK_RETRY_WINDOW_SECONDS`` before a delivery is
failed. The clock is a parameter, so the whole schedule runs in a test without waiting.

No lock is held while a POST is in flight: due deliveries are claimed (``SKIP LOCKED``, their
``next_attempt_at`` pushed a lease ahead), posted, and their outcome recorded by a conditional
update; a worker that dies mid-batch leaves them to be claimed again when the lease ends.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnsops.webhooks import SIGNATURE_HEADER, PostResult, WebhookPost, post_all, sign
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.notifications.models import (
    DeliveryAttempt,
    Event,
    Webhook,
    WebhookDelivery,
)
from domains.notifications.secrets import decrypt_secret

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Events fanned out per transaction.
FAN_OUT_BATCH = 1000
#: How long a running worker keeps its claim on the deliveries it is posting.
CLAIM_LEASE = timedelta(minutes=2)
#: A delivery run stops claiming new batches after this many seconds: with one more batch (at
#: most ten rounds of NOTIFY_WEBHOOK_TIMEOUT) it stays inside the task's time limit.
RUN_BUDGET_SECONDS = 60.0


def event_payload(event: Event) -> dict[str, Any]:
    """The JSON body of an event, as receivers get it and ``GET /api/v1/events/`` shows it."""
    return {
        "id": str(event.public_id),
        "type": event.type,
        "tenant": event.tenant.slug,
        "domain": event.domain_name or None,
        "occurred_at": event.occurred_at.isoformat(),
        "link": event.link or None,
        "data": event.data,
    }


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the base doubled each time, capped."""
    base = settings.NOTIFY_WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(base, settings.NOTIFY_WEBHOOK_RETRY_MAX_SECONDS))


def fan_out(now: datetime) -> int:
    """One delivery per (event not yet dispatched, active webhook of its tenant that wants its
    type), due at once; the events are marked dispatched. Returns the deliveries created."""
    created = 0
    while True:
        with transaction.atomic():
            events = list(
                Event.objects.filter(dispatched_at__isnull=True)
                .select_for_update(skip_locked=True)
                .order_by("id")
                .only("id", "tenant_id", "type")[:FAN_OUT_BATCH]
            )
            if not events:
                return created
            hooks: dict[int, list[Webhook]] = {}
            for webhook in Webhook.objects.filter(
                tenant_id__in={event.tenant_id for event in events}, active=True
            ):
                hooks.setdefault(webhook.tenant_id, []).append(webhook)
            deliveries = [
                WebhookDelivery(webhook=webhook, event=event, next_attempt_at=now, created_at=now)
                for event in events
                for webhook in hooks.get(event.tenant_id, [])
                if webhook.wants(event.type)
            ]
            WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
            Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
            created += len(deliveries)
        if len(events) < FAN_OUT_BATCH:
            return created


def claim_due(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Claim up to ``limit`` pending deliveries due at ``now`` (their attempt pushed a lease
    ahead, so no other worker posts them meanwhile), with their webhook and event."""
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(
                state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
            )
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + CLAIM_LEASE)
    return list(
        WebhookDelivery.objects.filter(pk__in=ids).select_related(
            "webhook", "event", "event__tenant"
        )
    )


def _post_of(delivery: WebhookDelivery, secrets: dict[int, str], timestamp: int) -> WebhookPost:
    webhook = delivery.webhook
    if webhook.pk not in secrets:
        secrets[webhook.pk] = decrypt_secret(webhook.secret_encrypted)
    body = json.dumps(event_payload(delivery.event), separators=(",", ":")).encode()
    event_id = str(delivery.event.public_id)
    return WebhookPost(
        key=delivery.pk,
        url=webhook.url,
        body=body,
        headers={
            SIGNATURE_HEADER: sign(secrets[webhook.pk], timestamp, body),
            "Dane-Admin-Event-Id": event_id,
            "Dane-Admin-Event-Type": delivery.event.type,
            "Idempotency-Key": event_id,
            "Dane-Admin-Delivery-Attempt": str(delivery.attempts + 1),
        },
    )


def record_results(
    deliveries: list[WebhookDelivery], results: list[PostResult], now: datetime
) -> None:
    """The outcome of one attempt of each delivery, in one transaction: every attempt logged;
    each delivery succeeded, rescheduled (capped backoff, never past its window) or failed
    (its window is over; audited). Conditional on the attempt count the claim saw, so an
    outcome recorded twice (a lease taken over) counts once."""
    window = timedelta(seconds=settings.NOTIFY_WEBHOOK_RETRY_WINDOW_SECONDS)
    succeeded: dict[int, list[int]] = defaultdict(list)
    retries: dict[tuple[int, datetime], list[int]] = defaultdict(list)
    failed: list[WebhookDelivery] = []
    for delivery, result in zip(deliveries, results, strict=True):
        attempts = delivery.attempts + 1
        deadline = delivery.created_at + window
        if result.succeeded:
            succeeded[delivery.attempts].append(delivery.pk)
        elif now >= deadline:
            failed.append(delivery)
        else:
            retry_at = min(now + retry_delay(attempts), deadline)
            retries[(delivery.attempts, retry_at)].append(delivery.pk)
    pending = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING)
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery=delivery,
                attempted_at=now,
                status_code=result.status_code,
                succeeded=result.succeeded,
                response_snippet=result.snippet,
                error=result.error,
                duration_ms=result.duration_ms,
            )
            for delivery, result in zip(deliveries, results, strict=True)
        )
        for attempts, pks in succeeded.items():
            pending.filter(pk__in=pks, attempts=attempts).update(
                state=WebhookDelivery.State.SUCCEEDED,
                attempts=attempts + 1,
                next_attempt_at=None,
                finished_at=now,
            )
        for (attempts, retry_at), pks in retries.items():
            pending.filter(pk__in=pks, attempts=attempts).update(
                attempts=attempts + 1, next_attempt_at=retry_at
            )
        for delivery in failed:
            _fail(delivery, now)


def _fail(delivery: WebhookDelivery, now: datetime) -> None:
    """End a delivery whose retry window is over, with an audit event."""
    if WebhookDelivery.objects.filter(
        pk=delivery.pk, state=WebhookDelivery.State.PENDING, attempts=delivery.attempts
    ).update(
        state=WebhookDelivery.State.FAILED,
        attempts=delivery.attempts + 1,
        next_attempt_at=None,
        finished_at=now,
    ):
        record_audit_event(
            AuditAction.WEBHOOK_DELIVERY_FAILED,
            actor=Actor.system(),
            tenant=delivery.event.tenant,
            target_type="webhook",
            target_id=str(delivery.webhook.public_id),
            data={"event": str(delivery.event.public_id), "attempts": delivery.attempts + 1},
        )


def deliver_batch(now: datetime, limit: int | None = None) -> int:
    """Claim and POST one batch of due deliveries; returns how many were attempted."""
    deliveries = claim_due(now, limit or settings.NOTIFY_WEBHOOK_BATCH)
    if not deliveries:
        return 0
    secrets: dict[int, str] = {}
    timestamp = int(now.timestamp())
    posts = [_post_of(delivery, secrets, timestamp) for delivery in deliveries]
    results = post_all(
        posts,
        timeout=settings.NOTIFY_WEBHOOK_TIMEOUT,
        allow_private=settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
        concurrency=settings.NOTIFY_WEBHOOK_CONCURRENCY,
        ca_bundle=settings.NOTIFY_WEBHOOK_CA_BUNDLE,
    )
    record_results(deliveries, results, now)
    return len(deliveries)


def deliver_due(clock: Clock = timezone.now, budget: float = RUN_BUDGET_SECONDS) -> int:
    """Fan out new events and deliver everything due, batch after batch, for at most
    ``budget`` seconds (the next run takes the rest); returns the attempts made."""
    started = time.monotonic()
    fan_out(clock())
    attempted = 0
    while time.monotonic() - started < budget:
        done = deliver_batch(clock())
        attempted += done
        if not done:
            break
    if attempted:
        logger.info("webhook deliveries attempted: %d", attempted)
    return attempted
