"""Step 1 of the migration on the real stack: the MX TTL the domain's own name servers give
(asked directly, RD off, through the DNS client; the guard against non-public addresses
holds), recorded by each check run, and the wizard telling the admin to wait until the old
TTL has passed, then to go on."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.dns import resolver
from domains import checks, services
from domains.audit import Actor
from domains.models import AcceptedDomain, CheckRun, Tenant
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.dns, pytest.mark.django_db]


@pytest.fixture
def verified_domain(tenant: Tenant, dnsnet: DnsTestNetwork, customer_domain: str) -> AcceptedDomain:
    domain = services.add_domain(tenant, customer_domain, actor=Actor.cli())
    dnsnet.publish_txt(customer_domain, domain.verification_record)
    dnsnet.wait_until_resolved(customer_domain, "TXT", [f'"{domain.verification_record}"'])
    return services.verify_domain(domain, actor=Actor.cli()).domain


@pytest.fixture
def name_servers_on_loopback(settings: SettingsWrapper, dnsnet: DnsTestNetwork) -> None:
    """The test network's name server (ns.test) is Knot on loopback, on its own port."""
    settings.DANE_AUTHORITATIVE_PORT = dnsnet.authoritative[1]
    settings.DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES = True


def test_name_servers_on_non_public_addresses_are_not_asked(
    settings: SettingsWrapper, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    dnsnet.update(("replace", customer_domain, "MX", 3600, "10 mx.legacy.example."))
    settings.DANE_AUTHORITATIVE_PORT = dnsnet.authoritative[1]
    settings.DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES = False

    guarded = resolver.ttl_at_name_servers(customer_domain, "MX")
    assert (guarded.ttl, guarded.servers, guarded.not_asked) == (None, (), ("127.0.0.1",))

    settings.DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES = True
    asked = resolver.ttl_at_name_servers(customer_domain, "MX")
    assert asked.ttl == 3600
    assert [(s.host, s.address) for s in asked.servers] == [("ns.test", "127.0.0.1")]


def test_wizard_step_1_waits_out_the_old_mx_ttl(
    tenant: Tenant,
    dnsnet: DnsTestNetwork,
    verified_domain: AcceptedDomain,
    name_servers_on_loopback: None,
) -> None:
    name = verified_domain.name
    membership, _ = services.provision_member(tenant, "alice", role="admin", actor=Actor.cli())
    client = Client()
    client.force_login(membership.user)
    page_url = f"/t/{tenant.slug}/domains/{name}/"

    def recheck_and_read() -> str:
        assert client.post(f"{page_url}recheck/").status_code == 302
        return client.get(page_url).content.decode()

    assert verified_domain.migration_step == 1  # stored when it was verified
    assert "not read yet" in client.get(page_url).content.decode()

    dnsnet.update(("replace", name, "MX", 3600, "10 mx.legacy.example."))
    page = recheck_and_read()
    assert "MX migration: step 1 of 9" in page
    assert "3600 s (read" in page
    assert "Lower it to 300 s or less" in page

    dnsnet.update(("replace", name, "MX", 300, "10 mx.legacy.example."))
    page = recheck_and_read()
    lowered_run = CheckRun.objects.filter(domain=verified_domain).order_by("-started_at").first()
    assert lowered_run is not None
    assert lowered_run.mx_ttl == 300
    assert "lowered to 300 s at" in page
    assert "wait until" in page
    assert "when the old TTL of 3600 s has passed" in page
    assert "you can go on" not in page

    report = client.get(f"/t/{tenant.slug}/domains/{name}/status/").content.decode()
    assert "MX TTL at the domain's name servers" in report
    assert "<dd data-mx-ttl>300 s</dd>" in report

    # An hour and more later (the runs moved back instead of the test waiting an hour):
    CheckRun.objects.filter(domain=verified_domain).update(
        started_at=F("started_at") - timedelta(hours=2)
    )
    page = client.get(page_url).content.decode()
    assert "the old TTL of 3600 s has passed at" in page
    assert "you can go on" in page


def test_a_refresh_asks_the_name_servers_beside_the_checks_not_after_them(
    settings: SettingsWrapper, dnsnet: DnsTestNetwork, verified_domain: AcceptedDomain
) -> None:
    """Name servers that never answer cost a refresh the slower of its checks and the TTL
    lookup, not their sum: here the checks themselves wait as long, for an MTA-STS policy host
    that never answers either."""
    wait = 2.0
    name = verified_domain.name
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent_name_server,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent_policy_host,
    ):
        silent_name_server.bind(("127.0.0.1", 0))  # reads queries, never replies
        silent_policy_host.bind(("127.0.0.1", 0))
        silent_policy_host.listen()  # the kernel completes the handshake; nothing is sent
        settings.DANE_AUTHORITATIVE_PORT = silent_name_server.getsockname()[1]
        settings.DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES = True
        settings.DANE_DNS_TIMEOUT = wait
        settings.DANE_MTA_STS_PORT = silent_policy_host.getsockname()[1]
        settings.DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES = True
        settings.DANE_MTA_STS_TIMEOUT = wait
        txt = '"v=STSv1; id=20250101;"'
        dnsnet.update(
            ("replace", name, "MX", 3600, "10 mx.legacy.example."),
            ("replace", f"_mta-sts.{name}", "TXT", 60, txt),
            ("replace", f"mta-sts.{name}", "A", 60, "127.0.0.1"),
        )
        dnsnet.wait_until_resolved(f"_mta-sts.{name}", "TXT", [txt])

        started = time.monotonic()
        run = checks.run_checks_now(verified_domain)
        elapsed = time.monotonic() - started

    assert run.mx_ttl is None  # no name server answered
    check = run.duration.total_seconds()
    assert check >= 0.9 * wait  # the checks waited for the policy host
    assert elapsed < check + wait / 2, (elapsed, check)  # the TTL lookup's wait overlapped
