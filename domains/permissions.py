"""API permissions: the caller must act for a tenant, or (the operator API) be an operator."""

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from domains.authentication import TenantPrincipal
from domains.operators import is_operator


class IsTenantPrincipal(permissions.BasePermission):
    """Allow only callers authenticated as a tenant principal (API key or member session);
    a viewer's session may read but not write (403)."""

    message = "Viewers cannot change anything."

    def has_permission(self, request: Request, view: Any) -> bool:
        """True when the request carries a tenant principal allowed this method."""
        principal = request.user
        if not isinstance(principal, TenantPrincipal):
            return False
        return request.method in permissions.SAFE_METHODS or principal.can_write


class IsOperator(permissions.BasePermission):
    """Allow only the provider's operators (``domains.operators.is_operator``); the operator
    API authenticates with the Django session (``SessionAuthentication``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """True when the request's user is an operator."""
        return is_operator(request.user)
