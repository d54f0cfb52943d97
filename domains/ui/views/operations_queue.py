"""Operators: every tenant's operations (``/operator/operations/``), filtered and paginated;
one operation with its steps and attempts, and "run again" for a failed one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from domains import fleet_actions, fleet_selectors
from domains.choices import OperationKind, OperationState
from domains.errors import OperationNotKnown, ServiceError
from domains.ui.access import operator_page
from domains.ui.views.operator_actor import operator_actor

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 50


def _any(choices: Sequence[tuple[str, StrOrPromise]]) -> list[tuple[str, StrOrPromise]]:
    """``choices`` after an "Any" choice that filters nothing."""
    return [("", gettext_lazy("Any")), *choices]


class QueueFilter(forms.Form):
    """Filters of the operations queue (all optional)."""

    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=_any(OperationState.choices)
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Command"), required=False, choices=_any(OperationKind.choices)
    )
    error_code = forms.ChoiceField(label=gettext_lazy("Error code"), required=False)
    tenant = forms.SlugField(label=gettext_lazy("Tenant"), required=False, max_length=63)
    domain = forms.CharField(label=gettext_lazy("Domain"), required=False, max_length=253)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        codes: list[tuple[str, StrOrPromise]] = [
            (code, code) for code in fleet_selectors.error_codes_seen()
        ]
        self.fields["error_code"].choices = _any(codes)  # type: ignore[attr-defined]


@operator_page
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The operations of every tenant, newest first, filtered (an invalid filter is shown
    with its error and filters nothing)."""
    form = QueueFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    found = fleet_selectors.operations_queue(**filters)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "operator_operations", "form": form, "page": page}
    return render(request, "ui/operator/operations.html", context)


@operator_page
@require_GET
def detail(request: HttpRequest, operation_id: str) -> HttpResponse:
    """One operation of any tenant: input, state, steps, attempts and its audit history."""
    history = fleet_selectors.operation_history(operation_id)
    if history is None:
        raise Http404("No such operation.")
    context = {
        "nav": "operator_operations",
        "operation": history.operation,
        "events": history.events,
        "can_rerun": history.operation.state == OperationState.FAILED,
    }
    return render(request, "ui/operator/operation.html", context)


@operator_page
@require_POST
def rerun(request: HttpRequest, operation_id: str) -> HttpResponse:
    """Run a failed operation's command again (a new operation, audited); go to it."""
    try:
        outcome = fleet_actions.rerun_operation(operation_id, actor=operator_actor(request))
    except OperationNotKnown as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
        return redirect("ui:operator_operation", operation_id=operation_id)
    messages.success(request, _("The command runs again as a new operation."))
    return redirect("ui:operator_operation", operation_id=str(outcome.operation.id))
