"""Reads of the domains app, always scoped to one tenant: no writes, no network (what asks
the network is a service: ``domains.inbound_status``, ``domains.checks``)."""

from __future__ import annotations

from functools import cache

from django.db.models import QuerySet

from dnsops.models import Partition
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
from domains.prepared import CompiledSelect, field_names


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
    never checked. The statement is compiled once per process (it serves the status read,
    the API's hottest path)."""
    try:
        alabel = parse_domain_name(name).alabel
    except DomainNameError:
        return None
    row = _latest_run_statement().first(tenant_id=tenant.pk, name=alabel)
    if row is None:
        return None
    runs, domains = len(_RUN_FIELDS), len(_RUN_FIELDS) + len(_DOMAIN_FIELDS)
    run = CheckRun.from_db("default", _RUN_FIELDS, row[:runs])
    domain = AcceptedDomain.from_db("default", _DOMAIN_FIELDS, row[runs:domains])
    if domain.partition_id is not None:
        domain.partition = Partition.from_db("default", _PARTITION_FIELDS, row[domains:])
    else:
        domain.partition = None
    domain.tenant = tenant
    run.domain = domain
    return run


# What the status document and its MigrationStep read (checks.run_document,
# migration.step_for_domain); the other columns are left deferred, so the row stays narrow.
_RUN_FIELDS = field_names(
    CheckRun,
    only={
        "id",
        "domain_id",
        "public_id",
        "trigger",
        "started_at",
        "finished_at",
        "duration",
        "dns_queries",
        "overall_status",
        "result",
    },
)
_DOMAIN_FIELDS = field_names(
    AcceptedDomain,
    only={
        "id",
        "tenant_id",
        "name",
        "is_initial",
        "is_self_service",
        "verified_at",
        "dnssec_state",
        "dane_state",
        "partition_id",
        "mx_token",
    },
)
_PARTITION_FIELDS = field_names(Partition, only={"id", "zone"})


@cache
def _latest_run_statement() -> CompiledSelect:
    """``latest_run_named``'s statement: the run, its domain and the domain's partition."""
    columns = [
        *_RUN_FIELDS,
        *(f"domain__{name}" for name in _DOMAIN_FIELDS),
        *(f"domain__partition__{name}" for name in _PARTITION_FIELDS),
    ]
    tenant_placeholder, name_placeholder = -(2**62), "\x00name"
    latest = (
        CheckRun.objects.filter(domain__tenant_id=tenant_placeholder, domain__name=name_placeholder)
        .order_by("-started_at", "-id")
        .values_list(*columns)[:1]
    )
    return CompiledSelect.of(latest, tenant_id=tenant_placeholder, name=name_placeholder)


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
