"""``manage.py createmember SLUG USERNAME --role admin|viewer``: create or update a member of a
tenant; a new generated password is the last line printed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains import services
from domains.audit import Actor
from domains.choices import MemberRole
from domains.errors import ServiceError
from domains.models import Tenant


class Command(BaseCommand):
    """Create (or update) a tenant member for the web UI and print a new password once."""

    help = (
        "Make USERNAME a member of tenant SLUG with --role (the user is created if missing) "
        "and give it a new generated password, printed as the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """SLUG, USERNAME and the role."""
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("--role", choices=MemberRole.values, default=MemberRole.ADMIN)

    def handle(self, *args: Any, **options: Any) -> None:
        """Create or update the member and print its new password."""
        try:
            tenant = Tenant.objects.get(slug=options["slug"])
        except Tenant.DoesNotExist as exc:
            raise CommandError(f"No tenant {options['slug']!r}.") from exc
        try:
            membership, password = services.provision_member(
                tenant, options["username"], role=options["role"], actor=Actor.cli()
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Member {membership.user.get_username()} of tenant {tenant.slug} "
            f"({membership.role}); password (shown once):"
        )
        self.stdout.write(password)
