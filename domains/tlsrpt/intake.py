"""``POST /tlsrpt/<token>/``: where senders deliver TLS-RPT reports over HTTPS (RFC 8460 §5.4).

A plain Django view outside the API: no session, no CSRF, no authentication but the token in
the path; every answer is JSON in the API's error shape. Size limits apply before the body is
read (Content-Length) and while it is decompressed (see ``dnsops.tlsrpt.report``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dnsops.tlsrpt.report import MEDIA_TYPES, ReportRejected
from domains.tlsrpt import services
from domains.tlsrpt.models import Channel

logger = logging.getLogger(__name__)
ERROR_BY_REASON = {
    "unsupported-media-type": (415, "UnsupportedMediaType"),
    "too-large": (413, "RequestTooLarge"),
    "decompressed-too-large": (413, "RequestTooLarge"),
}


def _error(status: int, code: str, detail: str) -> JsonResponse:
    """``{"code", "detail"}`` with ``status``, logged without the path (the token in it is a
    secret: whoever knows it can post reports for the domain)."""
    response = JsonResponse({"code": code, "detail": detail}, status=status)
    logger.info("TLS-RPT report refused", extra={"status_code": status, "code": code})
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's log_response
    return response


@csrf_exempt
@require_POST
def receive_report(request: HttpRequest, token: str) -> JsonResponse:
    """Take one report for the domain whose token is in the path: 201 stored (its details
    and aggregates follow from the worker, RFC 8460 §5.4), 200 duplicate."""
    try:
        services.check_token(token)
    except services.EndpointNotFound:
        return _error(404, "NotFound", "No report endpoint here.")
    if request.content_type not in MEDIA_TYPES:
        services.count_refusal(Channel.HTTPS, "unsupported-media-type")
        return _error(
            415, "UnsupportedMediaType", f"Send the report as {' or '.join(MEDIA_TYPES)}."
        )
    limit = settings.TLSRPT_MAX_UPLOAD_BYTES
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error(400, "InvalidRequest", "Content-Length is not a number.")
    if length > limit:
        services.count_refusal(Channel.HTTPS, "too-large")
        return _error(413, "RequestTooLarge", f"The report is larger than {limit} bytes.")
    body = request.read(limit + 1)
    try:
        ingested = services.accept_https_report(token, body, request.content_type)
    except services.EndpointNotFound:  # rotated while the report was read
        return _error(404, "NotFound", "No report endpoint here.")
    except services.RateLimited as exc:
        response = _error(429, "Throttled", str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ReportRejected as exc:
        status, code = ERROR_BY_REASON.get(exc.reason, (400, "ReportRejected"))
        return _error(status, code, exc.detail)
    report = ingested.report
    return JsonResponse(
        {
            "organization-name": report.organization_name,
            "report-id": report.report_id,
            "stored": ingested.created,
        },
        status=201 if ingested.created else 200,
    )
