"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

app = Celery("dane_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["domains.notifications"])  # a package of the domains app


@worker_process_shutdown.connect
def forget_live_gauges(pid: int | None = None, **_kwargs: Any) -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode), forget the
    live gauges of a pool process that ended (docs/metrics.md)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
