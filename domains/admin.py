"""Django admin for operators: tenants, domains, API keys, and the read-only audit trail."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin

from domains.models import AcceptedDomain, AuditEvent, Membership, Tenant, TenantAPIKey


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    """Tenants are created with the createtenant command (it also makes the initial domain)."""

    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Creation goes through the service layer (manage.py createtenant)."""
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    """Which user acts for which tenant."""

    list_display = ("user", "tenant", "created_at")


@admin.register(TenantAPIKey)
class TenantAPIKeyAdmin(APIKeyModelAdmin):
    """Tenant API keys (hashes only)."""

    list_display = (*APIKeyModelAdmin.list_display, "tenant")  # type: ignore[assignment]


@admin.register(AcceptedDomain)
class AcceptedDomainAdmin(admin.ModelAdmin[AcceptedDomain]):
    """Accepted domains; read-only here, changes go through the service layer."""

    list_display = ("name", "tenant", "is_initial", "is_self_service", "verified_at")
    list_filter = ("is_initial", "is_self_service")
    search_fields = ("name", "tenant__slug")
    readonly_fields = ("verification_token",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """State changes need audit events, which only the service layer writes."""
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Domains are added through the API or UI."""
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit trail, read-only."""

    list_display = ("occurred_at", "tenant", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("target_id", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Append-only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Append-only."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Append-only."""
        return False
