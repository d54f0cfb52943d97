"""Thin API views of outbound DANE validation: parse, call the service, serialize."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from domains import dane_validations, selectors
from domains.api.dane_validation_serializers import (
    DaneValidationRequestSerializer,
    DaneValidationSerializer,
    DaneValidationSummarySerializer,
)
from domains.api.serializers import ErrorSerializer
from domains.api.views import principal_of
from domains.models import DaneValidation


class DaneValidationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[DaneValidation],
):
    """Outbound DANE validations of the caller's tenant (another tenant's are 404)."""

    lookup_value_regex = r"[0-9a-fA-F-]{36}"
    throttled_actions = frozenset({"create"})

    def get_queryset(self) -> QuerySet[DaneValidation]:
        """Only the caller's tenant's validations."""
        return selectors.validations_of(principal_of(self.request).tenant)

    def get_object(self) -> DaneValidation:
        """The caller's validation named in the URL; a 404 in the API's error shape otherwise."""
        try:
            return super().get_object()
        except Http404 as exc:
            raise NotFound("No such DANE validation.") from exc

    def throttle_scope_of(self, request: Request) -> str | None:
        """A new validation opens SMTP sessions now: rate-limited per tenant."""
        return "dane-validation" if self.action == "create" else None

    def get_serializer_class(self) -> type[BaseSerializer[DaneValidation]]:
        """Summaries in the list, the full report otherwise."""
        if self.action == "list":
            return DaneValidationSummarySerializer
        return DaneValidationSerializer

    @extend_schema(
        request=DaneValidationRequestSerializer,
        responses={201: DaneValidationSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Validate a destination", value={"domain": "contoso.example"}, request_only=True
            )
        ],
    )
    def create(self, request: Request) -> Response:
        """Validate outbound DANE (RFC 7672) for ``domain`` now; the stored result."""
        body = DaneValidationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        principal = principal_of(request)
        validation = dane_validations.run_validation(
            body.validated_data["domain"],
            tenant=principal.tenant,
            actor=principal.actor,
            port=body.validated_data.get("port"),
        )
        return Response(DaneValidationSerializer(validation).data, status=status.HTTP_201_CREATED)
