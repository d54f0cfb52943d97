"""Rate limits of the UI's buttons that do network work now (status re-check, inbound probe,
outbound DANE test): the API's per-tenant allowance (``dane_admin.api.throttling``), counted in
the same cache entries, so a tenant's pages, keys and members share one budget per scope."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from domains.models import Tenant


class TenantWorkAllowance(SimpleRateThrottle):
    """The rate of ``scope`` (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``) for one tenant."""

    def __init__(self, scope: str, tenant: Tenant) -> None:
        """Read the scope's rate."""
        self.scope = scope
        self.tenant = tenant
        super().__init__()

    def get_cache_key(self, request: Any, view: Any) -> str:
        """The API throttle's key: the scope and the tenant."""
        return self.cache_format % {"scope": self.scope, "ident": self.tenant.pk}


def seconds_to_wait(request: HttpRequest, scope: str, tenant: Tenant) -> int | None:
    """Count one use of ``scope`` by ``tenant``: None when allowed, else the whole seconds
    until the next use is allowed (nothing is counted then)."""
    allowance = TenantWorkAllowance(scope, tenant)
    if allowance.allow_request(cast(Request, request), cast(APIView, None)):
        return None
    return max(1, round(allowance.wait() or 1))
