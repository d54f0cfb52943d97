"""The synchronous facade of the DNS client (what a request handler calls) against the real
validating resolver: records of the type asked, AD, the CNAME targets of an NXDOMAIN, and
the two errors (a DNSSEC failure named by its EDE, a resolver that does not answer)."""

from __future__ import annotations

import time
from collections.abc import Callable

import dns.rdata
import pytest

from dnsops.dns import resolver
from tests.dnsnet import DnsTestNetwork

pytestmark = pytest.mark.dns

LONG_TLSA = "3 1 0 3082" + "ab" * 150  # full SPKI: printed in chunks of 128 hex digits


def test_records_of_the_type_asked_with_ad(
    dnsnet: DnsTestNetwork, new_zone: Callable[..., str]
) -> None:
    zone = new_zone("signed")
    dnsnet.update(
        ("replace", f"_25._tcp.mx.{zone}", "TLSA", 60, LONG_TLSA),
        ("replace", zone, "TXT", 60, '"v=spf1 " "-all"'),
        zone=zone,
    )

    tlsa = resolver.query(f"_25._tcp.mx.{zone}", "TLSA")
    txt = resolver.query(zone, "TXT")

    assert (tlsa.rcode, tlsa.authenticated) == ("NOERROR", True)
    assert [record.to_text() for record in tlsa.records] == [
        dns.rdata.from_text("IN", "TLSA", LONG_TLSA).to_text()
    ]
    assert (txt.rcode, txt.authenticated) == ("NOERROR", True)
    assert resolver.txt_strings(txt) == ["v=spf1 -all"]


def test_an_alias_to_a_missing_name_is_nxdomain_with_its_target(
    dnsnet: DnsTestNetwork, new_zone: Callable[..., str]
) -> None:
    zone = new_zone("unsigned")
    dnsnet.update(("replace", f"alias.{zone}", "CNAME", 60, f"gone.{zone}."), zone=zone)

    answer = resolver.query(f"alias.{zone}", "TXT")

    assert (answer.rcode, answer.authenticated, answer.records) == ("NXDOMAIN", False, ())
    assert answer.aliases == (f"gone.{zone}",)


def test_a_bogus_zone_raises_the_dnssec_failure_with_its_ede(
    new_zone: Callable[..., str],
) -> None:
    zone = new_zone("bogus-ds")

    with pytest.raises(resolver.DnssecValidationFailed, match=r"fail DNSSEC validation: EDE 9"):
        resolver.query(zone, "TXT")


@pytest.mark.usefixtures("resolver_down")
def test_a_resolver_that_does_not_answer_is_unavailable_within_the_timeout() -> None:
    start = time.monotonic()
    with pytest.raises(
        resolver.ResolverUnavailable, match=r"127\.0\.0\.1:9 did not answer"
    ) as caught:
        resolver.query("example.test", "TXT")

    assert not isinstance(caught.value, resolver.DnssecValidationFailed)
    assert time.monotonic() - start < 2
