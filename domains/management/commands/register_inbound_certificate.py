"""``manage.py register_inbound_certificate PEM_FILE --state current|next|retired``."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dnsops.choices import InboundKeyState
from dnsops.inbound.keys import InvalidCertificate
from domains.audit import Actor
from domains.inbound_keys import register_certificate
from domains.tasks import republish_tlsa_records


class Command(BaseCommand):
    """Register (or change the state of) one of the provider's inbound TLS certificates."""

    help = "Register an inbound certificate (PEM); its SPKI digest becomes a 3 1 1 TLSA record."

    def add_arguments(self, parser: CommandParser) -> None:
        """The PEM file, its state, and whether it is the issuing CA (2 1 1)."""
        parser.add_argument("pem_file")
        parser.add_argument("--state", choices=InboundKeyState.values, default="current")
        parser.add_argument("--name", default="", help="defaults to the file's path")
        parser.add_argument("--issuer", action="store_true", help="the issuing CA (2 1 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Read, register and print the TLSA record."""
        try:
            key = register_certificate(
                Path(options["pem_file"]).read_text(),
                name=options["name"] or options["pem_file"],
                state=InboundKeyState(options["state"]),
                is_issuer=options["issuer"],
                actor=Actor.cli(),
            )
        except (OSError, InvalidCertificate) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{key.name}: {key.state}, TLSA {key.tlsa_record}")
        republish_tlsa_records.delay()
        self.stdout.write("Republishing the TLSA records of every DANE-enabled domain.")
