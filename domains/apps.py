"""App configuration of the domains app."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    """Tenants, accepted domains, their states, commands, API and UI."""

    name = "domains"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the OpenAPI authentication extensions."""
        from dane_admin.api import schema  # noqa: F401
