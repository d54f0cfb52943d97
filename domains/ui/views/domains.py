"""The domains of a tenant: the table, adding and verifying, the domain's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from domains import selectors
from domains.ui.access import Member, tenant_page


@tenant_page
def domain_list(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 1: the tenant's accepted domains."""
    domains = selectors.domains_of(member.tenant)
    return render(request, "ui/domains/list.html", {"domains": domains, "nav": "domains"})
