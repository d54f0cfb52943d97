"""API permission: the caller must act for a tenant."""

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from domains.authentication import TenantPrincipal


class IsTenantPrincipal(permissions.BasePermission):
    """Allow only callers authenticated as a tenant principal (API key or member session)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """True when the request carries a tenant principal."""
        return isinstance(request.user, TenantPrincipal)
