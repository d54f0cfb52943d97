"""``manage.py createtenant SLUG``: create a tenant and its initial domain."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains import services
from domains.audit import Actor
from domains.errors import ServiceError


class Command(BaseCommand):
    """Create a tenant."""

    help = "Create a tenant (and its initial domain <slug>.<DANE_INITIAL_DOMAIN_SUFFIX>)."

    def add_arguments(self, parser: CommandParser) -> None:
        """SLUG and an optional display name."""
        parser.add_argument("slug")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create it through the service layer and print the initial domain."""
        try:
            tenant = services.create_tenant(
                options["slug"], name=options["name"], actor=Actor.cli()
            )
        except ServiceError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        initial = tenant.domains.get(is_initial=True)
        self.stdout.write(f"Created tenant {tenant.slug} with initial domain {initial.name}")
