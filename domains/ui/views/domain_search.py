"""Operators: search the accepted domains of every tenant (``/operator/domains/?q=``) and open
one as a read-only view of that tenant's domain page.

The read-only view reuses the tenant's page (template and context) without the write
buttons, the operator does not become a member, and the view answers GET only: any POST (or
other unsafe method) is a 403, and the page's own forms are not rendered.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from domains import fleet_selectors
from domains.ui.access import operator_page
from domains.ui.views.domains import domain_page_context


@operator_page
def search(request: HttpRequest) -> HttpResponse:
    """Domains of any tenant whose name or tenant matches ``q``."""
    if request.method != "GET":
        raise PermissionDenied("The domain search only reads.")
    query = request.GET.get("q", "")[:253]
    context = {
        "nav": "operator_domains",
        "query": query,
        "domains": fleet_selectors.search_domains(query),
        "limit": fleet_selectors.SEARCH_LIMIT,
    }
    return render(request, "ui/operator/domains.html", context)


@operator_page
def domain(request: HttpRequest, domain_id: int) -> HttpResponse:
    """The tenant's domain page, read-only (403 to anything but a read)."""
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied("An operator's view of a tenant's domain is read-only.")
    found = fleet_selectors.domain_of_any_tenant(domain_id)
    if found is None:
        raise Http404("No such domain.")
    context = domain_page_context(found, can_write=False)
    context.update(nav="operator_domains", read_only=True)
    return render(request, "ui/domains/detail.html", context)
