"""A domain's reports: the status report of a check run (Get-DnssecStatusForVerifiedDomain),
SMTP DANE inbound (Get-SmtpDaneInboundStatus, with the probe) and the check-run history."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import checks, commands, errors, reports, selectors
from domains import inbound_status as inbound_status_service
from domains.models import AcceptedDomain
from domains.tlsrpt import selectors as tlsrpt_selectors
from domains.ui.access import Member, tenant_page
from domains.ui.work_limits import seconds_to_wait

#: The sections of a status document, as (key, heading), in the order the report shows them.
REPORT_SECTIONS = (
    ("DomainValidation", "Domain"),
    ("DnsValidation", "DNS"),
    ("MxValidation", "MX"),
    ("MtaStsValidation", "MTA-STS"),
    ("TlsRpt", "TLS-RPT"),
)

#: The days of TLS-RPT reports the history marks own-MX faults for.
HISTORY_FAULT_DAYS = 30


def domain_of(member: Member, name: str) -> AcceptedDomain:
    """The member's tenant's domain ``name``; 404 for another tenant's or an unknown one."""
    try:
        return selectors.get_domain(member.tenant, name)
    except errors.DomainNotFound as exc:
        raise Http404(str(exc)) from exc


def countdown_until(seconds: int | None) -> str | None:
    """The moment (ISO 8601) a rate-limited button may be pressed again."""
    if seconds is None:
        return None
    return (timezone.now() + timedelta(seconds=seconds)).isoformat()


def report_sections(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections of a status document, each with its key, heading, status and findings
    (sections the run did not reach are left out)."""
    sections = []
    for key, heading in REPORT_SECTIONS:
        part = document.get(key)
        if part is None:
            continue
        sections.append(
            {
                "key": key,
                "heading": heading,
                "status": reports.section_status(document, key),
                "findings": part.get("Findings", []),
                "part": part,
            }
        )
    return sections


def _report(
    request: HttpRequest,
    domain: AcceptedDomain,
    document: dict[str, Any],
    *,
    unavailable: str = "",
    mx_ttl: int | None = None,
) -> HttpResponse:
    context = {
        "nav": "domains",
        "domain": domain,
        "document": document,
        "sections": report_sections(document),
        "run": document.get("CheckRun"),
        "unavailable": unavailable,
        "mx_ttl": mx_ttl,
    }
    return render(request, "ui/status/report.html", context)


@tenant_page
def status_report(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Page 5: the latest check run of the domain (nothing is looked up on this page; an
    unverified domain shows the EG002 document)."""
    domain = domain_of(member, name)
    if domain.is_initial or domain.is_self_service:
        return _report(
            request, domain, {}, unavailable=_("DNSSEC and DANE are not offered for this domain.")
        )
    if not domain.is_verified:
        return _report(request, domain, checks.dnssec_status(member.tenant, domain.name))
    run = checks.latest_run(domain)
    if run is None:
        return _report(request, domain, {})
    return _report(request, domain, checks.run_document(run), mx_ttl=run.mx_ttl)


@tenant_page
def status_run(request: HttpRequest, member: Member, name: str, run_id: uuid.UUID) -> HttpResponse:
    """Page 5, permalink: one stored check run of the domain."""
    domain = domain_of(member, name)
    run = reports.get_check_run(domain, run_id)
    if run is None:
        raise Http404(_("No such check run."))
    return _report(request, domain, checks.run_document(run), mx_ttl=run.mx_ttl)


@require_POST
@tenant_page
def status_refresh(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Run the checks now (the API's status-refresh rate limit) and show the new run."""
    domain = domain_of(member, name)
    wait = seconds_to_wait(request, "status-refresh", member.tenant)
    if wait is not None:
        messages.error(request, _("Too many checks just now: try again in %d s.") % wait)
        return redirect("ui:status", member.tenant.slug, domain.name)
    try:
        document = checks.dnssec_status(member.tenant, domain.name, refresh=True)
    except errors.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("ui:status", member.tenant.slug, domain.name)
    if document.get("CheckRun") is None:
        return redirect("ui:status", member.tenant.slug, domain.name)
    return redirect("ui:status_run", member.tenant.slug, domain.name, document["CheckRun"]["Id"])


def tlsa_rows(expected: list[str], returned: list[str]) -> list[dict[str, Any]]:
    """Every TLSA record expected or returned, with whether it is each."""
    return [
        {"record": record, "expected": record in expected, "returned": record in returned}
        for record in sorted({*expected, *returned})
    ]


@tenant_page
def inbound_status(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Page 6: the TLSA records expected and those the resolver returns; ``?probe=1`` (the
    API's inbound-probe rate limit) also matches what each inbound address serves."""
    domain = domain_of(member, name)
    try:
        domain = commands.supported_domain(member.tenant, domain.name)
    except errors.ServiceError as exc:
        context = {"nav": "domains", "domain": domain, "unavailable": exc.message}
        return render(request, "ui/status/inbound.html", context)
    probe = request.GET.get("probe") == "1"
    wait = seconds_to_wait(request, "inbound-probe", member.tenant) if probe else None
    status = inbound_status_service.smtp_dane_inbound_status(domain, probe=probe and wait is None)
    context = {
        "nav": "domains",
        "domain": domain,
        "status": status,
        "probed": probe and wait is None,
        "wait": wait,
        "retry_at": countdown_until(wait),
        "tlsa_rows": tlsa_rows(status["ExpectedTlsaRecords"], status["TlsaRecords"]),
    }
    template = "ui/status/_probe.html" if request.headers.get("HX-Request") else None
    return render(request, template or "ui/status/inbound.html", context)


@tenant_page
def history(request: HttpRequest, member: Member, name: str) -> HttpResponse:
    """Page 7: one cell per check run by its worst result, and what changed each time; beside
    them the days TLS-RPT reports said senders met a fault of our MX host."""
    domain = domain_of(member, name)
    entries = reports.check_history(domain)
    fault_days = tlsrpt_selectors.own_mx_fault_days(domain, HISTORY_FAULT_DAYS)
    context = {
        "nav": "domains",
        "domain": domain,
        "entries": entries,
        "cells": list(reversed(entries)),
        "fault_days": sorted(fault_days.items()),
        "fault_day_keys": [day.isoformat() for day in fault_days],
        "fault_window": HISTORY_FAULT_DAYS,
    }
    return render(request, "ui/status/history.html", context)
