"""Enumerations of the domains app: audit actions."""

from django.db import models


class AuditAction(models.TextChoices):
    """What an audit event records; one value per kind of state change."""

    TENANT_CREATED = "tenant.created", "Tenant created"
    MEMBER_ADDED = "tenant.member_added", "Member added"
    API_KEY_CREATED = "api_key.created", "API key created"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
    DOMAIN_ADDED = "domain.added", "Domain added"
    DOMAIN_VERIFIED = "domain.verified", "Domain ownership verified"
    DOMAIN_DELETED = "domain.deleted", "Domain deleted"
