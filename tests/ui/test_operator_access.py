"""The operators' area: every URL under ``/operator/`` is refused (403) to tenant members and
to staff without the operator permission, sends anonymous visitors to the sign-in form, and
opens for an operator, whose ``/`` leads there."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, reverse

from domains import services
from domains.audit import Actor
from domains.choices import AuditAction
from domains.models import AuditEvent
from domains.ui.urls import OPERATOR
from tests.support import make_operator

pytestmark = pytest.mark.django_db


def operator_paths() -> list[str]:
    """Every operator URL, with a placeholder in each path parameter (the guard answers
    before the view looks anything up)."""
    paths = []
    for pattern in OPERATOR:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        paths.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", "1", route))
    return paths


def test_every_operator_url_is_refused_to_members_and_plain_staff(client: Client) -> None:
    tenant = services.create_tenant("acme", name="Acme", actor=Actor.cli())
    membership, _ = services.provision_member(tenant, "admin-1", role="admin", actor=Actor.cli())
    paths = operator_paths()
    assert "/operator/" in paths
    for path in paths:
        assert client.get(path).status_code == 302, path  # anonymous: to the sign-in form
    client.force_login(membership.user)
    for path in paths:
        assert client.get(path).status_code == 403, path
        assert client.post(path).status_code == 403, path
    client.force_login(User.objects.create_user("support", is_staff=True))
    for path in paths:
        assert client.get(path).status_code == 403, path


def test_an_operator_starts_on_the_operator_pages(client: Client) -> None:
    operator, _ = make_operator("ops-1")
    client.force_login(operator)
    assert client.get("/").headers["Location"] == reverse("ui:operator")
    page = client.get("/operator/")
    assert page.status_code == 200
    assert b'aria-label="Operators"' in page.content  # the operator navigation
    assert reverse("ui:operator_tlsrpt").encode() in page.content


def test_createoperator_prints_a_password_that_signs_in(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("createoperator", "ops-2")
    password = capsys.readouterr().out.strip().splitlines()[-1]
    client = Client()
    signed_in = client.post(
        reverse("ui:login"), {"username": "ops-2", "password": password, "next": "/"}
    )
    assert signed_in.status_code == 302
    assert client.get("/operator/").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.OPERATOR_PROVISIONED)
    assert (event.target_type, event.target_id, event.tenant) == ("user", "ops-2", None)
