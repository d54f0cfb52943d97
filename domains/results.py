"""The result shapes of the commands: what a command returns to its caller, and the
cmdlet-shaped results (SPEC §4) an operation ends with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Expression, OuterRef, Subquery, Value, When
from django.db.models.functions import Concat, JSONObject

from domains.choices import OperationKind
from domains.models import AcceptedDomain, Operation


@dataclass(frozen=True)
class CommandOutcome:
    """The operation a command created, or the one it repeated (``created`` False)."""

    operation: Operation
    created: bool


def success_result(kind: OperationKind, domain: AcceptedDomain) -> dict[str, Any]:
    """The cmdlet-shaped result of a successful command."""
    result: dict[str, Any] = {"Result": "Success"}
    if kind == OperationKind.ENABLE_DNSSEC:
        result["DnssecMxValue"] = domain.dnssec_mx_value
    result["ErrorData"] = None
    return result


def success_result_in_sql(kind: OperationKind) -> Expression:
    """:func:`success_result` as an expression of an UPDATE of operations of ``kind``, each
    from its own domain's row (so one statement finishes any number of them); None for an
    operation whose domain was deleted."""
    fields: dict[str, Any] = {"Result": Value("Success")}
    if kind == OperationKind.ENABLE_DNSSEC:  # the domain's dnssec_mx_value
        host = AcceptedDomain.objects.filter(pk=OuterRef("domain_id"), mx_token__isnull=False)
        fields["DnssecMxValue"] = Subquery(
            host.annotate(host=Concat("mx_token", Value("."), "partition__zone")).values("host")
        )
    fields["ErrorData"] = Value(None)
    return Case(When(domain__isnull=True, then=Value(None)), default=JSONObject(**fields))


def error_result(code: str, details: str) -> dict[str, Any]:
    """The cmdlet-shaped result of a failed command."""
    return {"Result": "Error", "ErrorData": {"ErrorCode": code, "ErrorDetails": details}}
