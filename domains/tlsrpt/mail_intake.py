"""Mailed TLS-RPT reports (``rua=mailto:``): one message at a time from an MTA's pipe or a
Maildir (``manage.py ingest_tlsrpt_mail``), or an LMTP listener (``manage.py
run_tlsrpt_lmtp``). The DKIM keys are looked up through ``DANE_RESOLVER``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.lmtp import LMTP
from django.conf import settings
from django.db import close_old_connections

from dnsops.tlsrpt.dkimkeys import resolver_dnsfunc
from dnsops.tlsrpt.report import ReportRejected
from domains.tlsrpt import services


@dataclass(frozen=True)
class MailOutcome:
    """What became of one message: ``stored``, ``duplicate`` or ``refused`` (with why)."""

    outcome: str
    detail: str

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}"


def ingest_message(message: bytes) -> MailOutcome:
    """Verify, validate and store one report message; a refusal is counted, not raised."""
    try:
        ingested = services.accept_mail_report(message, resolver_dnsfunc)
    except ReportRejected as exc:
        return MailOutcome("refused", f"{exc.reason}: {exc.detail}")
    report = ingested.report
    name = f"{report.organization_name} {report.report_id} for {report.domain.name}"
    return MailOutcome("stored" if ingested.created else "duplicate", name)


def ingest_maildir(maildir: Path) -> list[tuple[str, MailOutcome]]:
    """Every message in ``maildir/new``, each moved to ``cur`` once handled (a rerun does not
    see it again); (file name, outcome) in name order."""
    new, cur = maildir / "new", maildir / "cur"
    cur.mkdir(exist_ok=True)
    outcomes = []
    for path in sorted(p for p in new.iterdir() if p.is_file()):
        with path.open("rb") as handle:
            message = handle.read(settings.TLSRPT_MAX_MAIL_BYTES + 1)
        outcomes.append((path.name, ingest_message(message)))
        path.rename(cur / f"{path.name}:2,S")
    return outcomes


class ReportMailHandler:
    """aiosmtpd handler: each message delivered over LMTP is ingested off the event loop."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """One ``250`` per recipient (LMTP): a refused report is still taken, so the sender
        does not retry it (it is counted)."""
        content = envelope.original_content or envelope.content
        outcome = await asyncio.get_running_loop().run_in_executor(None, _ingest_in_thread, content)
        reply = f"250 2.0.0 {outcome.outcome}"
        return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))


def _ingest_in_thread(message: bytes) -> MailOutcome:
    """``ingest_message`` in a worker thread, with Django's connection hygiene."""
    close_old_connections()
    try:
        return ingest_message(message)
    finally:
        close_old_connections()


def lmtp_protocol() -> LMTP:
    """A new LMTP protocol instance bounded by ``TLSRPT_MAX_MAIL_BYTES``."""
    return LMTP(
        ReportMailHandler(),
        data_size_limit=settings.TLSRPT_MAX_MAIL_BYTES,
        hostname="dane-admin-tlsrpt",
        timeout=60,
    )


async def serve_lmtp(host: str, port: int) -> asyncio.Server:
    """Listen for LMTP on ``host:port``."""
    return await asyncio.get_running_loop().create_server(lmtp_protocol, host, port)
