"""The tenant's settings: API keys (create, shown once; revoke) and members (add, change
role, remove). Everyone reads them; only admins change them (``tenant_page``: a viewer's
POST is a 403). Revoking a key and removing a member ask first: a GET of their URL is a
confirmation page that says what will change (403 for a viewer), its POST does it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from domains import errors, selectors, services
from domains.choices import MemberRole
from domains.models import Membership, TenantAPIKey
from domains.ui.access import Member, tenant_page

#: The roles, with the names the pages show.
ROLES = (
    (MemberRole.ADMIN.value, gettext_lazy("Admin")),
    (MemberRole.VIEWER.value, gettext_lazy("Viewer")),
)


class ApiKeyForm(forms.Form):
    """A new API key: its name (what it is for)."""

    name = forms.CharField(
        label=gettext_lazy("Name of the new key"),
        max_length=50,
        help_text=gettext_lazy("What the key is for, e.g. “deployment pipeline”."),
    )


class MemberForm(forms.Form):
    """A new member: a user name and a role."""

    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLES)


class RoleForm(forms.Form):
    """Another role for a member."""

    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLES)


def _page(request: HttpRequest, member: Member, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "nav": "settings",
        "api_keys": selectors.api_keys_of(member.tenant),
        "members": selectors.members_of(member.tenant),
        "roles": ROLES,
        "key_form": ApiKeyForm(),
        "member_form": MemberForm(),
        **extra,
    }
    return render(request, "ui/settings/index.html", context, status=status)


@tenant_page
def settings_page(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 10: the API keys and the members of the tenant."""
    return _page(request, member)


@require_POST
@tenant_page
def create_api_key(request: HttpRequest, member: Member) -> HttpResponse:
    """Create a key and show it this once (the page is not cached; only its hash is kept)."""
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, member, status=400, key_form=form)
    api_key, raw_key = services.create_api_key(
        member.tenant, name=form.cleaned_data["name"], actor=member.actor
    )
    response = _page(request, member, new_key=api_key, raw_key=raw_key)
    response["Cache-Control"] = "no-store"
    return response


def _confirmation(
    request: HttpRequest, member: Member, *, title: str, changes: str, confirm_label: str
) -> HttpResponse:
    """The page that asks an admin to confirm a change (a viewer gets a 403)."""
    if not member.can_write:
        raise PermissionDenied("Viewers cannot change anything.")
    context = {
        "nav": "settings",
        "title": title,
        "changes": changes,
        "confirm_label": confirm_label,
    }
    return render(request, "ui/settings/confirm.html", context)


@require_http_methods(["GET", "POST"])
@tenant_page
def revoke_api_key(request: HttpRequest, member: Member, prefix: str) -> HttpResponse:
    """Revoke one of the tenant's keys (another tenant's is a 404), once confirmed."""
    api_key = selectors.api_keys_of(member.tenant).filter(prefix=prefix).first()
    if api_key is None:
        raise Http404(_("No such API key."))
    if request.method == "GET":
        return _confirm_revoke(request, member, api_key)
    services.revoke_api_key(api_key, actor=member.actor)
    messages.success(request, _("The key %(prefix)s… is revoked.") % {"prefix": prefix})
    return redirect("ui:settings", member.tenant.slug)


def _confirm_revoke(request: HttpRequest, member: Member, api_key: TenantAPIKey) -> HttpResponse:
    names = {"name": api_key.name, "prefix": api_key.prefix}
    return _confirmation(
        request,
        member,
        title=_("Revoke the API key “%(name)s”") % names,
        changes=_(
            "The key %(prefix)s… stops working at once: every request signed with it is "
            "refused. This cannot be undone; automation that uses it needs a new key."
        )
        % names,
        confirm_label=_("Revoke the key"),
    )


def _membership(member: Member, membership_id: int) -> Membership:
    membership = selectors.members_of(member.tenant).filter(pk=membership_id).first()
    if membership is None:
        raise Http404(_("No such member."))
    return membership


@require_POST
@tenant_page
def add_member(request: HttpRequest, member: Member) -> HttpResponse:
    """Add a member: a new user gets a generated password, shown this once; an existing
    user keeps theirs."""
    form = MemberForm(request.POST)
    if not form.is_valid():
        return _page(request, member, status=400, member_form=form)
    try:
        membership, password = services.invite_member(
            member.tenant,
            form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            actor=member.actor,
        )
    except errors.ServiceError as exc:
        form.add_error(None, exc.message)
        return _page(request, member, status=400, member_form=form)
    response = _page(request, member, new_member=membership, new_password=password)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@tenant_page
def change_role(request: HttpRequest, member: Member, membership_id: int) -> HttpResponse:
    """Give a member another role (the tenant keeps at least one admin)."""
    membership = _membership(member, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role: admin or viewer."))
        return redirect("ui:settings", member.tenant.slug)
    try:
        services.change_member_role(
            membership, form.cleaned_data["role"], actor=member.actor, keep_an_admin=True
        )
    except errors.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {
                "user": membership.user.get_username(),
                "role": dict(ROLES)[form.cleaned_data["role"]],
            },
        )
    return redirect("ui:settings", member.tenant.slug)


@require_http_methods(["GET", "POST"])
@tenant_page
def remove_member(request: HttpRequest, member: Member, membership_id: int) -> HttpResponse:
    """End a membership (the tenant keeps at least one admin), once confirmed."""
    membership = _membership(member, membership_id)
    if request.method == "GET":
        names = {"user": membership.user.get_username(), "tenant": member.tenant.name}
        return _confirmation(
            request,
            member,
            title=_("Remove %(user)s") % names,
            changes=_(
                "%(user)s loses access to %(tenant)s at once: its domains, reports and "
                "settings. Their account stays; an admin can add them again."
            )
            % names,
            confirm_label=_("Remove the member"),
        )
    try:
        services.remove_member(membership, actor=member.actor, keep_an_admin=True)
    except errors.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(user)s is no longer a member.") % {"user": membership.user.get_username()}
        )
    return redirect("ui:settings", member.tenant.slug)
