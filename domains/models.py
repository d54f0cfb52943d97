"""Tenants, their members and API keys, accepted domains, operations, check runs, stored
outbound DANE validations, and the append-only audit trail."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey

from dnsops.dane.policy import Disposition
from dnsops.dane.verdicts import Verdict
from dnsops.models import Partition
from domains.choices import (
    DNSSEC_PUBLISHED_STATES,
    IN_FLIGHT_STATES,
    AuditAction,
    DaneState,
    DnssecState,
    Feature,
    MemberRole,
    OperationKind,
    OperationState,
)

VERIFICATION_RECORD_PREFIX = "dane-admin-verification="

#: DNSSEC states whose domains the scheduled status checks follow.
DNSSEC_CHECKED_STATES = tuple(state.value for state in DNSSEC_PUBLISHED_STATES)


def new_verification_token() -> str:
    """A fresh random token for the ownership TXT record."""
    return secrets.token_urlsafe(24)


class Tenant(models.Model):
    """A customer organisation of the provider."""

    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [
            ("operate_fleet", "Can see the operator pages and run fleet actions"),
        ]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    """A Django user's membership of one tenant, with its role there (a user may belong to
    several tenants and picks the one to act for in the UI)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.ADMIN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("tenant__slug",)
        constraints = [
            models.UniqueConstraint(fields=("user", "tenant"), name="membership_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    @property
    def can_write(self) -> bool:
        """True for admins: they may add, verify and delete domains and run the commands."""
        return self.role == MemberRole.ADMIN


class TenantAPIKey(AbstractAPIKey):
    """An API key scoped to one tenant; only its hash is stored (the key is shown once)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "tenant API key"
        verbose_name_plural = "tenant API keys"


class AcceptedDomain(models.Model):
    """A domain a tenant added; usable for DNSSEC/DANE once its ownership is verified.

    The same name may be pending in several tenants (so nobody can squat a name by adding it),
    but only one tenant can hold it verified.
    """

    # No index of its own: the unique (tenant, name) leads with it, and every write of a
    # domain would maintain both.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="domains", db_index=False
    )
    name = models.CharField(max_length=253, help_text="A-label form, lower case, no final dot.")
    display_name = models.CharField(max_length=1024, help_text="U-label form, for display.")
    is_initial = models.BooleanField(default=False)
    is_self_service = models.BooleanField(default=False)
    verification_token = models.CharField(max_length=64, default=new_verification_token)
    verified_at = models.DateTimeField(null=True, blank=True)
    dnssec_state = models.CharField(
        max_length=16, choices=DnssecState.choices, default=DnssecState.DISABLED
    )
    dane_state = models.CharField(
        max_length=16, choices=DaneState.choices, default=DaneState.DISABLED
    )
    dnssec_state_since = models.DateTimeField(
        null=True, blank=True, help_text="When dnssec_state last moved (stuck pending_mx)."
    )
    partition = models.ForeignKey(
        Partition, on_delete=models.PROTECT, null=True, blank=True, related_name="domains"
    )
    mx_token = models.CharField(
        max_length=63,
        null=True,
        blank=True,
        unique=True,
        help_text="Label of the MX host inside its partition; allocated once, never recomputed.",
    )
    last_error = models.TextField(blank=True, default="")
    next_check_at = models.DateTimeField(
        null=True, blank=True, help_text="When the status checks run next (pending_mx, enabled)."
    )
    check_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker last started a chunk of scheduled checks with this domain "
        "(domains.checks: a chunk claimed before then leaves the domain to that worker).",
    )
    checks_unchanged = models.PositiveSmallIntegerField(
        default=0, help_text="Scheduled check runs in a row whose findings did not change."
    )
    check_fingerprint = models.CharField(
        max_length=32, blank=True, default="", help_text="Digest of the last run's findings."
    )
    migration_step = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The step of SPEC §4 the domain is at (domains.migration; null: unverified, "
        "initial or self-service), kept by the service layer for the domains table.",
    )
    # NULL: never checked; "": the last run had no findings. Kept with the fingerprint (same
    # findings, same codes), so the fleet overview counts codes without reading any run.
    last_check_codes = models.CharField(  # noqa: DJ001 - NULL means "never checked"
        max_length=200,
        null=True,
        blank=True,
        help_text="Codes of the last run's findings, space-separated, in document order.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        indexes = [
            models.Index(fields=("tenant", "migration_step"), name="domain_tenant_step"),
            models.Index(
                fields=("next_check_at",),
                condition=Q(dnssec_state__in=DNSSEC_CHECKED_STATES),
                name="domain_check_due",
            ),
            # The fleet overview and /metrics group every verified domain by these columns:
            # an index-only scan instead of reading the table.
            models.Index(
                fields=("dnssec_state", "dane_state", "last_check_codes", "migration_step"),
                condition=Q(verified_at__isnull=False),
                name="domain_fleet_states",
            ),
            models.Index(
                fields=("dnssec_state_since",),
                condition=Q(dnssec_state=DnssecState.PENDING_MX),
                name="domain_pending_mx_since",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=("tenant", "name"), name="domain_unique_per_tenant"),
            models.UniqueConstraint(
                fields=("name",),
                condition=Q(verified_at__isnull=False),
                name="domain_verified_once",
            ),
            models.CheckConstraint(condition=Q(name=Lower("name")), name="domain_name_lower"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        """True once the ownership TXT record was seen (initial domains are born verified)."""
        return self.verified_at is not None

    @property
    def dnssec_mx_value(self) -> str | None:
        """``<token>.<partition zone>``: the MX host the customer points their MX at."""
        if self.partition is None or self.mx_token is None:
            return None
        return f"{self.mx_token}.{self.partition.zone}"

    @property
    def verification_record(self) -> str:
        """The exact TXT value the tenant publishes at the domain to prove ownership."""
        return f"{VERIFICATION_RECORD_PREFIX}{self.verification_token}"


class CheckRun(models.Model):
    """One run of the status checks of a domain (Get-DnssecStatusForVerifiedDomain): every
    finding, as ``StatusResult.to_dict()``, and its timings. Rows are never updated or deleted
    by the application (they go with their domain)."""

    class Trigger(models.TextChoices):
        """What started the run."""

        SCHEDULE = "schedule", "Scheduled sweep"
        REFRESH = "refresh", "Asked for (?refresh=true, first request, management command)"
        BATCH = "batch", "A check batch (POST /api/v1/check-batches/)"

    domain = models.ForeignKey(AcceptedDomain, on_delete=models.CASCADE, related_name="check_runs")
    # The id the API shows: opaque, so a tenant cannot read the service-wide check rate from it.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration = models.DurationField()
    dns_queries = models.PositiveIntegerField(default=0)
    overall_status = models.CharField(
        max_length=16, help_text="The worst section status: Failed, Warning or Passed."
    )
    result = models.JSONField()
    mx_ttl = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The MX TTL the domain's own name servers gave (seconds; null: not asked). "
        "The wizard's step 1 reads when it was first seen lowered from these.",
    )

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [models.Index(fields=("domain", "-started_at"), name="checkrun_domain_latest")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%dT%H:%M:%S} {self.domain_id} {self.overall_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: a check run is never changed once written."""
        if self.pk is not None:
            raise ValueError("Check runs are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refuse: check runs go only with their domain."""
        raise ValueError("Check runs are append-only.")


class Operation(models.Model):
    """One command on a domain: its durable record, idempotency record and outbox.

    Created in the request's transaction; a worker carries it out. ``next_attempt_at`` is when
    a worker should (re)try it, so an operation whose message was lost, or whose worker died,
    is picked up again by the periodic sweep.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="operations")
    domain = models.ForeignKey(
        AcceptedDomain, on_delete=models.SET_NULL, null=True, related_name="operations"
    )
    domain_name = models.CharField(max_length=253)
    kind = models.CharField(max_length=40, choices=OperationKind.choices)
    feature = models.CharField(max_length=32, choices=Feature.choices)
    state = models.CharField(
        max_length=16, choices=OperationState.choices, default=OperationState.PENDING
    )
    steps = models.JSONField(default=list, blank=True, help_text="Steps done, in order.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no key (unique when set)
    actor = models.CharField(max_length=200)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_detail = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("domain", "feature"),
                condition=Q(state__in=IN_FLIGHT_STATES),
                name="one_in_flight_operation_per_domain_feature",
            ),
            models.UniqueConstraint(
                fields=("tenant", "idempotency_key"),
                condition=Q(idempotency_key__isnull=False),
                name="operation_idempotency_key_per_tenant",
            ),
        ]
        indexes = [
            # The claim query looks only at operations in flight, however long the history.
            models.Index(
                fields=("next_attempt_at",),
                condition=Q(state__in=IN_FLIGHT_STATES),
                name="operation_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.domain_name} ({self.state})"

    @property
    def is_finished(self) -> bool:
        """True once the operation succeeded or failed for good."""
        return self.state in (OperationState.SUCCEEDED, OperationState.FAILED)


class CheckRunDaily(models.Model):
    """A maintained rollup of the check runs of one UTC day: how many ended with each overall
    status (``kind="outcome"``) and how many carried each finding code (``kind="code"``).
    Added to in the transaction that stores the runs, so the fleet charts read 30 rows per
    series instead of scanning the runs."""

    class Kind(models.TextChoices):
        """What ``key`` is."""

        OUTCOME = "outcome", "Overall status"
        CODE = "code", "Finding code"

    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=32)
    count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ("day", "kind", "key")
        constraints = [
            models.UniqueConstraint(fields=("day", "kind", "key"), name="checkrun_daily_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.key}: {self.count}"


class ActivityHourly(models.Model):
    """A maintained rollup of events per UTC hour: operations requested, succeeded and failed
    (``key``: the command, and for failures its error code after a space) and outbound
    validations (``key``: the verdict). Added to after each commit, so the fleet overview reads
    a few hundred rows instead of counting the operations of a day."""

    class Event(models.TextChoices):
        """What was counted."""

        REQUESTED = "operation.requested", "Operation requested"
        SUCCEEDED = "operation.succeeded", "Operation succeeded"
        FAILED = "operation.failed", "Operation failed"
        VALIDATION = "validation", "Outbound validation"

    hour = models.DateTimeField()
    event = models.CharField(max_length=32, choices=Event.choices)
    key = models.CharField(max_length=120)
    count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ("hour", "event", "key")
        constraints = [
            models.UniqueConstraint(fields=("hour", "event", "key"), name="activity_hourly_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%dT%H} {self.event} {self.key}: {self.count}"


class AuditEvent(models.Model):
    """One state change: who did what to which object, written in the change's transaction.

    Rows are never updated or deleted by the application.
    """

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No index of its own: the index (tenant, -occurred_at) leads with it.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=253)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-occurred_at", "-id")
        indexes = [
            models.Index(fields=("tenant", "-occurred_at")),
            # One object's history (an operation's attempts, a partition's drift repairs).
            models.Index(
                fields=("target_type", "target_id", "-occurred_at"), name="audit_target_latest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%dT%H:%M:%S} {self.actor} {self.action} {self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an audit event is never changed once written."""
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refuse: an audit event is never deleted by the application."""
        raise ValueError("Audit events are append-only.")


class DaneValidation(models.Model):
    """One outbound DANE validation of a destination domain (RFC 7672) and its full trace.

    ``result`` is the analyzer's report (verdict, codes, hosts, sessions, every step with its
    timing). ``tenant`` is the tenant that asked through the API; empty for ``manage.py
    test_dane`` run without ``--tenant``. The id is a UUID so that ids say nothing about how
    many validations other tenants run.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dane_validations",
    )
    domain = models.CharField(max_length=253, help_text="The destination, A-label form.")
    port = models.PositiveIntegerField(default=25)
    verdict = models.CharField(max_length=32, choices=[(v.value, v.value) for v in Verdict])
    disposition = models.CharField(max_length=16, choices=[(d.value, d.value) for d in Disposition])
    status_code = models.CharField(
        max_length=16, blank=True, help_text="4.x.x / 5.x.x; empty when mail is delivered."
    )
    result = models.JSONField(help_text="The report: verdict, hosts, sessions and every step.")
    requested_by = models.CharField(max_length=200, help_text="api-key:<prefix>, user:<name>, cli.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()

    class Meta:
        db_table = "dnsops_danevalidation"  # created by dnsops' migration 0004; no data moved
        ordering = ("-started_at",)
        indexes = [models.Index(fields=("tenant", "-started_at"), name="dane_validation_recent")]

    def __str__(self) -> str:
        return f"{self.domain}: {self.verdict}"


class CheckBatch(models.Model):
    """Status checks of many of a tenant's domains asked for at once (``POST
    /api/v1/check-batches/``); each domain is a :class:`CheckBatchItem`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="check_batches")
    requested_by = models.CharField(max_length=200, help_text="api-key:<prefix>, user:<name>.")
    total = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When its chain of chunk tasks was started or last ran a chunk: an unfinished batch that
    # has not moved for a while lost its chain, and a sweep starts it again (check_batches).
    progressed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(
                fields=("progressed_at",),
                condition=Q(finished_at__isnull=True),
                name="check_batch_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"check batch {self.id} ({self.total} domains)"


class CheckBatchItem(models.Model):
    """One domain of a check batch and how its check ended."""

    class Outcome(models.TextChoices):
        """``pending`` until a worker checked it (``checked``), could not (``failed``), or it
        cannot be checked (``skipped``: unverified, unsupported or deleted meanwhile)."""

        PENDING = "pending", "Waiting for a worker"
        CHECKED = "checked", "Checked"
        FAILED = "failed", "The check did not finish"
        SKIPPED = "skipped", "Not checkable"

    batch = models.ForeignKey(CheckBatch, on_delete=models.CASCADE, related_name="items")
    domain = models.ForeignKey(
        AcceptedDomain, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    domain_name = models.CharField(max_length=253)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    overall_status = models.CharField(max_length=16, blank=True, default="")
    check_run_id = models.UUIDField(null=True, blank=True, help_text="The run's public id.")
    code = models.CharField(max_length=64, blank=True, default="", help_text="Why skipped.")
    detail = models.CharField(max_length=500, blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("domain_name",)
        constraints = [
            models.UniqueConstraint(fields=("batch", "domain_name"), name="check_batch_item_once")
        ]
        indexes = [models.Index(fields=("batch", "outcome"), name="check_batch_item_progress")]

    def __str__(self) -> str:
        return f"{self.domain_name}: {self.outcome}"


# The TLS-RPT models live in their subpackage; importing them here registers them in this app.
# The notification models live in their subpackage; importing them here registers them too.
from domains.notifications.models import (  # noqa: E402, F401
    DeliveryAttempt,
    DigestSubscription,
    Event,
    Webhook,
    WebhookDelivery,
)
from domains.tlsrpt.models import (  # noqa: E402, F401
    TlsFailureDetail,
    TlsReport,
    TlsReportPolicy,
    TlsRptDaily,
    TlsRptEndpoint,
    TlsRptOrganizationDaily,
    TlsRptRefusal,
)
