"""DANE Admin: the control plane for inbound SMTP DANE with DNSSEC."""

from dane_admin.celery import app as celery_app

__all__ = ["celery_app"]
