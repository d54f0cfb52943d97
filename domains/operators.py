"""Who the provider's operators are: staff users holding the ``domains.operate_fleet``
permission. They see the operator pages (``/operator/…``) and the operator API across all
tenants; tenant members, and staff without the permission, get 403 there."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import Permission, User
from django.db import transaction

from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction
from domains.errors import InvalidRequest

OPERATOR_PERMISSION = "domains.operate_fleet"


def is_operator(user: Any) -> bool:
    """True for an active staff user with the operator permission (superusers have it)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(OPERATOR_PERMISSION)
    )


def provision_operator(username: str, *, actor: Actor) -> tuple[User, str]:
    """Create (or find) the user ``username``, make it an operator (staff, with the operator
    permission) and give it a new generated password, returned once; audited."""
    if not username or len(username) > 150:
        raise InvalidRequest("A user name has 1 to 150 characters.")
    password = secrets.token_urlsafe(18)
    app_label, codename = OPERATOR_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.set_password(password)
        user.save(update_fields=["is_staff", "password"])
        user.user_permissions.add(permission)
        record_audit_event(
            AuditAction.OPERATOR_PROVISIONED,
            actor=actor,
            tenant=None,
            target_type="user",
            target_id=username,
        )
    return user, password
