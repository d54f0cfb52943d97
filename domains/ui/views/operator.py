"""The operators' area (``/operator/``): its start page; each operator page lives in its own
view module and is wrapped in ``operator_page``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from domains.ui.access import operator_page


@operator_page
def index(request: HttpRequest) -> HttpResponse:
    """``/operator/``: where operators start (403 for anyone else)."""
    return render(request, "ui/operator/index.html", {"nav": "operator"})
