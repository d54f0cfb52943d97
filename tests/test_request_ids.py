"""Request ids: answered in X-Request-ID and written on every log line of the request."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the service's JSON console handler writes, captured."""
    [handler] = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert isinstance(handler, logging.StreamHandler)  # (not pytest's capturing subclass)
    captured = io.StringIO()
    previous = handler.setStream(captured)
    yield captured
    handler.setStream(previous)


def test_each_request_gets_an_id_written_on_its_log_lines(
    api: APIClient, log_lines: io.StringIO
) -> None:
    response = api.get("/api/v1/domains/not-ours.example/")

    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    [line] = [line for line in lines if line["name"] == "django.request"]
    assert line["correlation_id"] == request_id
    assert "not-ours.example" in line["message"]
    assert api.get("/api/v1/domains/")["X-Request-ID"] != request_id


def test_a_callers_request_id_is_kept_and_a_malformed_one_replaced(api: APIClient) -> None:
    mine = uuid.uuid4().hex
    assert api.get("/api/v1/domains/", HTTP_X_REQUEST_ID=mine)["X-Request-ID"] == mine

    hostile = '"><script>alert(1)</script>\n' + "x" * 5000
    replaced = api.get("/api/v1/domains/", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"]
    assert HEX_ID.fullmatch(replaced)
