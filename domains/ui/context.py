"""Template context of every UI page: the member acting, their tenants (the switcher), and
whether the user is an operator (the operator navigation and its link in the account menu)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from domains.models import Membership
from domains.operators import is_operator


def ui(request: HttpRequest) -> dict[str, Any]:
    """``member`` (set by ``tenant_page``), ``memberships`` of the signed-in user,
    ``is_operator`` and ``operator_area`` (set by ``operator_page``)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    member = getattr(request, "ui_member", None)
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("tenant")
    return {
        "member": member,
        "memberships": list(memberships),
        "is_operator": is_operator(request.user),
        "operator_area": getattr(request, "ui_operator_area", False),
    }
