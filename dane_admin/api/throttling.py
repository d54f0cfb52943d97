"""Rate limits, per tenant, on the requests that do network work while the caller waits
(``?refresh=true`` status checks, the inbound probe, outbound DANE validations).

A view names the scope of a request with ``throttle_scope_of(request)`` (None: not limited);
the rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. Counts live in the Django cache
(``CACHE_URL``: per process by default, shared when it points at Redis).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from domains.authentication import TenantPrincipal


class TenantWorkThrottle(SimpleRateThrottle):
    """One rate per scope and tenant, for the requests a view says are expensive."""

    def __init__(self) -> None:
        """The scope and rate are chosen per request (see ``allow_request``)."""
        self.scope: str | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        """Count the request against its scope's rate, if it has one."""
        scope_of = getattr(view, "throttle_scope_of", None)
        self.scope = scope_of(request) if scope_of is not None else None
        if self.scope is None or not isinstance(request.user, TenantPrincipal):
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        """Per tenant: all of a tenant's keys and members share the allowance."""
        assert isinstance(request.user, TenantPrincipal)
        return self.cache_format % {"scope": self.scope, "ident": request.user.tenant.pk}
