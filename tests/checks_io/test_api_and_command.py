"""EG001/EG002 through the API and the management command (the same JSON), and the refresh."""

from __future__ import annotations

import io
import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator

import dns.message
import dns.rcode
import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from domains.models import AcceptedDomain, CheckRun, Tenant
from tests.checks_io.support import add_verified_domain, codes, mx_records, status
from tests.dnsnet import DnsTestNetwork
from tests.support import make_verified_domain

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def test_another_tenants_domain_looks_exactly_like_an_unknown_one(
    api: APIClient, other_tenant: Tenant
) -> None:
    theirs = make_verified_domain(other_tenant)
    unknown = f"u{uuid.uuid4().hex[:8]}.example"
    answers = {}
    for name in (theirs, unknown):
        response = api.get(f"/api/v1/domains/{name}/dnssec/?refresh=true")
        assert response.status_code == 404
        answers[name] = json.dumps(response.json()).replace(name, "NAME")
    assert answers[theirs] == answers[unknown]
    body = api.get(f"/api/v1/domains/{unknown}/dnssec/").json()
    assert body["code"] == "EG001"
    assert body["Result"] == "Error"
    assert body["ErrorData"]["ErrorCode"] == "EG001"
    assert codes(body["DomainValidation"]) == ["EG001"]
    assert body["DnsValidation"] is None
    assert unknown in body["detail"]
    assert CheckRun.objects.count() == 0


def test_an_unverified_domain_is_eg002(api: APIClient, tenant: Tenant) -> None:
    name = f"u{uuid.uuid4().hex[:8]}.example"
    api.post("/api/v1/domains/", {"name": name}, format="json")

    document = status(api, name, refresh=False)

    assert document["Result"] == "Error"
    assert codes(document["DomainValidation"]) == ["EG002"]
    assert document["MxValidation"] is None
    assert CheckRun.objects.count() == 0


def test_initial_domain_is_not_supported(api: APIClient, tenant: Tenant) -> None:
    response = api.get(f"/api/v1/domains/{tenant.slug}.onprovider.test/dnssec/")
    assert response.status_code == 422
    assert response.json()["code"] == "DomainNotSupported"


def test_refresh_must_be_a_boolean(api: APIClient, tenant: Tenant) -> None:
    name = make_verified_domain(tenant)
    response = api.get(f"/api/v1/domains/{name}/dnssec/?refresh=perhaps")
    assert response.status_code == 400


def test_first_request_runs_the_checks_then_refresh_adds_a_run(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork, new_zone: Callable[..., str]
) -> None:
    zone = new_zone("signed")
    add_verified_domain(tenant, zone)
    dnsnet.update(*mx_records(zone, "0 mx1.other-provider.test"), zone=zone)

    first = status(api, zone, refresh=False)
    again = status(api, zone, refresh=False)
    refreshed = status(api, zone, refresh=True)

    assert first["CheckRun"]["Id"] == again["CheckRun"]["Id"]
    assert refreshed["CheckRun"]["Id"] != first["CheckRun"]["Id"]
    # Opaque ids: nothing to count the service's check rate with (not the row's counter).
    public_ids = {str(run.public_id) for run in CheckRun.objects.filter(domain__name=zone)}
    assert {first["CheckRun"]["Id"], refreshed["CheckRun"]["Id"]} == public_ids
    for document in (first, refreshed):
        assert uuid.UUID(document["CheckRun"]["Id"]).version == 4
    assert first["CheckRun"]["Trigger"] == "refresh"
    assert CheckRun.objects.filter(domain__name=zone).count() == 2
    assert refreshed["CheckRun"]["DurationSeconds"] < 20


def test_management_command_prints_the_api_document(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork, new_zone: Callable[..., str]
) -> None:
    zone = new_zone("signed")
    add_verified_domain(tenant, zone)
    document = status(api, zone)
    out = io.StringIO()

    call_command("get_dnssec_status_for_verified_domain", zone, tenant=tenant.slug, stdout=out)

    assert json.loads(out.getvalue()) == document


def test_management_command_eg001_exits_non_zero(tenant: Tenant) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "get_dnssec_status_for_verified_domain", "nope.example", tenant=tenant.slug, stdout=out
        )
    assert exit_info.value.code == 1
    printed = json.loads(out.getvalue())
    assert printed["ErrorData"]["ErrorCode"] == "EG001"
    assert AcceptedDomain.objects.filter(name="nope.example").count() == 0


@pytest.fixture
def servfail_resolver(settings: SettingsWrapper) -> Iterator[None]:
    """Point DANE_RESOLVER at a resolver on loopback that answers SERVFAIL to everything (a
    validating resolver that lost its upstream or its trust anchor)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            response = dns.message.make_response(dns.message.from_wire(data))
            response.set_rcode(dns.rcode.SERVFAIL)
            sock.sendto(response.to_wire(), peer)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    settings.DANE_RESOLVER = f"127.0.0.1:{sock.getsockname()[1]}"
    settings.DANE_DNS_TIMEOUT = 0.5
    yield
    stop.set()
    server.join()
    sock.close()


@pytest.mark.parametrize("broken", ["resolver_down", "servfail_resolver"])
def test_our_resolver_failing_is_a_retryable_503_not_the_customers_dns(
    api: APIClient,
    tenant: Tenant,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    broken: str,
    request: pytest.FixtureRequest,
) -> None:
    """Our own resolver down (no answer at all) or answering SERVFAIL for everything, even
    for a name known to resolve: the refresh says "we could not look" (503 DnsLookupFailed,
    Retry-After) and stores no run whose findings would blame the customer's DNS."""
    zone = new_zone("signed")
    add_verified_domain(tenant, zone)
    request.getfixturevalue(broken)

    response = api.get(f"/api/v1/domains/{zone}/dnssec/?refresh=true")

    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "DnsLookupFailed"
    assert zone in body["detail"]
    assert response["Retry-After"] == "30"
    assert not CheckRun.objects.filter(domain__name=zone).exists()
