"""Routes of the TLS-RPT API, included under /api/v1/ by ``domains.api.urls``."""

from django.urls import path

from domains.tlsrpt import api

urlpatterns = [
    path("domains/<str:name>/tls-reports/", api.TlsReportList.as_view(), name="tls-report-list"),
    path(
        "domains/<str:name>/tls-reports/summary/",
        api.TlsReportSummary.as_view(),
        name="tls-report-summary",
    ),
    path(
        "domains/<str:name>/tls-reports/<uuid:report_id>/",
        api.TlsReportDetail.as_view(),
        name="tls-report-detail",
    ),
    path(
        "domains/<str:name>/tls-reports/<uuid:report_id>/raw/",
        api.TlsReportRaw.as_view(),
        name="tls-report-raw",
    ),
    path(
        "domains/<str:name>/tlsrpt-token/rotate/",
        api.TlsRptTokenRotate.as_view(),
        name="tlsrpt-token-rotate",
    ),
]
