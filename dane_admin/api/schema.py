"""OpenAPI: how callers authenticate (drf-spectacular extensions, imported by ``domains.apps``
so they register before a schema is generated) and the schema class that documents the error
answers every operation shares."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

Direction = Any  # drf-spectacular's "request" | "response"


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


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers every operation can give documented
    on each (in the API's error shape): 400 for a malformed request (a NUL byte in the URL is
    refused before any view), 401 without a valid key, 406 for an Accept the API
    cannot serve, 404 where the path names an object, 400/413/415 where a body is read, 429
    where the view rate-limits the action."""

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        """The view's documented answers plus the shared error answers it does not list."""
        from domains.api.serializers import ErrorSerializer

        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code, description in self.shared_error_answers().items():
            if code not in bodies:
                answer = OpenApiResponse(ErrorSerializer, description)
                bodies[code] = self._get_response_for_code(answer, code, None, direction)
        return bodies

    def shared_error_answers(self) -> dict[str, str]:
        """Status code -> description of the errors this operation shares with others."""
        answers = {
            "400": "A malformed request, e.g. a NUL byte in the URL (InvalidRequest).",
            "401": "No valid API key or session (not_authenticated / authentication_failed).",
            "406": "Accept names no media type the API serves (not_acceptable).",
        }
        if "{" in self.path:
            answers["404"] = "Not one of your tenant's objects, or not an id of this route."
        if self.method in ("POST", "PUT", "PATCH"):
            answers["400"] = "A malformed body, header or URL (InvalidRequest)."
            answers["413"] = "The body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (RequestTooLarge)."
            answers["415"] = "The body is not application/json in UTF-8 (unsupported_media_type)."
        action = getattr(self.view, "action", None)
        if action in getattr(self.view, "throttled_actions", ()):
            answers["429"] = "The tenant's rate for this request is used up; see Retry-After."
        return answers
