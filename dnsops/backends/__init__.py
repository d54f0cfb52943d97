"""DNS drivers behind one interface (`base.DnsBackend`); `get_backend()`: the configured one."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from dnsops.backends.base import DnsBackend

DRIVERS = {
    "rfc2136": "dnsops.backends.rfc2136.Rfc2136Backend",
    "powerdns": "dnsops.backends.powerdns.PowerDnsBackend",
    "builtin": "dnsops.backends.builtin.BuiltinBackend",
}


def get_backend() -> DnsBackend:
    """The driver named by ``DANE_DNS_BACKEND``, configured from settings."""
    try:
        path = DRIVERS[settings.DANE_DNS_BACKEND]
    except KeyError as exc:
        raise ValueError(
            f"DANE_DNS_BACKEND must be one of {sorted(DRIVERS)}, not {settings.DANE_DNS_BACKEND!r}."
        ) from exc
    backend_class = import_string(path)
    backend: DnsBackend = backend_class.from_settings()
    return backend
