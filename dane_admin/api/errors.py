"""One error shape for the whole API: ``{"code": ..., "detail": ..., ...details}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from domains import errors

STATUS_BY_ERROR: dict[type[errors.ServiceError], int] = {
    errors.InvalidRequest: status.HTTP_400_BAD_REQUEST,
    errors.DomainNotFound: status.HTTP_404_NOT_FOUND,
    errors.DomainAlreadyExists: status.HTTP_409_CONFLICT,
    errors.DomainVerifiedElsewhere: status.HTTP_409_CONFLICT,
    errors.DomainNotDeletable: status.HTTP_409_CONFLICT,
    errors.VerificationRecordNotFound: status.HTTP_409_CONFLICT,
    errors.TenantAlreadyExists: status.HTTP_409_CONFLICT,
    errors.VersionConflict: status.HTTP_412_PRECONDITION_FAILED,
    errors.DnsLookupFailed: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.ServiceMisconfigured: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.DomainDnssecInvalid: status.HTTP_422_UNPROCESSABLE_ENTITY,
    errors.DomainNotSupported: status.HTTP_422_UNPROCESSABLE_ENTITY,
    errors.PartitionNotFound: status.HTTP_409_CONFLICT,
    errors.DnssecOperationFailed: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.OperationInProgress: status.HTTP_409_CONFLICT,
    errors.IdempotencyKeyReused: status.HTTP_422_UNPROCESSABLE_ENTITY,
    errors.OperationNotKnown: status.HTTP_404_NOT_FOUND,
    errors.OperationNotFailed: status.HTTP_409_CONFLICT,
    errors.PartitionNotKnown: status.HTTP_404_NOT_FOUND,
    errors.InboundKeyNotFound: status.HTTP_404_NOT_FOUND,
    errors.RolloverRefused: status.HTTP_409_CONFLICT,
    errors.TooManyCheckBatches: status.HTTP_429_TOO_MANY_REQUESTS,
}


def status_for(error: errors.ServiceError) -> int:
    """The HTTP status of a service error (its nearest listed base class decides)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return status.HTTP_500_INTERNAL_SERVER_ERROR


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render service errors and DRF errors in the API's single error shape."""
    if isinstance(exc, errors.ServiceError):
        retryable = isinstance(
            exc,
            errors.DnsLookupFailed
            | errors.DnssecOperationFailed
            | errors.ServiceMisconfigured
            | errors.TooManyCheckBatches,
        )
        body = {"code": exc.code, "detail": exc.message, **exc.details}
        return Response(
            body, status=status_for(exc), headers={"Retry-After": "30"} if retryable else None
        )
    if isinstance(exc, RequestDataTooBig):  # Django would answer with an HTML page
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"code": "RequestTooLarge", "detail": f"The request body exceeds {limit} bytes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):  # Django's message names the model ("No Operation matches")
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "InvalidRequest",
            "detail": "The request is invalid.",
            "errors": exc.detail,
        }
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        response.data = {
            "code": code if isinstance(code, str) else "error",
            "detail": str(exc.detail),
        }
    return response


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is for the REST API (every answer there is JSON)."""
    return request.path_info.startswith("/api/")


def api_error(status_code: int, code: str, detail: str) -> JsonResponse:
    """An answer in the API's error shape, for code that runs outside DRF's views."""
    return JsonResponse({"code": code, "detail": detail}, status=status_code)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a path the URL resolver does not know (or an id not matching its
    route) is a JSON 404 under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return api_error(status.HTTP_404_NOT_FOUND, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a request Django refuses before any view (e.g. a disallowed host)."""
    if is_api_request(request):
        return api_error(status.HTTP_400_BAD_REQUEST, "InvalidRequest", "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``: refused outside DRF's permission checks."""
    if is_api_request(request):
        return api_error(status.HTTP_403_FORBIDDEN, "permission_denied", "Forbidden.")
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: an unexpected error, in the API's shape under /api/ (no details)."""
    if is_api_request(request):
        detail = "Internal error; quote the X-Request-ID when reporting it."
        return api_error(status.HTTP_500_INTERNAL_SERVER_ERROR, "ServerError", detail)
    return defaults.server_error(request)
