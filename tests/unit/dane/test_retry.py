"""The retry schedule and the status code reported at each moment, at their exact boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from dnsops.dane.retry import attempt_times, expires_at, next_attempt, status_code_for
from dnsops.dane.verdicts import Verdict

FIRST = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def minutes(count: float) -> timedelta:
    """A duration in minutes."""
    return timedelta(minutes=count)


def test_attempts_are_at_15_and_30_minutes_then_hourly_within_24_hours() -> None:
    times = attempt_times(FIRST)
    offsets = [time - FIRST for time in times]

    assert offsets[:5] == [minutes(0), minutes(15), minutes(30), minutes(90), minutes(150)]
    assert offsets[-1] == timedelta(hours=23, minutes=30)
    assert len(times) == 26
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert gaps == [minutes(15), minutes(15)] + [timedelta(hours=1)] * 23


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (FIRST - TICK, FIRST),
        (FIRST, FIRST + minutes(15)),
        (FIRST + minutes(15) - TICK, FIRST + minutes(15)),
        (FIRST + minutes(15), FIRST + minutes(30)),
        (FIRST + minutes(30) - TICK, FIRST + minutes(30)),
        (FIRST + minutes(30), FIRST + minutes(90)),
        (FIRST + minutes(89), FIRST + minutes(90)),
        (FIRST + minutes(90), FIRST + minutes(150)),
        (FIRST + timedelta(hours=23, minutes=30) - TICK, FIRST + timedelta(hours=23, minutes=30)),
        (FIRST + timedelta(hours=23, minutes=30), None),
        (FIRST + timedelta(hours=24) - TICK, None),
        (FIRST + timedelta(hours=24), None),
        (FIRST + timedelta(days=3), None),
    ],
)
def test_next_attempt(now: datetime, expected: datetime | None) -> None:
    assert next_attempt(FIRST, now) == expected


def test_the_message_expires_24_hours_after_the_first_attempt() -> None:
    assert expires_at(FIRST) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


RETRIED = [verdict for verdict in Verdict if verdict.info.temporary_code is not None]


@pytest.mark.parametrize("verdict", RETRIED)
def test_4xx_until_expiry_then_5xx(verdict: Verdict) -> None:
    expiry = FIRST + timedelta(hours=24)
    temporary = verdict.info.temporary_code
    permanent = verdict.info.permanent_code
    assert temporary is not None
    assert permanent is not None

    assert status_code_for(verdict, FIRST, FIRST) == temporary
    assert status_code_for(verdict, FIRST, expiry - TICK) == temporary
    assert status_code_for(verdict, FIRST, expiry) == permanent
    assert status_code_for(verdict, FIRST, expiry + timedelta(days=1)) == permanent
    assert temporary[0] == "4"
    assert permanent == f"5{temporary[1:]}"


def test_dane_codes_at_the_boundaries() -> None:
    just_before = FIRST + timedelta(hours=24) - TICK
    at_expiry = FIRST + timedelta(hours=24)

    assert status_code_for(Verdict.STARTTLS_NOT_SUPPORTED, FIRST, just_before) == "4.7.321"
    assert status_code_for(Verdict.CERTIFICATE_EXPIRED, FIRST, at_expiry) == "5.7.322"
    assert status_code_for(Verdict.TLSA_INVALID, FIRST, FIRST + minutes(30)) == "4.7.323"
    assert status_code_for(Verdict.DNSSEC_INVALID, FIRST, at_expiry) == "5.7.324"
    assert status_code_for(Verdict.DNS_QUERY_FAILED, FIRST, just_before) == "4.4.312"
    assert status_code_for(Verdict.DNS_QUERY_FAILED, FIRST, at_expiry) == "5.4.312"


@pytest.mark.parametrize(
    ("verdict", "code"), [(Verdict.NULL_MX, "5.1.10"), (Verdict.DOMAIN_NOT_FOUND, "5.4.310")]
)
def test_verdicts_that_are_never_retried_report_5xx_at_once(verdict: Verdict, code: str) -> None:
    assert status_code_for(verdict, FIRST, FIRST) == code


@pytest.mark.parametrize(
    "verdict",
    [
        Verdict.PASS,
        Verdict.NO_TLSA,
        Verdict.DANE_NOT_APPLICABLE,
        Verdict.UNAUTHENTICATED_TLS,
    ],
)
def test_delivering_verdicts_have_no_status_code(verdict: Verdict) -> None:
    assert verdict.info.delivers
    assert status_code_for(verdict, FIRST, FIRST) is None
    assert status_code_for(verdict, FIRST, FIRST + timedelta(days=2)) is None
