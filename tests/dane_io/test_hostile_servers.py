"""Servers that stall, flood or talk garbage get a clear verdict within the time limits."""

from __future__ import annotations

import re
import time

import pytest

from dnsops.dane.verdicts import Verdict
from tests.dane_io.scenario import SHORT_LIMITS, Scenario, tlsa
from tests.dane_io.servers import (
    RawHandler,
    after_starttls,
    endless_banner,
    garbage,
    huge_banner_line,
    next_address,
    self_signed,
    silent,
    stall_in_handshake,
)

pytestmark = pytest.mark.dns


def raw_host(scenario: Scenario, zone: str, label: str, handler: RawHandler) -> str:
    """``<label>.<zone>`` served by a misbehaving raw server, with a DANE-EE TLSA record."""
    host, address = f"{label}.{zone}", next_address()
    scenario.servers.raw(address, handler)
    scenario.publish(
        zone,
        (host, "A", address),
        (f"_25._tcp.{host}", "TLSA", tlsa(self_signed(host))),
    )
    return host


def run(scenario: Scenario, domain: str, **changes: object) -> dict:
    """The report of ``domain`` as JSON."""
    return scenario.run(domain, **changes).as_dict()


def session_seconds(result: dict) -> float:
    """How long the SMTP sessions took in all (the steps with an address)."""
    return sum(step["milliseconds"] for step in result["steps"] if step["address"]) / 1000


def seconds(result: dict, step: str) -> float:
    """How long the only step called ``step`` took (DNS load on the test network does not
    count, unlike the wall clock)."""
    (found,) = [item for item in result["steps"] if item["step"] == step]
    return found["milliseconds"] / 1000


def test_a_server_that_stalls_in_the_handshake_is_cut_off(scenario: Scenario) -> None:
    zone = scenario.zone()
    scenario.mx(zone, raw_host(scenario, zone, "mx1", stall_in_handshake))

    result = run(scenario, zone)

    assert result["verdict"] == Verdict.STARTTLS_NOT_SUPPORTED
    assert result["status_code"] == "4.7.321"
    assert "did not complete within 2.0 s" in result["reason"]
    handshake = [step for step in result["steps"] if step["step"] == "tls-handshake"]
    assert [step["outcome"] for step in handshake] == ["timeout"]
    assert SHORT_LIMITS.handshake <= seconds(result, "tls-handshake") < SHORT_LIMITS.handshake + 0.5


@pytest.mark.parametrize(
    ("handler", "explanation"),
    [
        (huge_banner_line, "a reply line is longer than 2048 bytes"),
        (endless_banner, "the reply is longer than 16384 bytes"),
        (garbage, "not an SMTP reply"),
    ],
    ids=["huge-banner-line", "endless-banner", "garbage"],
)
def test_a_greeting_that_is_not_smtp_fails_at_once(
    scenario: Scenario, handler: RawHandler, explanation: str
) -> None:
    zone = scenario.zone()
    scenario.mx(zone, raw_host(scenario, zone, "mx1", handler))

    result = run(scenario, zone)

    assert result["verdict"] == Verdict.CONNECTION_FAILED
    assert result["status_code"] == "4.4.1"
    assert explanation in result["reason"]
    assert [step["outcome"] for step in result["steps"] if step["step"] == "greeting"] == ["error"]
    assert session_seconds(result) < 1.5  # well under the 2 s greeting limit: not a timeout


def test_a_server_that_never_greets_times_out(scenario: Scenario) -> None:
    zone = scenario.zone()
    scenario.mx(zone, raw_host(scenario, zone, "mx1", silent))

    result = run(scenario, zone)

    assert result["verdict"] == Verdict.CONNECTION_FAILED
    assert "no complete reply to the greeting within 2.0 s" in result["reason"]
    assert SHORT_LIMITS.greeting <= seconds(result, "greeting") < SHORT_LIMITS.greeting + 1.5


def test_nothing_listening_is_a_connection_failure(scenario: Scenario) -> None:
    zone = scenario.zone()
    host = f"mx1.{zone}"
    scenario.servers.smtp(next_address())  # fixes the port; nothing listens on mx1's address
    scenario.publish(
        zone, (host, "A", next_address()), (f"_25._tcp.{host}", "TLSA", "3 1 1 " + "00" * 32)
    )
    scenario.mx(zone, host)

    result = run(scenario, zone)

    assert result["verdict"] == Verdict.CONNECTION_FAILED
    assert [step["outcome"] for step in result["steps"] if step["step"] == "connect"] == ["error"]
    assert session_seconds(result) < 1.5  # well under the 2 s greeting limit: not a timeout


def test_the_overall_time_limit_stops_before_the_next_host(scenario: Scenario) -> None:
    zone = scenario.zone()
    hosts = [raw_host(scenario, zone, f"mx{index}", silent) for index in range(3)]
    scenario.mx(zone, *hosts)

    started = time.monotonic()
    result = run(scenario, zone, total_timeout=3.0)
    elapsed = time.monotonic() - started

    assert result["verdict"] == Verdict.CONNECTION_FAILED
    assert elapsed < 5.0  # a third silent host would have taken until 7 s
    assert [host["host"] for host in result["hosts"]] == hosts[:2]
    greetings = [step for step in result["steps"] if step["step"] == "greeting"]
    assert [step["outcome"] for step in greetings] == ["timeout", "timeout"]
    # The second host waits only for what is left of the 3 s budget after the first host's 2 s
    # greeting timeout (less the lookups' time on a busy machine), never its own 2 s.
    waited = re.search(r"within (\d+\.\d) s", greetings[1]["detail"])
    assert waited is not None, greetings[1]["detail"]
    assert 0.0 < float(waited[1]) <= 1.0
    limit = [step["detail"] for step in result["steps"] if step["step"] == "limit"]
    assert limit == [f"the validation's time limit of 3 s is reached; not tried: {hosts[2]}"]


def test_private_addresses_are_refused_unless_allowed(scenario: Scenario) -> None:
    zone = scenario.zone()
    leaf = self_signed("mx1")
    host = f"mx1.{zone}"
    address = next_address()
    scenario.servers.smtp(address)
    scenario.publish(zone, (host, "A", address), (f"_25._tcp.{host}", "TLSA", tlsa(leaf)))
    scenario.mx(zone, host)

    result = run(scenario, zone, allow_private_addresses=False)

    assert result["verdict"] == Verdict.CONNECTION_FAILED
    assert [step["outcome"] for step in result["steps"] if step["step"] == "connect"] == [
        "not-allowed"
    ]
    assert "not a public address" in result["reason"]
    assert session_seconds(result) < 1.5  # well under the 2 s greeting limit: not a timeout


@pytest.mark.parametrize(
    ("handler", "explanation"),
    [
        (after_starttls(b"454 TLS not available\r\n"), "answered STARTTLS with 454"),
        (
            after_starttls(b"220 go ahead\r\n", b"250 injected\r\n"),
            "sent 14 byte(s) after its STARTTLS reply",
        ),
        (
            after_starttls(b"220 go ahead\r\n", to_hello=b"HTTP/1.0 400 Bad Request\r\n\r\n"),
            "failed the TLS handshake: OpenSSL reports",
        ),
    ],
    ids=["starttls-refused", "starttls-injection", "not-tls"],
)
def test_starttls_that_goes_wrong_is_starttls_not_supported(
    scenario: Scenario, handler: RawHandler, explanation: str
) -> None:
    zone = scenario.zone()
    scenario.mx(zone, raw_host(scenario, zone, "mx1", handler))

    result = run(scenario, zone)

    assert result["verdict"] == Verdict.STARTTLS_NOT_SUPPORTED
    assert result["status_code"] == "4.7.321"
    assert explanation in result["reason"]
    assert session_seconds(result) < 1.5  # well under the 2 s greeting limit: not a timeout
