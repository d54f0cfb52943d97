"""The DNS wire format as the client writes queries and reads answers (RFC 1035 §4).

dnspython supplies the constants and the slow-path name handling; the hot path reads and
writes the wire format directly, because building and parsing a dnspython message costs
about 200 µs, more than the resolver spends answering from its cache (the parser here takes
about 10 µs). Only the records the checks and the outbound validator read are decoded (see
:class:`dnsops.dns.types.Record`).
"""

from __future__ import annotations

import re
import socket
import struct
from datetime import UTC, datetime
from typing import Any

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype

from dnsops.dns.types import (
    AAAA,
    CNAME,
    DNSKEY,
    DS,
    MX,
    NS,
    RRSIG,
    SOA,
    TLSA,
    TXT,
    A,
    Answer,
    ExtendedDnsError,
    LookupStatus,
    Record,
    Signature,
    Tlsa,
)

_OPT = dns.rdatatype.OPT
_EDE_OPTION = 15  # RFC 8914

FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_AD = 0x0020
FLAG_RD = 0x0100
FLAG_CD = 0x0010
UDP_PAYLOAD = 1232  # the DNS Flag Day 2020 size: no IP fragmentation
# Root owner, type OPT, class = payload size, TTL = extended rcode 0, version 0, DO; no options.
OPT_RR = b"\x00" + struct.pack("!HHIH", _OPT, UDP_PAYLOAD, 0x8000, 0)
_PLAIN_NAME = re.compile(rb"[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*")
_OWNED = frozenset({SOA, CNAME})  # the types whose owner name is read
_RCODE_STATUS = {
    dns.rcode.SERVFAIL: LookupStatus.SERVFAIL,
    dns.rcode.REFUSED: LookupStatus.REFUSED,
    dns.rcode.NXDOMAIN: LookupStatus.NXDOMAIN,
}


def make_query(
    qname: bytes, rdtype: int, *, cd: bool, recursion: bool = True
) -> tuple[bytes, bytes]:
    """The question (``qname`` lower-cased, type, class IN) and a query message asking it
    with RD (unless ``recursion`` is off: a question to an authoritative server), AD
    (RFC 6840 §5.7) and DO set (CD when ``cd``) and message ID 0; ``qname`` from
    :func:`encode_name`."""
    question = qname.lower() + struct.pack("!HH", rdtype, 1)
    flags = (FLAG_RD if recursion else 0) | FLAG_AD | (FLAG_CD if cd else 0)
    header = struct.pack("!HHHHHH", 0, flags, 1, 0, 0, 1)
    return question, header + question + OPT_RR


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
    if rdtype in (CNAME, NS):
        return _read_name(wire, start)[0]
    if rdtype == RRSIG:
        covered, _, _, _, expiration, _, _ = struct.unpack_from("!HBBIIIH", wire, start)
        signer, _ = _read_name(wire, start + 18)
        return Signature(covered, datetime.fromtimestamp(expiration, UTC), signer)
    if rdtype == DNSKEY:
        flags, _, algorithm = struct.unpack_from("!HBB", wire, start)
        return (flags, algorithm)
    if rdtype == DS:
        key_tag, algorithm, digest_type = struct.unpack_from("!HBB", wire, start)
        return (key_tag, algorithm, digest_type, wire[start + 4 : end].hex().upper())
    if rdtype == SOA:
        _, after = _read_name(wire, start)  # MNAME
        _, after = _read_name(wire, after)  # RNAME
        return int.from_bytes(wire[after : after + 4])  # SERIAL
    if rdtype == TLSA:
        if end - start < 3:
            raise _Malformed("TLSA rdata is shorter than 3 octets")
        return Tlsa(wire[start], wire[start + 1], wire[start + 2], wire[start + 3 : end])
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
                    owner = _read_name(wire, start)[0] if rrtype in _OWNED else ""
                    section.append(Record(owner, rrtype, _rdata(wire, rrtype, offset, end), ttl))
                offset = end
    except (_Malformed, IndexError, struct.error, ValueError, dns.exception.DNSException) as exc:
        return Answer(LookupStatus.UNREADABLE, detail=f"malformed answer: {exc}"), False
    truncated = bool(flags & FLAG_TC)
    if rcode == dns.rcode.NOERROR:
        wanted = any(record.rdtype == rdtype for record in sections[0])
        status = LookupStatus.OK if wanted else LookupStatus.NODATA
    else:
        status = _RCODE_STATUS.get(rcode, LookupStatus.ERROR)
    detail = "" if status is not LookupStatus.ERROR else f"rcode {dns.rcode.to_text(rcode)}"
    answer = Answer(
        status,
        bool(flags & FLAG_AD),
        tuple(sections[0]),
        tuple(sections[1]),
        tuple(extended),
        detail,
        bool(flags & FLAG_AA),
    )
    return answer, truncated


def same_question(wire: bytes, question: bytes) -> bool:
    """True if the message ``wire`` asks ``question`` (name compared case-insensitively)."""
    split = len(question) - 4
    return (
        wire[12 : 12 + split].lower() == question[:split]
        and wire[12 + split : 16 + split] == question[split:]
    )


def record_text(record: Record) -> str:
    """The presentation form of ``record``'s data, as dnspython writes it (names absolute)."""
    data: Any = record.data
    if record.rdtype == MX:
        preference, host = data
        return f"{preference} {_absolute(host)}"
    if record.rdtype in (CNAME, NS):
        return _absolute(str(data))
    if isinstance(data, Tlsa):
        return data.to_text()
    return str(data)


def _absolute(name: str) -> str:
    """``name`` with its final dot (the root stays ``"."``)."""
    return name if name.endswith(".") else name + "."
