"""System checks of the settings (``manage.py check``, ``migrate``, ``runserver``): a setting
that names a file the service will read must name one it can read, and the message names the
setting, so a typo is found at start-up instead of as a 500 on the first request that needs it.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


def unreadable(path: str) -> str | None:
    """Why ``path`` cannot be read as a file, None when it can."""
    try:
        with Path(path).open("rb") as file:
            file.read(1)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def named_files() -> Iterator[tuple[str, str]]:
    """``(setting, path)`` of every file a setting names."""
    for name in ("DANE_MTA_STS_CA_BUNDLE", "DANE_TSIG_KEY_FILE", "DANE_POWERDNS_API_KEY_FILE"):
        path = getattr(settings, name, None)
        if path:
            yield name, str(path)
    for path in settings.DANE_INBOUND_CERTS:
        yield "DANE_INBOUND_CERTS", str(path)


@register()
def check_named_files(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Each file a setting names can be read (the CA bundle also loads as certificates), and
    the DNS backend has the key file it needs."""
    messages: list[CheckMessage] = []
    for name, path in named_files():
        reason = unreadable(path)
        if reason is not None:
            messages.append(
                Error(
                    f"{name} names {path!r}, which cannot be read: {reason}.", id="dane_admin.E001"
                )
            )
        elif name == "DANE_MTA_STS_CA_BUNDLE":
            try:
                ssl.create_default_context(cafile=path)
            except ssl.SSLError as exc:
                messages.append(
                    Error(
                        f"DANE_MTA_STS_CA_BUNDLE names {path!r}, which holds no usable PEM "
                        f"certificates: {exc}.",
                        id="dane_admin.E002",
                    )
                )
    required = {"rfc2136": "DANE_TSIG_KEY_FILE", "powerdns": "DANE_POWERDNS_API_KEY_FILE"}
    needed = required.get(settings.DANE_DNS_BACKEND)
    if needed and not getattr(settings, needed, ""):
        messages.append(
            Error(
                f"DANE_DNS_BACKEND={settings.DANE_DNS_BACKEND} needs {needed} (a key file).",
                id="dane_admin.E003",
            )
        )
    return messages


@register()
def check_inbound_addresses(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without inbound addresses the MX hosts get no A/AAAA records (a warning: the service
    runs, and the inbound probe says it is not configured)."""
    if settings.DANE_INBOUND_ADDRESSES:
        return []
    return [
        Warning(
            "DANE_INBOUND_ADDRESSES is empty: the MX hosts this service publishes get no A/AAAA "
            "records and the inbound probe connects nowhere.",
            id="dane_admin.W001",
        )
    ]
