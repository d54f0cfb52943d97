"""``manage.py test_dane DOMAIN``: the steps and the verdict, stored like an API result."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from domains.models import DaneValidation, Tenant
from tests.dane_io.scenario import Scenario, credentials, tlsa
from tests.dane_io.servers import self_signed

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


@pytest.fixture
def destination(scenario: Scenario) -> str:
    """A signed domain whose only MX passes DANE-EE."""
    zone = scenario.zone()
    leaf = self_signed("mx1")
    scenario.mx(zone, scenario.host(zone, "mx1", credentials(leaf), tlsa(leaf)))
    return zone


def run(*args: str) -> str:
    """The command's output."""
    out = StringIO()
    call_command("test_dane", *args, stdout=out)
    return out.getvalue()


def test_prints_every_step_and_the_verdict(scenario: Scenario, destination: str) -> None:
    output = run(destination, "--port", str(scenario.servers.port))

    for step in ("mx", "a", "tlsa", "connect", "ehlo", "starttls", "tls-handshake", "verify"):
        assert f" {step} " in output
    assert "Verdict: pass (delivered, status code none)" in output
    validation = DaneValidation.objects.get()
    assert validation.tenant is None
    assert validation.requested_by == "cli"
    assert f"Stored as validation {validation.id}." in output


def test_json_is_the_stored_report(scenario: Scenario, destination: str, tenant: Tenant) -> None:
    output = run(
        destination, "--port", str(scenario.servers.port), "--json", "--tenant", tenant.slug
    )

    report = json.loads(output)
    validation = DaneValidation.objects.get(id=report.pop("id"))
    assert report == validation.result
    assert report["verdict"] == "pass"
    assert validation.tenant == tenant


def test_bad_input_is_an_error_and_nothing_is_stored() -> None:
    with pytest.raises(CommandError, match="IP address literals"):
        run("127.0.0.1")
    with pytest.raises(CommandError, match="No tenant"):
        run("example.test", "--tenant", "nobody")
    with pytest.raises(CommandError, match="not a TCP port"):
        run("example.test", "--port", "70000")
    assert not DaneValidation.objects.exists()
