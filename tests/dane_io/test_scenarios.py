"""The analyzer against real SMTP servers on loopback, resolved through the DNS test network.

Each test builds fresh signed (or unsigned, or bogus) zones, publishes MX, A and TLSA records
over RFC 2136, starts aiosmtpd servers with certificates made at test time, and checks the
verdict, the status code and the steps that explain it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from dnsops.dane.analyzer import validate_many
from dnsops.dane.verdicts import Verdict
from tests.dane_io.scenario import Scenario, credentials, steps, tlsa
from tests.dane_io.servers import issued_by, self_signed, trust_anchor

pytestmark = pytest.mark.dns

WRONG_DIGEST = "3 1 1 " + "ab" * 32


def test_dane_ee_matches_a_certificate_with_a_wrong_name_that_has_expired(
    scenario: Scenario,
) -> None:
    zone = scenario.zone()
    leaf = self_signed("wrong-name.example", expired=True)
    host = scenario.host(zone, "mx1", credentials(leaf), tlsa(leaf))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.PASS
    result = report.as_dict()
    assert result["disposition"] == "delivered"
    assert result["status_code"] is None
    assert result["match"]["usage"] == "DANE-EE"
    assert result["match"]["depth"] == 0
    assert result["match"]["record"] == tlsa(leaf)
    assert result["hosts"][0]["sessions"][0]["chain"][0]["names"] == ["wrong-name.example"]
    address = result["match"]["address"]
    assert scenario.servers.sni[address] == [host]
    assert steps(report, "mx") == ["secure"]
    assert steps(report, "tlsa") == ["secure"]
    assert steps(report, "tls-handshake") == ["ok"]
    assert steps(report, "verify") == ["pass"]


def test_dane_ta_with_the_mx_host_name_passes(scenario: Scenario) -> None:
    zone = scenario.zone()
    anchor = trust_anchor()
    host = f"mx1.{zone}"
    leaf = issued_by(anchor, host)
    scenario.host(zone, "mx1", credentials(leaf, anchor), tlsa(anchor, 2, 0, 1))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.PASS
    match = report.as_dict()["match"]
    assert match["usage"] == "DANE-TA"
    assert match["depth"] == 1
    assert match["matched_name"] == host


def test_dane_ta_with_a_name_that_is_no_reference_identifier_fails(scenario: Scenario) -> None:
    zone = scenario.zone()
    anchor = trust_anchor()
    leaf = issued_by(anchor, "somewhere-else.example")
    host = scenario.host(zone, "mx1", credentials(leaf, anchor), tlsa(anchor, 2, 0, 1))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.CERTIFICATE_HOST_MISMATCH
    result = report.as_dict()
    assert result["status_code"] == "4.7.325"
    assert result["disposition"] == "deferred"
    assert "somewhere-else.example" in result["reason"]


def test_expired_server_certificate_under_dane_ta_is_certificate_expired(
    scenario: Scenario,
) -> None:
    zone = scenario.zone()
    anchor = trust_anchor()
    host = f"mx1.{zone}"
    leaf = issued_by(anchor, host, expired=True)
    scenario.host(zone, "mx1", credentials(leaf, anchor), tlsa(anchor, 2, 1, 1))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.CERTIFICATE_EXPIRED
    assert report.status_code == "4.7.322"
    assert report.as_dict()["tlsrpt_result_type"] == "certificate-expired"


def test_no_starttls_when_tlsa_exists_is_starttls_not_supported(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed("mx1")
    host = scenario.host(zone, "mx1", None, tlsa(leaf))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.STARTTLS_NOT_SUPPORTED
    assert report.status_code == "4.7.321"
    assert steps(report, "starttls") == ["not-offered"]
    assert steps(report, "quit") == ["ok"]
    assert "does not offer STARTTLS" in report.decision.reason


def test_a_digest_that_matches_nothing_is_tlsa_invalid(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed("mx1")
    host = scenario.host(zone, "mx1", credentials(leaf), WRONG_DIGEST)
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.TLSA_INVALID
    assert report.status_code == "4.7.323"
    assert report.as_dict()["permanent_status_code"] == "5.7.323"
    assert steps(report, "verify") == ["tlsa-invalid"]


def test_only_unusable_records_mean_unauthenticated_but_mandatory_tls(
    scenario: Scenario,
) -> None:
    zone = scenario.zone()
    leaf = self_signed("mx1")
    host = scenario.host(zone, "mx1", credentials(leaf), tlsa(leaf, 0, 0, 1), tlsa(leaf, 1, 1, 1))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.UNAUTHENTICATED_TLS
    assert report.as_dict()["disposition"] == "delivered"
    assert report.status_code is None
    assert steps(report, "plan") == ["mandatory-tls"]
    assert steps(report, "tls-handshake") == ["ok"]
    assert steps(report, "verify") == []


def test_tlsa_servfail_is_dnssec_invalid_and_no_connection_is_made(scenario: Scenario) -> None:
    zone, broken = scenario.zone(), scenario.zone("bogus-ds")
    leaf = self_signed("mx1")
    host = scenario.host(zone, "mx1", credentials(leaf))
    scenario.publish(broken, (f"_25._tcp.mx1.{broken}", "TLSA", tlsa(leaf)))
    scenario.publish(zone, (f"_25._tcp.{host}", "CNAME", f"_25._tcp.mx1.{broken}."))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.DNSSEC_INVALID
    assert report.status_code == "4.7.324"
    assert steps(report, "a") == ["secure"]
    assert steps(report, "tlsa") == ["bogus"]
    assert steps(report, "connect") == []
    assert "DNSSEC" in next(step.detail for step in report.steps if step.step == "tlsa")


def test_host_in_a_bogus_zone_is_dnssec_invalid(scenario: Scenario) -> None:
    zone, broken = scenario.zone(), scenario.zone("bogus-ds")
    leaf = self_signed("mx1")
    host = scenario.host(broken, "mx1", credentials(leaf), tlsa(leaf))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.DNSSEC_INVALID
    assert steps(report, "a") == ["bogus"]
    assert steps(report, "tlsa") == []


def test_bogus_mx_is_dnssec_invalid(scenario: Scenario) -> None:
    broken = scenario.zone("bogus-ds")
    leaf = self_signed("mx1")
    host = scenario.host(broken, "mx1", credentials(leaf), tlsa(leaf))
    scenario.mx(broken, host)

    report = scenario.run(broken)

    assert report.decision.verdict is Verdict.DNSSEC_INVALID
    assert report.status_code == "4.7.324"
    assert steps(report, "mx") == ["bogus"]
    assert report.hosts == ()


def test_insecure_mx_ignores_the_hosts_tlsa_records(scenario: Scenario) -> None:
    unsigned, signed = scenario.zone("unsigned"), scenario.zone()
    leaf = self_signed("mx1")
    host = scenario.host(signed, "mx1", credentials(leaf), WRONG_DIGEST)
    scenario.mx(unsigned, host)

    report = scenario.run(unsigned)

    assert report.decision.verdict is Verdict.DANE_NOT_APPLICABLE
    assert report.as_dict()["disposition"] == "delivered"
    assert steps(report, "mx") == ["insecure"]
    assert steps(report, "tlsa") == []
    assert steps(report, "tls-handshake") == ["ok"]


def test_cname_host_uses_the_expanded_name_as_tlsa_base_and_sni(scenario: Scenario) -> None:
    zone = scenario.zone()
    anchor = trust_anchor()
    real = f"real.{zone}"
    leaf = issued_by(anchor, real)
    scenario.host(zone, "real", credentials(leaf, anchor), tlsa(anchor, 2, 0, 1))
    alias = f"mx1.{zone}"
    scenario.publish(zone, (alias, "CNAME", f"{real}."))
    scenario.mx(zone, alias)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.PASS
    result = report.as_dict()
    assert result["hosts"][0]["host"] == alias
    assert result["hosts"][0]["tlsa_base"] == real
    assert result["match"]["matched_name"] == real
    assert scenario.servers.sni[result["match"]["address"]] == [real]
    assert [step.detail.split()[0] for step in report.steps if step.step == "tlsa"] == [
        f"_25._tcp.{real}"
    ]


def test_first_mx_failing_leaves_the_second_to_deliver(scenario: Scenario) -> None:
    zone = scenario.zone()
    bad, good = self_signed("mx1"), self_signed("mx2")
    first = scenario.host(zone, "mx1", credentials(bad), WRONG_DIGEST)
    second = scenario.host(zone, "mx2", credentials(good), tlsa(good))
    scenario.mx(zone, first, second)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.PASS
    result = report.as_dict()
    assert [host["host"] for host in result["hosts"]] == [first, second]
    assert [host["verdict"] for host in result["hosts"]] == ["tlsa-invalid", "pass"]
    assert result["match"]["host"] == second
    assert steps(report, "verify") == ["tlsa-invalid", "pass"]


def test_every_host_failing_defers_with_the_retry_schedule(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed("mx1")
    first = scenario.host(zone, "mx1", credentials(leaf), WRONG_DIGEST)
    second = scenario.host(zone, "mx2", None, tlsa(leaf))
    scenario.mx(zone, first, second)

    report = scenario.run(zone)

    result = report.as_dict()
    assert result["verdict"] == "starttls-not-supported"
    assert result["disposition"] == "deferred"
    retry = result["retry"]
    started = datetime.fromisoformat(result["started_at"])
    assert datetime.fromisoformat(retry["next_attempt_at"]) - started == timedelta(minutes=15)
    assert datetime.fromisoformat(retry["expires_at"]) - started == timedelta(hours=24)


def test_a_host_without_tlsa_gets_opportunistic_tls(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed("mx1")
    host = scenario.host(zone, "mx1", credentials(leaf))
    scenario.mx(zone, host)

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.NO_TLSA
    assert steps(report, "tlsa") == ["secure"]
    assert steps(report, "tls-handshake") == ["ok"]


def test_a_domain_without_mx_is_its_own_mail_host(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed(zone)
    host = scenario.host(zone, "www", credentials(leaf), tlsa(leaf))
    domain = host  # a name with an A record and TLSA, but no MX

    report = scenario.run(domain)

    assert report.decision.verdict is Verdict.PASS
    assert report.destination.implicit_mx
    assert report.as_dict()["hosts"][0]["host"] == domain


def test_null_mx_bounces_at_once(scenario: Scenario) -> None:
    zone = scenario.zone()
    scenario.publish(zone, (zone, "MX", "0 ."))

    report = scenario.run(zone)

    assert report.decision.verdict is Verdict.NULL_MX
    assert report.as_dict()["disposition"] == "bounced"
    assert report.status_code == "5.1.10"


def test_a_domain_that_does_not_exist(scenario: Scenario) -> None:
    zone = scenario.zone()

    report = scenario.run(f"nothing-here.{zone}")

    assert report.decision.verdict is Verdict.DOMAIN_NOT_FOUND
    assert report.status_code == "5.4.310"


def test_a_resolver_that_does_not_answer_is_dns_query_failed(scenario: Scenario) -> None:
    report = scenario.run("example.test", resolver=("127.0.0.1", 9), dns_timeout=0.5)

    assert report.decision.verdict is Verdict.DNS_QUERY_FAILED
    assert report.status_code == "4.4.312"
    assert steps(report, "mx") == ["failed"]


def test_many_destinations_are_validated_concurrently(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed("shared")
    domains = []
    for index in range(12):
        host = scenario.host(zone, f"mx{index}", credentials(leaf), tlsa(leaf))
        domain = f"dest{index}.{zone}"
        scenario.publish(zone, (domain, "MX", f"10 {host}."))
        domains.append(domain)

    reports = asyncio.run(validate_many(domains, scenario.config(), concurrency=6))

    assert [report.domain for report in reports] == domains
    assert {report.decision.verdict for report in reports} == {Verdict.PASS}
