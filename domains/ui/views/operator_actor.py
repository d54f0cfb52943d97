"""Who an operator's action is recorded as (audit events, operations)."""

from __future__ import annotations

from django.http import HttpRequest

from domains.audit import Actor


def operator_actor(request: HttpRequest) -> Actor:
    """``operator:<user name>`` of the signed-in operator."""
    return Actor(f"operator:{request.user.get_username()}")
