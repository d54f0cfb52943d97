"""Enumerations of the domains app: audit actions, domain states, operations, error codes.

Their labels are translated where they are shown (``gettext_lazy``); the values (what the
API and the database hold) never are.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What an audit event records; one value per kind of state change."""

    TENANT_CREATED = "tenant.created", _("Tenant created")
    MEMBER_ADDED = "tenant.member_added", _("Member added")
    MEMBER_REMOVED = "tenant.member_removed", _("Member removed")
    MEMBER_ROLE_CHANGED = "tenant.member_role_changed", _("Member's role changed")
    MEMBER_PASSWORD_SET = "user.password_set", _("Member's password set by an operator")
    OPERATOR_PROVISIONED = "user.operator_provisioned", _("Operator account created or reset")
    API_KEY_CREATED = "api_key.created", _("API key created")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    DOMAIN_ADDED = "domain.added", _("Domain added")
    DOMAIN_VERIFIED = "domain.verified", _("Domain ownership verified")
    DOMAIN_DELETED = "domain.deleted", _("Domain deleted")
    OPERATION_REQUESTED = "operation.requested", _("Command requested")
    OPERATION_SUCCEEDED = "operation.succeeded", _("Command succeeded")
    OPERATION_FAILED = "operation.failed", _("Command failed")
    OPERATION_RETRY = "operation.retry_scheduled", _("Command will be retried")
    DNSSEC_STATE_CHANGED = "domain.dnssec_state", _("DNSSEC state changed")
    DANE_STATE_CHANGED = "domain.dane_state", _("SMTP DANE inbound state changed")
    INBOUND_KEY_CHANGED = "inbound_key.changed", _("Inbound key registered or changed")
    TLSA_REPUBLISHED = (
        "partition.tlsa_republished",
        _("TLSA records republished after a key change"),
    )
    PARTITION_STATUS_CHANGED = "partition.status", _("Partition status changed")
    PARTITION_ADDED = "partition.added", _("Partition added")
    PARTITION_PROVISIONED = "partition.provisioned", _("Partition zone created, signed, delegated")
    PARTITION_DRIFT_REPAIRED = (
        "partition.drift_repaired",
        _("Partition zone put back in line with the database (drift repaired)"),
    )
    PARTITION_DRIFT_REPAIR_REQUESTED = (
        "partition.drift_repair_requested",
        _("Drift repair of a partition zone requested by an operator"),
    )
    OPERATION_RERUN = "operation.rerun", _("Failed command run again by an operator")
    CHECK_BATCH_REQUESTED = "check_batch.requested", _("Status checks of many domains requested")
    TLSRPT_TOKEN_ROTATED = "domain.tlsrpt_token_rotated", _("TLS-RPT report URI rotated")
    TLSRPT_REPORTS_PURGED = "tlsrpt.reports_purged", _("TLS-RPT reports past retention deleted")
    WEBHOOK_CREATED = "webhook.created", _("Webhook created")
    WEBHOOK_DELETED = "webhook.deleted", _("Webhook deleted")
    WEBHOOK_TEST_SENT = "webhook.test_sent", _("Webhook test event sent")
    WEBHOOK_DELIVERY_FAILED = "webhook.delivery_failed", _("Webhook delivery failed for good")
    DIGEST_PREFERENCE_CHANGED = "member.digest_preference", _("E-mail digest preference changed")
    INBOUND_KEY_PROMOTED = "inbound_key.promoted", _("Inbound key promoted to current")
    INBOUND_KEY_PROMOTION_FORCED = (
        "inbound_key.promotion_forced",
        _("Inbound key promoted before the TLSA gate (forced)"),
    )
    INBOUND_KEY_RETIRED = "inbound_key.retired", _("Inbound key retired (TLSA withdrawn)")
    INBOUND_KEY_DELETED = "inbound_key.deleted", _("Retired inbound key deleted after the gate")


class MemberRole(models.TextChoices):
    """What a member may do in its tenant: admins change things, viewers only read."""

    ADMIN = "admin", _("Admin")
    VIEWER = "viewer", _("Viewer")


class DnssecState(models.TextChoices):
    """DNSSEC of a domain's MX host: ``disabled → enabling → pending_mx → enabled``,
    ``disabling → disabled``; ``failed`` keeps the last error and can be retried."""

    DISABLED = "disabled", _("Disabled")
    ENABLING = "enabling", _("Enabling")
    PENDING_MX = "pending_mx", _("Waiting for the customer's MX change")
    ENABLED = "enabled", _("Enabled")
    DISABLING = "disabling", _("Disabling")
    FAILED = "failed", _("Failed")


class DaneState(models.TextChoices):
    """SMTP DANE inbound: ``disabled → enabling → enabled``, ``disabling → disabled``,
    ``failed``."""

    DISABLED = "disabled", _("Disabled")
    ENABLING = "enabling", _("Enabling")
    ENABLED = "enabled", _("Enabled")
    DISABLING = "disabling", _("Disabling")
    FAILED = "failed", _("Failed")


# DNSSEC states in which the MX host is published (so DANE can be enabled).
DNSSEC_PUBLISHED_STATES = (DnssecState.PENDING_MX, DnssecState.ENABLED)


class Feature(models.TextChoices):
    """What an operation changes; one operation in flight per domain and feature."""

    DNSSEC = "dnssec", _("DNSSEC")
    SMTP_DANE_INBOUND = "smtp_dane_inbound", _("SMTP DANE inbound")


class OperationKind(models.TextChoices):
    """The commands (named after the provider's cmdlets)."""

    ENABLE_DNSSEC = "Enable-DnssecForVerifiedDomain", _("Enable DNSSEC")
    DISABLE_DNSSEC = "Disable-DnssecForVerifiedDomain", _("Disable DNSSEC")
    ENABLE_DANE = "Enable-SmtpDaneInbound", _("Enable SMTP DANE inbound")
    DISABLE_DANE = "Disable-SmtpDaneInbound", _("Disable SMTP DANE inbound")

    @property
    def feature(self) -> Feature:
        """The feature this command changes."""
        if self in (OperationKind.ENABLE_DNSSEC, OperationKind.DISABLE_DNSSEC):
            return Feature.DNSSEC
        return Feature.SMTP_DANE_INBOUND


class OperationState(models.TextChoices):
    """``pending`` (waiting for a worker or a retry) → ``running`` → ``succeeded`` | ``failed``."""

    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


IN_FLIGHT_STATES = (OperationState.PENDING, OperationState.RUNNING)


class ErrorCode(models.TextChoices):
    """The cmdlets' error codes (SPEC §4)."""

    DOMAIN_NOT_FOUND = "DomainNotFound"
    DNSSEC_OPERATION_FAILED = "DnssecOperationFailed"
    DOMAIN_NOT_SUPPORTED = "DomainNotSupported"
    PARTITION_NOT_FOUND = "PartitionNotFound"
