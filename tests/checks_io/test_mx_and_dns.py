"""Every DNS and MX code produced by a real DNS configuration: a fresh customer zone per case in
the test network (Knot signing, Unbound validating), the expected host from a domain whose
DNSSEC was enabled through the command layer, and the status read through the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains.models import AcceptedDomain, AuditEvent, CheckRun, Tenant
from tests.checks_io.support import add_verified_domain, codes, mx_records, status
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

OTHER = "mx1.other-provider.test"


def test_expected_host_alone_at_zero_passes_and_enables(
    api: APIClient,
    tenant: Tenant,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("signed")
    host = enable_dnssec(zone)
    assert AcceptedDomain.objects.get(name=zone).next_check_at is not None  # the command's hook
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)

    document = status(api, zone)

    assert document["Result"] == "Success"
    assert document["ExpectedMxRecord"] == {"Value": host, "Preference": 0}
    assert document["MxValidation"] == {
        "Status": "Passed",
        "Findings": [],
        "Records": [f"0 {host}"],
    }
    assert document["DnsValidation"]["Status"] == "Passed", document["DnsValidation"]
    assert document["DnsValidation"]["Zone"]["Security"] == "secure"
    assert document["DnsValidation"]["Zone"]["DnskeyPublished"] is True
    assert document["DnsValidation"]["Zone"]["DsAtParent"] is True
    assert document["DnsValidation"]["Zone"]["EarliestSignatureExpiration"] is not None
    assert document["MtaStsValidation"]["Status"] == "NotApplicable"
    assert codes(document["TlsRpt"]) == ["ET001"]
    assert document["DnssecFeatureStatus"] == "enabled"
    assert document["CheckRun"]["OverallStatus"] == "Passed"
    assert document["CheckRun"]["DnsQueries"] >= 7

    domain = AcceptedDomain.objects.get(name=zone)
    assert domain.dnssec_state == "enabled"
    event = AuditEvent.objects.filter(target_id=zone, action="domain.dnssec_state").latest("id")
    assert event.actor == "system"
    assert event.data["from"] == "pending_mx"
    assert event.data["to"] == "enabled"

    latest = status(api, zone, refresh=False)  # the stored run, not a new one
    assert latest["CheckRun"]["Id"] == document["CheckRun"]["Id"]
    assert CheckRun.objects.filter(domain=domain).count() == 1


@pytest.mark.parametrize(
    ("records", "code"),
    [
        (["0 {wrong}"], "EX002"),
        ([f"0 {OTHER}"], "EX007"),
        (["10 {host}"], "EX003"),
        (["0 {legacy}", "10 {host}"], "EX006"),
        ([f"0 {OTHER}", "10 {host}"], "EX009"),
        ([f"10 {OTHER}", "10 {host}"], "EX004"),
        (["10 {host}", f"20 {OTHER}"], "EX008"),
        (["0 {host}", f"10 {OTHER}"], "EX005"),
    ],
)
def test_every_arrangement_of_the_mx_table(
    api: APIClient,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
    records: list[str],
    code: str,
) -> None:
    zone = new_zone("signed")
    host = enable_dnssec(zone)
    token = host.split(".")[0]
    names = {
        "host": host,
        "wrong": f"wrong-{token}.{partition.zone}",
        "legacy": f"{token}.{settings.DANE_LEGACY_MX_SUFFIXES[0]}",
    }
    dnsnet.update(*mx_records(zone, *(record.format(**names) for record in records)), zone=zone)

    document = status(api, zone)

    assert codes(document["MxValidation"]) == [code]
    assert document["MxValidation"]["Status"] == "Failed"
    finding = document["MxValidation"]["Findings"][0]
    assert zone in finding["message"]
    assert host in finding["message"] + finding["action"]
    assert document["DnssecFeatureStatus"] == "pending_mx"
    assert AcceptedDomain.objects.get(name=zone).dnssec_state == "pending_mx"


def test_no_mx_records_is_nodata(
    api: APIClient, new_zone: Callable[..., str], enable_dnssec: Callable[[str], str]
) -> None:
    zone = new_zone("signed")
    enable_dnssec(zone)

    document = status(api, zone)

    assert codes(document["MxValidation"]) == ["EX012"]
    assert codes(document["DnsValidation"]) == ["ED003"]
    assert document["DnsValidation"]["Zone"]["Security"] == "secure"


def test_null_mx(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("signed")
    enable_dnssec(zone)
    dnsnet.update(*mx_records(zone, "0 ."), zone=zone)

    document = status(api, zone)

    assert codes(document["MxValidation"]) == ["EX013"]
    assert "null MX" in document["MxValidation"]["Findings"][0]["message"]
    assert codes(document["DnsValidation"]) == ["ED003"]


def test_a_domain_that_does_not_exist_is_nxdomain(
    api: APIClient, dnsnet: DnsTestNetwork, enable_dnssec: Callable[[str], str]
) -> None:
    name = f"nx{uuid.uuid4().hex[:12]}.{dnsnet.top_zone}"
    enable_dnssec(name)

    document = status(api, name)

    assert codes(document["DnsValidation"]) == ["ED002"]
    assert document["MxValidation"] == {"Status": "NotApplicable", "Findings": [], "Records": []}


def test_a_bogus_zone_is_servfail_explained_by_the_resolver(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("bogus-ds")
    host = enable_dnssec(zone)
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)

    document = status(api, zone)

    dns_section = document["DnsValidation"]
    assert codes(dns_section)[0] == "ED001"
    assert "ED011" in codes(dns_section)  # EDE 9: the DS matches no DNSKEY
    assert "SERVFAIL" in dns_section["Findings"][0]["message"]
    assert "DS hash mismatches key" in dns_section["Findings"][0]["message"]
    assert dns_section["Zone"] == {
        **dns_section["Zone"],
        "Security": "bogus",
        "DnskeyPublished": True,
        "DsAtParent": True,
    }
    assert document["MxValidation"]["Status"] == "NotApplicable"
    assert AcceptedDomain.objects.get(name=zone).dnssec_state == "pending_mx"


def test_signatures_that_expire_within_a_week_are_a_warning(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("expiring-signatures")  # Knot signs it for 3 days at a time
    host = enable_dnssec(zone)
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)

    document = status(api, zone)

    dns_section = document["DnsValidation"]
    assert (dns_section["Status"], codes(dns_section)) == ("Warning", ["ED007"])
    [finding] = dns_section["Findings"]
    assert zone in finding["message"]
    assert "re-sign" in finding["action"]
    expires = datetime.fromisoformat(dns_section["Zone"]["EarliestSignatureExpiration"])
    assert timedelta(days=2) < expires - datetime.now(UTC) < timedelta(days=3, hours=1)
    assert document["MxValidation"]["Status"] == "Passed"
    assert document["CheckRun"]["OverallStatus"] == "Warning"


def test_expired_signatures_are_bogus_and_said_to_be_expired(
    api: APIClient,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("expired-signatures")  # signed by hand in January 2020
    enable_dnssec(zone)

    document = status(api, zone)

    dns_section = document["DnsValidation"]
    assert codes(dns_section)[0] == "ED001"
    assert "ED009" in codes(dns_section)
    assert dns_section["Zone"]["Security"] == "bogus"
    expired = next(f for f in dns_section["Findings"] if f["code"] == "ED009")
    assert zone in expired["message"]
    assert document["MxValidation"]["Status"] == "NotApplicable"


def test_an_unsigned_zone_passes_mx_but_not_dns(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("unsigned")
    host = enable_dnssec(zone)
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)

    document = status(api, zone)

    assert document["MxValidation"]["Status"] == "Passed"
    assert codes(document["DnsValidation"]) == ["ED003", "ED004"]
    assert document["DnsValidation"]["Zone"]["Security"] == "insecure"
    assert document["CheckRun"]["OverallStatus"] == "Failed"


def test_a_signed_zone_without_ds_at_the_parent(
    api: APIClient,
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    zone = new_zone("signed")
    host = enable_dnssec(zone)
    dnsnet.delete(zone, "DS")
    dnsnet.update(*mx_records(zone, f"0 {host}"), zone=zone)

    document = status(api, zone)

    assert codes(document["DnsValidation"]) == ["ED003", "ED005"]
    assert document["DnsValidation"]["Zone"]["DnskeyPublished"] is True
    assert document["DnsValidation"]["Zone"]["DsAtParent"] is False


def test_dnssec_not_enabled_leaves_the_expected_host_unknown(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork, new_zone: Callable[..., str]
) -> None:
    zone = new_zone("signed")
    add_verified_domain(tenant, zone)
    dnsnet.update(*mx_records(zone, f"0 {OTHER}"), zone=zone)

    document = status(api, zone)

    assert document["ExpectedMxRecord"] is None
    assert document["DnssecFeatureStatus"] == "disabled"
    assert codes(document["MxValidation"]) == ["EX007"]
    assert "Enable-DnssecForVerifiedDomain" in document["MxValidation"]["Findings"][0]["message"]
