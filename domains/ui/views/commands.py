"""Page 4: enable and disable DNSSEC and SMTP DANE inbound — a confirmation that says what
will change, then the operation's progress, polled with htmx until it ends, and the
cmdlet-shaped result."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from domains import commands, selectors
from domains.errors import DomainNotFound, ServiceError
from domains.models import Operation
from domains.ui.access import Member, tenant_page


@dataclass(frozen=True)
class CommandPage:
    """One command as the UI offers it."""

    run: commands.Command
    title: str
    changes: str
    danger: bool = False


COMMANDS = {
    "enable-dnssec": CommandPage(
        commands.enable_dnssec,
        gettext_noop("Enable DNSSEC"),
        gettext_noop(
            "The service publishes a DNSSEC-signed MX host for %(domain)s in its signed "
            "zone and gives you its name (the DnssecMxValue). Mail does not change until you "
            "add that MX record at your DNS host."
        ),
    ),
    "disable-dnssec": CommandPage(
        commands.disable_dnssec,
        gettext_noop("Disable DNSSEC"),
        gettext_noop(
            "The DNSSEC MX host of %(domain)s and its TLSA records are withdrawn. Put your "
            "legacy MX back at preference 0 first, or mail for %(domain)s will bounce."
        ),
        danger=True,
    ),
    "enable-smtp-dane": CommandPage(
        commands.enable_smtp_dane_inbound,
        gettext_noop("Enable SMTP DANE inbound"),
        gettext_noop(
            "TLSA records for the provider's inbound keys are published at the DNSSEC MX host "
            "of %(domain)s; senders that check DANE then require an authenticated TLS "
            "connection for mail to %(domain)s."
        ),
    ),
    "disable-smtp-dane": CommandPage(
        commands.disable_smtp_dane_inbound,
        gettext_noop("Disable SMTP DANE inbound"),
        gettext_noop(
            "The TLSA records of %(domain)s are withdrawn; senders stop requiring DANE for it "
            "once their caches expire. DNSSEC stays on."
        ),
        danger=True,
    ),
}

#: The cmdlets' error codes (SPEC §4): what they mean and what to do.
ERROR_MEANINGS = {
    "DomainNotFound": (
        gettext_noop("The domain is not an accepted, verified domain of your organisation."),
        gettext_noop("Add the domain and verify its ownership, then try again."),
    ),
    "DnssecOperationFailed": (
        gettext_noop("Creating the zone or its records failed (DNS server down or refused)."),
        gettext_noop("Nothing is half-done: try again later; the service retries on its own."),
    ),
    "PartitionNotFound": (
        gettext_noop("The domain has no DNSSEC MX host yet (DNSSEC is not enabled)."),
        gettext_noop("Enable DNSSEC first, then SMTP DANE inbound."),
    ),
    "DomainNotSupported": (
        gettext_noop("DNSSEC and DANE are not offered for this domain."),
        gettext_noop("Use one of your own domains; initial and self-service domains are out."),
    ),
}


def meaning_of(operation: Operation) -> tuple[str, str] | None:
    """What a failed operation's error code means and what to do (SPEC §4)."""
    result = operation.result or {}
    code = (result.get("ErrorData") or {}).get("ErrorCode") or operation.error_code
    return ERROR_MEANINGS.get(code)


@require_http_methods(["GET", "POST"])
@tenant_page
def confirm_command(request: HttpRequest, member: Member, name: str, command: str) -> HttpResponse:
    """GET: what the command will change; POST: run it and follow its operation."""
    page = COMMANDS.get(command)
    if page is None:
        raise Http404("No such command.")
    try:
        domain = selectors.get_domain(member.tenant, name)
    except DomainNotFound as exc:
        raise Http404(str(exc)) from exc
    error = None
    if request.method == "POST":
        try:
            outcome = page.run(member.tenant, domain.name, actor=member.actor)
        except ServiceError as exc:
            error = exc
        else:
            url = reverse("ui:domain", args=[member.tenant.slug, domain.name])
            return redirect(f"{url}?operation={outcome.operation.pk}#operation")
    context = {"nav": "domains", "domain": domain, "page": page, "command": command}
    context["error"] = error
    context["meaning"] = ERROR_MEANINGS.get(error.code) if error is not None else None
    return render(request, "ui/domains/confirm.html", context, status=422 if error else 200)


@require_GET
@tenant_page
def operation_progress(
    request: HttpRequest, member: Member, operation_id: uuid.UUID
) -> HttpResponse:
    """The operation's state and steps; the fragment polls itself until the operation ends."""
    operation = get_object_or_404(Operation, tenant=member.tenant, pk=operation_id)
    template = "ui/domains/_operation.html" if request.headers.get("HX-Request") else None
    context = {"operation": operation, "meaning": meaning_of(operation)}
    if template is None:
        return render(request, "ui/domains/operation.html", {**context, "nav": "domains"})
    return render(request, template, context)
