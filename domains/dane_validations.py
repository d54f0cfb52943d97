"""Outbound DANE validation as a service: run one within its time limit and store the result
for the tenant that asked.

The API (``POST /api/v1/dane-validations/``) and ``manage.py test_dane`` both call
:func:`run_validation`; the analyzer and its settings are ``dnsops.dane`` (see
``dnsops.dane.config`` for the switches that keep the production default safe).
"""

from __future__ import annotations

import asyncio

from dnsops.dane.analyzer import validate
from dnsops.dane.config import SMTP_PORT, analyzer_config, private_addresses_allowed
from domains import instruments, rollups
from domains.audit import Actor
from domains.errors import InvalidRequest
from domains.models import ActivityHourly, DaneValidation, Tenant
from domains.names import DomainNameError, parse_domain_name


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
    instruments.count_outbound_validation(report.decision.verdict.value)
    verdict = report.decision.verdict.value
    rollups.count_activity([(report.started_at, ActivityHourly.Event.VALIDATION, verdict)])
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
