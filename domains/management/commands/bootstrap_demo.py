"""``manage.py bootstrap_demo``: make sure a demo tenant exists and print a fresh API key and
the sign-ins of its demo admin and of a demo operator (new generated passwords each time)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from domains import services
from domains.audit import Actor
from domains.choices import MemberRole
from domains.models import Tenant
from domains.operators import provision_operator


class Command(BaseCommand):
    """Used by the one-command start: a demo tenant to try the API with."""

    help = "Create the demo tenant if missing and print a new API key and the service URL."

    def add_arguments(self, parser: CommandParser) -> None:
        """The tenant slug and the URL the service will listen on."""
        parser.add_argument("--slug", default="demo")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--username", default="demo-admin")
        parser.add_argument("--operator", default="demo-operator")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create what is missing and print how to call the API."""
        actor = Actor.cli()
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            tenant = services.create_tenant(options["slug"], name="Demo tenant", actor=actor)
        _, raw_key = services.create_api_key(tenant, name="demo", actor=actor)
        membership, password = services.provision_member(
            tenant, options["username"], role=MemberRole.ADMIN, actor=actor
        )
        operator, operator_password = provision_operator(options["operator"], actor=actor)
        url = options["url"].rstrip("/")
        self.stdout.write(
            f"DANE Admin is starting at {url}/ (API docs: {url}/api/docs/)\n"
            f"Demo tenant: {tenant.slug}\n"
            f"Sign in at {url}/accounts/login/ as {membership.user.get_username()} "
            f"with the password {password}\n"
            f"Operators' pages: {url}/operator/ as {operator.get_username()} "
            f"with the password {operator_password}\n"
            f"Try: curl -H 'Authorization: Api-Key {raw_key}' {url}/api/v1/domains/\n"
            f"API key (shown once):\n{raw_key}"
        )
