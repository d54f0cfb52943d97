"""Celery tasks of the domains app: thin wrappers around ``domains.operations`` and
``domains.checks``."""

from celery import shared_task

from domains import checks, operations


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=200, time_limit=230)
def process_operations() -> int:
    """Carry out every due operation (woken by commands; also the periodic sweep)."""
    return operations.process_due_operations()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_due_checks() -> int:
    """Claim the domains whose status checks are due and fan them out (the beat sweep)."""
    return checks.dispatch_due_checks()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=150, time_limit=180)
def check_domains(domain_ids: list[int]) -> int:
    """Check one chunk of claimed domains concurrently and store their runs."""
    return checks.check_domains(domain_ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=250, time_limit=290)
def purge_tls_reports() -> int:
    """Delete TLS-RPT reports and aggregates past ``TLSRPT_RETENTION_DAYS`` (hourly beat)."""
    from domains.tlsrpt import services as tlsrpt_services

    return tlsrpt_services.purge_expired_reports()
