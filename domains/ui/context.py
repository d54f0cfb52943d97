"""Template context of every UI page: the member acting, their tenants (the switcher)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from domains.models import Membership


def ui(request: HttpRequest) -> dict[str, Any]:
    """``member`` (set by ``tenant_page``) and ``memberships`` of the signed-in user."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    member = getattr(request, "ui_member", None)
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("tenant")
    return {"member": member, "memberships": list(memberships)}
