"""Routes of the notifications API, included under /api/v1/ by ``domains.api.urls``."""

from django.urls import path

from domains.notifications import api

urlpatterns = [
    path("webhooks/", api.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>/", api.WebhookDetail.as_view(), name="webhook-detail"),
    path(
        "webhooks/<str:webhook_id>/deliveries/",
        api.WebhookDeliveries.as_view(),
        name="webhook-deliveries",
    ),
    path("webhooks/<str:webhook_id>/test/", api.WebhookTest.as_view(), name="webhook-test"),
    path("events/", api.EventList.as_view(), name="event-list"),
]
