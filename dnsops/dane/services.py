"""Outbound DANE validation as a service: run one within its time limit and store the result.

The API (``POST /api/v1/dane-validations/``) and ``manage.py test_dane`` both call
:func:`run_validation`. Two settings keep the production default safe (both off unless
``DEBUG`` is on; see deploy/env.example):

- ``DANE_VALIDATION_ALLOW_PORT``: API callers may choose the TCP port (tests); otherwise
  every validation connects to port 25.
- ``DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES``: API validations may connect to loopback,
  private and other non-public addresses; otherwise such addresses are refused, so a tenant
  cannot point an MX record at the provider's internal network.

``DANE_VALIDATION_TIMEOUT`` (seconds, default 30) bounds a whole validation and
``DANE_VALIDATION_EHLO_NAME`` (default ``DANE_MX_SUFFIX``) is the name sent in EHLO.

:func:`probe_provider_mx_host` points the same analyzer at one of the provider's own MX hosts
(Get-SmtpDaneInboundStatus): every address, on ``DANE_INBOUND_SMTP_PORT``.
"""

from __future__ import annotations

import asyncio
import dataclasses

from django.conf import settings

from dnsops.dane.analyzer import AnalyzerConfig, ValidationReport, validate, validate_host
from dnsops.dns.resolver import resolver_address
from dnsops.models import DaneValidation
from domains.audit import Actor
from domains.errors import InvalidRequest
from domains.models import Tenant
from domains.names import DomainNameError, parse_domain_name

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


def run_validation(
    domain: str,
    *,
    tenant: Tenant | None,
    actor: Actor,
    port: int | None = None,
    allow_private_addresses: bool | None = None,
) -> DaneValidation:
    """Validate outbound DANE for ``domain`` now and store the result for ``tenant``.

    ``port`` replaces 25 for the connection (callers decide whether their user may choose
    it); ``allow_private_addresses`` defaults to the setting. Raises
    :class:`~domains.errors.InvalidRequest` for a name that is not a valid domain or a port
    out of range; any validation outcome, failures included, is a stored result.
    """
    try:
        name = parse_domain_name(domain).alabel
    except DomainNameError as exc:
        raise InvalidRequest(str(exc)) from exc
    if port is not None and not 0 < port < 65536:
        raise InvalidRequest(f"The port {port} is not a TCP port (1-65535).")
    if allow_private_addresses is None:
        allow_private_addresses = private_addresses_allowed()
    config = analyzer_config(
        port=port or SMTP_PORT, allow_private_addresses=allow_private_addresses
    )
    report = asyncio.run(validate(name, config))
    return DaneValidation.objects.create(
        tenant=tenant,
        domain=name,
        port=config.port,
        verdict=report.decision.verdict.value,
        disposition=report.decision.disposition.value,
        status_code=report.status_code or "",
        result=report.as_dict(),
        requested_by=actor.label,
        started_at=report.started_at,
        finished_at=report.finished_at,
        duration_ms=round(report.milliseconds),
    )


def probe_provider_mx_host(host: str) -> ValidationReport:
    """Connect to every address of the provider's MX ``host`` (a name in its own signed
    partition zone, so its addresses are the provider's servers, private ones included) and
    match each served certificate against the host's TLSA records."""
    config = dataclasses.replace(
        analyzer_config(port=settings.DANE_INBOUND_SMTP_PORT, allow_private_addresses=True),
        every_address=True,
        max_addresses=MAX_INBOUND_ADDRESSES,
    )
    return asyncio.run(validate_host(host, config))
