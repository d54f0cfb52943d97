"""URL configuration: the web UI, the REST API, its OpenAPI document, health probes and the
admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dane_admin.health import healthz, readyz
from domains.api.metrics import metrics_view

# Under /api/ these answer in the API's JSON error shape; elsewhere they are Django's pages.
handler400 = "dane_admin.api.errors.bad_request"
handler403 = "dane_admin.api.errors.permission_denied"
handler404 = "dane_admin.api.errors.page_not_found"
handler500 = "dane_admin.api.errors.server_error"

urlpatterns = [
    path("api/v1/", include("domains.api.urls")),
    path("tlsrpt/", include("domains.tlsrpt.urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("domains.ui.urls")),
]
