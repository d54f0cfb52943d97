"""Reads of notifications, scoped to a tenant: no writes, no network."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from domains.models import Membership, Tenant
from domains.notifications.models import (
    DeliveryAttempt,
    DigestSubscription,
    Event,
    Webhook,
    WebhookDelivery,
)


def webhooks_of(tenant: Tenant) -> QuerySet[Webhook]:
    """The tenant's webhooks, oldest first."""
    return Webhook.objects.filter(tenant=tenant)


def webhook_of(tenant: Tenant, public_id: UUID | str) -> Webhook | None:
    """The tenant's webhook with this id; None for anyone else's (or none)."""
    try:
        return webhooks_of(tenant).filter(public_id=UUID(str(public_id))).first()
    except ValueError:
        return None


def deliveries_of(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """The webhook's deliveries, newest first, with their event."""
    return WebhookDelivery.objects.filter(webhook=webhook).select_related("event")


def attempts_of(deliveries: list[WebhookDelivery]) -> dict[int, list[DeliveryAttempt]]:
    """The attempt log of each delivery (newest first), in one query."""
    log: dict[int, list[DeliveryAttempt]] = {delivery.pk: [] for delivery in deliveries}
    for attempt in DeliveryAttempt.objects.filter(delivery__in=deliveries):
        log[attempt.delivery_id].append(attempt)
    return log


def events_of(
    tenant: Tenant,
    *,
    type: str | None = None,
    domain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Event]:
    """The tenant's events, newest first, filtered by type, domain (A-label) and time."""
    events = Event.objects.filter(tenant=tenant).select_related("tenant")
    if type:
        events = events.filter(type=type)
    if domain:
        events = events.filter(domain_name=domain)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events.order_by("-occurred_at", "-id")


def digest_of(membership: Membership) -> DigestSubscription | None:
    """The member's digest subscription, if they ever set one."""
    return DigestSubscription.objects.filter(membership=membership).first()
