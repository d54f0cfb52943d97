"""Request guards that run before any view: a NUL byte in the path or the query string is a
400 (PostgreSQL refuses NUL in text, so such a value must never reach a query)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from dane_admin.api.errors import api_error, is_api_request

NUL = "\x00"


class RefuseNulBytesMiddleware:
    """Answer 400 to a request whose path or query parameters hold a NUL byte."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        """Wrap the rest of the middleware chain."""
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Refuse NUL in the path and in any query parameter's name or value."""
        query = request.GET
        if NUL in request.path_info or any(
            NUL in name or any(NUL in value for value in query.getlist(name)) for name in query
        ):
            detail = "The URL contains a NUL byte."
            if is_api_request(request):
                return api_error(400, "InvalidRequest", detail)
            return HttpResponseBadRequest(detail, content_type="text/plain")
        return self.get_response(request)
