"""Mailed reports (RFC 8460 §3, §5.3): every vector report, in a message DKIM-signed at test
time by a key published in the DNS test network, is stored with its counts through stdin, a
Maildir and LMTP; unsigned, forged, unaligned and l= messages are counted, not stored."""

from __future__ import annotations

import asyncio
import io
import json
import smtplib
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from dnsops.tlsrpt.mail import read_report_mail
from dnsops.tlsrpt.report import ReportLimits, read_report
from domains.models import AcceptedDomain
from domains.tlsrpt import services
from domains.tlsrpt.mail_intake import serve_lmtp
from domains.tlsrpt.models import TlsFailureDetail, TlsReport, TlsRptRefusal
from tests.tlsrpt.conftest import ACCEPTED_REPORTS, Reporter, vector_bytes, vector_expectations
from tests.tlsrpt.expectations import check_against_vector

pytestmark = [pytest.mark.django_db, pytest.mark.dns]
LIMITS = ReportLimits(max_compressed=1024 * 1024, max_decompressed=5 * 1024 * 1024, max_depth=16)


def ingest_stdin(message: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(message)))
    out = io.StringIO()
    call_command("ingest_tlsrpt_mail", stdout=out)
    return out.getvalue().strip()


def mail_refusals(reason: str) -> int:
    return sum(
        TlsRptRefusal.objects.filter(channel="mail", reason=reason).values_list("count", flat=True)
    )


@pytest.mark.parametrize("name", ACCEPTED_REPORTS)
@pytest.mark.parametrize("gzipped", [True, False])
def test_vector_reports_by_mail_are_stored_with_their_counts(
    domain: AcceptedDomain,
    reporter: Reporter,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    gzipped: bool,
) -> None:
    raw = vector_bytes(name)
    message = reporter.sign(reporter.message(raw, report_domain=domain.name, gzipped=gzipped))
    assert ingest_stdin(message, monkeypatch).startswith("stored: ")
    report = TlsReport.objects.get(domain=domain)
    assert report.channel == "mail"
    document = json.loads(raw)
    assert report.report_id == document["report-id"]
    parsed, _ = read_report(raw, "application/tlsrpt+json", LIMITS)
    assert report.total_successful_session_count == parsed.total_successful_session_count
    assert report.total_failure_session_count == parsed.total_failure_session_count
    failures = [f for p in document["policies"] for f in p.get("failure-details", [])]
    services.process_pending_reports()  # what the worker does (it cannot see this transaction)
    assert TlsFailureDetail.objects.filter(report=report).count() == len(failures)
    # The same message again: accepted, stored once.
    assert ingest_stdin(message, monkeypatch).startswith("duplicate: ")
    assert TlsReport.objects.filter(domain=domain).count() == 1


def test_unsigned_message_is_counted_not_stored(
    domain: AcceptedDomain, reporter: Reporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = reporter.message(vector_bytes("rfc8460-appendix-b.json"), report_domain=domain.name)
    assert ingest_stdin(message, monkeypatch).startswith("refused: dkim-missing")
    assert not TlsReport.objects.exists()
    assert mail_refusals("dkim-missing") == 1


def test_tampered_message_fails_dkim(
    domain: AcceptedDomain, reporter: Reporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = vector_bytes("rfc8460-appendix-b.json")
    signed = reporter.sign(reporter.message(raw, report_domain=domain.name, gzipped=False))
    for old, new in (
        (b"aggregate TLS report", b"aggregate TLS r3port"),
        (b"Report-ID:", b"Report-Id:"),
    ):
        tampered = signed.replace(old, new)
        assert tampered != signed
        assert ingest_stdin(tampered, monkeypatch).startswith("refused: dkim-failed")
    assert not TlsReport.objects.exists()
    assert mail_refusals("dkim-failed") == 2


def test_signature_of_another_domain_or_with_l_is_refused(
    domain: AcceptedDomain, reporter: Reporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = vector_bytes("rfc8460-appendix-b.json")
    message = reporter.message(raw, report_domain=domain.name)
    forged = reporter.sign(message.replace(reporter.domain.encode(), b"google.com"))
    # signed by the reporter's key, but the submitter now says google.com
    assert ingest_stdin(forged, monkeypatch).startswith("refused: dkim-")
    partial = reporter.sign(message, length=True)
    assert ingest_stdin(partial, monkeypatch).startswith("refused: dkim-failed")
    assert "covers only part of the body" in ingest_stdin(partial, monkeypatch)
    assert not TlsReport.objects.exists()


def test_report_for_no_verified_domain_is_refused(
    reporter: Reporter, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    raw = vector_bytes("peer-stalwart-rpt03.json")  # no policy-domain at all
    message = reporter.sign(reporter.message(raw, report_domain="nobody.example"))
    assert ingest_stdin(message, monkeypatch).startswith("refused: unknown-domain")
    assert mail_refusals("unknown-domain") == 1


def test_real_eml_vectors(
    domain: AcceptedDomain, reporter: Reporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Google's real message: the report part decodes with the vector's counts ...
    google = vector_bytes("peer-parsedmarc-google-2024.eml")
    mail = read_report_mail(google, 2 * 1024 * 1024)
    assert (mail.media_type, mail.report_domain, mail.submitter) == (
        "application/tlsrpt+gzip",
        "cardinalhealth.ca",
        "google.com",
    )
    parsed, raw = read_report(mail.body, mail.media_type, LIMITS)
    check_against_vector(parsed, raw, vector_expectations()["peer-parsedmarc-google-2024.json"])
    # ... but google.com's key cannot be looked up here: refused, counted.
    assert ingest_stdin(google, monkeypatch).startswith("refused: dkim-failed")
    # mox's message is unsigned: refused; re-addressed and signed by our reporter: stored.
    mox = vector_bytes("peer-mox-tlsrpt-message.eml")
    assert ingest_stdin(mox, monkeypatch).startswith("refused: dkim-missing")
    readdressed = mox.replace(
        b"TLS-Report-Domain: example.net", f"TLS-Report-Domain: {domain.name}".encode()
    )
    readdressed = readdressed.replace(b"mail.sender.example.com", reporter.domain.encode())
    assert ingest_stdin(reporter.sign(readdressed), monkeypatch).startswith("stored: Company-X")
    assert TlsReport.objects.get(domain=domain).total_failure_session_count == 303


def test_maildir(
    domain: AcceptedDomain,
    reporter: Reporter,
    unique_report: Callable[[str], bytes],
    tmp_path: Path,
) -> None:
    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "1.msg").write_bytes(
        reporter.sign(
            reporter.message(unique_report("peer-stalwart-rpt02.json"), report_domain=domain.name)
        )
    )
    (tmp_path / "new" / "2.msg").write_bytes(
        reporter.message(unique_report("peer-stalwart-rpt02.json"), report_domain=domain.name)
    )
    out = io.StringIO()
    call_command("ingest_tlsrpt_mail", maildir=tmp_path, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1.msg: stored: ")
    assert lines[1].startswith("2.msg: refused: dkim-missing")
    assert sorted(p.name for p in (tmp_path / "cur").iterdir()) == ["1.msg:2,S", "2.msg:2,S"]
    assert not list((tmp_path / "new").iterdir())
    again = io.StringIO()
    call_command("ingest_tlsrpt_mail", maildir=tmp_path, stdout=again)
    assert again.getvalue() == ""
    assert TlsReport.objects.filter(domain=domain).count() == 1


@pytest.fixture
def lmtp_port() -> Iterator[int]:
    """The LMTP listener on a free loopback port, in a thread of its own."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.Server] = {}

    async def start() -> None:
        holder["server"] = await serve_lmtp("127.0.0.1", 0)
        started.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True
    )
    thread.start()
    assert started.wait(10)
    server = holder["server"]
    yield server.sockets[0].getsockname()[1]
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_lmtp_listener(
    lmtp_port: int,
    tenant,
    reporter: Reporter,
    unique_report: Callable[[str], bytes],
) -> None:
    domain = tenant.domains.get(is_initial=True)
    signed = reporter.sign(
        reporter.message(unique_report("rfc8460-appendix-b.json"), report_domain=domain.name)
    )
    unsigned = reporter.message(unique_report("rfc8460-appendix-b.json"), report_domain=domain.name)
    with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as client:
        # smtplib reads one reply after DATA, so one recipient (the server answers one each).
        refused = client.sendmail(f"tlsrpt@{reporter.domain}", ["a@x.example"], signed)
        assert refused == {}
        client.sendmail(f"tlsrpt@{reporter.domain}", ["a@x.example"], unsigned)
    report = TlsReport.objects.get(domain=domain)
    assert (report.channel, report.total_successful_session_count) == ("mail", 5326)
    assert mail_refusals("dkim-missing") == 1
