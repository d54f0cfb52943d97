"""Sign-in, the start page and the tenant switch."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from domains.authentication import session_membership
from domains.operators import is_operator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """``/``: the domains page of the tenant the user acts for (anonymous: the sign-in form)."""
    membership = session_membership(request, request.user)
    if membership is None:
        if is_operator(request.user):
            return redirect("ui:operator")
        return render(request, "ui/no_tenant.html", status=403)
    return redirect("ui:domains", slug=membership.tenant.slug)
