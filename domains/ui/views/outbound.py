"""The outbound DANE test (RFC 7672): a destination in, the step trace and verdict out, and
the tenant's past validations."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dnsops.dane.config import port_choice_allowed
from domains import dane_validations, errors, reports, selectors
from domains.names import DomainNameError, parse_domain_name
from domains.ui.access import Member, tenant_page
from domains.ui.views.status import countdown_until
from domains.ui.work_limits import seconds_to_wait

PAGE_SIZE = 25


class OutboundTestForm(forms.Form):
    """A destination domain, and a port where the service lets callers choose it (tests)."""

    domain = forms.CharField(
        label=gettext_lazy("Destination domain"),
        max_length=1024,
        help_text=gettext_lazy("The domain you send mail to, e.g. example.com."),
    )
    port = forms.IntegerField(
        label=gettext_lazy("Port"), min_value=1, max_value=65535, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Offer the port only where ``DANE_VALIDATION_ALLOW_PORT`` is on."""
        super().__init__(*args, **kwargs)
        if not port_choice_allowed():
            del self.fields["port"]

    def clean_domain(self) -> str:
        """The destination as an A-label name (the API's rules)."""
        try:
            return parse_domain_name(self.cleaned_data["domain"]).alabel
        except DomainNameError as exc:
            raise forms.ValidationError(str(exc)) from exc


def _index(
    request: HttpRequest, member: Member, form: OutboundTestForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    page = Paginator(selectors.validations_of(member.tenant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"nav": "outbound", "form": form, "page": page, **extra}
    return render(request, "ui/outbound/index.html", context, status=status)


@tenant_page
def outbound_index(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 8: the test form and the tenant's past validations (GET), or run one (POST,
    the API's dane-validation rate limit) and show its trace."""
    if request.method != "POST":
        return _index(request, member, OutboundTestForm())
    form = OutboundTestForm(request.POST)
    if not form.is_valid():
        return _index(request, member, form, status=400)
    wait = seconds_to_wait(request, "dane-validation", member.tenant)
    if wait is not None:
        form.add_error(None, _("Too many tests just now: try again in %d s.") % wait)
        return _index(request, member, form, status=429, retry_at=countdown_until(wait))
    try:
        validation = dane_validations.run_validation(
            form.cleaned_data["domain"],
            tenant=member.tenant,
            actor=member.actor,
            port=form.cleaned_data.get("port"),
        )
    except errors.InvalidRequest as exc:
        form.add_error(None, exc.message)
        return _index(request, member, form, status=400)
    return redirect("ui:outbound_detail", member.tenant.slug, validation.pk)


@tenant_page
def outbound_detail(request: HttpRequest, member: Member, validation_id: uuid.UUID) -> HttpResponse:
    """Page 8: one validation: verdict, code, retry schedule, hosts and the step trace."""
    validation = selectors.validations_of(member.tenant).filter(pk=validation_id).first()
    if validation is None:
        raise Http404(_("No such DANE validation."))
    context = {
        "nav": "outbound",
        "validation": validation,
        "report": validation.result,
        "schedule": reports.retry_schedule(validation),
    }
    return render(request, "ui/outbound/detail.html", context)
