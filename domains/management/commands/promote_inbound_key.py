"""``manage.py promote_inbound_key NAME [--force --reason TEXT]``: make a next key current."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains.audit import Actor
from domains.errors import ServiceError
from domains.rollover import promote


class Command(BaseCommand):
    """Promote a next key once its TLSA has been visible everywhere for the gate."""

    help = (
        "Promote the next inbound key NAME to current (then deploy its certificate on the "
        "MTAs). Refused, with the reason on stderr and a non-zero exit, until its TLSA set has "
        "been on every server for 2 x DANE_RECORD_TTL + DANE_ROLLOVER_MARGIN_SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """NAME, and ``--force`` with its ``--reason``."""
        parser.add_argument("name")
        parser.add_argument("--force", action="store_true", help="promote before the gate")
        parser.add_argument("--reason", default="", help="why (required with --force; audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Promote, or fail with the refusal."""
        try:
            key = promote(
                options["name"],
                actor=Actor.cli(),
                force=options["force"],
                reason=options["reason"],
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{key.name}: current. Deploy its certificate on every inbound server.")
