"""Fixtures of the status-check tests on the real test network: a fresh customer zone per test,
a domain of that name with DNSSEC enabled through the command layer, and an HTTPS server on
loopback that serves MTA-STS policies with certificates of a test CA."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains.models import AcceptedDomain, Tenant
from domains.operations import process_due_operations
from tests.checks_io.support import PolicyServer, add_verified_domain
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    """The CA the checks trust for MTA-STS policy hosts in these tests."""
    return trustme.CA()


@pytest.fixture(scope="session")
def policy_server_session(test_ca: trustme.CA) -> Iterator[PolicyServer]:
    """One HTTPS server for the session."""
    server = PolicyServer(test_ca)
    yield server
    server.stop()


@pytest.fixture
def policy_server(
    policy_server_session: PolicyServer,
    test_ca: trustme.CA,
    settings: SettingsWrapper,
    tmp_path: Path,
) -> PolicyServer:
    """The HTTPS server, with the checks pointed at its port and trusting the test CA."""
    bundle = tmp_path / "ca.pem"
    test_ca.cert_pem.write_to_path(str(bundle))
    settings.DANE_MTA_STS_PORT = policy_server_session.port
    settings.DANE_MTA_STS_CA_BUNDLE = str(bundle)
    settings.DANE_MTA_STS_TIMEOUT = 5.0
    settings.DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES = True  # the server is on loopback
    return policy_server_session


@pytest.fixture
def new_zone(dnsnet: DnsTestNetwork) -> Callable[..., str]:
    """Create a fresh customer zone ``c<uuid>.test`` of a kind (signed, unsigned, bogus-ds)."""

    def create(kind: str = "signed") -> str:
        zone = f"c{uuid.uuid4().hex[:12]}.{dnsnet.top_zone}"
        dnsnet.create_customer_zone(zone, kind)
        return zone

    return create


@pytest.fixture
def enable_dnssec(api: APIClient, tenant: Tenant, partition: Partition) -> Callable[[str], str]:
    """Add ``name`` as a verified domain, enable DNSSEC through the API and carry out the
    operation in-process; returns the DnssecMxValue (the domain is then pending_mx)."""

    def enable(name: str) -> str:
        add_verified_domain(tenant, name)
        response = api.post(enable_url(name, "dnssec"))
        assert response.status_code == 202, response.content
        process_due_operations()
        domain = AcceptedDomain.objects.select_related("partition").get(name=name)
        assert domain.dnssec_state == "pending_mx", domain.last_error
        assert domain.dnssec_mx_value is not None
        return domain.dnssec_mx_value

    return enable
