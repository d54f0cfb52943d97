"""Celery tasks of the dnsops app: drift repair and signature refresh of the partition zones."""

import logging

from celery import shared_task
from django.conf import settings

from dnsops import provisioning
from dnsops.backends.base import DnsBackendError
from dnsops.models import Partition

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=500, time_limit=560)
def repair_partition_drift(partition_id: int) -> None:
    """Make one partition zone match the database (after a failure, or on schedule)."""
    partition = Partition.objects.filter(pk=partition_id, provisioned_at__isnull=False).first()
    if partition is None:
        return
    try:
        provisioning.repair_drift(partition)
    except DnsBackendError as exc:
        logger.warning("drift repair postponed", extra={"zone": partition.zone, "error": str(exc)})


@shared_task(acks_late=True, ignore_result=True)
def repair_all_drift() -> None:
    """Queue a drift repair for every provisioned partition, spread over the schedule's
    interval (90% of it, so that a round ends before the next one starts)."""
    partition_ids = list(
        Partition.objects.filter(provisioned_at__isnull=False).values_list("pk", flat=True)
    )
    interval = float(settings.CELERY_BEAT_SCHEDULE["repair-drift"]["schedule"])
    spacing = 0.9 * interval / max(len(partition_ids), 1)
    for index, partition_id in enumerate(partition_ids):
        repair_partition_drift.apply_async((partition_id,), countdown=round(index * spacing, 1))


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1500, time_limit=1800)
def refresh_signatures() -> int:
    """Re-sign what expires soon where the control plane signs the zones (builtin driver)."""
    return provisioning.refresh_signatures()
