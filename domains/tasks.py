"""Celery tasks of the domains app: thin wrappers around ``domains.operations``."""

from celery import shared_task

from domains import operations


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=200, time_limit=230)
def process_operations() -> int:
    """Carry out every due operation (woken by commands; also the periodic sweep)."""
    return operations.process_due_operations()
