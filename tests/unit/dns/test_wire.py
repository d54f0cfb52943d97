"""The wire codec of the DNS client against dnspython's own encoding: the records the checks
and the outbound validator read, their owners and their presentation form."""

from __future__ import annotations

import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from dnsops.dns.types import AAAA, CNAME, MX, TLSA, A, LookupStatus, Tlsa
from dnsops.dns.wire import FLAG_RD, encode_name, make_query, parse_answer, record_text

LONG_CERT = "3082" + "ab" * 150  # more than 128 hex digits: dnspython splits it in chunks


def response(qname: str, rdtype: str, *rrsets: tuple[str, str, str]) -> bytes:
    """A NOERROR response with AD to ``qname``/``rdtype`` holding ``rrsets`` (owner, type,
    data) in its answer section, as dnspython writes it (names compressed)."""
    query = dns.message.make_query(qname, rdtype, want_dnssec=True)
    message = dns.message.make_response(query)
    message.flags |= dns.flags.AD
    for owner, kind, data in rrsets:
        message.answer.append(dns.rrset.from_text(owner, 300, "IN", kind, data))
    wire = message.to_wire()
    assert isinstance(wire, bytes)
    return wire


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("A", "192.0.2.25"),
        ("AAAA", "2001:db8::1:0:0:1"),
        ("MX", "10 mx.Example.test."),
        ("MX", "0 ."),
        ("CNAME", "target.example.test."),
        ("NS", "ns1.example.test."),
        ("TLSA", "3 1 1 " + "0f" * 32),
        ("TLSA", f"2 0 0 {LONG_CERT}"),
    ],
)
def test_presentation_form_is_dnspythons(kind: str, data: str) -> None:
    rdtype = dns.rdatatype.from_text(kind)
    wire = response("www.example.test", kind, ("www.example.test.", kind, data))
    expected = [rdata.to_text() for rdata in dns.message.from_wire(wire).answer[0]]

    answer, truncated = parse_answer(wire, rdtype)

    assert (answer.status, answer.authenticated, truncated) == (LookupStatus.OK, True, False)
    assert [record_text(record) for record in answer.answer] == expected


def test_tlsa_records_are_decoded() -> None:
    wire = response(
        "_25._tcp.mx.example.test",
        "TLSA",
        ("_25._tcp.mx.example.test.", "TLSA", f"3 1 1 {'0f' * 32}"),
    )

    answer, _ = parse_answer(wire, TLSA)

    assert answer.records(TLSA) == [Tlsa(3, 1, 1, bytes.fromhex("0f" * 32))]


def test_a_cname_chain_keeps_its_owners() -> None:
    wire = response(
        "alias.example.test",
        "A",
        ("alias.example.test.", "CNAME", "Middle.example.test."),
        ("Middle.example.test.", "CNAME", "real.example.test."),
        ("real.example.test.", "A", "192.0.2.1"),
    )

    answer, _ = parse_answer(wire, A)

    assert [(record.owner, record.data) for record in answer.answer if record.rdtype == CNAME] == [
        ("alias.example.test", "Middle.example.test"),
        ("Middle.example.test", "real.example.test"),
    ]
    assert answer.records(A) == ["192.0.2.1"]
    assert answer.records(MX) == answer.records(AAAA) == []


def test_truncated_tlsa_rdata_is_unreadable() -> None:
    wire = response(
        "_25._tcp.mx.example.test", "TLSA", ("_25._tcp.mx.example.test.", "TLSA", "3 1 0 0f")
    )
    rdata = b"\x00\x04\x03\x01\x00\x0f"  # RDLENGTH 4: usage 3, selector 1, type 0, 0x0f
    assert wire.count(rdata) == 1
    cut = wire.replace(rdata, b"\x00\x02\x03\x01")  # two octets: no matching type

    answer, _ = parse_answer(cut, TLSA)

    assert answer.status is LookupStatus.UNREADABLE
    assert "TLSA rdata is shorter than 3 octets" in answer.detail


def test_ttls_and_the_authoritative_bit_are_read() -> None:
    query = dns.message.make_query("example.test", "MX")
    message = dns.message.make_response(query)
    message.flags |= dns.flags.AA
    message.answer.append(
        dns.rrset.from_text("example.test.", 3600, "IN", "MX", "10 a.example.test.", "20 b.test.")
    )
    wire = message.to_wire()

    answer, _ = parse_answer(wire, MX)

    assert answer.authoritative
    assert [record.ttl for record in answer.answer] == [3600, 3600]
    assert answer.ttl(MX) == 3600
    assert answer.ttl(A) is None
    assert not parse_answer(response("example.test", "MX"), MX)[0].authoritative


def test_a_question_to_an_authoritative_server_has_rd_off() -> None:
    _, recursive = make_query(encode_name("example.test"), MX, cd=False)
    _, direct = make_query(encode_name("example.test"), MX, cd=False, recursion=False)

    assert dns.message.from_wire(recursive).flags & FLAG_RD
    assert not dns.message.from_wire(direct).flags & FLAG_RD
