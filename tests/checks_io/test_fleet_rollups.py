"""The rollups the fleet overview reads, kept by the status checks themselves: each domain's
last codes, the daily counts of outcomes and codes, the time a domain entered pending_mx;
and the overview's figures from them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.utils import timezone

from domains import checks, fleet
from domains.models import AcceptedDomain, CheckRun, CheckRunDaily
from tests.checks_io.support import mx_records
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.dns, pytest.mark.django_db]


def test_check_runs_keep_the_codes_the_daily_rollup_and_the_funnel(
    dnsnet: DnsTestNetwork,
    new_zone: Callable[..., str],
    enable_dnssec: Callable[[str], str],
) -> None:
    before = timezone.now()
    passing, legacy_first = new_zone("signed"), new_zone("signed")
    dnsnet.update(*mx_records(passing, f"0 {enable_dnssec(passing)}"), zone=passing)
    legacy = f"x.{settings.DANE_LEGACY_MX_SUFFIXES[0]}"
    host = enable_dnssec(legacy_first)
    dnsnet.update(*mx_records(legacy_first, f"0 {legacy}", f"10 {host}"), zone=legacy_first)
    domains = AcceptedDomain.objects.filter(name__in=[passing, legacy_first])
    assert all(d.dnssec_state_since and d.dnssec_state_since >= before for d in domains)
    assert all(d.last_check_codes is None for d in domains)  # never checked

    ids = list(domains.values_list("pk", flat=True))
    checks.check_domains(ids)
    checks.check_domains(ids)  # a second run: the daily counts add up

    runs = CheckRun.objects.filter(domain__in=ids)
    for domain in domains.all():
        latest = runs.filter(domain=domain).first()
        assert latest is not None
        assert domain.last_check_codes == " ".join(checks.finding_codes(latest.result))
    legacy_codes = AcceptedDomain.objects.get(name=legacy_first).last_check_codes or ""
    assert "EX006" in legacy_codes.split()
    today = timezone.now().date()
    outcomes = dict(
        CheckRunDaily.objects.filter(day=today, kind="outcome").values_list("key", "count")
    )
    assert outcomes == dict(Counter(runs.values_list("overall_status", flat=True)))
    codes = dict(CheckRunDaily.objects.filter(day=today, kind="code").values_list("key", "count"))
    assert codes["EX006"] == 2

    overview = fleet.overview()
    steps = dict(overview.funnel)
    assert steps[6] == 1  # the legacy MX is more preferred: swap the preferences
    assert steps[8] == 1  # promoted to enabled, MX right: enable DANE
    assert ("EX006", 1) in overview.findings
    assert overview.codes["EX006"][-1] == 2  # today's runs with EX006
    assert overview.outcomes["Failed"][-1] + overview.outcomes.get("Warning", [0])[-1] >= 2
