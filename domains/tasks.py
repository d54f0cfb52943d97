"""Celery tasks of the domains app: thin wrappers around ``domains.operations``,
``domains.checks``, ``domains.inbound_keys`` and ``domains.rollover``."""

from datetime import datetime

from celery import shared_task

from dnsops.backends.base import DnsBackendError
from domains import check_batches, checks, inbound_keys, operations, rollover
from domains.tlsrpt import services as tlsrpt_services


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=200, time_limit=230)
def process_operations() -> int:
    """Carry out every due operation (woken by commands; also the periodic sweep)."""
    return operations.process_due_operations()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_due_checks() -> int:
    """Claim the domains whose status checks are due and fan them out (the beat sweep)."""
    return checks.dispatch_due_checks()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=150, time_limit=180)
def check_domains(domain_ids: list[int], claimed_at: str | None = None) -> int:
    """Check one chunk of claimed domains (claimed at ``claimed_at``, ISO 8601) concurrently
    and store their runs."""
    claim = None if claimed_at is None else datetime.fromisoformat(claimed_at)
    return checks.check_domains(domain_ids, claim)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DnsBackendError,),
    retry_backoff=10,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=500,
    time_limit=560,
)
def republish_tlsa_records() -> int:
    """Publish the current TLSA set for every DANE-enabled domain (after a key change)."""
    return inbound_keys.republish_tlsa_records()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=250, time_limit=290)
def purge_tls_reports() -> int:
    """Delete TLS-RPT reports and aggregates past ``TLSRPT_RETENTION_DAYS`` (hourly beat)."""
    return tlsrpt_services.purge_expired_reports()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=150, time_limit=180)
def run_check_batch(batch_id: str) -> int:
    """Check the next chunk of a check batch, then enqueue the one after it."""
    return check_batches.run_check_batch(batch_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=60)
def resume_check_batches() -> int:
    """Start again the check batches whose chain of chunks was lost (the beat sweep)."""
    return len(check_batches.resume_stalled_batches())


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=250, time_limit=290)
def process_tls_reports() -> int:
    """Write the details and aggregates of the stored TLS-RPT reports still pending (woken by
    the intake; also the beat sweep, for a lost wake-up or a worker that died)."""
    return tlsrpt_services.process_pending_reports()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=100, time_limit=120)
def probe_inbound_servers() -> dict[str, int]:
    """What every inbound address serves, the partitions' TLSA observations, and the purge of
    retired keys past the gate (beat, every ``DANE_INBOUND_PROBE_INTERVAL`` s)."""
    return rollover.run_probe_round()
