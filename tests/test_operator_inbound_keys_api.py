"""The operator API of the inbound key rollover: operators only (a tenant member or an API
key gets 403 / 401), the status document, a refused promotion as a 409 in the API's error
shape (nothing changed), an unknown key a 404, a forced promotion without a reason a 400."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dnsops.choices import InboundKeyState
from dnsops.models import InboundKey, Partition
from domains import services
from domains.audit import Actor
from domains.choices import AuditAction
from domains.models import AuditEvent, Tenant
from tests.dnsnet import DnsTestNetwork
from tests.factories import DomainFactory
from tests.support import make_operator, register_inbound_key

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

URL = "/api/v1/operator/inbound-keys/"


@pytest.fixture
def operator_api() -> APIClient:
    """An API client signed in as an operator (session)."""
    client = APIClient()
    client.force_login(make_operator()[0])
    return client


def test_only_operators_reach_the_rollover_api(api: APIClient, tenant: Tenant) -> None:
    member, _ = services.provision_member(tenant, "admin-x", role="admin", actor=Actor.cli())
    as_member = APIClient()
    as_member.force_login(member.user)
    assert as_member.get(URL).status_code == 403
    assert as_member.post(f"{URL}x/promote/", {}, format="json").status_code == 403
    assert api.get(URL).status_code in (401, 403)  # an API key is no operator session


def test_a_promotion_before_the_gate_is_a_409_and_changes_nothing(
    operator_api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    register_inbound_key("current")
    DomainFactory.create(tenant=tenant, partition=partition, dane_enabled=True, publish=True)
    upcoming = register_inbound_key("next")  # registered, not yet republished

    status = operator_api.get(URL).json()
    (entry,) = [key for key in status["Keys"] if key["Name"] == upcoming.name]
    assert entry["Promotion"]["Allowed"] is False
    assert status["GateSeconds"] > 0

    refused = operator_api.post(f"{URL}{upcoming.name}/promote/", {}, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert (body["code"], body["key"]) == ("RolloverRefused", upcoming.name)
    assert partition.zone in body["detail"]
    assert InboundKey.objects.get(pk=upcoming.pk).state == InboundKeyState.NEXT

    unforced = operator_api.post(f"{URL}{upcoming.name}/promote/", {"force": True}, format="json")
    assert (unforced.status_code, unforced.json()["code"]) == (400, "InvalidRequest")
    assert operator_api.post(f"{URL}nope/retire/").json()["code"] == "InboundKeyNotFound"

    forced = operator_api.post(
        f"{URL}{upcoming.name}/promote/", {"force": True, "reason": "drill"}, format="json"
    )
    assert forced.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.INBOUND_KEY_PROMOTION_FORCED)
    assert event.actor.startswith("user:operator-")
