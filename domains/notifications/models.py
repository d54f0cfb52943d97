"""The notification outbox and its deliveries: events, tenants' webhooks, each delivery of an
event to a webhook with its attempts, and members' digest subscriptions."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from domains.models import AcceptedDomain, Membership, Tenant


class EventType(models.TextChoices):
    """What an event says happened (the ``type`` of the webhook body)."""

    REPORT_CHANGED = "domain.report_changed", "Status report changed"
    DOMAIN_ENABLED = "domain.enabled", "Domain enabled"
    OPERATION_FAILED = "operation.failed", "Operation failed"
    DNSSEC_PROBLEM = "domain.dnssec_problem", "DNSSEC problem of the domain's zone"
    TLSA_MISMATCH = "domain.tlsa_mismatch", "Served certificate does not match the TLSA"
    TLSRPT_FAILURE = "domain.tlsrpt_failure", "TLS-RPT report with failures received"
    TEST = "webhook.test", "Test event"


#: The event types a webhook can ask for (the test event always reaches it).
SUBSCRIBABLE_EVENT_TYPES = [choice.value for choice in EventType if choice is not EventType.TEST]


class Event(models.Model):
    """One thing that happened to a tenant's domain: written in the transaction of the change
    (the outbox), fanned out to the tenant's webhooks by the delivery task (``dispatched_at``),
    read by the digests (the id orders them)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="events")
    domain = models.ForeignKey(
        AcceptedDomain, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    domain_name = models.CharField(max_length=253, blank=True, default="")
    type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict, help_text="Before/after codes and what changed.")
    link = models.CharField(max_length=500, blank=True, default="", help_text="The UI page.")
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [
            models.Index(fields=("tenant", "-occurred_at"), name="event_tenant_recent"),
            models.Index(
                fields=("id",), condition=Q(dispatched_at__isnull=True), name="event_undispatched"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.domain_name}"


class Webhook(models.Model):
    """A tenant's receiver: URL, the event types wanted (empty: all), active flag, and the
    signing secret encrypted at rest (``domains.notifications.secrets``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    event_types = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    secret_encrypted = models.TextField()
    secret_hint = models.CharField(max_length=16, help_text="The secret's last characters.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        """True when the webhook takes events of ``event_type``."""
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event to one webhook: ``pending`` (due at ``next_attempt_at``) → ``succeeded`` |
    ``failed`` (the retry window ended). One per (webhook, event): the event is sent once."""

    class State(models.TextChoices):
        """Where the delivery is."""

        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("webhook", "event"), name="delivery_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=("next_attempt_at",),
                condition=Q(state="pending"),
                name="delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.webhook_id}: {self.state}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: when, the HTTP status (none: no answer), the start of the
    answer or the error, and how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    response_snippet = models.CharField(max_length=500, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-attempted_at", "-id")

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at}: {self.status_code or self.error}"


class DigestSubscription(models.Model):
    """A member's e-mail digest: how often, in which language, and the last event already
    sent (the digest lists only what came after it)."""

    class Frequency(models.TextChoices):
        """How often the digest goes out."""

        OFF = "off", "Off"
        IMMEDIATE = "immediate", "Immediately"
        DAILY = "daily", "Daily"

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.OFF)
    language = models.CharField(max_length=16, default="en")
    last_event_id = models.BigIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.membership}: {self.frequency}"
