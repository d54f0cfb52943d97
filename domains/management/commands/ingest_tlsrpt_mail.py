"""``manage.py ingest_tlsrpt_mail [--maildir PATH]``: take mailed TLS-RPT reports in.

Without ``--maildir`` one message is read from standard input, so an MTA can pipe to it.
Each message prints one line: ``stored``, ``duplicate`` or ``refused: <reason>: <detail>``.
A refused report (unsigned, bad signature, malformed) is counted and the exit status is still
0: the MTA must not bounce it back to whoever forged it.
"""

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains.tlsrpt.mail_intake import ingest_maildir, ingest_message


class Command(BaseCommand):
    """Ingest one message from stdin, or every new message of a Maildir."""

    help = "Ingest a TLS-RPT report message from stdin, or the new messages of --maildir."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--maildir PATH``."""
        parser.add_argument("--maildir", type=Path, help="Handle PATH/new, moving each to cur.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Ingest and print one line per message."""
        maildir: Path | None = options["maildir"]
        if maildir is None:
            message = sys.stdin.buffer.read(settings.TLSRPT_MAX_MAIL_BYTES + 1)
            self.stdout.write(str(ingest_message(message)))
            return
        if not (maildir / "new").is_dir():
            raise CommandError(f"{maildir} is not a Maildir (no new/ folder).")
        for name, outcome in ingest_maildir(maildir):
            self.stdout.write(f"{name}: {outcome}")
