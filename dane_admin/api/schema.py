"""OpenAPI description of how callers authenticate (drf-spectacular extensions).

Imported by ``domains.apps`` so the extensions register before a schema is generated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TenantApiKeyScheme(OpenApiAuthenticationExtension):
    """``Authorization: Api-Key <key>``."""

    target_class = "domains.authentication.TenantApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """An API key in the Authorization header, with its scheme word."""
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'The header\'s value is "Api-Key <key>" (createapikey prints the key).',
        }


class TenantSessionScheme(OpenApiAuthenticationExtension):
    """A tenant member's session cookie (with CSRF on unsafe methods)."""

    target_class = "domains.authentication.TenantSessionAuthentication"
    name = "Session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """Django's session cookie."""
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
