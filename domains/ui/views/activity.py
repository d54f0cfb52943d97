"""The tenant's operations (state, who, when, result) and its audit trail, filterable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from domains import reports
from domains.choices import AuditAction, OperationKind, OperationState
from domains.ui.access import Member, tenant_page

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 50


def _any(choices: Sequence[tuple[str, StrOrPromise]]) -> list[tuple[str, StrOrPromise]]:
    return [("", gettext_lazy("Any")), *choices]


class OperationFilter(forms.Form):
    """Filters of the operations table (all optional)."""

    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=_any(OperationState.choices)
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Command"), required=False, choices=_any(OperationKind.choices)
    )
    domain = forms.CharField(label=gettext_lazy("Domain"), required=False, max_length=253)


class AuditFilter(forms.Form):
    """Filters of the audit trail (all optional)."""

    action = forms.ChoiceField(
        label=gettext_lazy("Action"), required=False, choices=_any(AuditAction.choices)
    )
    actor = forms.CharField(label=gettext_lazy("Who"), required=False, max_length=200)
    target = forms.CharField(label=gettext_lazy("Object"), required=False, max_length=253)


@tenant_page
def operations(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 9: the tenant's operations, newest first, filtered (an invalid filter is shown
    with its error and filters nothing)."""
    form = OperationFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    found = reports.operations_of(member.tenant, **filters)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "activity", "tab": "operations", "form": form, "page": page}
    return render(request, "ui/activity/operations.html", context)


@tenant_page
def audit(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 9: the tenant's audit trail, newest first, filtered."""
    form = AuditFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    found = reports.audit_trail(member.tenant, **filters)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "activity", "tab": "audit", "form": form, "page": page}
    return render(request, "ui/activity/audit.html", context)
