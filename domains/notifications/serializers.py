"""Serializers of the notifications API: webhooks (the secret only in the creation answer),
their deliveries with the attempt log, events, and the query of the event list."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from domains.notifications.delivery import event_payload
from domains.notifications.models import (
    SUBSCRIBABLE_EVENT_TYPES,
    DeliveryAttempt,
    Event,
    EventType,
    Webhook,
    WebhookDelivery,
)


class WebhookSerializer(serializers.ModelSerializer[Webhook]):
    """A webhook as listed: never its secret (only its last characters)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENT_TYPES),
        help_text="The event types sent; empty: all of them.",
    )

    class Meta:
        model = Webhook
        fields: tuple[str, ...] = (
            "id",
            "url",
            "event_types",
            "active",
            "secret_hint",
            "created_at",
            "created_by",
        )
        read_only_fields: tuple[str, ...] = fields


class WebhookCreateSerializer(serializers.Serializer[Any]):
    """A new webhook: an https URL (http only with DEBUG), the event types (empty: all)."""

    url = serializers.CharField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENT_TYPES),
        required=False,
        default=list,
        max_length=len(SUBSCRIBABLE_EVENT_TYPES),
    )
    active = serializers.BooleanField(required=False, default=True)


class WebhookCreatedSerializer(WebhookSerializer):
    """The creation answer: the webhook and its signing secret, shown this once."""

    secret = serializers.CharField(
        read_only=True, help_text="The signing secret: store it now, it is not shown again."
    )

    class Meta(WebhookSerializer.Meta):
        fields = (*WebhookSerializer.Meta.fields, "secret")
        read_only_fields = fields


class DeliveryAttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    """One POST of a delivery."""

    class Meta:
        model = DeliveryAttempt
        fields = (
            "attempted_at",
            "status_code",
            "succeeded",
            "response_snippet",
            "error",
            "duration_ms",
        )
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    """A delivery of one event to the webhook, with every attempt (newest first)."""

    event_id = serializers.UUIDField(source="event.public_id", read_only=True)
    event_type = serializers.ChoiceField(
        source="event.type", choices=EventType.choices, read_only=True
    )
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "event_id",
            "event_type",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "finished_at",
            "attempt_log",
        )
        read_only_fields = fields


class EventSerializer(serializers.Serializer[Event]):
    """An event, exactly as webhooks receive it."""

    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=EventType.choices)
    tenant = serializers.CharField()
    domain = serializers.CharField(allow_null=True)
    occurred_at = serializers.DateTimeField()
    link = serializers.URLField(allow_null=True)
    data = serializers.DictField(  # type: ignore[assignment]  # a field, popped by the metaclass
        help_text="What happened: before/after codes and details."
    )

    def to_representation(self, instance: Event) -> dict[str, Any]:
        """The webhook body of the event."""
        return event_payload(instance)


class EventQuerySerializer(serializers.Serializer[Any]):
    """Filters of the event list."""

    type = serializers.ChoiceField(choices=EventType.choices, required=False)
    domain = serializers.CharField(required=False, max_length=253)
    since = serializers.DateTimeField(required=False, help_text="Events at or after this time.")
    until = serializers.DateTimeField(required=False, help_text="Events before this time.")
