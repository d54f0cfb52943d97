"""``manage.py run_tlsrpt_lmtp [--host H] [--port P]``: an LMTP listener for mailed TLS-RPT
reports (point the MTA's transport for the report mailbox at it)."""

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from domains.tlsrpt.mail_intake import serve_lmtp


class Command(BaseCommand):
    """Serve LMTP until interrupted."""

    help = "Listen for TLS-RPT report mail over LMTP."

    def add_arguments(self, parser: CommandParser) -> None:
        """Where to listen (loopback by default)."""
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2424)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the listener."""
        asyncio.run(self._serve(options["host"], options["port"]))

    async def _serve(self, host: str, port: int) -> None:
        server = await serve_lmtp(host, port)
        self.stdout.write(f"LMTP for TLS-RPT reports on {host}:{port}")
        async with server:
            await server.serve_forever()
