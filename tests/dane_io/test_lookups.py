"""The outbound validator's lookups (the tracing adapter over the DNS client) against a
scripted resolver on loopback: how a SERVFAIL is told apart (EDE, then the same query with
CD), other rcodes, CNAME chains (the expanded name, the hop limit) and each step's detail."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from dnsops.dane.lookups import MAX_CNAME_HOPS, DaneResolver, DnsAnswer
from dnsops.dane.trace import Deadline, Step, Trace
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import MX, LookupSecurity, Tlsa

Script = Callable[[dns.message.Message], dns.message.Message]


class ScriptedResolver:
    """A UDP server on loopback that answers every query with ``script(query)``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.sock.getsockname()
        self.queries: list[tuple[str, bool]] = []  # (type, CD) of each query received
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            question = query.question[0]
            self.queries.append(
                (dns.rdatatype.to_text(question.rdtype), bool(query.flags & dns.flags.CD))
            )
            wire = self.script(query).to_wire()
            assert isinstance(wire, bytes)
            self.sock.sendto(wire, peer)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], ScriptedResolver]]:
    servers: list[ScriptedResolver] = []

    def start(script: Script) -> ScriptedResolver:
        servers.append(ScriptedResolver(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def look_up(server: ScriptedResolver, name: str, rdtype: int) -> tuple[DnsAnswer, list[Step]]:
    """One lookup through the adapter; its answer and the trace's steps."""

    async def run() -> DnsAnswer:
        async with ResolverClient(server.address, timeout=2.0) as client:
            lookups = DaneResolver(client, timeout=2.0, deadline=Deadline(5.0), trace=trace)
            return await lookups._lookup(name, rdtype, step="mx", host=None)

    trace = Trace()
    return asyncio.run(run()), trace.steps


def servfail(query: dns.message.Message, *options: dns.edns.Option) -> dns.message.Message:
    """SERVFAIL to ``query``, with ``options`` (EDEs)."""
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.SERVFAIL)
    response.use_edns(0, dns.flags.DO, 1232, options=list(options))
    return response


def answered(query: dns.message.Message, *rrsets: tuple[str, str, str]) -> dns.message.Message:
    """NOERROR to ``query`` with ``rrsets`` (owner, type, data) in the answer section."""
    response = dns.message.make_response(query)
    for owner, kind, data in rrsets:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", kind, data))
    return response


def test_servfail_with_a_dnssec_ede_is_bogus_without_asking_again(
    scripted: Callable[[Script], ScriptedResolver],
) -> None:
    server = scripted(
        lambda query: servfail(query, dns.edns.EDEOption(dns.edns.EDECode.DNSSEC_BOGUS, "bad"))
    )

    answer, steps = look_up(server, "example.test", MX)

    assert answer.security is LookupSecurity.BOGUS
    assert steps[0].detail == (
        "example.test MX: SERVFAIL (EDE 6 DNSSEC_BOGUS: bad): the answer fails DNSSEC validation."
    )
    assert server.queries == [("MX", False)]


def test_servfail_that_answers_with_checking_disabled_is_bogus(
    scripted: Callable[[Script], ScriptedResolver],
) -> None:
    def script(query: dns.message.Message) -> dns.message.Message:
        if query.flags & dns.flags.CD:
            return answered(query, ("example.test.", "MX", "10 mx.example.test."))
        return servfail(query)

    server = scripted(script)

    answer, steps = look_up(server, "example.test", MX)

    assert answer.security is LookupSecurity.BOGUS
    assert "with checking disabled (CD) the resolver answers NOERROR" in steps[0].detail
    assert server.queries == [("MX", False), ("MX", True)]


def test_servfail_also_with_checking_disabled_is_a_failed_lookup(
    scripted: Callable[[Script], ScriptedResolver],
) -> None:
    server = scripted(servfail)

    answer, steps = look_up(server, "example.test", MX)

    assert (answer.security, answer.rcode) == (LookupSecurity.FAILED, "SERVFAIL")
    assert steps[0].detail == "example.test MX: SERVFAIL: the lookup failed."
    assert server.queries == [("MX", False), ("MX", True)]


@pytest.mark.parametrize("rcode", [dns.rcode.REFUSED, dns.rcode.FORMERR, dns.rcode.NOTIMP])
def test_another_rcode_is_a_failed_lookup_naming_it(
    scripted: Callable[[Script], ScriptedResolver], rcode: dns.rcode.Rcode
) -> None:
    def script(query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        return response

    answer, steps = look_up(scripted(script), "example.test", MX)

    name = dns.rcode.to_text(rcode)
    assert (answer.security, answer.rcode) == (LookupSecurity.FAILED, name)
    assert steps[0].detail == f"example.test MX: the resolver answered {name}."


def test_a_cname_chain_gives_the_expanded_name_and_its_records(
    scripted: Callable[[Script], ScriptedResolver],
) -> None:
    tlsa = f"3 1 1 {'0f' * 32}"

    def script(query: dns.message.Message) -> dns.message.Message:
        response = answered(
            query,
            ("_25._tcp.mx.example.test.", "CNAME", "_25._tcp.Pool.example.net."),
            ("_25._tcp.Pool.example.net.", "TLSA", tlsa),
        )
        response.flags |= dns.flags.AD
        return response

    answer, steps = look_up(scripted(script), "_25._tcp.mx.example.test", dns.rdatatype.TLSA)

    assert answer.security is LookupSecurity.SECURE
    assert answer.canonical_name == "_25._tcp.Pool.example.net"
    assert answer.records == (Tlsa(3, 1, 1, bytes.fromhex("0f" * 32)),)
    assert steps[0].detail == (
        "_25._tcp.mx.example.test TLSA: NOERROR, DNSSEC-secure (AD), via CNAME to "
        f"_25._tcp.Pool.example.net; 1 record(s): {tlsa}"
    )


@pytest.mark.parametrize(("hops", "fails"), [(MAX_CNAME_HOPS, False), (MAX_CNAME_HOPS + 1, True)])
def test_a_cname_chain_longer_than_the_limit_fails(
    scripted: Callable[[Script], ScriptedResolver], hops: int, fails: bool
) -> None:
    names = [f"n{index}.example.test." for index in range(hops + 1)]

    def script(query: dns.message.Message) -> dns.message.Message:
        chain = [(names[index], "CNAME", names[index + 1]) for index in range(hops)]
        return answered(query, *chain, (names[-1], "A", "192.0.2.1"))

    answer, _ = look_up(scripted(script), names[0], dns.rdatatype.A)

    if fails:
        assert answer.security is LookupSecurity.FAILED
        assert answer.detail == f"the CNAME chain is longer than {MAX_CNAME_HOPS} names"
    else:
        assert (answer.security, answer.records) == (LookupSecurity.INSECURE, ("192.0.2.1",))
        assert answer.canonical_name == names[-1].removesuffix(".")
