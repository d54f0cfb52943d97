"""The status check's TLS-RPT finding names the exact TXT record the domain's JSON gives
(with the domain's own report URI) and sees it once it is published."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from domains.models import Tenant
from tests.checks_io.support import add_verified_domain, status
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def verified_zone(tenant: Tenant, dnsnet: DnsTestNetwork) -> str:
    zone = f"c{uuid.uuid4().hex[:12]}.{dnsnet.top_zone}"
    dnsnet.create_customer_zone(zone)
    add_verified_domain(tenant, zone)
    return zone


def test_finding_says_which_txt_to_publish(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork
) -> None:
    zone = verified_zone(tenant, dnsnet)
    record = api.get(f"/api/v1/domains/{zone}/").json()["tlsrpt_record"]
    assert record.startswith("v=TLSRPTv1; rua=https://")
    tlsrpt = status(api, zone)["TlsRpt"]
    assert tlsrpt["Published"] is False
    [finding] = tlsrpt["Findings"]
    assert finding["code"] == "ET001"
    assert finding["action"] == f'Publish a TXT record at _smtp._tls.{zone}: "{record}".'


def test_the_published_record_passes(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork
) -> None:
    zone = verified_zone(tenant, dnsnet)
    record = api.get(f"/api/v1/domains/{zone}/").json()["tlsrpt_record"]
    dnsnet.update(("replace", f"_smtp._tls.{zone}", "TXT", 1, f'"{record}"'), zone=zone)
    assert status(api, zone)["TlsRpt"] == {
        "Published": True,
        "Valid": True,
        "Rua": [record.removeprefix("v=TLSRPTv1; rua=")],
        "Findings": [],
    }
