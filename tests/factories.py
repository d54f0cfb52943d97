"""factory_boy factories for the integration tests: tenants, API keys, partitions, domains in
each state, operations and check runs (``XFactory.create(...)`` is typed as the model).

A domain made in a published state (``pending_mx``, ``enabled``, DANE ``enabled``) is placed as
the worker leaves it: a partition, an MX token, and the records the database wants in that
zone (its host's A/AAAA, and the TLSA set when DANE is on). The zone on the server is
touched only with ``publish=True``: then the partition is provisioned if needed and the
server made to hold exactly those records, as after the worker's push.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

import factory
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from dnsops.models import Partition
from dnsops.partitions import allocate_mx_token
from dnsops.provisioning import ensure_partition_once, push_names, set_desired_rrsets
from domains import migration
from domains.choices import (
    DNSSEC_PUBLISHED_STATES,
    DaneState,
    DnssecState,
    OperationKind,
    OperationState,
)
from domains.inbound_keys import published_tlsa_records
from domains.models import AcceptedDomain, CheckRun, Operation, Tenant, TenantAPIKey
from domains.publishing import host_rrsets, tlsa_owner, tlsa_rrset_at


def _unique(prefix: str) -> str:
    """``<prefix><10 hex digits>``: names that do not collide across tests and runs."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class TenantFactory(factory.django.DjangoModelFactory[Tenant]):
    """A tenant row (without the initial domain that ``services.create_tenant`` adds)."""

    class Meta:
        model = Tenant

    slug = factory.LazyFunction(lambda: _unique("f-"))
    name = factory.LazyAttribute(lambda tenant: f"Tenant {tenant.slug}")


class ApiKeyFactory(factory.django.DjangoModelFactory[TenantAPIKey]):
    """An API key of a tenant; the raw key is on the object as ``raw_key`` (see
    :func:`raw_api_key`)."""

    class Meta:
        model = TenantAPIKey

    tenant = factory.SubFactory(TenantFactory)
    name = "factory"

    @classmethod
    def _create(cls, model_class: type[TenantAPIKey], *args: Any, **kwargs: Any) -> TenantAPIKey:
        key, raw_key = model_class.objects.create_key(**kwargs)
        key.raw_key = raw_key  # type: ignore[attr-defined]
        return cast(TenantAPIKey, key)


def raw_api_key(**kwargs: Any) -> str:
    """The raw key of a new API key (``tenant=`` to choose whose), to send in requests."""
    return str(cast(Any, ApiKeyFactory.create(**kwargs)).raw_key)


class PartitionFactory(factory.django.DjangoModelFactory[Partition]):
    """A partition zone under ``DANE_MX_SUFFIX`` (provisioned on first use by the worker)."""

    class Meta:
        model = Partition

    label = factory.LazyFunction(lambda: _unique("t"))
    zone = factory.LazyAttribute(lambda partition: f"{partition.label}.{settings.DANE_MX_SUFFIX}")


def _is_published(domain: Any) -> bool:
    """Whether the factory's domain is in a state that has it placed on a partition."""
    return bool(domain.dnssec_state in DNSSEC_PUBLISHED_STATES)


class DomainFactory(factory.django.DjangoModelFactory[AcceptedDomain]):
    """An accepted domain; traits put it in a state without driving the worker:
    ``verified``, ``pending_mx``, ``dnssec_enabled``, ``dane_enabled`` (DNSSEC enabled too);
    ``publish=True`` also puts its records on the partition's server."""

    class Meta:
        model = AcceptedDomain
        skip_postgeneration_save = True  # the hooks write records, not the row

    class Params:
        verified = factory.Trait(verified_at=factory.LazyFunction(timezone.now))
        pending_mx = factory.Trait(verified=True, dnssec_state=DnssecState.PENDING_MX)
        dnssec_enabled = factory.Trait(verified=True, dnssec_state=DnssecState.ENABLED)
        dane_enabled = factory.Trait(dnssec_enabled=True, dane_state=DaneState.ENABLED)

    tenant = factory.SubFactory(TenantFactory)
    name = factory.LazyFunction(lambda: f"{_unique('d')}.example")
    display_name = factory.SelfAttribute("name")
    partition = factory.Maybe(
        factory.LazyAttribute(_is_published), factory.SubFactory(PartitionFactory), None
    )
    mx_token = factory.Maybe(
        factory.LazyAttribute(_is_published),
        factory.LazyAttribute(
            lambda domain: allocate_mx_token(
                domain.name, lambda token: AcceptedDomain.objects.filter(mx_token=token).exists()
            )
        ),
        None,
    )

    @factory.post_generation
    def step(domain: AcceptedDomain, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Store its migration step, as the service layer does when a state moves."""
        if create:
            migration.refresh_steps([domain.pk])

    @factory.post_generation
    def place(domain: AcceptedDomain, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Count the domain in its partition's places, as a placement does."""
        if create and domain.partition is not None and domain.mx_token is not None:
            Partition.objects.filter(pk=domain.partition.pk).update(placed=F("placed") + 1)

    @factory.post_generation
    def desired_records(
        domain: AcceptedDomain, create: bool, extracted: Any, **kwargs: Any
    ) -> None:
        """Record what the partition zone must publish for the domain's state."""
        if not create or domain.partition is None:
            return
        if domain.dnssec_state in DNSSEC_PUBLISHED_STATES:
            set_desired_rrsets(domain.partition, host_rrsets(domain))
        if domain.dane_state == DaneState.ENABLED:
            tlsa = tlsa_rrset_at(tlsa_owner(domain), published_tlsa_records())
            set_desired_rrsets(domain.partition, [tlsa])

    @factory.post_generation
    def publish(domain: AcceptedDomain, create: bool, extracted: Any, **kwargs: Any) -> None:
        """With ``publish=True``, make the partition's server hold what the database wants."""
        if not (create and extracted and domain.partition is not None):
            return
        if domain.partition.provisioned_at is None:
            ensure_partition_once(domain.partition)
        assert domain.dnssec_mx_value is not None
        push_names(domain.partition, [domain.dnssec_mx_value, tlsa_owner(domain)])


class OperationFactory(factory.django.DjangoModelFactory[Operation]):
    """An operation of a domain's command, pending and due by default."""

    class Meta:
        model = Operation

    domain = factory.SubFactory(DomainFactory, verified=True)
    tenant = factory.SelfAttribute("domain.tenant")
    domain_name = factory.SelfAttribute("domain.name")
    kind = OperationKind.ENABLE_DNSSEC
    feature = factory.LazyAttribute(lambda operation: OperationKind(operation.kind).feature)
    state = OperationState.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)
    actor = "cli"


class CheckRunFactory(factory.django.DjangoModelFactory[CheckRun]):
    """A finished check run of a domain; pass ``result`` (a status document) for content."""

    class Meta:
        model = CheckRun
        skip_postgeneration_save = True  # check runs are append-only

    domain = factory.SubFactory(DomainFactory, pending_mx=True)
    trigger = CheckRun.Trigger.REFRESH
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1))
    finished_at = factory.LazyFunction(timezone.now)
    duration = factory.LazyAttribute(lambda run: run.finished_at - run.started_at)
    overall_status = "Passed"
    result = factory.LazyAttribute(
        lambda run: {"Domain": run.domain.name, "CheckedAt": run.finished_at.isoformat()}
    )

    @factory.post_generation
    def step(run: CheckRun, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Store the domain's migration step again, as storing a run does."""
        if create:
            migration.refresh_steps([run.domain_id])
