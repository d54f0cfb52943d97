"""Thin API views of check batches: ``POST /api/v1/check-batches/`` (202 + Location) and
``GET /api/v1/check-batches/{id}/`` (progress and per-domain results)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from domains import check_batches
from domains.api.check_batch_serializers import CheckBatchRequestSerializer, CheckBatchSerializer
from domains.api.serializers import ErrorSerializer
from domains.api.views import principal_of


class CheckBatchViewSet(viewsets.ViewSet):
    """Status checks of many of the caller's tenant's domains at once (another tenant's
    batch is a 404)."""

    lookup_value_regex = r"[0-9a-fA-F-]{36}"

    @extend_schema(
        request=CheckBatchRequestSerializer,
        responses={
            202: OpenApiResponse(CheckBatchSerializer, "Accepted; follow Location."),
            400: OpenApiResponse(
                ErrorSerializer,
                'InvalidRequest (not a list or "all", a name that is not a domain), '
                f"TooManyDomains (more than {check_batches.MAX_DOMAINS}), UnknownDomains "
                "(names not the tenant's accepted domains, listed in `unknown`).",
            ),
            401: ErrorSerializer,
            429: OpenApiResponse(
                ErrorSerializer,
                "TooManyCheckBatches: the tenant has DANE_CHECK_BATCHES_PER_TENANT (default 3) "
                "batches unfinished (`limit`); nothing is stored. Retry-After: 30.",
            ),
        },
        parameters=[
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[202],
                description="The batch: /api/v1/check-batches/<id>/.",
            )
        ],
        examples=[
            OpenApiExample(
                "Some domains",
                value={"domains": ["contoso.example", "fabrikam.example"]},
                request_only=True,
            ),
            OpenApiExample("Every domain", value={"domains": "all"}, request_only=True),
            OpenApiExample(
                "Not the tenant's",
                value={
                    "code": "UnknownDomains",
                    "detail": "1 of the names are not accepted domains of this tenant: "
                    "other.example",
                    "unknown": ["other.example"],
                },
                response_only=True,
                status_codes=[400],
            ),
            OpenApiExample(
                "Too many unfinished",
                value={
                    "code": "TooManyCheckBatches",
                    "detail": "The tenant has 3 check batches unfinished, the most it may have "
                    "at once; start another when one has finished.",
                    "limit": 3,
                },
                response_only=True,
                status_codes=[429],
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        """Run the status checks of the named domains (or ``"all"``) on the workers; the
        checks queue is shared with the regular sweep, one chunk of the batch at a time."""
        body = CheckBatchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        principal = principal_of(request)
        batch = check_batches.create_check_batch(
            principal.tenant, body.validated_data["domains"], actor=principal.actor
        )
        progress = check_batches.batch_progress(principal.tenant, str(batch.pk))
        data = CheckBatchSerializer(progress, context={"with_results": False}).data
        response = Response(data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/check-batches/{batch.pk}/"
        return response

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: CheckBatchSerializer, 404: ErrorSerializer},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """A batch's progress (done / total) and every domain's result so far."""
        progress = check_batches.batch_progress(principal_of(request).tenant, pk)
        if progress is None:
            raise NotFound("No such check batch.")
        return Response(CheckBatchSerializer(progress).data)
