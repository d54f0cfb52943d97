"""IDN look-alikes (UTS #39): accepted, flagged in the API and the admin, A-label beside."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from domains.models import Tenant
from domains.names import lookalike_warning

pytestmark = pytest.mark.django_db

MIXED = "p\u0430ypal.com"  # Cyrillic a (U+0430) among Latin letters
WHOLE_SCRIPT = "\u0455\u0441\u043e\u0440\u0435.com"  # "scope", every letter Cyrillic


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        (MIXED, "mixed-script"),
        (WHOLE_SCRIPT, "whole-script-confusable"),
        ("bücher.example", None),
        ("example.com", None),
        (
            "\u043f\u0440\u0438\u043c\u0435\u0440.example",
            None,
        ),  # "primer": Cyrillic, not Latin-like
        ("\u6771\u4eac\u30bf\u30ef\u30fc.example", None),  # Han + Katakana: Japanese
        ("a-1.example", None),
    ],
)
def test_lookalike_warning(name: str, warning: str | None) -> None:
    assert lookalike_warning(name) == warning


@pytest.mark.parametrize(("name", "warning"), [(MIXED, "mixed-script"), ("bücher.example", None)])
def test_lookalikes_are_accepted_and_flagged_with_their_a_label(
    api: APIClient, name: str, warning: str | None
) -> None:
    response = api.post("/api/v1/domains/", {"name": name}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["lookalike"] == warning
    assert body["name"].startswith("xn--")  # the A-label, beside display_name
    assert body["display_name"] == name
    listed = api.get(f"/api/v1/domains/{body['name']}/").json()
    assert listed["lookalike"] == warning


def test_the_admin_shows_the_warning_beside_the_a_label(api: APIClient, tenant: Tenant) -> None:
    alabel = api.post("/api/v1/domains/", {"name": MIXED}, format="json").json()["name"]
    operator = Client()
    operator.force_login(User.objects.create_superuser("op", "op@provider.test", "x-password-1"))
    page = operator.get("/admin/domains/accepteddomain/").content.decode()
    assert alabel in page
    assert "mixed-script" in page
