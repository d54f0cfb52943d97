"""While the database cannot be reached, answer 503 with ``Retry-After`` instead of a 500.

Under ``/api/`` the answer is in the API's error shape (``{"code": "DatabaseUnavailable",
"detail": ...}``); any other page gets a plain error page (never Django's debug page). The
driver's message is logged by type only: it can name hosts and users.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
DETAIL = "The service's database cannot be reached now; retry later."
PAGE = (
    "<!doctype html><title>Service unavailable</title>"
    "<h1>Service unavailable</h1><p>The service cannot reach its database now. "
    "Please retry in a few seconds.</p>"
)


class DatabaseUnavailableMiddleware:
    """Turn a lost or refused database connection during a view into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The 503 for a database connection error; anything else goes on as before."""
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable",
            extra={"error": type(exception).__name__, "path": request.path},
        )
        return database_unavailable_response(request)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer for ``request``: JSON under ``/api/``, a plain page elsewhere."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "DatabaseUnavailable", "detail": DETAIL}, status=503, headers=headers
        )
    return HttpResponse(PAGE, status=503, headers=headers, content_type="text/html")
