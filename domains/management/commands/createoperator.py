"""``manage.py createoperator USERNAME``: create or update an operator (a staff user with the
operator permission); a new generated password is the last line printed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains.audit import Actor
from domains.errors import ServiceError
from domains.operators import provision_operator


class Command(BaseCommand):
    """Create (or update) an operator for the operator pages and print a new password once."""

    help = (
        "Make USERNAME an operator (the user is created if missing) and give it a new "
        "generated password, printed as the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """USERNAME."""
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create or update the operator and print its new password."""
        try:
            user, password = provision_operator(options["username"], actor=Actor.cli())
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Operator {user.get_username()}; password (shown once):")
        self.stdout.write(password)
