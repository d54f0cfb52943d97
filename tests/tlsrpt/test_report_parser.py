"""The pure RFC 8460 parser on the vectors: what real reporters send parses with the counts
the vectors state; malformed reports are refused with what is wrong; a gzip bomb stops at the
decompressed limit with bounded memory."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dnsops.tlsrpt.report import (
    MEDIA_TYPE_GZIP,
    MEDIA_TYPE_JSON,
    ReportLimits,
    ReportRejected,
    read_report,
)
from tests.tlsrpt.conftest import ACCEPTED_REPORTS, vector_bytes, vector_expectations
from tests.tlsrpt.expectations import check_against_vector

LIMITS = ReportLimits(max_compressed=1024 * 1024, max_decompressed=5 * 1024 * 1024, max_depth=16)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ACCEPTED_REPORTS)
@pytest.mark.parametrize("media_type", [MEDIA_TYPE_JSON, MEDIA_TYPE_GZIP])
def test_vector_reports_parse_with_their_stated_counts(name: str, media_type: str) -> None:
    raw = vector_bytes(name)
    body = gzip.compress(raw) if media_type == MEDIA_TYPE_GZIP else raw
    report, decoded = read_report(body, media_type, LIMITS)
    assert decoded == raw
    check_against_vector(report, raw, vector_expectations()[name])


def test_every_accepted_vector_has_stated_facts() -> None:
    assert set(ACCEPTED_REPORTS) == set(vector_expectations())


def test_microsoft_dates_without_offset_are_utc() -> None:
    report, _ = read_report(vector_bytes("peer-mox-microsoft-2023.json"), MEDIA_TYPE_JSON, LIMITS)
    assert report.start.isoformat() == "2023-01-10T00:00:00+00:00"
    assert report.end.isoformat() == "2023-01-10T23:59:59+00:00"


def test_addresses_are_canonical() -> None:
    report, _ = read_report(vector_bytes("rfc8460-appendix-b.json"), MEDIA_TYPE_JSON, LIMITS)
    addresses = {f.sending_mta_ip for f in report.policies[0].failure_details}
    assert "2001:db8:abcd:12::1" in addresses  # sent as 2001:db8:abcd:0012::1


def _mutated(**changes: object) -> bytes:
    document = json.loads(vector_bytes("rfc8460-appendix-b.json"))
    for path, value in changes.items():
        target = document
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key.replace("_", "-")]
        last = keys[-1].replace("_", "-")
        if value is None:
            del target[last]
        else:
            target[last] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("body", "reason", "says"),
    [
        (vector_bytes("rfc8460-appendix-b.as-printed.txt"), "not-json", "not JSON"),
        (b"\xff\xfe{}", "not-json", "not UTF-8"),
        (b"[]", "schema-invalid", 'is not of type "object"'),
        (_mutated(report_id=None), "schema-invalid", '"report-id" is a required property'),
        (_mutated(policies=[]), "schema-invalid", "policies"),
        (
            _mutated(policies__0__summary__total_successful_session_count=-1),
            "schema-invalid",
            "policies[0].summary.total-successful-session-count",
        ),
        (
            _mutated(policies__0__summary__total_failure_session_count="3"),
            "schema-invalid",
            'is not of type "integer"',
        ),
        (_mutated(date_range__start_datetime="yesterday"), "schema-invalid", "start-datetime"),
        (
            _mutated(date_range__end_datetime="2016-03-31T00:00:00Z"),
            "schema-invalid",
            "end-datetime is before start-datetime",
        ),
        (
            _mutated(policies__0__failure_details__0__sending_mta_ip="not-an-ip"),
            "schema-invalid",
            'sending-mta-ip "not-an-ip" is not an IP address',
        ),
        (
            _mutated(policies__0__policy__mx_host=[1]),
            "schema-invalid",
            "policies[0].policy.mx-host",
        ),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "too-deep", "deeper than 16"),
        (b"[" * 100000 + b"]" * 100000, "too-deep", "nested too deeply"),
    ],
)
def test_malformed_reports_are_refused_saying_why(body: bytes, reason: str, says: str) -> None:
    with pytest.raises(ReportRejected) as refused:
        read_report(body, MEDIA_TYPE_JSON, LIMITS)
    assert refused.value.reason == reason
    assert says in refused.value.detail


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not gzip at all", "not valid gzip"),
        (gzip.compress(b"{}")[:-6], "truncated"),
        (gzip.compress(b"{}") + b"junk", "after the end"),
    ],
)
def test_broken_gzip_is_refused(body: bytes, says: str) -> None:
    with pytest.raises(ReportRejected) as refused:
        read_report(body, MEDIA_TYPE_GZIP, LIMITS)
    assert refused.value.reason == "bad-gzip"
    assert says in refused.value.detail


def test_other_media_types_and_oversized_uploads_are_refused() -> None:
    with pytest.raises(ReportRejected) as refused:
        read_report(b"{}", "application/json", LIMITS)
    assert refused.value.reason == "unsupported-media-type"
    small = ReportLimits(max_compressed=10, max_decompressed=100, max_depth=16)
    with pytest.raises(ReportRejected) as refused:
        read_report(b"x" * 11, MEDIA_TYPE_JSON, small)
    assert refused.value.reason == "too-large"


def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates to 10 MB (long runs broken by a few random bytes)."""
    rng = random.Random(8460)  # noqa: S311 - reproducible filler, not a secret
    pieces = []
    for _ in range(11700):
        pieces.append(b"a" * 900)
        pieces.append(rng.randbytes(8))
    data = b"".join(pieces)[: 10 * 1024 * 1024]
    return gzip.compress(data, 6)


def test_the_bomb_is_what_the_test_says() -> None:
    bomb = gzip_bomb()
    assert 60_000 < len(bomb) < 160_000
    assert len(gzip.decompress(bomb)) == 10 * 1024 * 1024


MEASURE = textwrap.dedent(
    """
    import gzip, sys, time, tracemalloc
    from dnsops.tlsrpt.report import ReportRejected, inflate_bounded

    def peak_rss():  # VmHWM: this process's own high-water mark (ru_maxrss carries the parent's)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    bomb = open(sys.argv[1], "rb").read()
    way = sys.argv[2]
    before = peak_rss()
    tracemalloc.start()
    started = time.monotonic()
    outcome = "inflated"
    try:
        if way == "bounded":
            inflate_bounded(bomb, 1024 * 1024)
        else:
            gzip.decompress(bomb)
    except ReportRejected as exc:
        outcome = exc.reason
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    print(outcome, peak, peak_rss() - before, elapsed)
    """
)


def _measure(tmp_path: Path, way: str) -> tuple[str, int, int, float]:
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip_bomb())
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bomb), way],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    outcome, peak, rss_growth, elapsed = done.stdout.split()
    return outcome, int(peak), int(rss_growth), float(elapsed)


def test_gzip_bomb_stops_at_the_limit_with_bounded_memory(tmp_path: Path) -> None:
    outcome, peak, rss_growth, elapsed = _measure(tmp_path, "bounded")
    assert outcome == "decompressed-too-large"
    assert peak < 3 * 1024 * 1024, f"peak Python allocation {peak} bytes"
    assert rss_growth < 6 * 1024 * 1024, f"peak RSS grew by {rss_growth} bytes"
    assert elapsed < 2.0
    # The same measurement of a plain inflate sees the whole 10 MB: it can tell them apart.
    outcome, peak, rss_growth, _ = _measure(tmp_path, "plain")
    assert outcome == "inflated"
    assert peak > 10 * 1024 * 1024
    assert rss_growth > 9 * 1024 * 1024


def test_parser_refuses_the_bomb_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(ReportRejected) as refused:
        read_report(gzip_bomb(), MEDIA_TYPE_GZIP, LIMITS)
    assert refused.value.reason == "decompressed-too-large"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"failed-session-count": -1}, "failed-session-count: -1 is less than the minimum of 0"),
        ({"failed-session-count": 1.5}, '1.5 is not of type "integer"'),
        ({"failed-session-count": True}, 'true is not of type "integer"'),
        ({"receiving-ip": "1" * 1025}, "receiving-ip"),
        ({"result-type": ""}, "is shorter than 1 character"),
        ({"sending-mta-ip": None}, 'null is not of type "string"'),
    ],
)
def test_an_error_deep_in_a_large_report_names_the_reporters_entry(
    bad: dict[str, object], says: str
) -> None:
    document = json.loads(vector_bytes("rfc8460-appendix-b.json"))
    template = document["policies"][0]["failure-details"][2]
    failures = [dict(template) for _ in range(500)]
    failures[437] = {**template, **bad}
    document["policies"][0]["failure-details"] = failures
    with pytest.raises(ReportRejected) as refused:
        read_report(json.dumps(document).encode(), MEDIA_TYPE_JSON, LIMITS)
    assert refused.value.detail.startswith("policies[0].failure-details[437]")
    assert says in refused.value.detail


def test_repeated_valid_failures_are_all_kept() -> None:
    document = json.loads(vector_bytes("rfc8460-appendix-b.json"))
    template = document["policies"][0]["failure-details"][2]
    document["policies"][0]["failure-details"] = [dict(template) for _ in range(300)]
    report, _ = read_report(json.dumps(document).encode(), MEDIA_TYPE_JSON, LIMITS)
    assert len(report.policies[0].failure_details) == 300
    assert sum(f.failed_session_count for f in report.policies[0].failure_details) == 900


@pytest.mark.parametrize(
    ("member", "escaped", "refused"),
    [
        ("organization-name", r"Company\u0000X", True),
        ("report-id", r"id-\ud800", True),
        ("additional-information", r"\udc00 alone", True),
        ("organization-name", r"Company \ud83d\ude00", False),  # a pair: one character
        ("organization-name", r"C:\\u0000 is text", False),  # an escaped backslash, then text
    ],
)
def test_nul_and_lone_surrogates_are_refused_before_storage(
    member: str, escaped: str, refused: bool
) -> None:
    document = json.loads(vector_bytes("rfc8460-appendix-b.json"))
    placeholder = "PLACEHOLDER"
    if member == "additional-information":
        document["policies"][0]["failure-details"][0][member] = placeholder
    else:
        document[member] = placeholder
    body = json.dumps(document).replace(placeholder, escaped).encode()
    if not refused:
        report, _ = read_report(body, MEDIA_TYPE_JSON, LIMITS)
        assert report.organization_name == json.loads(body)["organization-name"].strip()
        return
    with pytest.raises(ReportRejected) as rejected:
        read_report(body, MEDIA_TYPE_JSON, LIMITS)
    assert rejected.value.reason == "bad-text"
    assert "NUL character or an unpaired surrogate" in rejected.value.detail
