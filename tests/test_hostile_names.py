"""Every name of the hostile corpus is refused by the API with a reason, and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from domains.models import AcceptedDomain, AuditEvent

CORPUS = json.loads((Path(__file__).parent / "data" / "hostile_domain_names.json").read_text())


@pytest.mark.django_db
def test_every_hostile_name_is_refused_and_nothing_is_stored(api: APIClient) -> None:
    domains_before = AcceptedDomain.objects.count()
    audit_before = AuditEvent.objects.count()
    accepted = []
    for entry in CORPUS:
        body = json.dumps({"name": entry["name"]})  # ASCII escapes: lone surrogates survive
        response = api.generic("POST", "/api/v1/domains/", body, content_type="application/json")
        body = response.json()
        if response.status_code != 400 or not body.get("code") or not body.get("detail"):
            accepted.append((entry["why"], response.status_code, body))
    assert accepted == []
    assert AcceptedDomain.objects.count() == domains_before
    assert AuditEvent.objects.count() == audit_before
