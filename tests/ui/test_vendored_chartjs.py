"""The vendored Chart.js is the pinned release with its licence, served by the application
itself (no CDN)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHARTJS = Path(settings.BASE_DIR) / "domains" / "static" / "ui" / "vendor" / "chartjs"
CHARTJS_VERSION = "4.6.1"
CHARTJS_SHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"


def test_vendored_chartjs_is_the_pinned_release_with_its_licence() -> None:
    script = (CHARTJS / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(script).hexdigest() == CHARTJS_SHA256
    assert f"Chart.js v{CHARTJS_VERSION}" in script.decode()[:200]
    assert "MIT License" in (CHARTJS / "LICENSE.md").read_text()
    assert CHARTJS_SHA256 in (CHARTJS / "VERSION").read_text()


@pytest.mark.django_db
def test_chartjs_is_served_by_the_application(client: Client) -> None:
    response = client.get("/static/ui/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == CHARTJS_SHA256
