"""gunicorn settings for DANE Admin (``gunicorn -c deploy/gunicorn.conf.py dane_admin.wsgi``).

gunicorn is the application server everywhere: ``deploy/run`` (the embedded default) and the
real stack. Threads serve the many requests that wait on DNS or the database; processes use
the cores. Environment: ``DANE_ADMIN_ADDR`` (listen address), ``WEB_CONCURRENCY`` (processes,
read by gunicorn itself), ``DANE_WEB_THREADS`` (threads per process), ``DANE_WEB_KEEPALIVE``
(seconds a client's connection is kept open between requests; 0, the default: not kept).
"""

import os

bind = os.environ.get("DANE_ADMIN_ADDR", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("DANE_WEB_THREADS", "4"))
worker_class = "gthread"
# A status refresh or an in-process command (embedded default) may wait on DNS for a while.
timeout = 90
graceful_timeout = 20
# No keep-alive by default (``DANE_WEB_KEEPALIVE`` seconds turns it on): a kept-alive
# connection stays with the process that accepted it, so under load one process ends up with
# most clients and its GIL caps it at one core. Measured with 50 clients on 2 cores
# (bench/serving.py): one process held 45 of the 50 connections, the cores were 66 % busy and
# 135-164 enables/s were accepted; with a new connection per request, a process with a free
# thread takes the next one: 97 % busy, 203-245/s. A proxy in front that keeps connections to
# the service open would pin them the same way.
keepalive = int(os.environ.get("DANE_WEB_KEEPALIVE", "0"))
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
