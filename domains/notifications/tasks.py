"""Celery tasks of notifications, on the ``notifications`` queue: thin wrappers around
``domains.notifications.delivery`` and ``domains.notifications.digests``."""

from celery import shared_task

from domains.notifications import delivery, digests


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=150, time_limit=180)
def deliver_webhooks() -> int:
    """Fan new events out to the webhooks and POST every due delivery (woken after a commit
    that wrote events; also the periodic run for retries)."""
    return delivery.deliver_due()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=250, time_limit=290)
def send_digests() -> int:
    """Send the e-mail digests that are due (periodic)."""
    return digests.send_due_digests()
