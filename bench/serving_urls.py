"""URLconf of the serving and TLS-RPT benchmarks: the product's routes plus bare views.

``bench/bare`` has no authentication at all (the framework's floor); ``bench/bare-auth``
takes the product's default authentication and permission classes (the API-key cost);
``bench/tlsrpt-bare/<token>/`` reads a POSTed report and answers 201 without looking at it
(a ceiling of the TLS-RPT intake: HTTP, gunicorn and Django alone);
``bench/tlsrpt-raw-insert/<token>/`` also inserts the body into ``bench_tlsrpt_raw`` (which
``bench/tlsrpt_ingest.py`` creates) in one statement committed as the intake's is (the
ceiling of any intake that stores the report before answering).
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dane_admin.urls import urlpatterns as product_urlpatterns


class BareView(APIView):
    """A view that does nothing, without authentication or permission checks."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    def get(self, request: Request) -> Response:
        """A constant answer."""
        return Response({"ok": True})


class BareAuthenticatedView(APIView):
    """A view that does nothing, behind the product's default authentication."""

    def get(self, request: Request) -> Response:
        """A constant answer."""
        return Response({"ok": True})


@csrf_exempt
def bare_tlsrpt_intake(request: HttpRequest, token: str) -> JsonResponse:
    """Read the body as the intake does, keep nothing, answer 201."""
    request.read(settings.TLSRPT_MAX_UPLOAD_BYTES + 1)
    return JsonResponse({"stored": True}, status=201)


@csrf_exempt
def raw_insert_tlsrpt_intake(request: HttpRequest, token: str) -> JsonResponse:
    """Read the body, insert it as it came (one statement, asynchronous commit), answer 201."""
    body = request.read(settings.TLSRPT_MAX_UPLOAD_BYTES + 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_tlsrpt_raw (token, body) SELECT %s, %s "
            "FROM set_config('synchronous_commit', 'off', true)",
            [token, body],
        )
    return JsonResponse({"stored": True}, status=201)


urlpatterns = [
    path("bench/bare", BareView.as_view()),
    path("bench/tlsrpt-bare/<str:token>/", bare_tlsrpt_intake),
    path("bench/tlsrpt-raw-insert/<str:token>/", raw_insert_tlsrpt_intake),
    path("bench/bare-auth", BareAuthenticatedView.as_view()),
    *product_urlpatterns,
]
