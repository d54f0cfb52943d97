"""``manage.py builtin_zone_file <zone>``: a builtin zone as published, for a DNS server.

The zone file with its journal applied (``docs/builtin-signer.md``), to standard output or to
``--output`` (written to a temp file renamed into place); with ``--compact`` the journal is
folded into the zone file itself instead (for a server that loads the file whole: run it
before the server reloads) and the file's path is printed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dnsops.backends.base import DnsBackendError
from dnsops.backends.builtin import BuiltinBackend, published_zone


class Command(BaseCommand):
    """Print, write or compact a builtin zone as published."""

    help = "A builtin zone as published (its file with the journal applied)."

    def add_arguments(self, parser: CommandParser) -> None:
        """The zone, and where the zone goes."""
        parser.add_argument("zone")
        parser.add_argument("--output", type=Path, help="write the zone here, not to stdout")
        parser.add_argument(
            "--compact",
            action="store_true",
            help="fold the journal into the zone file and print the file's path",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Write the published zone where asked."""
        backend = BuiltinBackend.from_settings()
        try:
            if options["compact"]:
                self.stdout.write(str(backend.compact_zone_file(options["zone"])))
                return
            path = backend.zone_file_path(options["zone"])
        except DnsBackendError as exc:
            raise CommandError(str(exc)) from None
        output: Path | None = options["output"]
        missing = CommandError(f"{options['zone']} has no zone file in {path.parent}.")
        if output is None:
            if published_zone(path, sys.stdout.buffer) is None:
                raise missing
            sys.stdout.buffer.flush()
            return
        fd, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                if published_zone(path, handle) is None:
                    raise missing
            os.chmod(temporary, 0o644)  # public data, read by the DNS server's user
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
