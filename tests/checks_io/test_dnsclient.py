"""The async resolver client against the real validating resolver: AD, EDE, CD, TCP after a
truncated answer, retransmission and time-outs, and the in-flight limit."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import pytest

from dnsops.dns.client import ResolverClient
from dnsops.dns.types import MX, TXT, A, Answer, LookupStatus
from tests.dnsnet import DnsTestNetwork

pytestmark = pytest.mark.dns


def ask(
    dnsnet: DnsTestNetwork, *queries: tuple[str, int, bool], **options: float | int
) -> tuple[list[Answer], ResolverClient]:
    """Send ``queries`` at once through a new client; the answers and the client."""

    async def run() -> tuple[list[Answer], ResolverClient]:
        async with ResolverClient(dnsnet.resolver, **options) as client:  # type: ignore[arg-type]
            futures = [client.query(name, rdtype, cd=cd) for name, rdtype, cd in queries]
            return list(await asyncio.gather(*futures)), client

    return asyncio.run(run())


def test_ad_ede_and_cd(dnsnet: DnsTestNetwork, new_zone: Callable[..., str]) -> None:
    good, bogus = new_zone("signed"), new_zone("bogus-ds")
    for zone in (good, bogus):
        dnsnet.update(("replace", zone, "MX", 60, "10 mx.example.test."), zone=zone)

    (signed, failed, unchecked), _ = ask(
        dnsnet, (good, MX, False), (bogus, MX, False), (bogus, MX, True)
    )

    assert (signed.status, signed.authenticated) == (LookupStatus.OK, True)
    assert signed.records(MX) == [(10, "mx.example.test")]
    assert signed.zone_apex() == good
    assert failed.status is LookupStatus.SERVFAIL
    assert [error.info_code for error in failed.extended_errors] == [9]
    assert (unchecked.status, unchecked.authenticated) == (LookupStatus.OK, False)


def test_truncated_answer_is_asked_again_over_tcp(
    dnsnet: DnsTestNetwork, new_zone: Callable[..., str]
) -> None:
    zone = new_zone("signed")
    values = [f'"{index:02d}{"x" * 240}"' for index in range(8)]  # about 2 kB: over 1232
    dnsnet.update(
        ("replace", f"big.{zone}", "TXT", 60, values[0]),
        *(("add", f"big.{zone}", "TXT", 60, value) for value in values[1:]),
        zone=zone,
    )

    (answer,), client = ask(dnsnet, (f"big.{zone}", TXT, False))

    assert (answer.status, answer.authenticated) == (LookupStatus.OK, True)
    assert sorted(strings[0][:2] for strings in answer.records(TXT)) == [
        f"{index:02d}" for index in range(8)
    ]
    assert client.tcp_fallbacks == 1


def test_silent_resolver_times_out_after_retransmitting() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # receives, never answers
    try:

        async def run() -> tuple[Answer, ResolverClient]:
            address = silent.getsockname()
            async with ResolverClient(address, timeout=0.6, retry_after=0.2) as client:
                return await client.query("example.test", A), client

        start = time.monotonic()
        answer, client = asyncio.run(run())
        elapsed = time.monotonic() - start
    finally:
        silent.close()

    assert answer.status is LookupStatus.TIMEOUT
    assert client.retransmits >= 2
    assert elapsed < 1.5


def test_in_flight_limit_queues_the_rest(dnsnet: DnsTestNetwork) -> None:
    names = [f"n{index}.nowhere.{dnsnet.top_zone}" for index in range(200)]

    async def run() -> tuple[list[Answer], int, int]:
        async with ResolverClient(dnsnet.resolver, max_in_flight=4, sockets=2) as client:
            futures = [client.query(name, A) for name in names]
            in_flight, waiting = client._in_flight, len(client._waiting)
            return list(await asyncio.gather(*futures)), in_flight, waiting

    answers, in_flight, waiting = asyncio.run(run())

    assert (in_flight, waiting) == (4, 196)
    assert [answer.status for answer in answers] == [LookupStatus.NXDOMAIN] * 200


def test_a_name_that_is_not_valid_fails_without_a_query(dnsnet: DnsTestNetwork) -> None:
    (answer,), _ = ask(dnsnet, ("a..b.test", A, False))

    assert answer.status is LookupStatus.ERROR
    assert "not a valid DNS name" in answer.detail
