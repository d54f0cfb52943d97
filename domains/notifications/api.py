"""Thin API views of notifications: ``/api/v1/webhooks/`` (list, create, read, delete, its
deliveries, send a test event) and ``/api/v1/events/``. Tenant-scoped: another tenant's
webhook is a 404."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from domains.api.serializers import ErrorSerializer
from domains.api.views import principal_of
from domains.notifications import selectors, services
from domains.notifications.models import DeliveryAttempt, Event, Webhook, WebhookDelivery
from domains.notifications.serializers import (
    EventQuerySerializer,
    EventSerializer,
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)

WEBHOOK = OpenApiParameter("webhook_id", str, OpenApiParameter.PATH, description="Webhook id.")


def webhook_of(request: Request, webhook_id: str) -> Webhook:
    """The caller's webhook; a 404 in the API's error shape for anyone else's."""
    webhook = selectors.webhook_of(principal_of(request).tenant, webhook_id)
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


class WebhookList(generics.ListAPIView[Webhook]):
    """The tenant's webhooks (their secrets are never shown after creation)."""

    serializer_class = WebhookSerializer

    def get_queryset(self) -> QuerySet[Webhook]:
        """Only the caller's tenant's webhooks."""
        return selectors.webhooks_of(principal_of(self.request).tenant)

    @extend_schema(
        request=WebhookCreateSerializer,
        responses={201: WebhookCreatedSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "A receiver of report changes",
                value={
                    "url": "https://hooks.contoso.example/dane",
                    "event_types": ["domain.report_changed", "domain.dnssec_problem"],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Create a webhook; the answer carries its signing secret, this once."""
        body = WebhookCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        principal = principal_of(request)
        webhook, secret = services.create_webhook(
            principal.tenant, actor=principal.actor, **body.validated_data
        )
        webhook.secret = secret  # type: ignore[attr-defined]  # the creation answer only
        response = Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class WebhookDetail(APIView):
    """One webhook: read or delete."""

    @extend_schema(parameters=[WEBHOOK], responses={200: WebhookSerializer, 404: ErrorSerializer})
    def get(self, request: Request, webhook_id: str) -> Response:
        """The webhook."""
        return Response(WebhookSerializer(webhook_of(request, webhook_id)).data)

    @extend_schema(parameters=[WEBHOOK], responses={204: None, 404: ErrorSerializer})
    def delete(self, request: Request, webhook_id: str) -> Response:
        """Delete the webhook with its deliveries (pending ones are not sent)."""
        services.delete_webhook(webhook_of(request, webhook_id), actor=principal_of(request).actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[WEBHOOK], responses={200: WebhookDeliverySerializer(many=True)})
class WebhookDeliveries(generics.ListAPIView[WebhookDelivery]):
    """The webhook's deliveries, newest first, each with its attempts (status, time, the
    start of the receiver's answer)."""

    serializer_class = WebhookDeliverySerializer

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        """The caller's webhook's deliveries."""
        webhook = webhook_of(self.request, self.kwargs["webhook_id"])
        return selectors.deliveries_of(webhook).prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("-attempted_at"))
        )


class WebhookTest(APIView):
    """Send a ``webhook.test`` event to this webhook now."""

    @extend_schema(
        request=None,
        parameters=[WEBHOOK],
        responses={202: WebhookDeliverySerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        """Queue the test event; follow it in the deliveries."""
        delivery = services.send_test_event(
            webhook_of(request, webhook_id), actor=principal_of(request).actor
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(parameters=[EventQuerySerializer])
class EventList(generics.ListAPIView[Event]):
    """The tenant's recent events, newest first; ``type``, ``domain``, ``since`` and
    ``until`` filter them."""

    serializer_class = EventSerializer

    def get_queryset(self) -> QuerySet[Event]:
        """The caller's tenant's events, filtered by the query."""
        query = EventQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.events_of(principal_of(self.request).tenant, **query.validated_data)
