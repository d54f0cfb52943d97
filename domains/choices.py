"""Enumerations of the domains app: audit actions, domain states, operations, error codes."""

from django.db import models


class AuditAction(models.TextChoices):
    """What an audit event records; one value per kind of state change."""

    TENANT_CREATED = "tenant.created", "Tenant created"
    MEMBER_ADDED = "tenant.member_added", "Member added"
    MEMBER_REMOVED = "tenant.member_removed", "Member removed"
    MEMBER_ROLE_CHANGED = "tenant.member_role_changed", "Member's role changed"
    MEMBER_PASSWORD_SET = "user.password_set", "Member's password set by an operator"
    OPERATOR_PROVISIONED = "user.operator_provisioned", "Operator account created or reset"
    API_KEY_CREATED = "api_key.created", "API key created"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
    DOMAIN_ADDED = "domain.added", "Domain added"
    DOMAIN_VERIFIED = "domain.verified", "Domain ownership verified"
    DOMAIN_DELETED = "domain.deleted", "Domain deleted"
    OPERATION_REQUESTED = "operation.requested", "Command requested"
    OPERATION_SUCCEEDED = "operation.succeeded", "Command succeeded"
    OPERATION_FAILED = "operation.failed", "Command failed"
    OPERATION_RETRY = "operation.retry_scheduled", "Command will be retried"
    DNSSEC_STATE_CHANGED = "domain.dnssec_state", "DNSSEC state changed"
    DANE_STATE_CHANGED = "domain.dane_state", "SMTP DANE inbound state changed"
    INBOUND_KEY_CHANGED = "inbound_key.changed", "Inbound key registered or changed"
    INBOUND_KEY_PROMOTED = "inbound_key.promoted", "Inbound key promoted to current"
    INBOUND_KEY_PROMOTION_FORCED = (
        "inbound_key.promotion_forced",
        "Inbound key promoted before the TLSA gate (forced)",
    )
    INBOUND_KEY_RETIRED = "inbound_key.retired", "Inbound key retired (TLSA withdrawn)"
    INBOUND_KEY_DELETED = "inbound_key.deleted", "Retired inbound key deleted after the gate"
    TLSA_REPUBLISHED = "partition.tlsa_republished", "TLSA records republished after a key change"
    PARTITION_STATUS_CHANGED = "partition.status", "Partition status changed"
    PARTITION_ADDED = "partition.added", "Partition added"
    PARTITION_PROVISIONED = "partition.provisioned", "Partition zone created, signed, delegated"
    TLSRPT_TOKEN_ROTATED = "domain.tlsrpt_token_rotated", "TLS-RPT report URI rotated"
    TLSRPT_REPORTS_PURGED = "tlsrpt.reports_purged", "TLS-RPT reports past retention deleted"


class MemberRole(models.TextChoices):
    """What a member may do in its tenant: admins change things, viewers only read."""

    ADMIN = "admin", "Admin"
    VIEWER = "viewer", "Viewer"


class DnssecState(models.TextChoices):
    """DNSSEC of a domain's MX host: ``disabled → enabling → pending_mx → enabled``,
    ``disabling → disabled``; ``failed`` keeps the last error and can be retried."""

    DISABLED = "disabled", "Disabled"
    ENABLING = "enabling", "Enabling"
    PENDING_MX = "pending_mx", "Waiting for the customer's MX change"
    ENABLED = "enabled", "Enabled"
    DISABLING = "disabling", "Disabling"
    FAILED = "failed", "Failed"


class DaneState(models.TextChoices):
    """SMTP DANE inbound: ``disabled → enabling → enabled``, ``disabling → disabled``,
    ``failed``."""

    DISABLED = "disabled", "Disabled"
    ENABLING = "enabling", "Enabling"
    ENABLED = "enabled", "Enabled"
    DISABLING = "disabling", "Disabling"
    FAILED = "failed", "Failed"


# DNSSEC states in which the MX host is published (so DANE can be enabled).
DNSSEC_PUBLISHED_STATES = (DnssecState.PENDING_MX, DnssecState.ENABLED)


class Feature(models.TextChoices):
    """What an operation changes; one operation in flight per domain and feature."""

    DNSSEC = "dnssec", "DNSSEC"
    SMTP_DANE_INBOUND = "smtp_dane_inbound", "SMTP DANE inbound"


class OperationKind(models.TextChoices):
    """The commands (named after the provider's cmdlets)."""

    ENABLE_DNSSEC = "Enable-DnssecForVerifiedDomain", "Enable DNSSEC"
    DISABLE_DNSSEC = "Disable-DnssecForVerifiedDomain", "Disable DNSSEC"
    ENABLE_DANE = "Enable-SmtpDaneInbound", "Enable SMTP DANE inbound"
    DISABLE_DANE = "Disable-SmtpDaneInbound", "Disable SMTP DANE inbound"

    @property
    def feature(self) -> Feature:
        """The feature this command changes."""
        if self in (OperationKind.ENABLE_DNSSEC, OperationKind.DISABLE_DNSSEC):
            return Feature.DNSSEC
        return Feature.SMTP_DANE_INBOUND


class OperationState(models.TextChoices):
    """``pending`` (waiting for a worker or a retry) → ``running`` → ``succeeded`` | ``failed``."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


IN_FLIGHT_STATES = (OperationState.PENDING, OperationState.RUNNING)


class ErrorCode(models.TextChoices):
    """The cmdlets' error codes (SPEC §4)."""

    DOMAIN_NOT_FOUND = "DomainNotFound"
    DNSSEC_OPERATION_FAILED = "DnssecOperationFailed"
    DOMAIN_NOT_SUPPORTED = "DomainNotSupported"
    PARTITION_NOT_FOUND = "PartitionNotFound"
