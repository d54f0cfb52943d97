"""gunicorn settings for DANE Admin (``gunicorn -c deploy/gunicorn.conf.py dane_admin.wsgi``).

gunicorn is the application server everywhere: ``deploy/run`` (the embedded default) and the
real stack. Threads serve the many requests that wait on DNS or the database; processes use
the cores. Environment: ``DANE_ADMIN_ADDR`` (listen address), ``WEB_CONCURRENCY`` (processes,
read by gunicorn itself), ``DANE_WEB_THREADS`` (threads per process).
"""

import os

bind = os.environ.get("DANE_ADMIN_ADDR", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("DANE_WEB_THREADS", "4"))
worker_class = "gthread"
# A status refresh or an in-process command (embedded default) may wait on DNS for a while.
timeout = 90
graceful_timeout = 20
keepalive = 5
# The service's own log lines (JSON or text, settings.LOG_FORMAT) go to stderr; gunicorn
# keeps only its errors there. Access logs are left to the proxy in front.
accesslog = None
errorlog = "-"
# No control socket: its default path is per user, so two checkouts' servers would share it.
control_socket_disable = True


def child_exit(server: object, worker: object) -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode), forget the
    live gauges of a web process that ended; its counters and histograms keep counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
