"""ED001-ED003: the MX lookup as the DNS section sees it."""

from __future__ import annotations

import pytest

from dnsops.checks.mx import dns_mx_findings
from dnsops.dns.types import (
    AddressLookup,
    ExtendedDnsError,
    LookupStatus,
    MxLookup,
)
from tests.unit.checks.support import DOMAIN, EXPECTED, LEGACY, addresses, mx_answer

SIGNED = {EXPECTED: (addresses("192.0.2.25"), addresses("2001:db8::25"))}


@pytest.mark.parametrize(
    ("lookup", "reason_part"),
    [
        pytest.param(MxLookup(LookupStatus.SERVFAIL), "answered SERVFAIL", id="servfail"),
        pytest.param(MxLookup(LookupStatus.TIMEOUT), "did not answer in time", id="timeout"),
        pytest.param(MxLookup(LookupStatus.REFUSED), "refused the query", id="refused"),
        pytest.param(
            MxLookup(
                LookupStatus.SERVFAIL,
                extended_errors=(ExtendedDnsError(7, "expired 2025-05-30"),),
            ),
            "EDE 7 (Signature Expired): expired 2025-05-30",
            id="servfail-with-ede",
        ),
    ],
)
def test_ed001_lookup_failed(lookup, reason_part):
    (found,) = dns_mx_findings(DOMAIN, lookup, {}, EXPECTED)
    assert found.code == "ED001"
    assert found.message.startswith(f"The MX lookup for {DOMAIN} failed: ")
    assert reason_part in found.message
    assert "NS records" in found.action


def test_ed002_nxdomain():
    (found,) = dns_mx_findings(
        DOMAIN, MxLookup(LookupStatus.NXDOMAIN, authenticated=True), {}, EXPECTED
    )
    assert found.code == "ED002"
    assert DOMAIN in found.message
    assert "NXDOMAIN" in found.message
    assert "registrar" in found.action


def test_other_failures_are_left_to_ex010():
    assert dns_mx_findings(DOMAIN, MxLookup(LookupStatus.ERROR), {}, EXPECTED) == []


@pytest.mark.parametrize(
    ("lookup", "host_addresses"),
    [
        pytest.param(mx_answer((0, EXPECTED)), SIGNED, id="E signed, A and AAAA"),
        pytest.param(
            mx_answer((0, EXPECTED)),
            {EXPECTED: (addresses(), addresses("2001:db8::25"))},
            id="AAAA only",
        ),
        pytest.param(
            mx_answer((0, EXPECTED)),
            {EXPECTED.upper() + ".": (addresses("192.0.2.25"),)},
            id="mapping key spelled differently",
        ),
        pytest.param(
            mx_answer((0, LEGACY), (20, EXPECTED)),
            {**SIGNED, LEGACY: (addresses("198.51.100.1", authenticated=False),)},
            id="one signed MX among others is enough",
        ),
    ],
)
def test_ed003_passes(lookup, host_addresses):
    assert dns_mx_findings(DOMAIN, lookup, host_addresses, EXPECTED) == []


@pytest.mark.parametrize(
    ("lookup", "host_addresses", "reason_part"),
    [
        pytest.param(
            mx_answer((0, EXPECTED), authenticated=False),
            SIGNED,
            "the MX records are not DNSSEC-authentic",
            id="MX not authentic",
        ),
        pytest.param(
            mx_answer((0, LEGACY)),
            {LEGACY: (addresses("198.51.100.1", authenticated=False),)},
            f"no MX host has DNSSEC-authentic A/AAAA records ({LEGACY})",
            id="host addresses not authentic",
        ),
        pytest.param(
            mx_answer((0, EXPECTED)),
            {EXPECTED: (addresses(), addresses())},
            "no MX host has DNSSEC-authentic A/AAAA records",
            id="host without addresses",
        ),
        pytest.param(
            mx_answer((0, EXPECTED)),
            {EXPECTED: (AddressLookup(LookupStatus.SERVFAIL),)},
            "no MX host has DNSSEC-authentic A/AAAA records",
            id="host address lookup failed",
        ),
        pytest.param(
            mx_answer((0, EXPECTED)),
            {},
            "no MX host has DNSSEC-authentic A/AAAA records",
            id="host not looked up",
        ),
        pytest.param(
            MxLookup(LookupStatus.NODATA, authenticated=True),
            {},
            "there is no MX record",
            id="nodata",
        ),
        pytest.param(mx_answer((0, ".")), {}, 'the only MX is the null MX ("0 .")', id="null MX"),
        pytest.param(
            MxLookup(LookupStatus.UNREADABLE),
            {},
            "the MX answer could not be read",
            id="unreadable",
        ),
    ],
)
def test_ed003_fails(lookup, host_addresses, reason_part):
    (found,) = dns_mx_findings(DOMAIN, lookup, host_addresses, EXPECTED)
    assert found.code == "ED003"
    assert DOMAIN in found.message
    assert reason_part in found.message
    assert f"for {EXPECTED} with preference 0" in found.action
    assert "DS record" in found.action


def test_ed003_without_expected_host_points_to_enabling_dnssec():
    (found,) = dns_mx_findings(DOMAIN, mx_answer((0, LEGACY), authenticated=False), {}, None)
    assert found.code == "ED003"
    assert "Enable-DnssecForVerifiedDomain" in found.action
