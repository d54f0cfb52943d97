"""The reads behind the report pages: history with what changed, filters, retry schedule."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from dnsops.checks.catalogue import CATALOGUE, finding
from domains import reports, services
from domains.audit import Actor
from domains.models import AcceptedDomain, CheckRun, DaneValidation, Tenant
from domains.templatetags.findings import finding_action, finding_message

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def document(mx_codes: list[str], *, tlsrpt_valid: bool = True) -> dict[str, Any]:
    """A stored status document whose MX section has ``mx_codes`` (errors) and whose other
    sections passed."""
    passed: dict[str, Any] = {"Status": "Passed", "Findings": []}
    return {
        "DomainValidation": passed,
        "DnsValidation": passed,
        "MxValidation": {
            "Status": "Failed" if mx_codes else "Passed",
            "Findings": [{"code": code, "severity": "error"} for code in mx_codes],
        },
        "MtaStsValidation": passed,
        "TlsRpt": {"Valid": tlsrpt_valid, "Findings": []},
    }


def add_run(domain: AcceptedDomain, minutes: int, result: dict[str, Any]) -> CheckRun:
    """A check run ``minutes`` after START."""
    started = START + timedelta(minutes=minutes)
    return CheckRun.objects.create(
        domain=domain,
        trigger=CheckRun.Trigger.SCHEDULE,
        started_at=started,
        finished_at=started,
        duration=timedelta(0),
        overall_status="Failed" if result["MxValidation"]["Findings"] else "Passed",
        result=result,
    )


def test_history_says_what_changed_since_the_run_before(tenant: Tenant) -> None:
    domain = services.add_domain(tenant, "history.example", actor=Actor.cli())
    add_run(domain, 0, document(["EX007"]))
    add_run(domain, 10, document(["EX006"], tlsrpt_valid=False))
    add_run(domain, 20, document(["EX006"], tlsrpt_valid=False))
    add_run(domain, 30, document([]))

    entries = reports.check_history(domain)

    assert [entry.run.started_at for entry in entries] == [
        START + timedelta(minutes=m) for m in (30, 20, 10, 0)
    ]
    latest, unchanged, swapped, first = entries
    assert latest.changes == (
        reports.SectionChange("MX", "Failed", "Passed", (), ("EX006",)),
        reports.SectionChange("TLS-RPT", "Warning", "Passed", (), ()),
    )
    assert unchanged.changes == ()
    assert swapped.changes == (
        reports.SectionChange("MX", "Failed", "Failed", ("EX006",), ("EX007",)),
        reports.SectionChange("TLS-RPT", "Passed", "Warning", (), ()),
    )
    assert (first.is_first, first.changes) == (True, ())
    assert not latest.is_first

    shortened = reports.check_history(domain, limit=2)
    assert [entry.run.pk for entry in shortened] == [latest.run.pk, unchanged.run.pk]
    assert not shortened[-1].is_first  # the run before the oldest shown was read too


def test_a_check_run_is_found_only_through_its_own_domain(tenant: Tenant) -> None:
    mine = services.add_domain(tenant, "mine.example", actor=Actor.cli())
    other = services.add_domain(tenant, "other.example", actor=Actor.cli())
    run = add_run(other, 0, document([]))

    assert reports.get_check_run(other, run.public_id) == run
    assert reports.get_check_run(mine, run.public_id) is None


def test_the_audit_trail_is_the_tenants_and_filters(tenant: Tenant, other_tenant: Tenant) -> None:
    services.add_domain(tenant, "alpha.example", actor=Actor("user:alice"))
    services.add_domain(tenant, "beta.example", actor=Actor("user:bob"))
    services.add_domain(other_tenant, "alpha.example", actor=Actor("user:alice"))

    added = reports.audit_trail(tenant, action="domain.added")
    assert [event.target_id for event in added] == ["beta.example", "alpha.example"]
    assert [e.target_id for e in reports.audit_trail(tenant, actor="alice")] == ["alpha.example"]
    assert [e.target_id for e in reports.audit_trail(tenant, target="beta")] == ["beta.example"]
    assert {event.action for event in reports.audit_trail(tenant)} == {
        "tenant.created",
        "domain.added",
    }


def validation(verdict: str, disposition: str) -> DaneValidation:
    """An unsaved validation with ``verdict``, first tried at START."""
    return DaneValidation(
        domain="example.test",
        verdict=verdict,
        disposition=disposition,
        result={},
        requested_by="user:alice",
        started_at=START,
        finished_at=START,
        duration_ms=1,
    )


def test_the_retry_schedule_of_a_deferred_message() -> None:
    schedule = reports.retry_schedule(validation("tlsa-invalid", "deferred"))

    assert schedule is not None
    times = [attempt.at - START for attempt in schedule.attempts]
    assert times[:4] == [
        timedelta(0),
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(minutes=90),
    ]
    assert times[-1] == timedelta(hours=23, minutes=30)
    assert {attempt.status_code for attempt in schedule.attempts} == {"4.7.323"}
    assert (schedule.expires_at, schedule.permanent_status_code) == (
        START + timedelta(hours=24),
        "5.7.323",
    )
    assert reports.retry_schedule(validation("pass", "delivered")) is None
    assert reports.retry_schedule(validation("null-mx", "bounced")) is None


def test_a_finding_keeps_its_parameters_and_renders_in_the_readers_language() -> None:
    found = finding("EX007", domain="contoso.example", expected_host="h.mx.provider.test")
    document = found.to_dict()

    assert document["params"] == {
        "domain": "contoso.example",
        "expected_host": "h.mx.provider.test",
    }
    assert finding_message(document) == document["message"]
    with translation.override("zh-hant"):
        assert (
            finding_message(document) == "contoso.example 沒有任何 MX 記錄指向 h.mx.provider.test。"
        )
        assert "h.mx.provider.test 新增優先順序 20 的 MX 記錄" in finding_action(document)
        stored_before = {key: value for key, value in document.items() if key != "params"}
        assert finding_message(stored_before) == document["message"]  # no params: as stored


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_status_code_has_its_texts_in_traditional_chinese(code: str) -> None:
    spec = CATALOGUE[code]
    for template in (spec.message, spec.action):
        with translation.override("zh-hant"):
            translated = translation.gettext(template)
        assert translated != template, f"{code}: not translated: {template}"
        assert fields(translated) == fields(template), code
        assert code not in translated  # codes are never translated (nor shown in the texts)


def fields(template: str) -> set[str]:
    """The ``str.format`` fields of ``template``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
