"""Operators: the partition zones (``/operator/partitions/``) and "repair drift now"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from domains import partition_zones
from domains.errors import ServiceError
from domains.ui.access import operator_page
from domains.ui.views.operator_actor import operator_actor


@operator_page
@require_GET
def partitions(request: HttpRequest) -> HttpResponse:
    """Every partition zone: fill, status, serial per server, earliest signature expiry, DS,
    last drift repair; the red ones first, each problem named at the top."""
    rows = partition_zones.partition_zones()
    context = {
        "nav": "operator_partitions",
        "rows": rows,
        "red": [row for row in rows if row.is_red],
    }
    return render(request, "ui/operator/partitions.html", context)


@operator_page
@require_POST
def repair_drift(request: HttpRequest, partition_id: int) -> HttpResponse:
    """Queue the drift repair of one partition now (audited)."""
    try:
        partition = partition_zones.request_drift_repair(
            partition_id, actor=operator_actor(request)
        )
    except ServiceError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
    else:
        messages.success(
            request, _("Drift repair of %(zone)s is queued.") % {"zone": partition.zone}
        )
    return redirect("ui:operator_partitions")
