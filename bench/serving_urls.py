"""URLconf of the serving benchmark: the product's routes plus two bare DRF views.

``bench/bare`` has no authentication at all (the framework's floor); ``bench/bare-auth``
takes the product's default authentication and permission classes (the API-key cost).
"""

from django.urls import path
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


urlpatterns = [
    path("bench/bare", BareView.as_view()),
    path("bench/bare-auth", BareAuthenticatedView.as_view()),
    *product_urlpatterns,
]
