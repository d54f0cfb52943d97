"""``manage.py test_dane DOMAIN``: validate outbound DANE (RFC 7672) for a destination now.

Prints every step with its timing and the verdict (``--json``: the stored report). The result
is stored without a tenant, or for ``--tenant SLUG``. An operator at the command line may
choose the port and reach private addresses, whatever the API's switches say.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains.audit import Actor
from domains.dane_validations import run_validation
from domains.errors import InvalidRequest
from domains.models import Tenant


class Command(BaseCommand):
    """Validate outbound DANE for DOMAIN and print the steps and the verdict."""

    help = "Validate outbound SMTP DANE (RFC 7672) for DOMAIN: every step, then the verdict."

    def add_arguments(self, parser: CommandParser) -> None:
        """DOMAIN, and --port, --json, --tenant."""
        parser.add_argument("domain")
        parser.add_argument("--port", type=int, help="TCP port instead of 25 (tests).")
        parser.add_argument("--json", action="store_true", help="Print the stored report as JSON.")
        parser.add_argument("--tenant", help="Store the result for this tenant (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the validation through the service layer and print it."""
        tenant = None
        if options["tenant"]:
            try:
                tenant = Tenant.objects.get(slug=options["tenant"])
            except Tenant.DoesNotExist as exc:
                raise CommandError(f"No tenant {options['tenant']!r}.") from exc
        try:
            validation = run_validation(
                options["domain"],
                tenant=tenant,
                actor=Actor.cli(),
                port=options["port"],
                allow_private_addresses=True,
            )
        except InvalidRequest as exc:
            raise CommandError(exc.message) from exc
        result = validation.result
        if options["json"]:
            self.stdout.write(json.dumps({"id": str(validation.id), **result}, indent=2))
            return
        self.stdout.write(f"Outbound DANE validation of {result['domain']} (port {result['port']})")
        for step in result["steps"]:
            where = " ".join(part for part in (step["host"], step["address"]) if part)
            heading = (
                f"{step['milliseconds']:>9.1f} ms  {step['step']:<13} {step['outcome']:<22} {where}"
            )
            self.stdout.write(f"{heading.rstrip()}\n{'':>14}{step['detail']}")
        code = result["status_code"] or "none"
        self.stdout.write(
            f"Verdict: {result['verdict']} ({result['disposition']}, status code {code}) "
            f"in {result['milliseconds']:.0f} ms"
        )
        self.stdout.write(f"Reason: {result['reason']}")
        self.stdout.write(f"Stored as validation {validation.id}.")
