"""``GET /metrics``: the Prometheus exposition, answered only to
``Authorization: Bearer <DANE_METRICS_TOKEN>`` (401 otherwise); with the setting empty the
endpoint does not exist (404). Not a DRF view: Prometheus wants the text format, not JSON."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from domains import metrics


def bearer_token_matches(request: HttpRequest, expected: str) -> bool:
    """True when the request carries ``Authorization: Bearer <expected>`` (constant time)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics, for a scraper holding the token."""
    if not settings.DANE_METRICS_TOKEN:
        raise Http404("Metrics are off.")
    if not bearer_token_matches(request, settings.DANE_METRICS_TOKEN):
        response = HttpResponse(
            "A valid bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
