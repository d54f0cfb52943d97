"""``manage.py createapikey SLUG``: create an API key for a tenant; the key is the last line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains import services
from domains.audit import Actor
from domains.models import Tenant


class Command(BaseCommand):
    """Create an API key; it is printed once and only its hash is stored."""

    help = "Create an API key for tenant SLUG; the key is printed as the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        """SLUG and an optional key name."""
        parser.add_argument("slug")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create the key and print it."""
        try:
            tenant = Tenant.objects.get(slug=options["slug"])
        except Tenant.DoesNotExist as exc:
            raise CommandError(f"No tenant {options['slug']!r}.") from exc
        api_key, raw_key = services.create_api_key(tenant, name=options["name"], actor=Actor.cli())
        self.stdout.write(f"API key {api_key.prefix} for tenant {tenant.slug} (shown once):")
        self.stdout.write(raw_key)
