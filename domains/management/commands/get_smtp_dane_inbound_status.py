"""``manage.py get_smtp_dane_inbound_status --tenant SLUG DOMAIN [--probe]``:
Get-SmtpDaneInboundStatus."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains import commands, inbound_status, results
from domains.errors import ServiceError
from domains.models import Tenant


class Command(BaseCommand):
    """Print the TLSA records of the domain's MX host as the validating resolver sees them."""

    help = "Get-SmtpDaneInboundStatus for DOMAIN of tenant SLUG."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--tenant SLUG DOMAIN [--probe]``."""
        parser.add_argument("domain")
        parser.add_argument("--tenant", required=True)
        parser.add_argument(
            "--probe",
            action="store_true",
            help="Also connect to each address of the MX host and match the served certificate.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Look it up and print the JSON."""
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        try:
            domain = commands.supported_domain(tenant, options["domain"])
            result = inbound_status.smtp_dane_inbound_status(domain, probe=options["probe"])
        except ServiceError as exc:
            result = results.error_result(exc.code, exc.message)
        self.stdout.write(json.dumps(result, indent=2))
