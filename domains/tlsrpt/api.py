"""Thin API views of TLS-RPT under ``/api/v1/domains/{name}/``: the reports (list, one, raw),
the daily summary, and rotating the report URI. Another tenant's domain is a 404."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from domains import selectors as domain_selectors
from domains.api.serializers import ErrorSerializer
from domains.api.views import principal_of
from domains.errors import DomainNotFound
from domains.models import AcceptedDomain
from domains.tlsrpt import selectors, services
from domains.tlsrpt.models import TlsReport
from domains.tlsrpt.serializers import (
    TlsReportDetailSerializer,
    TlsReportListQuerySerializer,
    TlsReportSerializer,
    TlsReportSummaryQuerySerializer,
    TlsRptRecordSerializer,
    TlsRptSummarySerializer,
)

NAME = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, description="The domain (U- or A-label)."
)
REPORT = OpenApiParameter(
    "report_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The report's id (an opaque UUID, as in the list).",
)


class TlsReportNotFound(DomainNotFound):
    """No such report for this domain (a 404, like a domain that is not the caller's)."""

    code = "TlsReportNotFound"


def domain_of(request: Request, name: str) -> AcceptedDomain:
    """The caller's domain ``name`` (DomainNotFound, a 404, for anyone else's)."""
    return domain_selectors.get_domain(principal_of(request).tenant, name)


@extend_schema(
    parameters=[NAME, TlsReportListQuerySerializer],
    responses={200: TlsReportSerializer(many=True), 400: ErrorSerializer, 404: ErrorSerializer},
)
class TlsReportList(generics.ListAPIView[TlsReport]):
    """The domain's TLS-RPT reports, newest first; ``since``/``until`` (UTC days of the
    reports' start) and ``result_type`` (reports with a failure of that type) filter them."""

    serializer_class = TlsReportSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        """The caller's domain's reports, filtered by the query."""
        query = TlsReportListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.reports_of(
            domain_of(self.request, self.kwargs["name"]), **query.validated_data
        )


class TlsReportSummary(APIView):
    """Per UTC day of the last ``days``: successful and failed sessions and the failed
    sessions per result type (from the daily aggregates)."""

    @extend_schema(
        parameters=[NAME, TlsReportSummaryQuerySerializer],
        responses={200: TlsRptSummarySerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, name: str) -> Response:
        """The summary of the domain's reports."""
        query = TlsReportSummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = selectors.daily_summary(domain_of(request, name), query.validated_data["days"])
        return Response(TlsRptSummarySerializer({"days": days}).data)


class TlsReportDetail(APIView):
    """One report with its policies and failure details."""

    @extend_schema(
        parameters=[NAME, REPORT],
        responses={200: TlsReportDetailSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, name: str, report_id: uuid.UUID) -> Response:
        """The report."""
        report = selectors.report_of(domain_of(request, name), report_id)
        if report is None:
            raise TlsReportNotFound(f"The domain has no report {report_id}.")
        return Response(TlsReportDetailSerializer(report).data)


class TlsReportRaw(APIView):
    """The report exactly as received: its JSON, gzipped (``application/tlsrpt+gzip``)."""

    @extend_schema(
        parameters=[NAME, REPORT],
        responses={
            (200, "application/tlsrpt+gzip"): OpenApiResponse(OpenApiTypes.BINARY),
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request, name: str, report_id: uuid.UUID) -> HttpResponse:
        """Download the raw report."""
        found = selectors.raw_report(domain_of(request, name), report_id)
        if found is None:
            raise TlsReportNotFound(f"The domain has no report {report_id}.")
        report, data = found
        response = HttpResponse(data, content_type="application/tlsrpt+gzip")
        response["Content-Disposition"] = (
            f'attachment; filename="tlsrpt-{report.public_id}.json.gz"'
        )
        return response


class TlsRptTokenRotate(APIView):
    """A new report URI for the domain: the old one stops taking reports at once."""

    @extend_schema(
        request=None,
        parameters=[NAME],
        responses={200: TlsRptRecordSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, name: str) -> Response:
        """Rotate the token; publish the returned ``tlsrpt_record``."""
        domain = domain_of(request, name)
        services.rotate_token(domain, actor=principal_of(request).actor)
        body = {
            "tlsrpt_record_name": f"_smtp._tls.{domain.name}",
            "tlsrpt_record": services.tlsrpt_record(domain),
        }
        return Response(TlsRptRecordSerializer(body).data, status=status.HTTP_200_OK)
