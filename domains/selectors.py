"""Reads of the domains app, always scoped to one tenant: no writes, no network (what asks
the network is a service: ``domains.inbound_status``, ``domains.checks``)."""

from __future__ import annotations

from django.db.models import QuerySet

from domains.errors import DomainNotFound
from domains.models import (
    AcceptedDomain,
    AuditEvent,
    CheckRun,
    DaneValidation,
    Membership,
    Tenant,
    TenantAPIKey,
)
from domains.names import DomainNameError, parse_domain_name


def domains_of(tenant: Tenant) -> QuerySet[AcceptedDomain]:
    """The tenant's accepted domains."""
    return AcceptedDomain.objects.filter(tenant=tenant)


def get_domain(tenant: Tenant, name: str) -> AcceptedDomain:
    """The tenant's domain called ``name`` (U- or A-label); DomainNotFound otherwise.

    Another tenant's domain and a malformed name are both simply "not found". Its partition
    is read with it (its MX host names it).
    """
    try:
        alabel = parse_domain_name(name).alabel
    except DomainNameError as exc:
        raise DomainNotFound(f"The domain {name!r} is not an accepted domain.") from exc
    try:
        return domains_of(tenant).select_related("partition").get(name=alabel)
    except AcceptedDomain.DoesNotExist as exc:
        raise DomainNotFound(f"The domain {alabel} is not an accepted domain.") from exc


def latest_run_named(tenant: Tenant, name: str) -> CheckRun | None:
    """The latest check run of the tenant's domain ``name``, with the domain and its partition,
    in one query; None for a malformed name, a name that is not the tenant's, or a domain
    never checked."""
    try:
        alabel = parse_domain_name(name).alabel
    except DomainNameError:
        return None
    return (
        CheckRun.objects.select_related("domain__partition")
        .filter(domain__tenant=tenant, domain__name=alabel)
        .order_by("-started_at", "-id")
        .first()
    )


def audit_events_of(tenant: Tenant) -> QuerySet[AuditEvent]:
    """The tenant's audit trail, newest first."""
    return AuditEvent.objects.filter(tenant=tenant)


def validations_of(tenant: Tenant) -> QuerySet[DaneValidation]:
    """The tenant's stored outbound DANE validations, newest first."""
    return DaneValidation.objects.filter(tenant=tenant)


def api_keys_of(tenant: Tenant) -> QuerySet[TenantAPIKey]:
    """The tenant's API keys (active and revoked), newest first; never their secrets."""
    return TenantAPIKey.objects.filter(tenant=tenant).order_by("-created")


def members_of(tenant: Tenant) -> QuerySet[Membership]:
    """The tenant's memberships with their users, by user name."""
    return (
        Membership.objects.filter(tenant=tenant)
        .select_related("user", "tenant")
        .order_by("user__username")
    )
