"""Who is calling: an API key (``Authorization: Api-Key <key>``) or a tenant member's session.

Both resolve to a :class:`TenantPrincipal`, from which every view takes its tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from domains.api_keys import VerifiedKey, verified_keys
from domains.audit import Actor
from domains.models import Membership, Tenant

API_KEY_SCHEME = "Api-Key"


@dataclass(frozen=True)
class TenantPrincipal:
    """An authenticated caller acting for exactly one tenant."""

    tenant: Tenant
    actor: Actor
    is_authenticated: bool = True
    #: False for a viewer's session: reads only (an API key acts for its tenant in full).
    can_write: bool = True


class TenantApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Api-Key <key>`` against the hashed tenant API keys (a key
    verified in the last ``DANE_API_KEY_CACHE_SECONDS`` is not looked up again: see
    :mod:`domains.api_keys`); ``request.auth`` is the :class:`VerifiedKey`."""

    def authenticate(self, request: Request) -> tuple[TenantPrincipal, VerifiedKey] | None:
        """Return the key's tenant principal, None when no API key was sent."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != API_KEY_SCHEME.lower():  # auth schemes are case-insensitive
            return None
        raw_key = raw_key.strip()
        if not raw_key or len(raw_key) > 200 or not raw_key.isascii() or not raw_key.isprintable():
            raise exceptions.AuthenticationFailed("Invalid API key.")
        api_key = verified_keys.verify(raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if api_key.is_expired(timezone.now()):
            raise exceptions.AuthenticationFailed("The API key has expired.")
        principal = TenantPrincipal(
            tenant=api_key.tenant(), actor=Actor(f"api-key:{api_key.prefix}")
        )
        return principal, api_key

    def authenticate_header(self, request: Request) -> str:
        """Makes unauthenticated requests answer 401 with a WWW-Authenticate challenge."""
        return API_KEY_SCHEME


SESSION_TENANT_KEY = "ui_tenant"


def session_membership(request: HttpRequest | Request, user: Any) -> Membership | None:
    """The membership a signed-in user acts through: the tenant last chosen in the UI (kept
    in the session), else the user's first tenant; None for a user of no tenant."""
    memberships = Membership.objects.filter(user=user).select_related("tenant")
    chosen = request.session.get(SESSION_TENANT_KEY)
    if chosen:
        membership = memberships.filter(tenant__slug=chosen).first()
        if membership is not None:
            return membership
    return memberships.first()


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """A logged-in Django user who is a member of a tenant (CSRF enforced, as in DRF)."""

    def authenticate(self, request: Request) -> tuple[TenantPrincipal, None] | None:
        """Return the member's tenant principal, None when there is no usable session."""
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        membership = session_membership(request, user)
        if membership is None:
            return None
        principal = TenantPrincipal(
            tenant=membership.tenant,
            actor=Actor(f"user:{user.get_username()}"),
            can_write=membership.can_write,
        )
        return principal, None
