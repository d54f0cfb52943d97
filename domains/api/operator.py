"""The operator API (``/api/v1/operator/…``): the fleet actions of the operators' pages, for
operators only (``IsOperator``), authenticated by the Django session (CSRF enforced)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from domains import fleet_actions, partition_zones
from domains.api.serializers import ErrorSerializer, OperationSerializer
from domains.audit import Actor
from domains.permissions import IsOperator


class DriftRepairQueuedSerializer(serializers.Serializer):
    """The partition whose drift repair was queued."""

    partition = serializers.IntegerField()
    zone = serializers.CharField()
    queued = serializers.BooleanField()


def _operator_actor(request: Request) -> Actor:
    return Actor(f"operator:{request.user.get_username()}")


class OperatorView(APIView):
    """Operators only, by their session."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsOperator]


class RerunOperationView(OperatorView):
    """Run a failed operation's command again (a new operation; audited)."""

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("operation_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={
            202: OpenApiResponse(OperationSerializer, "The new operation; follow Location."),
            200: OpenApiResponse(OperationSerializer, "Already finished (nothing to do)."),
            403: ErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, "OperationNotKnown, or its domain is gone."),
            409: OpenApiResponse(ErrorSerializer, "OperationNotFailed, OperationInProgress."),
        },
    )
    def post(self, request: Request, operation_id: str) -> Response:
        """``POST /api/v1/operator/operations/{id}/rerun/``."""
        outcome = fleet_actions.rerun_operation(operation_id, actor=_operator_actor(request))
        operation = outcome.operation
        operation.refresh_from_db()
        body = OperationSerializer(operation).data
        if operation.is_finished:
            return Response(body)
        response = Response(body, status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/operations/{operation.id}"
        return response


class RepairDriftView(OperatorView):
    """Run the drift repair of one partition now (on a worker; audited)."""

    @extend_schema(
        request=None,
        responses={
            202: DriftRepairQueuedSerializer,
            403: ErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, "PartitionNotKnown."),
        },
    )
    def post(self, request: Request, partition_id: int) -> Response:
        """``POST /api/v1/operator/partitions/{id}/repair-drift/``."""
        partition = partition_zones.request_drift_repair(
            partition_id, actor=_operator_actor(request)
        )
        body = {"partition": partition.pk, "zone": partition.zone, "queued": True}
        return Response(body, status=status.HTTP_202_ACCEPTED)
