"""App configuration of the project package (its management commands and system checks)."""

from django.apps import AppConfig


class DaneAdminConfig(AppConfig):
    """The project: settings-level system checks and project-wide management commands."""

    name = "dane_admin"

    def ready(self) -> None:
        """Register the system checks of the settings."""
        from dane_admin import system_checks  # noqa: F401
