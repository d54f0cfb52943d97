"""Async client of the DNSSEC-validating resolver (``DANE_RESOLVER``), built for sweeps.

Every query has DO set (and RD; CD on request), the AD bit and the Extended DNS Errors
(RFC 8914) of the answer are read, and every query ends within ``timeout`` seconds: it is
retransmitted every ``retry_after`` seconds on UDP and answered TIMEOUT at the deadline; a
truncated answer is asked again over TCP within the same deadline.

Built for throughput from one process: a small pool of connected UDP sockets (several
source ports, so the resolver spreads them over its threads), a random message ID per query
matched with the question when the answer arrives, every datagram waiting read at each
wake-up of the event loop, one timer for every retransmission and deadline, and queries as
futures, not tasks. Any number of queries may be asked at once (a sweep asks for thousands
of domains); at most ``max_in_flight`` are outstanding and the rest wait in a queue, in
order. That cap matters more than it seems: measured on the test network, Unbound with
default socket buffers starts dropping datagrams at a few hundred outstanding queries
(dnsperf loses 1.7 % at 500, 11 % at 2,000), and every lost datagram costs a retransmission
wait; 128 per process kept losses at zero with no loss of throughput.

dnspython supplies the constants and the slow-path name handling; the hot path reads and
writes the DNS wire format directly, because building and parsing a dnspython message costs
about 200 µs, more than the resolver spends answering from its cache (the parser here
takes about 10 µs). The answers come back as the plain types of
:mod:`dnsops.checks.lookups`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import re
import secrets
import socket
import struct
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype

from dnsops.checks.lookups import (
    AddressLookup,
    ExtendedDnsError,
    LookupStatus,
    MxLookup,
    MxRecord,
    TxtLookup,
)

A = dns.rdatatype.A
AAAA = dns.rdatatype.AAAA
CNAME = dns.rdatatype.CNAME
SOA = dns.rdatatype.SOA
MX = dns.rdatatype.MX
TXT = dns.rdatatype.TXT
DS = dns.rdatatype.DS
RRSIG = dns.rdatatype.RRSIG
DNSKEY = dns.rdatatype.DNSKEY
_OPT = dns.rdatatype.OPT
_EDE_OPTION = 15  # RFC 8914

_FLAG_TC = 0x0200
_FLAG_AD = 0x0020
_FLAG_RD = 0x0100
_FLAG_CD = 0x0010
_UDP_PAYLOAD = 1232  # the DNS Flag Day 2020 size: no IP fragmentation
# Root owner, type OPT, class = payload size, TTL = extended rcode 0, version 0, DO; no options.
_OPT_RR = b"\x00" + struct.pack("!HHIH", _OPT, _UDP_PAYLOAD, 0x8000, 0)
_PLAIN_NAME = re.compile(rb"[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*")
_RCODE_STATUS = {
    dns.rcode.SERVFAIL: LookupStatus.SERVFAIL,
    dns.rcode.REFUSED: LookupStatus.REFUSED,
    dns.rcode.NXDOMAIN: LookupStatus.NXDOMAIN,
}
_SOCKET_BUFFER = 4 * 1024 * 1024
_RECEIVE_SIZE = 4096  # answers over UDP are at most _UDP_PAYLOAD octets
_READS_PER_WAKEUP = 512


class Signature(NamedTuple):
    """The parts of an RRSIG the checks use."""

    covered: int
    expiration: datetime
    signer: str


class Record(NamedTuple):
    """One resource record of an answer: its owner (read for SOA records only, the zone
    apex; empty otherwise), type and decoded data.

    ``data``: A/AAAA the address text; MX ``(preference, host)``; TXT a tuple of strings;
    CNAME the target; RRSIG a :class:`Signature`; DNSKEY ``(flags, algorithm)``; DS
    ``(key tag, algorithm, digest type)``; None for other types.
    """

    owner: str
    rdtype: int
    data: object


@dataclass(frozen=True, slots=True)
class Answer:
    """The resolver's reply to one query, or why there was none (``status`` says which)."""

    status: LookupStatus
    authenticated: bool = False
    answer: tuple[Record, ...] = ()
    authority: tuple[Record, ...] = ()
    extended_errors: tuple[ExtendedDnsError, ...] = ()
    detail: str = ""

    def records(self, rdtype: int) -> list[Any]:
        """The data of the answer section's records of ``rdtype``."""
        return [record.data for record in self.answer if record.rdtype == rdtype]

    def signatures(self) -> list[Signature]:
        """The RRSIGs of the answer and authority sections."""
        sections = (*self.answer, *self.authority)
        return [record.data for record in sections if record.rdtype == RRSIG]  # type: ignore[misc]

    def zone_apex(self) -> str | None:
        """The zone the answer came from: the signer of its RRSIGs, else the owner of an SOA
        in the answer or authority section; None when the answer does not say."""
        for signature in self.signatures():
            return signature.signer
        for record in (*self.answer, *self.authority):
            if record.rdtype == SOA:
                return record.owner
        return None


class _Malformed(Exception):
    """The message cannot be read."""


def encode_name(name: str) -> bytes:
    """``name`` (presentation form, final dot optional) in wire form.

    Raises ``ValueError`` for a name that is not valid in DNS.
    """
    raw = name.removesuffix(".").encode("ascii", "replace")
    if len(raw) < 254 and _PLAIN_NAME.fullmatch(raw):
        return b"".join(bytes((len(label),)) + label for label in raw.split(b".")) + b"\x00"
    try:
        wire = dns.name.from_text(name, origin=dns.name.root).to_wire()
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise ValueError(f"{name!r} is not a valid DNS name: {exc}") from exc
    assert wire is not None
    return wire


def _labels_text(labels: list[bytes]) -> str:
    """Presentation form of ``labels`` without the final dot (``"."`` for the root)."""
    if not labels:
        return "."
    joined = b".".join(labels)
    if _PLAIN_NAME.fullmatch(joined) and joined.count(b".") == len(labels) - 1:
        return joined.decode("ascii")
    return dns.name.Name(labels).to_text(omit_final_dot=True)


def _read_name(wire: bytes, offset: int) -> tuple[str, int]:
    """The name at ``offset`` (following compression pointers) and the offset after it."""
    labels: list[bytes] = []
    after = -1
    jumps = 0
    while True:
        length = wire[offset]
        if length == 0:
            offset += 1
            break
        if length >= 0xC0:
            if after < 0:
                after = offset + 2
            offset = ((length & 0x3F) << 8) | wire[offset + 1]
            jumps += 1
            if jumps > 127:
                raise _Malformed("compression loop")
            continue
        if length > 63:
            raise _Malformed("bad label length")
        offset += 1
        labels.append(wire[offset : offset + length])
        offset += length
    return _labels_text(labels), after if after >= 0 else offset


def _skip_name(wire: bytes, offset: int) -> int:
    """The offset after the name at ``offset``."""
    while True:
        length = wire[offset]
        if length == 0:
            return offset + 1
        if length >= 0xC0:
            return offset + 2
        offset += length + 1


def _rdata(wire: bytes, rdtype: int, start: int, end: int) -> object:
    """Decode the rdata of the types the checks read; None for the others."""
    if rdtype == A:
        if end - start != 4:
            raise _Malformed("A rdata is not 4 octets")
        return socket.inet_ntop(socket.AF_INET, wire[start:end])
    if rdtype == AAAA:
        if end - start != 16:
            raise _Malformed("AAAA rdata is not 16 octets")
        return socket.inet_ntop(socket.AF_INET6, wire[start:end])
    if rdtype == MX:
        host, after = _read_name(wire, start + 2)
        if after != end:
            raise _Malformed("MX rdata length mismatch")
        return (int.from_bytes(wire[start : start + 2]), host)
    if rdtype == TXT:
        strings = []
        offset = start
        while offset < end:
            length = wire[offset]
            strings.append(wire[offset + 1 : offset + 1 + length].decode("utf-8", "replace"))
            offset += 1 + length
        if offset != end:
            raise _Malformed("TXT rdata length mismatch")
        return tuple(strings)
    if rdtype == CNAME:
        return _read_name(wire, start)[0]
    if rdtype == RRSIG:
        covered, _, _, _, expiration, _, _ = struct.unpack_from("!HBBIIIH", wire, start)
        signer, _ = _read_name(wire, start + 18)
        return Signature(covered, datetime.fromtimestamp(expiration, UTC), signer)
    if rdtype == DNSKEY:
        flags, _, algorithm = struct.unpack_from("!HBB", wire, start)
        return (flags, algorithm)
    if rdtype == DS:
        return struct.unpack_from("!HBB", wire, start)
    return None


def _extended_errors(wire: bytes, start: int, end: int) -> list[ExtendedDnsError]:
    """The EDE options in the OPT rdata between ``start`` and ``end``."""
    errors = []
    offset = start
    while offset + 4 <= end:
        code, length = struct.unpack_from("!HH", wire, offset)
        offset += 4
        if code == _EDE_OPTION and length >= 2:
            info = int.from_bytes(wire[offset : offset + 2])
            text = wire[offset + 2 : offset + length].decode("utf-8", "replace").rstrip("\x00")
            errors.append(ExtendedDnsError(info, text))
        offset += length
    return errors


def parse_answer(wire: bytes, rdtype: int) -> tuple[Answer, bool]:
    """Read a response to a query for ``rdtype``; also whether it was truncated (TC).

    A message that cannot be read gives an UNREADABLE answer.
    """
    try:
        _, flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!HHHHHH", wire)
        offset = 12
        for _ in range(qdcount):
            offset = _skip_name(wire, offset) + 4
        sections: list[list[Record]] = [[], [], []]
        extended: list[ExtendedDnsError] = []
        rcode = flags & 0xF
        for section, count in zip(sections, (ancount, nscount, arcount), strict=True):
            for _ in range(count):
                start = offset
                offset = _skip_name(wire, offset)
                rrtype, _, ttl, rdlength = struct.unpack_from("!HHIH", wire, offset)
                offset += 10
                end = offset + rdlength
                if end > len(wire):
                    raise _Malformed("record runs past the end of the message")
                if rrtype == _OPT:
                    rcode |= (ttl >> 24) << 4
                    extended.extend(_extended_errors(wire, offset, end))
                else:
                    owner = _read_name(wire, start)[0] if rrtype == SOA else ""
                    section.append(Record(owner, rrtype, _rdata(wire, rrtype, offset, end)))
                offset = end
    except (_Malformed, IndexError, struct.error, ValueError, dns.exception.DNSException) as exc:
        return Answer(LookupStatus.UNREADABLE, detail=f"malformed answer: {exc}"), False
    truncated = bool(flags & _FLAG_TC)
    if rcode == dns.rcode.NOERROR:
        wanted = any(record.rdtype == rdtype for record in sections[0])
        status = LookupStatus.OK if wanted else LookupStatus.NODATA
    else:
        status = _RCODE_STATUS.get(rcode, LookupStatus.ERROR)
    detail = "" if status is not LookupStatus.ERROR else f"rcode {dns.rcode.to_text(rcode)}"
    answer = Answer(
        status,
        bool(flags & _FLAG_AD),
        tuple(sections[0]),
        tuple(sections[1]),
        tuple(extended),
        detail,
    )
    return answer, truncated


def _same_question(wire: bytes, question: bytes) -> bool:
    """True if the message ``wire`` asks ``question`` (name compared case-insensitively)."""
    split = len(question) - 4
    return (
        wire[12 : 12 + split].lower() == question[:split]
        and wire[12 + split : 16 + split] == question[split:]
    )


class _Query:
    """One query in flight."""

    __slots__ = (
        "attempts",
        "deadline",
        "future",
        "qid",
        "question",
        "rdtype",
        "socket",
        "wire",
    )

    def __init__(self, question: bytes, rdtype: int, wire: bytes, future: asyncio.Future[Answer]):
        self.question = question
        self.rdtype = rdtype
        self.wire = wire
        self.future = future
        self.qid = -1
        self.socket: _UdpSocket | None = None
        self.deadline = 0.0
        self.attempts = 0


class _UdpSocket:
    """One connected, non-blocking UDP socket and the queries waiting on it, by message ID.

    Every wake-up of the event loop reads all the datagrams waiting (not one per wake-up,
    as an asyncio datagram transport does), and sends go straight to the socket: a datagram
    the kernel refuses is treated as lost, and the retransmission timer sends it again.
    """

    def __init__(self, client: ResolverClient, sock: socket.socket) -> None:
        self.client = client
        self.sock = sock
        self.pending: dict[int, _Query] = {}

    def send(self, query: _Query) -> None:
        """Send ``query`` with a random message ID unused on this socket."""
        qid = secrets.randbits(16)
        while qid in self.pending:
            qid = secrets.randbits(16)
        query.qid = qid
        query.socket = self
        query.wire = qid.to_bytes(2) + query.wire[2:]
        self.pending[qid] = query
        self.resend(query)

    def resend(self, query: _Query) -> None:
        """Send ``query`` again, unchanged."""
        with contextlib.suppress(OSError):
            self.sock.send(query.wire)

    def release(self, query: _Query) -> None:
        """Forget ``query`` (answered or expired)."""
        if self.pending.get(query.qid) is query:
            del self.pending[query.qid]

    def drain(self) -> None:
        """Read every datagram waiting; match each to its query by ID and question."""
        for _ in range(_READS_PER_WAKEUP):
            try:
                data = self.sock.recv(_RECEIVE_SIZE)
            except BlockingIOError:
                return
            except OSError:
                continue  # an ICMP error for an earlier datagram: the query times out
            query = self.pending.get(int.from_bytes(data[:2]))
            if query is None or not _same_question(data, query.question):
                continue
            del self.pending[query.qid]
            self.client._received(query, data)


class ResolverClient:
    """Queries one validating resolver over a pool of UDP sockets (TCP when truncated).

    Use as an async context manager. ``on_query`` is called with ``(name, rdtype, cd)`` for
    every query (the benchmark records the sweep's queries with it). ``sent`` counts the
    queries asked (not their retransmissions).
    """

    def __init__(
        self,
        address: tuple[str, int],
        *,
        timeout: float = 3.0,
        retry_after: float = 1.0,
        sockets: int = 8,
        max_in_flight: int = 128,
        on_query: Callable[[str, int, bool], None] | None = None,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.retry_after = min(retry_after, timeout)
        self.socket_count = sockets
        self.max_in_flight = max_in_flight
        self.on_query = on_query
        self.sent = 0
        self.retransmits = 0
        self.timeouts = 0
        self.tcp_fallbacks = 0
        self._sockets: list[_UdpSocket] = []
        self._next_socket: Iterator[_UdpSocket] = itertools.cycle(())
        self._in_flight = 0
        self._waiting: deque[_Query] = deque()
        self._timers: list[tuple[float, int, int, _Query]] = []
        self._sequence = itertools.count()
        self._tick: asyncio.TimerHandle | None = None
        self._tcp_tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> ResolverClient:
        """Open the sockets."""
        loop = self._loop = asyncio.get_running_loop()
        host, port = self.address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(self.socket_count):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                sock.setsockopt(socket.SOL_SOCKET, option, _SOCKET_BUFFER)
            sock.connect((host, port))
            udp = _UdpSocket(self, sock)
            loop.add_reader(sock.fileno(), udp.drain)
            self._sockets.append(udp)
        self._next_socket = itertools.cycle(self._sockets)
        self._tick = loop.call_later(self._tick_interval, self._expire)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Answer what is still pending as TIMEOUT and close the sockets."""
        if self._tick is not None:
            self._tick.cancel()
        for task in list(self._tcp_tasks):
            task.cancel()
        assert self._loop is not None
        for udp in self._sockets:
            for query in list(udp.pending.values()):
                self._finish(query, Answer(LookupStatus.TIMEOUT, detail="client closed"))
            self._loop.remove_reader(udp.sock.fileno())
            udp.sock.close()
        while self._waiting:
            self._finish(self._waiting.popleft(), Answer(LookupStatus.TIMEOUT))
        self._sockets.clear()

    @property
    def _tick_interval(self) -> float:
        return max(0.01, min(0.1, self.retry_after / 4))

    def query(self, name: str, rdtype: int, *, cd: bool = False) -> asyncio.Future[Answer]:
        """Ask for ``name``/``rdtype`` (DO set; CD when ``cd``); the future never raises."""
        assert self._loop is not None, "use the client as an async context manager"
        future: asyncio.Future[Answer] = self._loop.create_future()
        self.sent += 1
        if self.on_query is not None:
            self.on_query(name, rdtype, cd)
        try:
            qname = encode_name(name)
        except ValueError as exc:
            future.set_result(Answer(LookupStatus.ERROR, detail=str(exc)))
            return future
        flags = _FLAG_RD | (_FLAG_CD if cd else 0)
        question = qname.lower() + struct.pack("!HH", rdtype, 1)
        header = struct.pack("!HHHHHH", 0, flags, 1, 0, 0, 1)
        query = _Query(question, rdtype, header + question + _OPT_RR, future)
        if self._in_flight < self.max_in_flight:
            self._send(query)
        else:
            self._waiting.append(query)
        return future

    def _send(self, query: _Query) -> None:
        self._in_flight += 1
        query.deadline = self._now() + self.timeout
        query.attempts = 1
        next(self._next_socket).send(query)
        self._schedule(query)

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _schedule(self, query: _Query) -> None:
        due = min(self._now() + self.retry_after, query.deadline)
        heapq.heappush(self._timers, (due, next(self._sequence), query.attempts, query))

    def _expire(self) -> None:
        """Retransmit the queries whose retry time came, answer TIMEOUT past the deadline."""
        now = self._now()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, attempt, query = heapq.heappop(timers)
            if query.future.done() or attempt != query.attempts or query.socket is None:
                continue
            if query.socket.pending.get(query.qid) is not query:
                continue  # answered truncated: the TCP retry owns it
            if now >= query.deadline:
                query.socket.release(query)
                self.timeouts += 1
                self._finish(
                    query,
                    Answer(
                        LookupStatus.TIMEOUT,
                        detail=f"no answer within {self.timeout:g} s ({query.attempts} attempts)",
                    ),
                )
                continue
            query.attempts += 1
            self.retransmits += 1
            query.socket.resend(query)
            self._schedule(query)
        assert self._loop is not None
        self._tick = self._loop.call_later(self._tick_interval, self._expire)

    def _received(self, query: _Query, wire: bytes) -> None:
        answer, truncated = parse_answer(wire, query.rdtype)
        if truncated:
            self.tcp_fallbacks += 1
            task = asyncio.ensure_future(self._over_tcp(query))
            self._tcp_tasks.add(task)
            task.add_done_callback(self._tcp_tasks.discard)
            return
        self._finish(query, answer)

    async def _over_tcp(self, query: _Query) -> None:
        """Ask ``query`` again over TCP (the UDP answer was truncated), within its deadline."""
        host, port = self.address
        try:
            async with asyncio.timeout(max(0.0, query.deadline - self._now())):
                reader, writer = await asyncio.open_connection(host, port)
                try:
                    writer.write(len(query.wire).to_bytes(2) + query.wire)
                    await writer.drain()
                    length = int.from_bytes(await reader.readexactly(2))
                    wire = await reader.readexactly(length)
                finally:
                    writer.close()
        except TimeoutError:
            self.timeouts += 1
            self._finish(query, Answer(LookupStatus.TIMEOUT, detail="TCP retry timed out"))
            return
        except (OSError, asyncio.IncompleteReadError) as exc:
            self._finish(query, Answer(LookupStatus.ERROR, detail=f"TCP retry failed: {exc}"))
            return
        if wire[:2] != query.wire[:2] or not _same_question(wire, query.question):
            self._finish(query, Answer(LookupStatus.ERROR, detail="TCP answer does not match"))
            return
        self._finish(query, parse_answer(wire, query.rdtype)[0])

    def _finish(self, query: _Query, answer: Answer) -> None:
        if query.future.done():
            return
        query.future.set_result(answer)
        if query.socket is not None:
            self._in_flight -= 1
            while self._waiting and self._in_flight < self.max_in_flight:
                self._send(self._waiting.popleft())


def mx_lookup(answer: Answer) -> MxLookup:
    """The MX lookup the checks read, from the answer to an MX query."""
    records = tuple(MxRecord(preference, host) for preference, host in answer.records(MX))
    return MxLookup(
        answer.status, answer.authenticated, answer.extended_errors, answer.detail, records
    )


def address_lookup(answer: Answer, rdtype: int) -> AddressLookup:
    """The A or AAAA lookup the checks read."""
    addresses = tuple(str(address) for address in answer.records(rdtype))
    return AddressLookup(
        answer.status, answer.authenticated, answer.extended_errors, answer.detail, addresses
    )


def txt_lookup(answer: Answer) -> TxtLookup:
    """The TXT lookup the checks read (records of the whole CNAME chain's target)."""
    records = tuple(answer.records(TXT))
    return TxtLookup(
        answer.status,
        answer.authenticated,
        answer.extended_errors,
        answer.detail,
        records,
    )
