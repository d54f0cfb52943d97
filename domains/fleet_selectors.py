"""Reads across every tenant, for the operators' pages (no writes, no network): the
operations queue with its filters, one operation with its history, and the domain search."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from domains.models import AcceptedDomain, AuditEvent, Operation

#: Domains the cross-tenant search shows at most.
SEARCH_LIMIT = 50


def operations_queue(
    *, state: str = "", kind: str = "", error_code: str = "", tenant: str = "", domain: str = ""
) -> QuerySet[Operation]:
    """Every tenant's operations, newest first, filtered by state, kind, error code, tenant
    (slug) and a part of the domain name."""
    operations = Operation.objects.select_related("tenant")
    if state:
        operations = operations.filter(state=state)
    if kind:
        operations = operations.filter(kind=kind)
    if error_code:
        operations = operations.filter(error_code=error_code)
    if tenant:
        operations = operations.filter(tenant__slug=tenant)
    if domain:
        operations = operations.filter(domain_name__icontains=domain)
    return operations.order_by("-created_at", "-id")


def error_codes_seen() -> list[str]:
    """The error codes operations have ended with (the filter's choices)."""
    codes = Operation.objects.exclude(error_code="").values_list("error_code", flat=True)
    return sorted(set(codes.distinct()))


@dataclass(frozen=True)
class OperationHistory:
    """One operation and what the audit trail recorded about it (requests, retries with
    their attempt number, the end, re-runs), oldest first."""

    operation: Operation
    events: list[AuditEvent]


def operation_history(operation_id: str) -> OperationHistory | None:
    """The operation ``operation_id`` (any tenant's) and its events; None when unknown."""
    try:
        key = uuid.UUID(operation_id)
    except ValueError:
        return None
    operation = Operation.objects.select_related("tenant", "domain").filter(pk=key).first()
    if operation is None:
        return None
    events = AuditEvent.objects.filter(target_type="operation", target_id=str(operation.pk))
    return OperationHistory(operation, list(events.order_by("occurred_at", "id")))


def search_domains(query: str, *, limit: int = SEARCH_LIMIT) -> list[AcceptedDomain]:
    """Accepted domains of every tenant whose name (A-label or U-label) or tenant slug
    contains ``query``; exact names first."""
    query = query.strip().lower().rstrip(".")
    if not query:
        return []
    found = (
        AcceptedDomain.objects.select_related("tenant", "partition")
        .filter(
            Q(name__contains=query)
            | Q(display_name__icontains=query)
            | Q(tenant__slug__contains=query)
        )
        .order_by("name", "tenant__slug")
    )
    exact = [domain for domain in found.filter(name=query)]
    rest = [domain for domain in found.exclude(name=query)[: max(0, limit - len(exact))]]
    return [*exact, *rest]


def domain_of_any_tenant(domain_id: int) -> AcceptedDomain | None:
    """The accepted domain ``domain_id``, whichever tenant holds it."""
    return AcceptedDomain.objects.select_related("tenant", "partition").filter(pk=domain_id).first()
