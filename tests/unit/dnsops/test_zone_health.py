"""The judgement of a partition zone as served (pure), and the wire codec's SOA serial and DS
digest that feed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dnsops.dns.types import DS, SOA
from dnsops.dns.wire import parse_answer
from dnsops.zone_health.assess import (
    DriftBaseline,
    ServerSerial,
    SignatureSeen,
    ZoneObservation,
    ZoneProblem,
    assess,
    normalise_ds,
)
from tests.unit.dns.test_wire import response

NOW = datetime(2026, 12, 2, tzinfo=UTC)
MARGIN = timedelta(days=5)
DS_TEXT = "34264 13 2 4f5ede16e183397bcbf0a39cc3e764430af6d30193e047b566d71a161493759e"
CLEAN = DriftBaseline(clean_serial=7, desired_unchanged=True)


def observation(
    *serials: int | None, expires_in: timedelta = timedelta(days=10), ds: str = DS_TEXT
) -> ZoneObservation:
    return ZoneObservation(
        zone="o-v1.mx.provider.test",
        serials=tuple(
            ServerSerial(f"127.0.0.1:{5300 + n}", serial, "" if serial else "timeout")
            for n, serial in enumerate(serials)
        ),
        signatures=(
            SignatureSeen("o-v1.mx.provider.test", "SOA", NOW + timedelta(days=12)),
            SignatureSeen("a.o-v1.mx.provider.test", "A", NOW + expires_in),
        ),
        ds_served=(normalise_ds(ds),),
    )


def judge(seen: ZoneObservation, baseline: DriftBaseline = CLEAN) -> tuple[ZoneProblem, ...]:
    return assess(seen, expected_ds=[DS_TEXT], baseline=baseline, now=NOW, margin=MARGIN).problems


def test_a_zone_served_alike_signed_ahead_with_its_ds_is_healthy() -> None:
    health = assess(
        observation(7, 7), expected_ds=[DS_TEXT], baseline=CLEAN, now=NOW, margin=MARGIN
    )
    assert health.problems == ()
    assert (health.serials_agree, health.ds_matches, health.is_red) == (True, True, False)
    assert health.earliest_signature is not None
    assert health.earliest_signature.owner == "a.o-v1.mx.provider.test"


def test_each_problem_is_named() -> None:
    assert judge(observation(7, 8)) == (ZoneProblem.SERVERS_DISAGREE, ZoneProblem.DRIFT)
    assert judge(observation(7, None)) == (ZoneProblem.SERVER_UNANSWERED,)
    assert judge(observation(7, expires_in=timedelta(days=4))) == (ZoneProblem.SIGNATURES_EXPIRING,)
    other_ds = DS_TEXT[:-1] + "f"
    assert judge(observation(7, ds=other_ds)) == (ZoneProblem.DS_MISMATCH,)


def test_with_no_server_listed_no_serial_is_judged() -> None:
    health = assess(observation(), expected_ds=[DS_TEXT], baseline=CLEAN, now=NOW, margin=MARGIN)
    assert (health.problems, health.serials_agree) == ((), True)


def test_a_serial_moved_without_a_desired_change_is_drift_and_with_one_is_not() -> None:
    assert judge(observation(9)) == (ZoneProblem.DRIFT,)
    assert judge(observation(9), DriftBaseline(clean_serial=7, desired_unchanged=False)) == ()
    assert judge(observation(9), DriftBaseline(clean_serial=None, desired_unchanged=True)) == ()


def test_ds_is_compared_whatever_its_spacing_and_case() -> None:
    spaced = "34264 13 2 4F5EDE16E183397BCBF0A39CC3E76443 0AF6D30193E047B566D71A161493759E"
    assert normalise_ds(spaced) == normalise_ds(DS_TEXT)


def test_the_wire_codec_reads_the_soa_serial_and_the_ds_digest() -> None:
    soa = "ns.test. hostmaster.test. 2026120201 3600 600 1209600 300"
    answer, _ = parse_answer(
        response("o-v1.mx.provider.test.", "SOA", ("o-v1.mx.provider.test.", "SOA", soa)), SOA
    )
    assert answer.records(SOA) == [2026120201]
    answer, _ = parse_answer(
        response("o-v1.mx.provider.test.", "DS", ("o-v1.mx.provider.test.", "DS", DS_TEXT)), DS
    )
    assert answer.records(DS) == [(34264, 13, 2, DS_TEXT.split()[-1].upper())]
