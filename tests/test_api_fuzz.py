"""Schemathesis against the live server on the real stack: every operation of the OpenAPI
document, generated requests from a fixed seed, and no answer the document does not describe
(no server error, only documented status codes, content types and bodies).

Bounded to about two minutes (``DANE_FUZZ_SECONDS``); every name it makes up resolves through
the test stack's Unbound, which refuses names outside the test network, so nothing leaves
loopback. The figures of the run are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from domains import services
from domains.audit import Actor
from domains.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
SEED = 20261202
# 503 is documented: DnsLookupFailed (a made-up name the test resolver refuses: "we could not
# look", docs/api-errors.md) or CheckTimedOut, both with Retry-After. Any other 5xx fails.
CONFIG = """
[checks.not_a_server_error]
expected-statuses = ["1XX", "2XX", "3XX", "4XX", "503"]
"""


def run_report(report_dir: Path) -> dict[str, Any]:
    """The JSON run report schemathesis wrote."""
    [path] = report_dir.glob("*.json")
    return dict(json.loads(path.read_text()))


def test_generated_requests_get_only_documented_answers(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path, settings: SettingsWrapper
) -> None:
    settings.DANE_CHECK_TIMEOUT = 5.0  # a ?refresh=true on a made-up name answers sooner
    _, raw_key = services.create_api_key(tenant, name="fuzz", actor=Actor.cli())
    seconds = os.environ.get("DANE_FUZZ_SECONDS", "110")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/schema/",
        "--url",
        live_server.url,
        "--checks",
        ",".join(CHECKS),
        "--seed",
        str(SEED),
        "--max-time",
        seconds,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Api-Key {raw_key}",
        "--continue-on-failure",
        "--report",
        "json",
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,  # its cache (.schemathesis/) is written there, not in the checkout
        capture_output=True,
        text=True,
        timeout=int(seconds) + 120,
        check=False,
    )
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-20000:]


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/domains/{name}/", "delete", {"400", "401", "404", "406", "412"}),
        ("/api/v1/domains/{name}/dnssec/", "get", {"400", "401", "404", "422", "429", "503"}),
        ("/api/v1/domains/{name}/smtp-dane-inbound/", "get", {"400", "422", "429", "503"}),
        ("/api/v1/dane-validations/{id}/", "get", {"401", "404", "406"}),
        ("/api/v1/dane-validations/", "post", {"400", "401", "413", "415", "429"}),
        ("/api/v1/domains/", "post", {"400", "401", "409", "413", "415"}),
        ("/api/v1/domains/", "get", {"400", "401", "406"}),
        ("/api/v1/dane-validations/", "get", {"400", "401", "406"}),
    ],
)
def test_the_openapi_document_lists_the_error_answers(
    client: Client, path: str, method: str, codes: set[str]
) -> None:
    document = client.get("/api/schema/", {"format": "json"}).json()
    responses = document["paths"][path][method]["responses"]
    assert codes <= set(responses)
    for code in codes:
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith(("/Error", "/VerificationFailure")), (code, schema)
