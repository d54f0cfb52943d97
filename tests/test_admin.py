"""The Django admin: operators see everything, and change nothing behind the service layer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, AuditEvent, Membership, Tenant, TenantAPIKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client: Client) -> Client:
    """A logged-in superuser."""
    user = User.objects.create_superuser("operator", "operator@provider.test", "x-password-1")
    client.force_login(user)
    return client


def test_domains_and_tenants_cannot_be_deleted_from_the_admin(
    operator: Client, tenant: Tenant
) -> None:
    domain = services.add_domain(tenant, "contoso.example", actor=Actor.cli())
    assert operator.get("/admin/domains/accepteddomain/").status_code == 200
    page = operator.get(f"/admin/domains/accepteddomain/{domain.pk}/change/")
    assert page.status_code == 200  # shown, read-only
    assert domain.verification_token not in page.content.decode()

    response = operator.post(f"/admin/domains/accepteddomain/{domain.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = operator.post(f"/admin/domains/tenant/{tenant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AcceptedDomain.objects.filter(pk=domain.pk).exists()
    assert Tenant.objects.filter(pk=tenant.pk).exists()


def test_revoking_keys_in_the_admin_goes_through_the_service_layer(
    operator: Client, tenant: Tenant
) -> None:
    api_key, raw_key = services.create_api_key(tenant, name="ci", actor=Actor.cli())
    changelist = operator.get("/admin/domains/tenantapikey/").content.decode()
    assert api_key.prefix in changelist
    assert raw_key not in changelist

    operator.post(
        "/admin/domains/tenantapikey/", {"action": "revoke", "_selected_action": [api_key.pk]}
    )

    assert TenantAPIKey.objects.get(pk=api_key.pk).revoked
    event = AuditEvent.objects.get(action="api_key.revoked", target_id=api_key.prefix)
    assert event.actor == "user:operator"


def test_adding_a_member_in_the_admin_is_audited(operator: Client, tenant: Tenant) -> None:
    user = User.objects.create_user("alice")
    response = operator.post(
        "/admin/domains/membership/add/", {"tenant": tenant.pk, "user": user.pk}
    )
    assert response.status_code == 302, response.content
    assert Membership.objects.filter(tenant=tenant, user=user).exists()
    event = AuditEvent.objects.get(action="tenant.member_added", target_id="alice")
    assert event.actor == "user:operator"


def test_staff_status_alone_neither_adds_members_nor_revokes_keys(
    client: Client, tenant: Tenant
) -> None:
    staff = User.objects.create_user("support", password="x-password-1", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_membership", "view_tenantapikey"])
    )
    client.force_login(staff)
    api_key, _ = services.create_api_key(tenant, name="ci", actor=Actor.cli())

    response = client.post(
        "/admin/domains/membership/add/", {"tenant": tenant.pk, "user": staff.pk}
    )
    assert response.status_code == 403
    client.post(
        "/admin/domains/tenantapikey/", {"action": "revoke", "_selected_action": [api_key.pk]}
    )

    assert not Membership.objects.filter(user=staff).exists()
    assert not TenantAPIKey.objects.get(pk=api_key.pk).revoked


def test_removing_a_member_in_the_admin_is_audited(operator: Client, tenant: Tenant) -> None:
    user = User.objects.create_user("bob")
    membership = services.add_member(tenant, user, actor=Actor.cli())

    operator.post(
        "/admin/domains/membership/", {"action": "remove", "_selected_action": [membership.pk]}
    )

    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(action="tenant.member_removed", target_id="bob")
    assert (event.actor, event.tenant) == ("user:operator", tenant)
