"""Ownership verification against real DNS: Knot serves the TXT record, Unbound validates."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, AuditEvent, Tenant
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def add(api: APIClient, name: str) -> str:
    response = api.post("/api/v1/domains/", {"name": name}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["verification_record"]


def test_published_record_verifies_the_domain(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    record = add(api, customer_domain)
    dnsnet.publish_txt(customer_domain, "v=spf1 -all", record)

    response = api.post(f"/api/v1/domains/{customer_domain}/verify/")

    assert response.status_code == 200, response.content
    assert response.json()["verified"] is True
    domain = AcceptedDomain.objects.get(tenant=tenant, name=customer_domain)
    assert domain.verified_at is not None
    assert domain.version == 2
    event = AuditEvent.objects.get(action="domain.verified", target_id=customer_domain)
    assert event.tenant == tenant
    assert event.actor.startswith("api-key:")
    assert event.data == {"dnssec_authenticated": True}  # the test zone is signed

    again = api.post(f"/api/v1/domains/{customer_domain}/verify/")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="domain.verified").count() == 1


def test_missing_name_is_reported_as_nxdomain(
    api: APIClient, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    add(api, customer_domain)
    response = api.post(f"/api/v1/domains/{customer_domain}/verify/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "VerificationRecordNotFound"
    assert "NXDOMAIN" in body["detail"]
    assert body["found"] == []
    assert AcceptedDomain.objects.get(name=customer_domain).verified_at is None


def test_other_txt_records_are_listed(
    api: APIClient, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    add(api, customer_domain)
    dnsnet.publish_txt(customer_domain, "v=spf1 -all", "dane-admin-verification=not-yours")
    response = api.post(f"/api/v1/domains/{customer_domain}/verify/")
    assert response.status_code == 409
    body = response.json()
    assert sorted(body["found"]) == ["dane-admin-verification=not-yours", "v=spf1 -all"]
    assert "dane-admin-verification=not-yours" in body["detail"]
    assert AcceptedDomain.objects.get(name=customer_domain).verified_at is None


def test_long_txt_split_into_strings_is_joined(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    record = add(api, customer_domain)
    half = len(record) // 2
    dnsnet.update(("replace", customer_domain, "TXT", 1, f'"{record[:half]}" "{record[half:]}"'))
    response = api.post(f"/api/v1/domains/{customer_domain}/verify/")
    assert response.status_code == 200, response.content


def test_resolver_down_is_a_retryable_503_and_changes_nothing(
    api: APIClient, dnsnet: DnsTestNetwork, customer_domain: str, resolver_down: None
) -> None:
    record = add(api, customer_domain)
    dnsnet.publish_txt(customer_domain, record)
    audit_before = AuditEvent.objects.count()
    response = api.post(f"/api/v1/domains/{customer_domain}/verify/")
    assert response.status_code == 503
    assert response.json()["code"] == "DnsLookupFailed"
    assert response["Retry-After"]
    assert AcceptedDomain.objects.get(name=customer_domain).verified_at is None
    assert AuditEvent.objects.count() == audit_before


def test_only_one_tenant_can_hold_a_name_verified(
    api: APIClient,
    other_api: APIClient,
    tenant: Tenant,
    dnsnet: DnsTestNetwork,
    customer_domain: str,
) -> None:
    mine = add(api, customer_domain)
    theirs = add(other_api, customer_domain)
    dnsnet.publish_txt(customer_domain, mine, theirs)
    assert api.post(f"/api/v1/domains/{customer_domain}/verify/").status_code == 200

    response = other_api.post(f"/api/v1/domains/{customer_domain}/verify/")

    assert response.status_code == 409
    assert response.json()["code"] == "DomainVerifiedElsewhere"
    verified = AcceptedDomain.objects.filter(name=customer_domain, verified_at__isnull=False)
    assert [d.tenant_id for d in verified] == [tenant.id]


def test_a_zone_that_fails_dnssec_is_the_owners_to_fix_not_a_retry(
    api: APIClient, dnsnet: DnsTestNetwork
) -> None:
    zone = f"c{uuid.uuid4().hex[:12]}.{dnsnet.top_zone}"
    dnsnet.create_customer_zone(zone, "bogus-ds")  # the parent's DS matches no key
    record = add(api, zone)
    dnsnet.publish_txt(zone, record)

    response = api.post(f"/api/v1/domains/{zone}/verify/")

    assert response.status_code == 422  # not 503 + Retry-After: retrying cannot help
    body = response.json()
    assert body["code"] == "DomainDnssecInvalid"
    assert "fail DNSSEC validation" in body["detail"]
    assert "EDE 9" in body["detail"] or "EDE 6" in body["detail"]
    assert "Retry-After" not in response
    assert AcceptedDomain.objects.get(name=zone).verified_at is None


def test_an_alias_to_a_missing_name_is_named(
    api: APIClient, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    add(api, customer_domain)
    target = f"gone-{uuid.uuid4().hex[:8]}.{dnsnet.top_zone}"
    dnsnet.update(("replace", customer_domain, "CNAME", 60, f"{target}."))

    body = api.post(f"/api/v1/domains/{customer_domain}/verify/").json()

    assert body["code"] == "VerificationRecordNotFound"
    assert f"{customer_domain} is an alias (CNAME) of {target}" in body["detail"]


def test_a_near_miss_says_what_to_change(
    api: APIClient, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    record = add(api, customer_domain)
    dnsnet.publish_txt(customer_domain, f'"{record}" ')  # quoted inside the value

    body = api.post(f"/api/v1/domains/{customer_domain}/verify/").json()

    assert body["code"] == "VerificationRecordNotFound"
    assert f'publish exactly "{record}"' in body["detail"]


def test_a_concurrent_second_verification_is_not_an_error(
    api: APIClient, tenant: Tenant, dnsnet: DnsTestNetwork, customer_domain: str
) -> None:
    dnsnet.publish_txt(customer_domain, add(api, customer_domain))
    first = AcceptedDomain.objects.get(name=customer_domain)
    second = AcceptedDomain.objects.get(name=customer_domain)  # read before the first ends
    assert services.verify_domain(first, actor=Actor.cli()).newly_verified

    outcome = services.verify_domain(second, actor=Actor.cli())

    assert (outcome.newly_verified, outcome.domain.is_verified) == (False, True)
    assert AuditEvent.objects.filter(action="domain.verified").count() == 1
