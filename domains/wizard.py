"""The migration wizard's reads that touch the network or run checks: the status document
with its ``MigrationStep`` (the API and the command), the domain's live MX records (the
wizard's "live answer beside the expected one"), and step 1's progress: the MX TTL the
domain's own name servers give and, once it was seen lowered, when the old TTL has passed
(read from the check runs, which record that TTL). The step itself is
:mod:`domains.migration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dnsops.dns import resolver
from domains import checks
from domains.migration import LOWERED_MX_TTL, step_for_domain
from domains.models import AcceptedDomain, CheckRun, Tenant


def dnssec_status_with_step(tenant: Tenant, name: str, *, refresh: bool = False) -> dict[str, Any]:
    """Get-DnssecStatusForVerifiedDomain with the domain's ``MigrationStep`` (null while the
    domain is unverified)."""
    status = checks.dnssec_status_of(tenant, name, refresh=refresh)
    document = status.document
    step = step_for_domain(status.domain, document if document.get("CheckRun") else None)
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


@dataclass(frozen=True)
class MxTtlProgress:
    """Step 1 as the check runs saw it: the MX TTL at the domain's name servers (``ttl``,
    read at ``seen_at``); once it is at most :data:`~domains.migration.LOWERED_MX_TTL`,
    ``lowered_at`` is the first run that saw it so and ``old_ttl`` the TTL the run before
    saw (None when no earlier run saw a higher one)."""

    ttl: int
    seen_at: datetime
    lowered_at: datetime | None = None
    old_ttl: int | None = None

    @property
    def lowered(self) -> bool:
        """True when the TTL is low enough for the migration."""
        return self.ttl <= LOWERED_MX_TTL

    @property
    def old_ttl_passes_at(self) -> datetime | None:
        """When every cache has dropped the records with the old TTL."""
        if self.lowered_at is None or self.old_ttl is None:
            return None
        return self.lowered_at + timedelta(seconds=self.old_ttl)

    def old_ttl_passed(self, now: datetime) -> bool:
        """True once the old TTL has passed since the TTL was seen lowered."""
        passes_at = self.old_ttl_passes_at
        return passes_at is not None and passes_at <= now


def mx_ttl_progress(domain: AcceptedDomain) -> MxTtlProgress | None:
    """Step 1's progress from the domain's check runs (at most three queries); None when no
    run has read the TTL yet."""
    measured = CheckRun.objects.filter(domain=domain, mx_ttl__isnull=False).order_by(
        "-started_at", "-id"
    )
    latest = measured.only("mx_ttl", "started_at").first()
    if latest is None or latest.mx_ttl is None:
        return None
    if latest.mx_ttl > LOWERED_MX_TTL:
        return MxTtlProgress(latest.mx_ttl, latest.started_at)
    before = measured.filter(mx_ttl__gt=LOWERED_MX_TTL).only("mx_ttl", "started_at").first()
    low = measured.filter(mx_ttl__lte=LOWERED_MX_TTL)
    if before is not None:
        low = low.filter(started_at__gt=before.started_at)
    first_low = low.order_by("started_at", "id").values_list("started_at", flat=True).first()
    return MxTtlProgress(
        latest.mx_ttl,
        latest.started_at,
        lowered_at=first_low,
        old_ttl=None if before is None else before.mx_ttl,
    )
