"""Loading at a web process's start what its first requests would otherwise load.

Django and Celery import lazily: the URLconf (every view, serializer and form module), the
task modules (at the first command's wake-up) and each language's translation catalogue are
loaded by the first request that needs them. Under load that costs every new web process
about a second of CPU in its first requests, which then wait behind the imports. The WSGI
application calls :func:`warm_up` once per process, before it serves.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation

from dane_admin.celery import app as celery_app


def warm_up() -> None:
    """Import the URLconf and the task modules and load every language's catalogue."""
    get_resolver().url_patterns  # noqa: B018 - importing the URLconf is the point
    celery_app.loader.import_default_modules()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # activating a language loads its catalogue
            pass
