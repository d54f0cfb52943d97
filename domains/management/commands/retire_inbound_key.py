"""``manage.py retire_inbound_key NAME``: withdraw a key's TLSA once no server serves it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains.audit import Actor
from domains.errors import ServiceError
from domains.rollover import retire


class Command(BaseCommand):
    """Retire an inbound key after the probe saw its successor on every inbound address."""

    help = (
        "Retire the inbound key NAME: its TLSA record is withdrawn from every DANE domain. "
        "Refused, with the reason on stderr and a non-zero exit, while an inbound address "
        "still serves it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """NAME."""
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        """Retire, or fail with the refusal."""
        try:
            key = retire(options["name"], actor=Actor.cli())
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{key.name}: retired; its TLSA records are withdrawn.")
