"""The domains of a tenant: the table (page 1), adding and verifying (page 2), and the
domain's page with the MX-migration wizard (page 3)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dane_admin.api.throttling import TenantWorkThrottle
from domains import (
    check_batches,
    checks,
    inbound_status,
    migration,
    overview,
    selectors,
    services,
    wizard,
)
from domains.authentication import TenantPrincipal
from domains.choices import DaneState
from domains.errors import DomainNotFound, ServiceError
from domains.models import AcceptedDomain, Operation
from domains.ui.access import Member, tenant_page
from domains.ui.forms import AddDomainForm
from domains.ui.views.commands import meaning_of


def _positive_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_GET
@tenant_page
def domain_list(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 1: the tenant's domains with filters (counts as chips), search and pages."""
    search = request.GET.get("q", "")[:253]
    state = request.GET.get("state", "")
    step = _positive_int(request.GET.get("step"))
    table = overview.domain_table(
        member.tenant,
        search=search,
        state=state,
        step=step,
        page=_positive_int(request.GET.get("page")) or 1,
    )
    batch_id = request.GET.get("batch", "")
    context = {
        "nav": "domains",
        "batch": check_batches.batch_progress(member.tenant, batch_id) if batch_id else None,
        "table": table,
        "search": search,
        "state": state,
        "step": step,
        "now": timezone.now(),
    }
    return render(request, "ui/domains/list.html", context)


@require_http_methods(["GET", "POST"])
@tenant_page
def add_domain(request: HttpRequest, member: Member) -> HttpResponse:
    """Page 2, first half: add a domain, then publish its TXT record on its page."""
    form = AddDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.add_domain(
                member.tenant, form.cleaned_data["name"], actor=member.actor
            )
        except ServiceError as exc:
            form.add_error("name", f"{exc.code}: {exc.message}")
        else:
            return redirect("ui:domain", slug=member.tenant.slug, name=domain.name)
    return render(request, "ui/domains/add.html", {"form": form, "nav": "domains"})


def _domain_or_404(member: Member, name: str) -> AcceptedDomain:
    try:
        return selectors.get_domain(member.tenant, name)
    except DomainNotFound as exc:
        raise Http404(str(exc)) from exc


@require_GET
@tenant_page
def domain_detail(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Page 3: the domain, its ownership check, the migration wizard and the commands."""
    domain = _domain_or_404(member, name)
    operation = None
    operation_id = _uuid(request.GET.get("operation", ""))
    if operation_id is not None:
        operation = Operation.objects.filter(tenant=member.tenant, pk=operation_id).first()
    context = domain_page_context(domain, can_write=member.can_write)
    context.update(
        operation=operation,
        meaning=meaning_of(operation) if operation is not None else None,
        recheck_wait_until=request.session.get(f"recheck-wait:{domain.pk}"),
    )
    return render(request, "ui/domains/detail.html", context)


def domain_page_context(domain: AcceptedDomain, *, can_write: bool) -> dict[str, Any]:
    """What the domain's page shows (the tenant's page and the operators' read-only view):
    its checks, the migration step, the live MX and TLSA records; ``can_write`` shows the
    write buttons."""
    supported = not domain.is_initial and not domain.is_self_service
    run = checks.latest_run(domain) if domain.is_verified and supported else None
    document = checks.run_document(run) if run is not None else None
    step = migration.step_for_domain(domain, document) if supported else None
    context: dict[str, Any] = {
        "nav": "domains",
        "domain": domain,
        "can_write": can_write,
        "supported": supported,
        "run": run,
        "step": step,
        "steps": [(number, migration.TITLES[number]) for number in range(1, migration.STEPS + 1)],
        "rollback": migration.ROLLBACK,
        "live": wizard.live_mx(domain) if step is not None and step.number >= 4 else None,
        "expected_mx": f"0 {domain.dnssec_mx_value}." if domain.dnssec_mx_value else None,
        "operation": None,
        "tlsa": inbound_status.smtp_dane_inbound_status(domain)
        if domain.dane_state == DaneState.ENABLED
        else None,
    }
    if step is not None and step.number == 1:
        progress = wizard.mx_ttl_progress(domain)
        context["mx_ttl"] = progress
        context["mx_ttl_passed"] = progress is not None and progress.old_ttl_passed(timezone.now())
        context["lowered_limit"] = migration.LOWERED_MX_TTL
    return context


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


@require_POST
@tenant_page
def verify_domain(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Page 2, second half: check the ownership TXT record now (the API's reasons on failure)."""
    domain = _domain_or_404(member, name)
    try:
        outcome = services.verify_domain(domain, actor=member.actor)
    except ServiceError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
    else:
        if outcome.newly_verified:
            messages.success(request, _("%(domain)s is verified.") % {"domain": domain.name})
    return redirect("ui:domain", slug=member.tenant.slug, name=domain.name)


class _RefreshScope:
    """The API's rate-limit scope of ``?refresh=true``, so the UI shares its allowance."""

    def throttle_scope_of(self, request: Any) -> str:
        return "status-refresh"


@require_POST
@tenant_page
def recheck(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Run the status checks now (the API's ``?refresh=true``, within its rate limit)."""
    domain = _domain_or_404(member, name)
    throttle = TenantWorkThrottle()
    caller = SimpleNamespace(user=TenantPrincipal(tenant=member.tenant, actor=member.actor))
    key = f"recheck-wait:{domain.pk}"
    if not throttle.allow_request(caller, _RefreshScope()):  # type: ignore[arg-type]
        wait = int(throttle.wait() or 1) + 1
        until = timezone.now() + timedelta(seconds=wait)
        request.session[key] = until.isoformat()
        messages.error(
            request,
            _("Too many checks in a short time: try again in %(seconds)s seconds.")
            % {"seconds": wait},
        )
    else:
        request.session.pop(key, None)
        try:
            wizard.dnssec_status_with_step(member.tenant, domain.name, refresh=True)
        except ServiceError as exc:
            messages.error(request, f"{exc.code}: {exc.message}")
        else:
            messages.success(request, _("The checks ran just now."))
    return redirect(reverse("ui:domain", args=[member.tenant.slug, domain.name]) + "#wizard")
