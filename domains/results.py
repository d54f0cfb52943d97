"""The result shapes of the commands: what a command returns to its caller, and the
cmdlet-shaped results (SPEC §4) an operation ends with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def error_result(code: str, details: str) -> dict[str, Any]:
    """The cmdlet-shaped result of a failed command."""
    return {"Result": "Error", "ErrorData": {"ErrorCode": code, "ErrorDetails": details}}
