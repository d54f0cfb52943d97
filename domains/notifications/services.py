"""The writes of notifications: webhooks (created with a secret shown once, deleted), a test
event to one webhook, and a member's e-mail digest preference. Each is audited in its
transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnsops.webhooks import UnsafeUrl, check_url
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.errors import InvalidRequest
from domains.models import Membership, Tenant
from domains.notifications.events import new_event, record_events
from domains.notifications.models import (
    SUBSCRIBABLE_EVENT_TYPES,
    DigestSubscription,
    Event,
    EventType,
    Webhook,
    WebhookDelivery,
)
from domains.notifications.secrets import encrypt_secret, new_secret

#: The event types a webhook can ask for, as choices.
SUBSCRIBABLE_TYPES = tuple(EventType(value) for value in SUBSCRIBABLE_EVENT_TYPES)
#: Webhooks one tenant may have.
MAX_WEBHOOKS_PER_TENANT = 20


class InvalidWebhook(InvalidRequest):
    """The webhook's URL or event types cannot be used."""

    code = "InvalidWebhook"


def validate_webhook(url: str, event_types: Sequence[str]) -> list[str]:
    """The event types, checked, in order without repeats; InvalidWebhook for an unsafe URL
    (https only outside DEBUG, no user info) or an unknown type."""
    try:
        check_url(url, allow_http=settings.NOTIFY_WEBHOOK_ALLOW_HTTP)
    except UnsafeUrl as exc:
        raise InvalidWebhook(str(exc), field="url") from exc
    known = {choice.value for choice in SUBSCRIBABLE_TYPES}
    unknown = sorted(set(event_types) - known)
    if unknown:
        raise InvalidWebhook(
            f"Unknown event types: {', '.join(unknown)}.", field="event_types", known=sorted(known)
        )
    return list(dict.fromkeys(event_types))


def create_webhook(
    tenant: Tenant,
    *,
    url: str,
    event_types: Sequence[str] = (),
    active: bool = True,
    actor: Actor,
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (returned this once; kept encrypted)."""
    types = validate_webhook(url, event_types)
    secret = new_secret()
    with transaction.atomic():
        if Webhook.objects.select_for_update().filter(tenant=tenant).count() >= (
            MAX_WEBHOOKS_PER_TENANT
        ):
            raise InvalidWebhook(f"A tenant has at most {MAX_WEBHOOKS_PER_TENANT} webhooks.")
        webhook = Webhook.objects.create(
            tenant=tenant,
            url=url,
            event_types=types,
            active=active,
            secret_encrypted=encrypt_secret(secret),
            secret_hint=secret[-4:],
            created_by=actor.label,
        )
        record_audit_event(
            AuditAction.WEBHOOK_CREATED,
            actor=actor,
            tenant=tenant,
            target_type="webhook",
            target_id=str(webhook.public_id),
            data={"url": url, "event_types": types, "active": active},
        )
    return webhook, secret


def delete_webhook(webhook: Webhook, *, actor: Actor) -> None:
    """Delete the webhook with its deliveries and their attempt log."""
    with transaction.atomic():
        record_audit_event(
            AuditAction.WEBHOOK_DELETED,
            actor=actor,
            tenant=webhook.tenant,
            target_type="webhook",
            target_id=str(webhook.public_id),
            data={"url": webhook.url},
        )
        webhook.delete()


def send_test_event(webhook: Webhook, *, actor: Actor) -> WebhookDelivery:
    """A ``webhook.test`` event delivered to this webhook only (even when inactive), now."""
    now = timezone.now()
    with transaction.atomic():
        event = new_event(
            EventType.TEST,
            tenant=webhook.tenant,
            data={"message": "A test event from DANE Admin.", "requested_by": actor.label},
            link="",
        )
        event.dispatched_at = now  # not fanned out: it is for this webhook alone
        (event,) = record_events([event])
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, event=event, next_attempt_at=now, created_at=now
        )
        record_audit_event(
            AuditAction.WEBHOOK_TEST_SENT,
            actor=actor,
            tenant=webhook.tenant,
            target_type="webhook",
            target_id=str(webhook.public_id),
            data={"event": str(event.public_id)},
        )
    return delivery


def set_digest_preference(
    membership: Membership, *, frequency: str, language: str, actor: Actor
) -> DigestSubscription:
    """The member's digest: ``off``, ``immediate`` or ``daily``, in ``language``. Turning it
    on starts from now: the first digest lists what happens after this."""
    if frequency not in DigestSubscription.Frequency.values:
        raise InvalidRequest(f"Unknown digest frequency {frequency!r}.", field="frequency")
    if language not in dict(settings.LANGUAGES):
        raise InvalidRequest(f"Unknown language {language!r}.", field="language")
    with transaction.atomic():
        subscription, _ = DigestSubscription.objects.select_for_update().get_or_create(
            membership=membership
        )
        was_off = subscription.frequency == DigestSubscription.Frequency.OFF
        subscription.frequency = frequency
        subscription.language = language
        if was_off and frequency != DigestSubscription.Frequency.OFF:
            latest = Event.objects.filter(tenant_id=membership.tenant_id).order_by("-id").first()
            subscription.last_event_id = latest.pk if latest else 0
            subscription.last_sent_at = timezone.now()
        subscription.save()
        record_audit_event(
            AuditAction.DIGEST_PREFERENCE_CHANGED,
            actor=actor,
            tenant=membership.tenant,
            target_type="member",
            target_id=membership.user.get_username(),
            data={"frequency": frequency, "language": language},
        )
    return subscription
