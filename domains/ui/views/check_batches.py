"""The tenant's "re-check all" (admins): a check batch of every domain, and its progress bar
(an htmx fragment that polls itself until the batch is done)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from domains import check_batches
from domains.errors import ServiceError
from domains.ui.access import Member, tenant_page


@require_POST
@tenant_page
def recheck_all(request: HttpRequest, member: Member) -> HttpResponse:
    """Start a check batch of all the tenant's domains; the domains page follows it."""
    try:
        batch = check_batches.create_check_batch(member.tenant, "all", actor=member.actor)
    except ServiceError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
        return redirect("ui:domains", slug=member.tenant.slug)
    return redirect(reverse("ui:domains", args=[member.tenant.slug]) + f"?batch={batch.pk}")


@require_GET
@tenant_page
def batch_progress(request: HttpRequest, member: Member, batch_id: str) -> HttpResponse:
    """The batch's progress bar (htmx); a plain visit goes to the domains page showing it."""
    progress = check_batches.batch_progress(member.tenant, batch_id)
    if not request.headers.get("HX-Request") or progress is None:
        url = reverse("ui:domains", args=[member.tenant.slug])
        return redirect(url + (f"?batch={batch_id}" if progress is not None else ""))
    return render(request, "ui/domains/_check_batch.html", {"progress": progress})
