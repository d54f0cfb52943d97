"""App configuration of the domains app."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    """Tenants, accepted domains, their states, commands, API and UI."""

    name = "domains"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the OpenAPI authentication extensions and record dnsops' partition
        events in the audit trail (models are loaded only now, hence the imports here)."""
        from dane_admin.api import schema  # noqa: F401
        from dnsops.events import partition_changed
        from domains.audit import record_partition_change

        partition_changed.connect(record_partition_change, dispatch_uid="domains-audit")
