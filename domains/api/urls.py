"""Routes of the domains API under /api/v1/."""

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from domains.api.check_batches import CheckBatchViewSet
from domains.api.dane_validations import DaneValidationViewSet
from domains.api.operator_inbound_keys import (
    InboundKeyStatusView,
    PromoteInboundKeyView,
    RetireInboundKeyView,
)
from domains.api.views import DomainViewSet, OperationViewSet

router = SimpleRouter()
router.register("domains", DomainViewSet, basename="domain")
router.register("operations", OperationViewSet, basename="operation")
router.register("dane-validations", DaneValidationViewSet, basename="dane-validation")
router.register("check-batches", CheckBatchViewSet, basename="check-batch")


# A command's 202 names its operation as ``Location: /api/v1/operations/<id>`` (the contract's
# form, without the final slash): that URL answers too, not with a redirect.
@extend_schema_view(retrieve=extend_schema(exclude=True))  # documented once, with the slash
class OperationByLocation(OperationViewSet):
    """The operation at its Location URL."""


operation_by_location = OperationByLocation.as_view({"get": "retrieve"})

urlpatterns = [
    *router.urls,
    path("operations/<str:pk>", operation_by_location, name="operation-location"),
    path("", include("domains.tlsrpt.api_urls")),
    path("operator/", include("domains.api.operator_urls")),
    path("", include("domains.notifications.api_urls")),
    # Operators only: the inbound key rollover (names may hold "/": a PEM file's path).
    path("operator/inbound-keys/", InboundKeyStatusView.as_view(), name="operator-inbound-keys"),
    path(
        "operator/inbound-keys/<path:name>/promote/",
        PromoteInboundKeyView.as_view(),
        name="operator-inbound-key-promote",
    ),
    path(
        "operator/inbound-keys/<path:name>/retire/",
        RetireInboundKeyView.as_view(),
        name="operator-inbound-key-retire",
    ),
]
