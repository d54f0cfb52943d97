"""The migration wizard's reads that touch the network or run checks: the status document
with its ``MigrationStep`` (the API and the command), and the domain's live MX records (the
wizard's "live answer beside the expected one"). The step itself is :mod:`domains.migration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dnsops.dns import resolver
from domains import checks, selectors
from domains.migration import step_for_domain
from domains.models import AcceptedDomain, Tenant


def dnssec_status_with_step(tenant: Tenant, name: str, *, refresh: bool = False) -> dict[str, Any]:
    """Get-DnssecStatusForVerifiedDomain with the domain's ``MigrationStep`` (null while the
    domain is unverified)."""
    document = checks.dnssec_status(tenant, name, refresh=refresh)
    domain = selectors.get_domain(tenant, name)
    step = step_for_domain(domain, document if document.get("CheckRun") else None)
    return {**document, "MigrationStep": None if step is None else step.to_dict()}


@dataclass(frozen=True)
class LiveMx:
    """The domain's MX records as the validating resolver answers them now."""

    records: list[str]
    authenticated: bool
    error: str | None = None


def live_mx(domain: AcceptedDomain) -> LiveMx:
    """Look up the domain's MX records now (bounded by ``DANE_DNS_TIMEOUT``), for the wizard's
    "live answer beside the expected one"."""
    try:
        answer = resolver.query(domain.name, "MX")
    except resolver.ResolverUnavailable as exc:
        return LiveMx(records=[], authenticated=False, error=str(exc))
    if answer.rcode != "NOERROR":
        return LiveMx(records=[], authenticated=answer.authenticated, error=answer.rcode)
    records = sorted(f"{preference} {host.rstrip('.')}." for preference, host in answer.records)
    return LiveMx(records=records, authenticated=answer.authenticated)
