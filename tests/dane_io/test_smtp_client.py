"""The SMTP client alone, against servers on loopback (no DNS): replies, STARTTLS, the chain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization

from dnsops.dane.policy import SessionOutcome
from dnsops.dane.smtp import SessionResult, smtp_session
from dnsops.dane.trace import Deadline, Trace
from tests.dane_io.scenario import SHORT_LIMITS, credentials
from tests.dane_io.servers import (
    LoopbackServers,
    RawHandler,
    issued_by,
    next_address,
    trust_anchor,
)

DER = serialization.Encoding.DER


def scripted(*replies: bytes) -> RawHandler:
    """A server that sends each of ``replies`` in turn, reading one line before each but the
    first (the greeting), then waits."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index, reply in enumerate(replies):
            if index:
                await reader.readline()
            writer.write(reply)
            await writer.drain()
        await reader.read()

    return handler


def talk(servers: LoopbackServers, serve: Callable[[str], None]) -> tuple[SessionResult, Trace]:
    """One session with a new server that ``serve`` starts at a fresh address."""
    address = next_address()
    serve(address)
    trace = Trace()
    result = asyncio.run(
        smtp_session(
            address,
            servers.port,
            host="mx.example.test",
            sni="mx.example.test",
            ehlo_name="client.example.test",
            limits=SHORT_LIMITS,
            deadline=Deadline(5),
            trace=trace,
        )
    )
    return result, trace


@pytest.mark.parametrize(
    ("replies", "outcome", "explanation"),
    [
        ([b"554 go away\r\n"], SessionOutcome.CONNECTION_FAILED, "greeting with 554 go away"),
        ([b"220-a\r\n250 b\r\n"], SessionOutcome.CONNECTION_FAILED, "mixes codes 220 and 250"),
        ([b"220 hi\r\n", b"502 no EHLO\r\n"], SessionOutcome.STARTTLS_NOT_OFFERED, "no ESMTP"),
        ([b"220 hi\r\n", b"421 busy\r\n"], SessionOutcome.CONNECTION_FAILED, "EHLO with 421"),
        (
            [b"220 hi\r\n", b"250-mx\r\n250 starttls\r\n", b"454 not now\r\n"],
            SessionOutcome.STARTTLS_NOT_OFFERED,
            "STARTTLS with 454 not now",
        ),
        (
            [b"220 hi\r\n", b"250-mx\r\n250 SIZE 10\r\n", b"221 bye\r\n"],
            SessionOutcome.STARTTLS_NOT_OFFERED,
            "does not offer STARTTLS",
        ),
    ],
    ids=["greeting-554", "mixed-codes", "ehlo-502", "ehlo-421", "starttls-454", "no-starttls"],
)
def test_replies_decide_how_far_the_session_gets(
    servers: LoopbackServers, replies: list[bytes], outcome: SessionOutcome, explanation: str
) -> None:
    result, _ = talk(servers, lambda address: servers.raw(address, scripted(*replies)))

    assert result.outcome is outcome
    assert explanation in result.detail


def test_the_handshake_returns_the_whole_presented_chain_and_sends_sni(
    servers: LoopbackServers,
) -> None:
    anchor = trust_anchor()
    leaf = issued_by(anchor, "mx.example.test")

    result, trace = talk(servers, lambda address: servers.smtp(address, credentials(leaf, anchor)))

    assert result.outcome is SessionOutcome.TLS_ESTABLISHED
    assert [cert.public_bytes(DER) for cert in result.chain] == [
        leaf.certificate.public_bytes(DER),
        anchor.certificate.public_bytes(DER),
    ]
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert list(servers.sni.values()) == [["mx.example.test"]]
    assert [step.step for step in trace.steps] == [
        "connect",
        "greeting",
        "ehlo",
        "starttls",
        "tls-handshake",
        "quit",
    ]
    assert all(step.milliseconds >= 0 for step in trace.steps)


def test_a_spent_deadline_cuts_every_step(servers: LoopbackServers) -> None:
    address = next_address()
    servers.raw(address, scripted(b"220 hi\r\n"))
    trace = Trace()

    result = asyncio.run(
        smtp_session(
            address,
            servers.port,
            host="mx.example.test",
            sni="mx.example.test",
            ehlo_name="client.example.test",
            limits=SHORT_LIMITS,
            deadline=Deadline(0),
            trace=trace,
        )
    )

    assert result.outcome is SessionOutcome.CONNECTION_FAILED
    assert [step.outcome for step in trace.steps] == ["timeout"]
