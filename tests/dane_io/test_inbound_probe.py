"""Get-SmtpDaneInboundStatus ?probe=true: the certificate each of the provider's inbound
servers serves, matched against the TLSA records published for a tenant's MX host.

The provider's inbound addresses are two loopback SMTP servers: one serves the registered
(current) key, the other a certificate nobody registered (a server left behind in a rollover).
"""

from __future__ import annotations

import io
import json
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from dnsops.choices import InboundKeyState
from dnsops.models import Partition
from domains.audit import Actor
from domains.inbound_keys import register_certificate
from domains.models import Tenant
from domains.operations import process_due_operations
from tests.dane_io.servers import (
    Credentials,
    LoopbackServers,
    next_address,
    self_signed,
    silent,
    trust_anchor,
)
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url, make_verified_domain
from tests.unit.dane.pki import Issued

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def dane_enabled_domain(api: APIClient, tenant: Tenant, current_key: Issued) -> str:
    """A verified domain of ``tenant`` with DNSSEC and SMTP DANE inbound on, its TLSA records
    made from ``current_key`` (registered as the provider's current inbound certificate)."""
    pem = current_key.certificate.public_bytes(serialization.Encoding.PEM).decode()
    name = f"inbound-{uuid.uuid4().hex[:6]}"
    register_certificate(pem, name=name, state=InboundKeyState.CURRENT, actor=Actor.cli())
    domain = make_verified_domain(tenant)
    for feature in ("dnssec", "smtp-dane-inbound"):
        api.post(enable_url(domain, feature))
        process_due_operations()
    return domain


def test_probe_matches_the_certificate_each_inbound_server_serves(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    servers: LoopbackServers,
    settings: SettingsWrapper,
) -> None:
    registered, stale = self_signed("mx.provider.test"), self_signed("old.provider.test")
    good_address, stale_address = next_address(), next_address()
    servers.smtp(good_address, Credentials.of([registered.certificate], registered.key))
    servers.smtp(stale_address, Credentials.of([stale.certificate], stale.key))
    settings.DANE_INBOUND_ADDRESSES = [good_address, stale_address]
    settings.DANE_INBOUND_SMTP_PORT = servers.port
    domain = dane_enabled_domain(api, tenant, registered)

    url = f"/api/v1/domains/{domain}/smtp-dane-inbound/"
    unprobed = api.get(url).json()
    assert (unprobed["DnssecValidated"], unprobed["MatchesExpected"]) == (True, True)
    assert (unprobed["ServedCertificateMatches"], unprobed["ServedCertificates"]) == (None, [])

    probed = api.get(url, {"probe": "true"}).json()
    assert probed["Result"] == "Success"
    assert probed["ServedCertificateMatches"] is False  # one server serves an unlisted key
    served = {entry["Address"]: entry for entry in probed["ServedCertificates"]}
    assert served.keys() == {good_address, stale_address}
    assert served[good_address]["Matches"] is True
    assert served[good_address]["MatchedTlsaRecord"] == probed["TlsaRecords"][0]
    assert served[good_address]["MatchedDepth"] == 0  # the server certificate itself
    assert (served[stale_address]["Matches"], served[stale_address]["Verdict"]) == (
        False,
        "tlsa-invalid",
    )
    assert (served[stale_address]["MatchedTlsaRecord"], served[stale_address]["MatchedDepth"]) == (
        None,
        None,
    )

    out = io.StringIO()
    call_command("get_smtp_dane_inbound_status", domain, tenant=tenant.slug, probe=True, stdout=out)
    assert json.loads(out.getvalue())["ServedCertificates"] == probed["ServedCertificates"]


def test_a_malformed_probe_flag_is_a_400(api: APIClient, tenant: Tenant) -> None:
    domain = make_verified_domain(tenant)
    response = api.get(f"/api/v1/domains/{domain}/smtp-dane-inbound/", {"probe": "perhaps"})
    assert response.status_code == 400


def test_an_address_the_probe_did_not_reach_is_not_a_match(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    servers: LoopbackServers,
    settings: SettingsWrapper,
) -> None:
    first, second = next_address(), next_address()
    for address in (first, second):
        servers.raw(address, silent)  # accepts, never greets
    settings.DANE_INBOUND_ADDRESSES = [first, second]
    settings.DANE_INBOUND_SMTP_PORT = servers.port
    settings.DANE_VALIDATION_TIMEOUT = 1.0  # the first silent server uses it all
    registered = self_signed("mx.provider.test")
    domain = dane_enabled_domain(api, tenant, registered)

    probed = api.get(f"/api/v1/domains/{domain}/smtp-dane-inbound/", {"probe": "true"}).json()

    assert probed["ServedCertificateMatches"] is False
    verdicts = sorted(entry["Verdict"] for entry in probed["ServedCertificates"])
    assert len(verdicts) == 2
    assert "not-tried" in verdicts


def test_with_no_inbound_addresses_configured_the_probe_connects_nowhere(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    servers: LoopbackServers,
    settings: SettingsWrapper,
) -> None:
    registered = self_signed("mx.provider.test")
    address = next_address()
    servers.smtp(address, Credentials.of([registered.certificate], registered.key))
    settings.DANE_INBOUND_ADDRESSES = [address]
    settings.DANE_INBOUND_SMTP_PORT = servers.port
    domain = dane_enabled_domain(api, tenant, registered)  # its MX host has the address in DNS
    url = f"/api/v1/domains/{domain}/smtp-dane-inbound/"
    assert api.get(url, {"probe": "true"}).json()["ServedCertificateMatches"] is True

    settings.DANE_INBOUND_ADDRESSES = []
    probed = api.get(url, {"probe": "true"}).json()
    assert probed["Result"] == "Success"
    assert (probed["ServedCertificateMatches"], probed["ServedCertificates"]) == (None, [])
    assert "DANE_INBOUND_ADDRESSES" in probed["ServedCertificateDetail"]
    assert "not configured" in probed["ServedCertificateDetail"]


def test_with_the_resolver_down_the_status_is_a_retryable_503_like_verify(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    settings: SettingsWrapper,
) -> None:
    domain = make_verified_domain(tenant)
    api.post(enable_url(domain, "dnssec"))
    process_due_operations()
    url = f"/api/v1/domains/{domain}/smtp-dane-inbound/"
    assert api.get(url).status_code == 200

    settings.DANE_RESOLVER, settings.DANE_DNS_TIMEOUT = "127.0.0.1:9", 0.5  # nothing listens
    response = api.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "DnsLookupFailed"
    assert f"_25._tcp.{domain.replace('.', '-')}" in response.json()["detail"]
    out = io.StringIO()
    call_command("get_smtp_dane_inbound_status", domain, tenant=tenant.slug, stdout=out)
    assert json.loads(out.getvalue())["ErrorData"]["ErrorCode"] == "DnsLookupFailed"


def test_the_status_reports_the_publisher_checks_of_the_registered_keys(
    api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    registered = self_signed("mx.provider.test")
    domain = dane_enabled_domain(api, tenant, registered)
    url = f"/api/v1/domains/{domain}/smtp-dane-inbound/"
    assert api.get(url).json()["PublisherChecks"] == {"Status": "Passed", "Findings": []}

    stranger = trust_anchor("A CA that issued none of the served certificates")
    pem = stranger.certificate.public_bytes(serialization.Encoding.PEM).decode()
    issuer_key = register_certificate(
        pem, name="stranger-ca", state=InboundKeyState.CURRENT, actor=Actor.cli(), is_issuer=True
    )

    checks = api.get(url).json()["PublisherChecks"]
    assert checks["Status"] == "Failed"
    assert [(finding["code"], finding["severity"]) for finding in checks["Findings"]] == [
        ("ChainNotAuthenticated", "error")
    ]
    assert checks["Findings"][0]["records"] == [issuer_key.tlsa_record]
    out = io.StringIO()
    call_command("get_smtp_dane_inbound_status", domain, tenant=tenant.slug, stdout=out)
    assert json.loads(out.getvalue())["PublisherChecks"] == checks


def test_a_domain_without_smtp_dane_inbound_has_no_publisher_checks(
    api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    domain = make_verified_domain(tenant)
    api.post(enable_url(domain, "dnssec"))
    process_due_operations()

    status = api.get(f"/api/v1/domains/{domain}/smtp-dane-inbound/").json()

    assert (status["SmtpDaneInboundState"], status["PublisherChecks"]) == ("disabled", None)
