"""Django admin for operators: tenants, domains, members, API keys and the audit trail.

Every change that matters goes through the service layer (which writes its audit event): the
admin shows the rows, adds members and revokes keys through the services, and refuses
anything else, deletes included (deleting an accepted domain here would skip the checks of
``delete_domain`` and leave its records published).
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from domains import services
from domains.audit import Actor
from domains.choices import MemberRole
from domains.models import AcceptedDomain, AuditEvent, Membership, Tenant, TenantAPIKey
from domains.names import lookalike_warning


def admin_actor(request: HttpRequest) -> Actor:
    """The operator using the admin, as the audit trail names them."""
    return Actor(f"user:{request.user.get_username()}")


class ServiceLayerOnlyAdmin(admin.ModelAdmin):
    """Read-only rows: no add, change or delete from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Created through the service layer."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Changes need audit events, which only the service layer writes."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Deletes need the service layer's checks and audit events."""
        return False


@admin.register(Tenant)
class TenantAdmin(ServiceLayerOnlyAdmin):
    """Tenants are created with the createtenant command (it also makes the initial domain)."""

    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")


@admin.register(Membership)
class MembershipAdmin(ServiceLayerOnlyAdmin):
    """Which user acts for which tenant; adding one goes through ``services.add_member``."""

    list_display = ("user", "tenant", "role", "created_at")
    actions = ("remove",)

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        """The role may be left out: a member is an admin of its tenant unless set."""
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["role"].required = False
        return form

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Operators holding the add permission add members here (staff status alone is not
        enough: a member acts for the tenant)."""
        return admin.ModelAdmin.has_add_permission(self, request)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        """Through the service layer, with its audit event."""
        membership = services.add_member(
            obj.tenant, obj.user, actor=admin_actor(request), role=obj.role or MemberRole.ADMIN
        )
        obj.pk = membership.pk

    def has_remove_permission(self, request: HttpRequest) -> bool:
        """Removing members needs the delete permission on memberships."""
        return bool(request.user.has_perm("domains.delete_membership"))

    @admin.action(description="Remove the selected members", permissions=["remove"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        """End each membership through the service layer (audit event included)."""
        memberships = list(queryset.select_related("tenant", "user"))
        for membership in memberships:
            services.remove_member(membership, actor=admin_actor(request))
        self.message_user(request, f"{len(memberships)} member(s) removed.", messages.SUCCESS)


@admin.register(TenantAPIKey)
class TenantAPIKeyAdmin(ServiceLayerOnlyAdmin):
    """Tenant API keys (prefixes and hashes only); keys are made with ``createapikey`` or the
    API and revoked here with the "Revoke" action."""

    list_display = ("prefix", "name", "tenant", "created", "revoked")
    list_filter = ("revoked",)
    search_fields = ("prefix", "name", "tenant__slug")
    exclude = ("hashed_key",)
    actions = ("revoke",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking needs the change permission on keys (viewing them is not enough)."""
        return bool(request.user.has_perm("domains.change_tenantapikey"))

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[TenantAPIKey]) -> None:
        """Revoke each key still active through the service layer (audit event included)."""
        active = list(queryset.filter(revoked=False).select_related("tenant"))
        for api_key in active:
            services.revoke_api_key(api_key, actor=admin_actor(request))
        self.message_user(request, f"{len(active)} key(s) revoked.", messages.SUCCESS)


@admin.register(AcceptedDomain)
class AcceptedDomainAdmin(ServiceLayerOnlyAdmin):
    """Accepted domains; changes go through the API, the UI or the management commands."""

    list_display = (
        "name",
        "display_name",
        "lookalike",
        "tenant",
        "dnssec_state",
        "dane_state",
        "verified_at",
    )
    list_filter = ("dnssec_state", "dane_state", "is_initial", "is_self_service")
    search_fields = ("name", "tenant__slug")
    exclude = ("verification_token",)

    @admin.display(description="look-alike")
    def lookalike(self, domain: AcceptedDomain) -> str:
        """The UTS #39 warning of the Unicode name (shown beside the A-label), or nothing."""
        return lookalike_warning(domain.display_name) or ""


@admin.register(AuditEvent)
class AuditEventAdmin(ServiceLayerOnlyAdmin):
    """The audit trail, append-only."""

    list_display = ("occurred_at", "tenant", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("target_id", "actor")
