"""Shared body of the cmdlet-named management commands: ``--tenant SLUG DOMAIN``, print the
cmdlet-shaped JSON result (waiting for the operation to finish, within ``--wait`` seconds)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from domains.audit import Actor
from domains.commands import Command
from domains.errors import ServiceError
from domains.models import Operation, Tenant
from domains.results import error_result


class CmdletCommand(BaseCommand):
    """Runs ``command`` through the service layer like the API does."""

    command: Command

    def add_arguments(self, parser: CommandParser) -> None:
        """``--tenant SLUG DOMAIN [--wait SECONDS]``."""
        parser.add_argument("domain")
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait")

    def tenant(self, slug: str) -> Tenant:
        """The tenant, or a command error."""
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}.")
        return tenant

    def emit(self, result: dict[str, Any]) -> None:
        """Print a result as JSON."""
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the command, wait for its operation, print the result."""
        tenant = self.tenant(options["tenant"])
        try:
            outcome = type(self).command(tenant, options["domain"], actor=Actor.cli())
        except ServiceError as exc:
            self.emit(error_result(exc.code, exc.message))
            raise SystemExit(1) from exc
        operation = outcome.operation
        deadline = time.monotonic() + options["wait"]
        while not operation.is_finished and time.monotonic() < deadline:
            time.sleep(0.2)
            operation = Operation.objects.get(pk=operation.pk)
        if not operation.is_finished:
            self.emit({"Result": "Pending", "OperationId": str(operation.id), "ErrorData": None})
            raise SystemExit(2)
        assert operation.result is not None
        self.emit(operation.result)
        if operation.result.get("Result") != "Success":
            raise SystemExit(1)
