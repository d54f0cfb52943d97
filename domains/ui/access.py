"""Who may see and do what in the UI: the tenant of the URL and the member's role there.

``tenant_page`` wraps every view under ``/t/<slug>/``: an anonymous visitor goes to the
sign-in form, a user who is not a member of that tenant gets a 404 (the tenant's existence is
not revealed), and a viewer's POST (or any unsafe method) is a 403. ``operator_page`` wraps
every view under ``/operator/``: anyone but an operator (``domains.operators``) gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Concatenate, ParamSpec, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from domains.audit import Actor
from domains.authentication import SESSION_TENANT_KEY
from domains.models import Membership, Tenant
from domains.operators import is_operator

P = ParamSpec("P")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Member:
    """The signed-in user acting for the tenant of the URL."""

    membership: Membership

    @property
    def tenant(self) -> Tenant:
        """The tenant every read and write of the request is scoped to."""
        return self.membership.tenant

    @property
    def actor(self) -> Actor:
        """The actor written into audit events and operations."""
        return Actor(f"user:{self.membership.user.get_username()}")

    @property
    def can_write(self) -> bool:
        """True for admins; viewers see no write button and get 403 on a write."""
        return self.membership.can_write


def member_of(request: HttpRequest, slug: str) -> Member:
    """The request's user as a member of tenant ``slug``; 404 when they are not one."""
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(user_id=cast(int, request.user.pk), tenant__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404("No such tenant.")
    return Member(membership)


def tenant_page(
    view: Callable[Concatenate[HttpRequest, Member, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, str, P], HttpResponse]:
    """Scope ``view`` to the member of the URL's tenant; writes need the admin role."""

    @wraps(view)
    def scoped(request: HttpRequest, slug: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        member = member_of(request, slug)
        if request.method not in SAFE_METHODS and not member.can_write:
            raise PermissionDenied("Viewers cannot change anything.")
        if request.session.get(SESSION_TENANT_KEY) != slug:
            request.session[SESSION_TENANT_KEY] = slug  # the API's session principal follows
        request.ui_member = member  # type: ignore[attr-defined]  # read by the context processor
        return view(request, member, *args, **kwargs)

    return login_required(scoped)


def operator_page(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Allow ``view`` to operators only (403 for tenant members and other staff); the page
    shows the operator navigation."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not is_operator(request.user):
            raise PermissionDenied("This page is for the provider's operators.")
        request.ui_operator_area = True  # type: ignore[attr-defined]  # read by the context
        return view(request, *args, **kwargs)

    return login_required(guarded)
