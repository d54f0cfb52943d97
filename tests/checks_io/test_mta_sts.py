"""MTA-STS and TLS-RPT from real DNS and a real HTTPS server on loopback: ``_mta-sts`` TXT in a
fresh customer zone, ``mta-sts.<zone>`` pointing at 127.0.0.1, and the policy served with a
certificate of a test CA that the checks trust (``DANE_MTA_STS_CA_BUNDLE``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains.models import CheckRun, Tenant
from tests.checks_io.support import (
    Policy,
    PolicyServer,
    add_verified_domain,
    codes,
    mx_records,
    status,
)
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

OTHER = "mx1.other-provider.test"


def policy(mode: str, *patterns: str, max_age: int = 604800) -> Policy:
    """A policy body in the RFC 8461 format."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {p}" for p in patterns)]
    return Policy(("\r\n".join([*lines, f"max_age: {max_age}"]) + "\r\n").encode())


def announce(
    dnsnet: DnsTestNetwork, zone: str, *records: str, address: str | None = "127.0.0.1"
) -> None:
    """Publish the MX records, ``_mta-sts`` TXT id=1, and the policy host's address."""
    changes = [*mx_records(zone, *records)]
    changes.append(("replace", f"_mta-sts.{zone}", "TXT", 60, '"v=STSv1; id=20250101;"'))
    if address is not None:
        changes.append(("replace", f"mta-sts.{zone}", "A", 60, address))
    dnsnet.update(*changes, zone=zone)


@pytest.fixture
def migrating(
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> tuple[str, str]:
    """A signed zone whose domain is pending_mx, with the expected host at 0 and a legacy MX."""
    zone = new_zone("signed")
    return zone, enable_dnssec(zone)


def test_enforce_without_the_expected_host(
    api: APIClient, dnsnet: DnsTestNetwork, policy_server: PolicyServer, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    policy_server.publish(f"mta-sts.{zone}", policy("enforce", OTHER))

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES001"]
    assert section["Status"] == "Failed"
    assert section["Policy"] == {"Mode": "enforce", "MaxAge": 604800, "Mx": [OTHER]}
    assert section["Record"] == {"Id": "20250101"}
    action = section["Findings"][0]["action"]
    assert '"mode: testing"' in action
    assert f'"mx: *.{host.partition(".")[2]}"' in action
    assert (f"mta-sts.{zone}", "/.well-known/mta-sts.txt") in policy_server.requests


def test_a_wildcard_one_label_too_high_does_not_match(
    api: APIClient,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    policy_server: PolicyServer,
    migrating: tuple[str, str],
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    policy_server.publish(f"mta-sts.{zone}", policy("enforce", "*.mx.provider.test"))

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES001"]
    finding = section["Findings"][0]
    assert '"mx: *.mx.provider.test" cannot match' in finding["message"]
    assert "exactly one label" in finding["message"]
    assert f'"mx: *.{partition.zone}"' in finding["action"]


@pytest.mark.parametrize(
    ("pattern", "code", "section_status"),
    [("{wildcard}", "ES012", "Passed"), (OTHER, "ES011", "Warning")],
)
def test_testing_mode(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    policy_server: PolicyServer,
    migrating: tuple[str, str],
    pattern: str,
    code: str,
    section_status: str,
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    wildcard = "*." + host.partition(".")[2]
    policy_server.publish(f"mta-sts.{zone}", policy("testing", pattern.format(wildcard=wildcard)))

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == [code]
    assert section["Status"] == section_status


def test_enforce_listing_the_expected_host_passes(
    api: APIClient, dnsnet: DnsTestNetwork, policy_server: PolicyServer, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    policy_server.publish(f"mta-sts.{zone}", policy("enforce", OTHER, host))

    document = status(api, zone)

    assert document["MtaStsValidation"]["Status"] == "Passed"
    assert document["MtaStsValidation"]["Findings"] == []
    assert document["CheckRun"]["OverallStatus"] == "Passed"


def test_no_policy_published(
    api: APIClient, dnsnet: DnsTestNetwork, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)

    section = status(api, zone)["MtaStsValidation"]

    assert section == {"Status": "NotApplicable", "Findings": [], "Record": None, "Policy": None}


@pytest.mark.parametrize(
    ("served", "code", "words"),
    [
        (Policy(b"gone", status=404), "ES007", "HTTP 404"),
        (
            Policy(b"", status=301, headers={"Location": "https://elsewhere.test/p.txt"}),
            "ES007",
            "redirect to https://elsewhere.test/p.txt",
        ),
        (Policy(b"version: STSv1\nmode: enforce\n", content_type="text/html"), "ES009", "html"),
        (Policy(b"version: STSv1\nmode: sometimes\nmax_age: 1\n"), "ES010", "sometimes"),
        (Policy(b"mx: a.test\n" * 6000), "ES008", "65536 bytes"),
    ],
    ids=["not-found", "redirect", "media-type", "invalid", "too-large"],
)
def test_a_policy_that_cannot_be_used(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    policy_server: PolicyServer,
    migrating: tuple[str, str],
    served: Policy,
    code: str,
    words: str,
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    policy_server.publish(f"mta-sts.{zone}", served)

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == [code]
    assert section["Status"] == "Warning"
    assert words in section["Findings"][0]["message"]


def test_policy_host_unreachable(
    api: APIClient, dnsnet: DnsTestNetwork, policy_server: PolicyServer, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}", address="127.0.0.2")  # nothing listens there

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES005"]
    assert "connection failed" in section["Findings"][0]["message"]


def test_policy_host_does_not_resolve(
    api: APIClient, dnsnet: DnsTestNetwork, policy_server: PolicyServer, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}", address=None)

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES005"]
    assert f"mta-sts.{zone} does not resolve" in section["Findings"][0]["message"]


def test_a_policy_host_on_a_private_address_is_not_contacted(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    policy_server: PolicyServer,
    migrating: tuple[str, str],
    settings: SettingsWrapper,
) -> None:
    settings.DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES = False  # the production default
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")  # mta-sts.<zone> A 127.0.0.1
    policy_server.publish(f"mta-sts.{zone}", policy("enforce", host))

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES005"]
    assert "only non-public addresses (127.0.0.1)" in section["Findings"][0]["message"]
    assert not any(name == f"mta-sts.{zone}" for name, _ in policy_server.requests)


def test_policy_host_with_an_untrusted_certificate(
    api: APIClient, dnsnet: DnsTestNetwork, policy_server: PolicyServer, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    policy_server.publish(f"mta-sts.{zone}", policy("enforce", host), ca=trustme.CA())

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES006"]
    assert "certificate verify failed" in section["Findings"][0]["message"]


def test_policy_without_dnssec_enabled(
    api: APIClient,
    tenant: Tenant,
    dnsnet: DnsTestNetwork,
    policy_server: PolicyServer,
    new_zone: Callable[..., str],
) -> None:
    zone = new_zone("signed")
    add_verified_domain(tenant, zone)
    announce(dnsnet, zone, f"0 {OTHER}")
    policy_server.publish(f"mta-sts.{zone}", policy("enforce", OTHER))

    section = status(api, zone)["MtaStsValidation"]

    assert codes(section) == ["ES002"]


def test_tls_rpt_published(
    api: APIClient, dnsnet: DnsTestNetwork, migrating: tuple[str, str]
) -> None:
    zone, host = migrating
    rua = "mailto:tlsrpt@example.test"
    dnsnet.update(
        *mx_records(zone, f"0 {host}"),
        ("replace", f"_smtp._tls.{zone}", "TXT", 60, f'"v=TLSRPTv1; rua={rua}"'),
        zone=zone,
    )

    report = status(api, zone)["TlsRpt"]

    assert report == {"Published": True, "Valid": True, "Rua": [rua], "Findings": []}


def test_a_ca_bundle_deleted_after_start_up_is_a_clear_503_not_a_500(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    policy_server: PolicyServer,
    migrating: tuple[str, str],
    settings: SettingsWrapper,
) -> None:
    """The CA bundle is the service's own: once it is gone, a policy cannot be checked, and
    the refresh says so in the API's error shape instead of failing or blaming the host."""
    zone, host = migrating
    announce(dnsnet, zone, f"0 {host}")
    policy_server.publish(f"mta-sts.{zone}", policy("testing", host))
    Path(settings.DANE_MTA_STS_CA_BUNDLE).unlink()

    response = api.get(f"/api/v1/domains/{zone}/dnssec/?refresh=true")

    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "ServiceMisconfigured"
    assert "CA bundle" in body["detail"]
    assert zone in body["detail"]
    assert response["Retry-After"] == "30"
    assert not CheckRun.objects.filter(domain__name=zone).exists()
