"""The outbound analyzer's configuration from the settings.

Two settings keep the production default safe (both off unless ``DEBUG`` is on; see
deploy/env.example):

- ``DANE_VALIDATION_ALLOW_PORT``: API callers may choose the TCP port (tests); otherwise
  every validation connects to port 25.
- ``DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES``: API validations may connect to loopback,
  private and other non-public addresses; otherwise such addresses are refused, so a tenant
  cannot point an MX record at the provider's internal network.

``DANE_VALIDATION_TIMEOUT`` (seconds, default 30) bounds a whole validation and
``DANE_VALIDATION_EHLO_NAME`` (default ``DANE_MX_SUFFIX``) is the name sent in EHLO.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings

from dnsops.dane.analyzer import AnalyzerConfig
from dnsops.dns.resolver import resolver_address

SMTP_PORT = 25
MAX_INBOUND_ADDRESSES = 16


def port_choice_allowed() -> bool:
    """Whether API callers may choose the port (``DANE_VALIDATION_ALLOW_PORT``)."""
    return bool(settings.DANE_VALIDATION_ALLOW_PORT)


def private_addresses_allowed() -> bool:
    """Whether API validations may connect to non-public addresses."""
    return bool(settings.DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES)


def analyzer_config(*, port: int, allow_private_addresses: bool) -> AnalyzerConfig:
    """The analyzer's configuration from the settings."""
    return AnalyzerConfig(
        resolver=resolver_address(),
        ehlo_name=settings.DANE_VALIDATION_EHLO_NAME,
        port=port,
        dns_timeout=settings.DANE_DNS_TIMEOUT,
        total_timeout=settings.DANE_VALIDATION_TIMEOUT,
        allow_private_addresses=allow_private_addresses,
    )


def inbound_probe_config() -> AnalyzerConfig:
    """The configuration for probing one of the provider's own MX hosts: every address (a
    name in its own signed partition zone, so its addresses are the provider's servers,
    private ones included), on ``DANE_INBOUND_SMTP_PORT``."""
    return dataclasses.replace(
        analyzer_config(port=settings.DANE_INBOUND_SMTP_PORT, allow_private_addresses=True),
        every_address=True,
        max_addresses=MAX_INBOUND_ADDRESSES,
    )
