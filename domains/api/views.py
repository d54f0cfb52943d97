"""Thin API views: parse the request, call the service layer, serialize the result."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from domains import commands, inbound_status, selectors, services, wizard
from domains.api.serializers import (
    CommandRequestSerializer,
    DnssecStatusQuerySerializer,
    DnssecStatusSerializer,
    DomainCreateSerializer,
    DomainSerializer,
    ErrorSerializer,
    InboundStatusQuerySerializer,
    InboundStatusSerializer,
    OperationSerializer,
    VerificationFailureSerializer,
)
from domains.authentication import TenantPrincipal
from domains.errors import InvalidRequest, VersionConflict
from domains.models import AcceptedDomain, Operation
from domains.results import CommandOutcome

DOMAIN_NAME_PATTERN = r"[^/]+"
#: What DomainSerializer reads of a domain and its TLS-RPT endpoint (a list page loads no more).
DOMAIN_LIST_COLUMNS = (
    "name",
    "display_name",
    "is_initial",
    "is_self_service",
    "verified_at",
    "verification_token",
    "version",
    "created_at",
    "tlsrpt_endpoint__token",
    "tlsrpt_endpoint__domain_id",
)
ETAG = re.compile(r'(?P<weak>W/)?"(?P<version>[0-9]{1,18})"')


def principal_of(request: Request) -> TenantPrincipal:
    """The tenant principal the permission class guarantees on every API request."""
    assert isinstance(request.user, TenantPrincipal)
    return request.user


def if_match_version(request: Request) -> int | None:
    """The version named by an ``If-Match: "<version>"`` header, if any.

    A malformed header is a 400; a weak tag never matches (If-Match compares strongly,
    RFC 9110 §13.1.1), so it is a 412 like a stale one.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = ETAG.fullmatch(header.strip())
    if match is None:
        raise InvalidRequest('If-Match must be one ETag of the domain, e.g. "3".')
    if match["weak"]:
        raise VersionConflict("If-Match needs the domain's strong ETag, not a weak one.")
    return int(match["version"])


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header: printable ASCII, at most 200 characters."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key or len(key) > 200 or not key.isascii() or not key.isprintable():
        raise InvalidRequest("Idempotency-Key must be 1-200 printable ASCII characters.")
    return key


def command_response(request: Request, outcome: CommandOutcome) -> Response:
    """202 + Location while the operation runs; 200 once it has finished."""
    operation = outcome.operation
    if settings.CELERY_TASK_ALWAYS_EAGER:  # the in-process worker may have finished it
        operation.refresh_from_db()
    body = OperationSerializer(operation).data
    if operation.is_finished:
        return Response(body, status=status.HTTP_200_OK)
    response = Response(body, status=status.HTTP_202_ACCEPTED)
    response["Location"] = f"/api/v1/operations/{operation.id}"
    return response


def refresh_requested(request: Request) -> bool:
    """``?refresh=`` of the status read (400 when not a boolean); a request without a query,
    the status read of every poller, skips the serializer (its default is False)."""
    if not request.query_params:
        return False
    query = DnssecStatusQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return bool(query.validated_data["refresh"])


DOMAIN_EXAMPLE = {
    "name": "xn--bcher-kva.example",
    "display_name": "bücher.example",
    "is_initial": False,
    "is_self_service": False,
    "verified": False,
    "verified_at": None,
    "verification_record_name": "xn--bcher-kva.example",
    "verification_record": "dane-admin-verification=3q2-7w9FJbY0kq1l0yq0b8mQ5oXo7K2c",
    "version": 1,
    "created_at": "2026-12-01T09:30:00Z",
}
OPERATION_EXAMPLE = {
    "id": "7f0c3f1e-5d0a-4c55-9a43-6b3c1d2e9f10",
    "kind": "enable_dnssec",
    "domain": "contoso.example",
    "state": "pending",
    "steps": [],
    "attempts": 0,
    "next_attempt_at": "2026-12-01T09:30:00Z",
    "actor": "api-key:AbCd1234",
    "created_at": "2026-12-01T09:30:00Z",
    "updated_at": "2026-12-01T09:30:00Z",
    "finished_at": None,
    "result": None,
    "error": None,
}
EXAMPLES = [
    OpenApiExample("Add a domain", value={"name": "bücher.example"}, request_only=True),
    OpenApiExample(
        "The added domain", value=DOMAIN_EXAMPLE, response_only=True, status_codes=[201]
    ),
    OpenApiExample(
        "A name that is not a domain",
        value={
            "code": "InvalidRequest",
            "detail": "The request is invalid.",
            "errors": {"name": ["Not a valid string."]},
        },
        response_only=True,
        status_codes=[400],
    ),
]
COMMAND_EXAMPLES = [
    OpenApiExample("Accepted", value=OPERATION_EXAMPLE, response_only=True, status_codes=[202]),
    OpenApiExample(
        "Not verified",
        value={
            "code": "DomainNotFound",
            "detail": "contoso.example is not verified yet: publish its verification TXT "
            "record and verify it.",
            "Result": "Error",
            "ErrorData": {
                "ErrorCode": "DomainNotFound",
                "ErrorDetails": "contoso.example is not verified yet.",
            },
        },
        response_only=True,
        status_codes=[404],
    ),
]

COMMAND_RESPONSES = {
    200: OpenApiResponse(OperationSerializer, "Already in place: a finished operation."),
    202: OpenApiResponse(OperationSerializer, "Accepted; follow Location."),
    400: OpenApiResponse(ErrorSerializer, "A malformed body or Idempotency-Key."),
    401: OpenApiResponse(ErrorSerializer, "No valid API key or session."),
    404: ErrorSerializer,
    409: ErrorSerializer,
    422: ErrorSerializer,
    503: ErrorSerializer,
}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a command safely: the same key returns the same operation.",
)
LOCATION_HEADER = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[202],
    description="The operation: /api/v1/operations/<id>.",
)


class DomainViewSet(
    mixins.ListModelMixin,
    viewsets.GenericViewSet[AcceptedDomain],
):
    """The caller's tenant's accepted domains (another tenant's domain is always a 404)."""

    serializer_class = DomainSerializer
    throttled_actions = frozenset({"dnssec_status", "smtp_dane_inbound_status"})
    lookup_field = "name"
    lookup_value_regex = DOMAIN_NAME_PATTERN

    def get_queryset(self) -> QuerySet[AcceptedDomain]:
        """Only the caller's tenant's domains (with their TLS-RPT endpoints, which they show),
        and only the columns the list shows."""
        return (
            selectors.domains_of(principal_of(self.request).tenant)
            .select_related("tlsrpt_endpoint")
            .only(*DOMAIN_LIST_COLUMNS)
        )

    def get_object(self) -> AcceptedDomain:
        """The caller's domain named in the URL (U- or A-label)."""
        return selectors.get_domain(principal_of(self.request).tenant, self.kwargs["name"])

    @extend_schema(
        request=DomainCreateSerializer,
        responses={201: DomainSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=EXAMPLES,
    )
    def create(self, request: Request) -> Response:
        """Add a domain; publish its ``verification_record`` as TXT, then call verify."""
        body = DomainCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        principal = principal_of(request)
        domain = services.add_domain(
            principal.tenant, body.validated_data["name"], actor=principal.actor
        )
        return Response(DomainSerializer(domain).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: DomainSerializer, 404: ErrorSerializer})
    def retrieve(self, request: Request, name: str) -> Response:
        """One domain; its ETag is the version to send back in If-Match."""
        domain = self.get_object()
        response = Response(DomainSerializer(domain).data)
        response["ETag"] = f'"{domain.version}"'
        return response

    @extend_schema(
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False)],
        responses={
            204: None,
            400: OpenApiResponse(ErrorSerializer, 'A malformed If-Match (one ETag, e.g. "3").'),
            404: ErrorSerializer,
            409: ErrorSerializer,
            412: ErrorSerializer,
        },
    )
    def destroy(self, request: Request, name: str) -> Response:
        """Remove a domain (not the tenant's initial domain)."""
        principal = principal_of(request)
        services.delete_domain(
            self.get_object(), actor=principal.actor, expected_version=if_match_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={
            200: DomainSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(VerificationFailureSerializer, "The TXT record is missing."),
            412: OpenApiResponse(ErrorSerializer, "The domain changed meanwhile; retry."),
            422: OpenApiResponse(ErrorSerializer, "DomainDnssecInvalid: the zone is bogus."),
            503: OpenApiResponse(ErrorSerializer, "The resolver did not answer; retry."),
        },
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, name: str, **kwargs: Any) -> Response:
        """Check the ownership TXT record now and mark the domain verified."""
        principal = principal_of(request)
        outcome = services.verify_domain(self.get_object(), actor=principal.actor)
        return Response(DomainSerializer(outcome.domain).data)

    def _command(self, request: Request, command: commands.Command) -> Response:
        CommandRequestSerializer(data=request.data).is_valid(raise_exception=True)
        principal = principal_of(request)
        outcome = command(
            principal.tenant,
            self.kwargs["name"],
            actor=principal.actor,
            idempotency_key=idempotency_key(request),
        )
        return command_response(request, outcome)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_HEADER, LOCATION_HEADER],
        responses=COMMAND_RESPONSES,
        examples=COMMAND_EXAMPLES,
    )
    @action(detail=True, methods=["post"], url_path="dnssec/enable")
    def enable_dnssec(self, request: Request, name: str) -> Response:
        """Enable-DnssecForVerifiedDomain."""
        return self._command(request, commands.enable_dnssec)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_HEADER, LOCATION_HEADER],
        responses=COMMAND_RESPONSES,
        examples=COMMAND_EXAMPLES,
    )
    @action(detail=True, methods=["post"], url_path="dnssec/disable")
    def disable_dnssec(self, request: Request, name: str) -> Response:
        """Disable-DnssecForVerifiedDomain."""
        return self._command(request, commands.disable_dnssec)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_HEADER, LOCATION_HEADER],
        responses=COMMAND_RESPONSES,
        examples=COMMAND_EXAMPLES,
    )
    @action(detail=True, methods=["post"], url_path="smtp-dane-inbound/enable")
    def enable_smtp_dane_inbound(self, request: Request, name: str) -> Response:
        """Enable-SmtpDaneInbound."""
        return self._command(request, commands.enable_smtp_dane_inbound)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_HEADER, LOCATION_HEADER],
        responses=COMMAND_RESPONSES,
        examples=COMMAND_EXAMPLES,
    )
    @action(detail=True, methods=["post"], url_path="smtp-dane-inbound/disable")
    def disable_smtp_dane_inbound(self, request: Request, name: str) -> Response:
        """Disable-SmtpDaneInbound."""
        return self._command(request, commands.disable_smtp_dane_inbound)

    def throttle_scope_of(self, request: Request) -> str | None:
        """The rate-limit scope of requests that check DNS or SMTP now (see throttling); the
        flags are read by the views' own query serializers, so no spelling escapes it."""
        if self.action == "dnssec_status":
            if not request.query_params:  # the plain read (see refresh_requested)
                return None
            refresh = DnssecStatusQuerySerializer(data=request.query_params)
            if refresh.is_valid() and refresh.validated_data["refresh"]:
                return "status-refresh"
        if self.action == "smtp_dane_inbound_status":
            probe = InboundStatusQuerySerializer(data=request.query_params)
            if probe.is_valid() and probe.validated_data["probe"]:
                return "inbound-probe"
        return None

    @extend_schema(
        parameters=[DnssecStatusQuerySerializer],
        responses={
            200: OpenApiResponse(
                DnssecStatusSerializer,
                "The latest check run (EG002: the domain is unverified), with the domain's "
                "MigrationStep.",
            ),
            400: OpenApiResponse(ErrorSerializer, "refresh is not a boolean."),
            404: OpenApiResponse(ErrorSerializer, "EG001, with the status document."),
            422: ErrorSerializer,
            503: OpenApiResponse(ErrorSerializer, "CheckTimedOut: the refresh did not finish."),
        },
    )
    @action(detail=True, methods=["get"], url_path="dnssec")
    def dnssec_status(self, request: Request, name: str) -> Response:
        """Get-DnssecStatusForVerifiedDomain: the latest check run; ``?refresh=true`` runs the
        checks now (bounded by ``DANE_CHECK_TIMEOUT``) and stores the run."""
        tenant = principal_of(request).tenant
        refresh = refresh_requested(request)
        return Response(wizard.dnssec_status_with_step(tenant, name, refresh=refresh))

    @extend_schema(
        parameters=[InboundStatusQuerySerializer],
        responses={
            200: InboundStatusSerializer,
            400: OpenApiResponse(ErrorSerializer, "probe is not a boolean."),
            404: ErrorSerializer,
            422: OpenApiResponse(
                ErrorSerializer, "DomainNotSupported: an initial or self-service domain."
            ),
            503: OpenApiResponse(
                ErrorSerializer, "DnsLookupFailed: the resolver did not answer; retry."
            ),
        },
    )
    @action(detail=True, methods=["get"], url_path="smtp-dane-inbound")
    def smtp_dane_inbound_status(self, request: Request, name: str) -> Response:
        """Get-SmtpDaneInboundStatus: the TLSA records as a validating resolver sees them;
        ``?probe=true`` also matches the certificate each MX address serves (bounded by
        ``DANE_VALIDATION_TIMEOUT``)."""
        query = InboundStatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        domain = commands.supported_domain(principal_of(request).tenant, name)
        probe = query.validated_data["probe"]
        return Response(inbound_status.smtp_dane_inbound_status(domain, probe=probe))


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: OperationSerializer, 404: ErrorSerializer},
    )
)
class OperationViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[Operation]):
    """Operations of the caller's tenant (others' are 404)."""

    serializer_class = OperationSerializer

    def get_queryset(self) -> QuerySet[Operation]:
        """Only the caller's tenant's operations."""
        return Operation.objects.filter(tenant=principal_of(self.request).tenant)
