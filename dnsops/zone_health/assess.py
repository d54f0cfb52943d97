"""The judgement of one partition zone as served (pure: plain observations in, a verdict out).

A zone is *red* when its servers disagree on the SOA serial (or one does not answer), when a
signature it serves expires within the refresh margin, when the DS at the parent does not
match the expected DS, or when its serial moved although the control plane changed nothing
since the last clean drift check (someone changed the zone behind the product's back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class ZoneProblem(StrEnum):
    """Why a partition zone is red (the page labels each one in words)."""

    SERVER_UNANSWERED = "server_unanswered"
    SERVERS_DISAGREE = "servers_disagree"
    SIGNATURES_EXPIRING = "signatures_expiring"
    DS_MISMATCH = "ds_mismatch"
    DRIFT = "drift"


@dataclass(frozen=True)
class ServerSerial:
    """What one authoritative server said the zone's SOA serial is (``error`` when nothing)."""

    server: str
    serial: int | None
    error: str = ""


@dataclass(frozen=True)
class SignatureSeen:
    """One RRSIG served in the zone: the owner and type asked, and when it expires."""

    owner: str
    rdtype: str
    expiration: datetime


@dataclass(frozen=True)
class ZoneObservation:
    """What the servers answered for one zone."""

    zone: str
    serials: tuple[ServerSerial, ...]
    signatures: tuple[SignatureSeen, ...]
    ds_served: tuple[str, ...]  # normalised, see normalise_ds
    ds_error: str = ""
    owners_sampled: int = 0


@dataclass(frozen=True)
class DriftBaseline:
    """The zone's serial at its last drift check that found no drift, and whether the
    desired rows are still the ones compared then (None serial: no clean check yet)."""

    clean_serial: int | None
    desired_unchanged: bool


@dataclass(frozen=True)
class ZoneHealth:
    """The verdict on one zone."""

    observation: ZoneObservation
    expected_ds: tuple[str, ...]
    margin: timedelta
    problems: tuple[ZoneProblem, ...] = field(default=())

    @property
    def serials_agree(self) -> bool:
        """Every server answered, all with one serial (none asked: nothing to disagree)."""
        serials = {entry.serial for entry in self.observation.serials}
        return len(serials) <= 1 and None not in serials

    @property
    def earliest_signature(self) -> SignatureSeen | None:
        """The served RRSIG that expires first."""
        return min(self.observation.signatures, key=lambda s: s.expiration, default=None)

    @property
    def ds_matches(self) -> bool:
        """The DS at the parent is exactly the expected set."""
        return bool(self.expected_ds) and set(self.observation.ds_served) == set(self.expected_ds)

    @property
    def is_red(self) -> bool:
        """Any problem at all."""
        return bool(self.problems)


def normalise_ds(text: str) -> str:
    """``12345 13 2 ab cd`` → ``12345 13 2 ABCD`` (digest in one upper-case hex string)."""
    key_tag, algorithm, digest_type, *digest = text.split()
    return f"{int(key_tag)} {int(algorithm)} {int(digest_type)} {''.join(digest).upper()}"


def assess(
    observation: ZoneObservation,
    *,
    expected_ds: Sequence[str],
    baseline: DriftBaseline,
    now: datetime,
    margin: timedelta,
) -> ZoneHealth:
    """Judge ``observation``: which :class:`ZoneProblem` apply (in a stable order)."""
    expected = tuple(sorted(normalise_ds(text) for text in expected_ds))
    health = ZoneHealth(observation, expected, margin)
    problems: list[ZoneProblem] = []
    answered = {entry.serial for entry in observation.serials if entry.serial is not None}
    if any(entry.serial is None for entry in observation.serials):
        problems.append(ZoneProblem.SERVER_UNANSWERED)
    if len(answered) > 1:
        problems.append(ZoneProblem.SERVERS_DISAGREE)
    earliest = health.earliest_signature
    if earliest is not None and earliest.expiration - now <= margin:
        problems.append(ZoneProblem.SIGNATURES_EXPIRING)
    if expected and not health.ds_matches:
        problems.append(ZoneProblem.DS_MISMATCH)
    if (
        baseline.clean_serial is not None
        and baseline.desired_unchanged
        and any(serial != baseline.clean_serial for serial in answered)
    ):
        problems.append(ZoneProblem.DRIFT)
    return ZoneHealth(observation, expected, margin, tuple(problems))
