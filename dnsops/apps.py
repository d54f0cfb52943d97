"""App configuration of the dnsops app."""

from django.apps import AppConfig


class DnsopsConfig(AppConfig):
    """DNS providers, zone provisioning, checks and DANE validation."""

    name = "dnsops"
    default_auto_field = "django.db.models.BigAutoField"
