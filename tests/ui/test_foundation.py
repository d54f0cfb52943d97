"""The UI's foundation without a browser: the vendored htmx, security headers, CSRF, roles,
``manage.py createmember`` and the demo's sign-in."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.models import AuditEvent, Membership, Tenant

HTMX = Path(settings.BASE_DIR) / "domains" / "static" / "ui" / "vendor" / "htmx"
HTMX_VERSION = "2.0.11"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"

pytestmark = pytest.mark.django_db


def test_vendored_htmx_is_the_pinned_release_with_its_licence() -> None:
    script = (HTMX / "htmx.min.js").read_bytes()
    assert hashlib.sha256(script).hexdigest() == HTMX_SHA256
    assert f'version:"{HTMX_VERSION}"' in script.decode()
    assert "Zero-Clause BSD" in (HTMX / "LICENSE").read_text()
    assert HTMX_SHA256 in (HTMX / "VERSION").read_text()


def test_static_files_are_served_without_debug(client: Client) -> None:
    response = client.get("/static/ui/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == HTMX_SHA256


def test_pages_carry_a_csp_without_inline_scripts(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert b"<script>" not in response.content  # every script has a src


def test_anonymous_root_redirects_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_sign_in_without_csrf_token_is_refused(tenant: Tenant) -> None:
    _membership, password = services.provision_member(
        tenant, "alice", role="admin", actor=Actor.cli()
    )
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_viewer_post_is_403_and_other_tenant_404(tenant: Tenant, other_tenant: Tenant) -> None:
    viewer, _ = services.provision_member(tenant, "vera", role="viewer", actor=Actor.cli())
    client = Client()
    client.force_login(viewer.user)
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    assert client.post(f"/t/{tenant.slug}/").status_code == 403
    assert client.get(f"/t/{other_tenant.slug}/").status_code == 404


def test_createmember_creates_then_updates_and_prints_the_password_last(tenant: Tenant) -> None:
    out = io.StringIO()
    call_command("createmember", tenant.slug, "bob", "--role", "viewer", stdout=out)
    password = out.getvalue().strip().splitlines()[-1]
    user = User.objects.get(username="bob")
    assert user.check_password(password)
    assert Membership.objects.get(user=user, tenant=tenant).role == "viewer"

    out = io.StringIO()
    call_command("createmember", tenant.slug, "bob", "--role", "admin", stdout=out)
    new_password = out.getvalue().strip().splitlines()[-1]
    user.refresh_from_db()
    assert new_password != password
    assert user.check_password(new_password)
    assert Membership.objects.get(user=user, tenant=tenant).role == "admin"
    actions = list(
        AuditEvent.objects.filter(tenant=tenant, target_id="bob")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "user.password_set",
        "tenant.member_added",
        "user.password_set",
        "tenant.member_role_changed",
    ]
    assert password not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_bootstrap_demo_prints_a_demo_admin_that_can_sign_in() -> None:
    out = io.StringIO()
    call_command("bootstrap_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("Sign in at"))
    username, password = line.split(" as ")[1].split(" with the password ")
    user = User.objects.get(username=username)
    assert user.check_password(password)
    membership = Membership.objects.get(user=user, tenant__slug="demo")
    assert membership.role == "admin"
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
