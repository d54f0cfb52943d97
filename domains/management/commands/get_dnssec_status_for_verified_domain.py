"""``manage.py get_dnssec_status_for_verified_domain --tenant SLUG DOMAIN [--refresh]``."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains import checks, results, wizard
from domains.errors import ServiceError
from domains.models import Tenant


class Command(BaseCommand):
    """Print the status document of the domain, as ``GET /api/v1/domains/{name}/dnssec/``."""

    help = (
        "Get-DnssecStatusForVerifiedDomain for DOMAIN of tenant SLUG: the latest check run, "
        "or a run now with --refresh. Exits 1 when the result is an error (EG001, EG002, ...)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """``--tenant SLUG DOMAIN [--refresh]``."""
        parser.add_argument("domain")
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--refresh", action="store_true", help="run the checks now")

    def handle(self, *args: Any, **options: Any) -> None:
        """Look up (or run) the checks and print the JSON."""
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        try:
            document = wizard.dnssec_status_with_step(
                tenant, options["domain"], refresh=options["refresh"]
            )
        except checks.DomainNotInService as exc:
            document = exc.details
        except ServiceError as exc:
            document = results.error_result(exc.code, exc.message)
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
        if document["Result"] != "Success":
            raise SystemExit(1)
