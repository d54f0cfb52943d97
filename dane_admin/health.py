"""Liveness (``/healthz``, no dependencies) and readiness (``/readyz``: database, broker)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from dane_admin.celery import app as celery_app


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up."""
    return JsonResponse({"status": "ok"})


def _database_ready() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return type(exc).__name__
    return None


def _broker_ready() -> str | None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return type(exc).__name__
    return None


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the task broker answer (errors by type only, never with secrets)."""
    problems = {"database": _database_ready(), "broker": _broker_ready()}
    checks = {
        name: ("ok" if error is None else f"failed: {error}") for name, error in problems.items()
    }
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "in-process (no broker configured)"
    ready = all(error is None for error in problems.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
