"""Operators' actions on another tenant's work: re-run a failed operation (audited).

A re-run is the same command again for the same domain, on behalf of the operator: a new
operation, created by the one command path (``domains.commands.run_command``), so every rule
of a command holds (one in flight per domain and feature, the state machine); the audit
trail links the failed operation to the new one.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction, OperationKind, OperationState
from domains.commands import run_command
from domains.errors import OperationNotFailed, OperationNotKnown
from domains.models import Operation
from domains.results import CommandOutcome


def rerun_operation(operation_id: str, *, actor: Actor) -> CommandOutcome:
    """Run the failed operation ``operation_id``'s command again for its domain."""
    try:
        key = uuid.UUID(operation_id)
    except ValueError as exc:
        raise OperationNotKnown(f"There is no operation {operation_id}.") from exc
    failed = Operation.objects.select_related("tenant").filter(pk=key).first()
    if failed is None:
        raise OperationNotKnown(f"There is no operation {operation_id}.")
    if failed.state != OperationState.FAILED:
        raise OperationNotFailed(
            f"Operation {failed.id} is {failed.state}; only a failed operation can be run again."
        )
    with transaction.atomic():
        outcome = run_command(
            OperationKind(failed.kind), failed.tenant, failed.domain_name, actor=actor
        )
        record_audit_event(
            AuditAction.OPERATION_RERUN,
            actor=actor,
            tenant=failed.tenant,
            target_type="operation",
            target_id=str(failed.id),
            data={"rerun_as": str(outcome.operation.id), "created": outcome.created},
        )
    return outcome
