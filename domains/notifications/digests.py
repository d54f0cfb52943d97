"""E-mail digests: for each member who opted in (immediately or daily), the tenant's events
since the last digest, grouped per domain, with the remedy of each new finding, rendered in
the member's language and sent through Django's mail backend.

A digest is claimed before it is sent (the member's marker moves by a conditional update) and
the claim is given back if the mail backend fails, so two workers never send the same one and
a failed send is retried on the next run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from domains.notifications.models import DigestSubscription, Event, EventType

logger = logging.getLogger(__name__)

#: Events one digest lists at most (the rest go in the next one).
MAX_EVENTS = 500
DAILY = timedelta(days=1)


def _due(subscription: DigestSubscription, now: datetime) -> bool:
    if subscription.frequency == DigestSubscription.Frequency.IMMEDIATE:
        return True
    return subscription.last_sent_at is None or now - subscription.last_sent_at >= DAILY


def digest_events(subscription: DigestSubscription) -> list[Event]:
    """The tenant's events after the member's marker, oldest first (test events aside)."""
    return list(
        Event.objects.filter(
            tenant_id=subscription.membership.tenant_id, pk__gt=subscription.last_event_id
        )
        .exclude(type=EventType.TEST)
        .order_by("id")[:MAX_EVENTS]
    )


def group_by_domain(events: list[Event]) -> list[tuple[str, list[Event]]]:
    """``[(domain name, its events in order)]``, by domain name; tenant-wide events (no
    domain) under ``""`` first."""
    groups: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        groups[event.domain_name].append(event)
    return sorted(groups.items())


def render_digest(subscription: DigestSubscription, events: list[Event]) -> dict[str, Any]:
    """Subject, text and HTML of the digest, in the member's language."""
    membership = subscription.membership
    context = {
        "tenant": membership.tenant,
        "user": membership.user,
        "groups": group_by_domain(events),
        "count": len(events),
        "settings_url": f"{settings.DANE_PUBLIC_URL.rstrip('/')}/t/{membership.tenant.slug}/"
        "settings/notifications/",
    }
    with translation.override(subscription.language):
        subject = render_to_string("notifications/digest_subject.txt", context)
        return {
            "subject": " ".join(subject.split()),
            "text": render_to_string("notifications/digest.txt", context),
            "html": render_to_string("notifications/digest.html", context),
        }


def send_digest(subscription: DigestSubscription, now: datetime) -> bool:
    """Send the member's digest if anything happened since the last; True when one went out."""
    email = subscription.membership.user.email
    events = digest_events(subscription)
    if not events or not email:
        return False
    previous = subscription.last_event_id
    claimed = DigestSubscription.objects.filter(pk=subscription.pk, last_event_id=previous).update(
        last_event_id=events[-1].pk, last_sent_at=now
    )
    if not claimed:  # another worker sent it
        return False
    rendered = render_digest(subscription, events)
    message = EmailMultiAlternatives(
        subject=rendered["subject"],
        body=rendered["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
    )
    message.attach_alternative(rendered["html"], "text/html")
    try:
        message.send()
    except Exception:
        DigestSubscription.objects.filter(pk=subscription.pk, last_event_id=events[-1].pk).update(
            last_event_id=previous, last_sent_at=subscription.last_sent_at
        )
        logger.exception("could not send a digest; the next run retries")
        return False
    return True


def send_due_digests(now: datetime | None = None) -> int:
    """Send every digest that is due at ``now``; returns how many were sent."""
    now = now or timezone.now()
    subscriptions = DigestSubscription.objects.exclude(
        frequency=DigestSubscription.Frequency.OFF
    ).select_related("membership__user", "membership__tenant")
    return sum(
        send_digest(subscription, now) for subscription in subscriptions if _due(subscription, now)
    )
