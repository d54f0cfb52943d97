"""The outbox: events written in the transaction of the change that caused them.

The service layer calls these where changes happen (a check run stored, a state reaching
``enabled``, an operation failing, a TLS-RPT failure report stored); :func:`record_event` is
the one entry point for anything else; the served-certificate probe of the inbound key
rollover records ``EventType.TLSA_MISMATCH`` through :func:`record_tlsa_mismatches`. Nothing
here touches the network: after commit a wake-up is sent to the delivery worker, which does
the HTTP, on its own queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from dane_admin.celery import app as celery_app
from domains.choices import DaneState
from domains.models import AcceptedDomain, CheckRun, Tenant
from domains.notifications.changes import dnssec_problems, report_changes
from domains.notifications.models import Event, EventType

if TYPE_CHECKING:
    from domains.models import Operation
    from domains.tlsrpt.models import TlsReport

logger = logging.getLogger(__name__)

#: The delivery task, woken by name after a commit that wrote events.
DELIVER_WEBHOOKS = "domains.notifications.tasks.deliver_webhooks"
#: A wake-up older than this (seconds) is dropped: the beat sweep has delivered by then.
WAKE_UP_EXPIRES = 30.0


def domain_link(tenant: Tenant, domain_name: str) -> str:
    """The absolute URL of the domain's status report in the UI."""
    path = reverse("ui:status", args=[tenant.slug, domain_name])
    return f"{settings.DANE_PUBLIC_URL.rstrip('/')}{path}"


def new_event(
    event_type: str,
    *,
    tenant: Tenant,
    domain: AcceptedDomain | None = None,
    domain_id: int | None = None,
    domain_name: str = "",
    data: dict[str, Any] | None = None,
    link: str | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """An unsaved event (for :func:`record_events`): of ``domain``, or of the domain with
    ``domain_id`` and ``domain_name``; ``link`` defaults to the domain's page."""
    name = domain.name if domain is not None else domain_name
    if link is None:
        link = domain_link(tenant, name) if name else ""
    return Event(
        tenant=tenant,
        domain_id=domain.pk if domain is not None else domain_id,
        domain_name=name,
        type=event_type,
        occurred_at=occurred_at or timezone.now(),
        data=data or {},
        link=link,
    )


def record_events(events: Sequence[Event]) -> list[Event]:
    """Write ``events`` to the outbox inside the caller's transaction; wake the delivery
    worker once it commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Events are written inside the transaction of the change.")
    if not events:
        return []
    created = Event.objects.bulk_create(events, batch_size=1000)
    transaction.on_commit(wake_delivery)
    return created


def record_event(
    event_type: EventType | str,
    *,
    tenant: Tenant,
    domain: AcceptedDomain | None = None,
    domain_id: int | None = None,
    domain_name: str = "",
    data: dict[str, Any] | None = None,
    link: str | None = None,
) -> Event:
    """Write one event (type, tenant, domain, what happened in ``data``) in the caller's
    transaction: the entry point for any service with news for the tenant."""
    event = new_event(
        event_type,
        tenant=tenant,
        domain=domain,
        domain_id=domain_id,
        domain_name=domain_name,
        data=data,
        link=link,
    )
    return record_events([event])[0]


def wake_delivery() -> None:
    """Ask a worker on the ``notifications`` queue to deliver now. On the embedded default
    (tasks in-process) nothing is sent: the periodic run delivers, so a receiver's delay never
    lands in the process that stored a check. A broker that is down is logged, not raised."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    try:
        celery_app.send_task(DELIVER_WEBHOOKS, expires=WAKE_UP_EXPIRES)
    except Exception:
        logger.exception("could not wake the webhook delivery; the periodic run will deliver")


# --- the hooks of the service layer -----------------------------------------------------------


def record_report_changes(runs: Iterable[CheckRun]) -> list[Event]:
    """Events for new check runs (not yet written) whose report differs from the domain's
    previous run: ``domain.report_changed`` with before/after codes, and
    ``domain.dnssec_problem`` when a DNSSEC problem of the customer's zone appeared. A run
    whose report equals the previous one writes nothing."""
    runs = list(runs)
    if not runs:
        return []
    latest = CheckRun.objects.filter(domain=OuterRef("pk")).order_by("-started_at", "-id")
    previous_ids = dict(
        AcceptedDomain.objects.filter(pk__in=[run.domain_id for run in runs])
        .annotate(previous=Subquery(latest.values("pk")[:1]))
        .values_list("pk", "previous")
    )
    previous = dict(
        CheckRun.objects.filter(pk__in=[pk for pk in previous_ids.values() if pk]).values_list(
            "domain_id", "result"
        )
    )
    events: list[Event] = []
    for run in runs:
        changes = report_changes(previous.get(run.domain_id), run.result)
        if changes is None:
            continue
        domain = run.domain
        changes["overall_status"] = run.overall_status
        events.append(
            new_event(
                EventType.REPORT_CHANGED,
                tenant=domain.tenant,
                domain=domain,
                data=changes,
                occurred_at=run.finished_at,
            )
        )
        problems = dnssec_problems(changes)
        if problems is not None:
            events.append(
                new_event(
                    EventType.DNSSEC_PROBLEM,
                    tenant=domain.tenant,
                    domain=domain,
                    data=problems,
                    occurred_at=run.finished_at,
                )
            )
    return record_events(events)


def record_enabled(
    moved: Iterable[tuple[int, str, Tenant | None]], state_field: str, source: str, target: str
) -> list[Event]:
    """``domain.enabled`` for each domain (id, name, tenant) whose ``state_field`` moved to
    ``enabled``; nothing for any other target state."""
    if target != "enabled":
        return []
    feature = "dnssec" if state_field == "dnssec_state" else "smtp_dane_inbound"
    return record_events(
        [
            new_event(
                EventType.DOMAIN_ENABLED,
                tenant=tenant,
                domain_id=domain_id,
                domain_name=name,
                data={"feature": feature, "from": source, "to": target},
            )
            for domain_id, name, tenant in moved
            if tenant is not None
        ]
    )


def record_operation_failed(operation: Operation, detail: str) -> list[Event]:
    """``operation.failed`` for a command that ended with an error."""
    link = (
        f"{settings.DANE_PUBLIC_URL.rstrip('/')}"
        f"{reverse('ui:operations', args=[operation.tenant.slug])}"
    )
    return [
        record_event(
            EventType.OPERATION_FAILED,
            tenant=operation.tenant,
            domain_id=operation.domain_id,
            domain_name=operation.domain_name,
            data={
                "operation": str(operation.id),
                "kind": operation.kind,
                "error_code": "DnssecOperationFailed",
                "error": detail[:500],
            },
            link=link,
        )
    ]


def record_tlsrpt_failures(reports: Iterable[TlsReport]) -> list[Event]:
    """``domain.tlsrpt_failure`` for each stored TLS-RPT report that counts failed sessions,
    in one INSERT and one wake-up (the reports' ``domain.tenant`` read by the caller)."""
    base = settings.DANE_PUBLIC_URL.rstrip("/")
    events = []
    for report in reports:
        if not report.total_failure_session_count:
            continue
        domain = report.domain
        events.append(
            new_event(
                EventType.TLSRPT_FAILURE,
                tenant=domain.tenant,
                domain=domain,
                data={
                    "organization": report.organization_name,
                    "report_id": report.report_id,
                    "failed_sessions": report.total_failure_session_count,
                    "successful_sessions": report.total_successful_session_count,
                    "report": str(report.public_id),
                },
                link=f"{base}{reverse('ui:tls_reports', args=[domain.tenant.slug, domain.name])}",
            )
        )
    return record_events(events)


def record_tlsa_mismatches(addresses: Sequence[dict[str, Any]]) -> list[Event]:
    """``domain.tlsa_mismatch`` for every SMTP DANE inbound domain when inbound addresses of
    the provider start serving a certificate that no published TLSA record matches
    (``addresses``: the probe's entries that just stopped matching — ``Address``,
    ``ServedKey``, ``Findings``); DANE senders cannot deliver to such an address."""
    if not addresses:
        return []
    data = {
        "addresses": [
            {
                "address": entry["Address"],
                "served_key": entry.get("ServedKey"),
                "codes": [finding["code"] for finding in entry.get("Findings", [])],
            }
            for entry in addresses
        ]
    }
    domains = AcceptedDomain.objects.filter(dane_state=DaneState.ENABLED).select_related("tenant")
    return record_events(
        [new_event(EventType.TLSA_MISMATCH, tenant=d.tenant, domain=d, data=data) for d in domains]
    )
