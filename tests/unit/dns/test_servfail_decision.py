"""The one SERVFAIL-then-CD decision: what the same query with CD set must get for a SERVFAIL
to be bogus data, as the status checks' zone evidence and the outbound validator read it."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from dnsops.checks.dnssec import ZoneSecurity, classify_zone
from dnsops.checks.mx import ProviderNamespace
from dnsops.checks.runner import Checker, RunnerConfig
from dnsops.dns.types import MX, Answer, Lookup, LookupStatus, answers_without_validation

DOMAIN = "contoso.example"


@pytest.mark.parametrize(
    ("status", "bogus"),
    [
        (LookupStatus.OK, True),
        (LookupStatus.NODATA, True),
        (LookupStatus.NXDOMAIN, True),  # a denial that fails validation is bogus
        (LookupStatus.SERVFAIL, False),
        (LookupStatus.TIMEOUT, False),
        (LookupStatus.REFUSED, False),
        (LookupStatus.ERROR, False),
        (LookupStatus.UNREADABLE, False),
    ],
)
def test_only_an_answer_with_cd_set_makes_a_servfail_bogus(
    status: LookupStatus, bogus: bool
) -> None:
    assert answers_without_validation(Answer(status)) is bogus


class CannedSession:
    """Answers each (name, type, CD) from a table and records what was asked."""

    def __init__(self, answers: dict[tuple[str, int, bool], Answer]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int, bool]] = []

    async def query(self, name: str, rdtype: int, *, cd: bool = False) -> Answer:
        self.asked.append((name, rdtype, cd))
        return self.answers.get((name, rdtype, cd), Answer(LookupStatus.TIMEOUT))


@pytest.mark.parametrize(
    ("unchecked", "security"),
    [
        (LookupStatus.NXDOMAIN, ZoneSecurity.BOGUS),
        (LookupStatus.SERVFAIL, ZoneSecurity.UNKNOWN),
        (LookupStatus.TIMEOUT, ZoneSecurity.UNKNOWN),
    ],
)
def test_the_status_check_reads_a_servfail_as_the_validator_does(
    unchecked: LookupStatus, security: ZoneSecurity
) -> None:
    servfail = Answer(LookupStatus.SERVFAIL)  # no Extended DNS Error to say why
    session = CannedSession({(DOMAIN, MX, False): servfail, (DOMAIN, MX, True): Answer(unchecked)})
    checker = Checker(
        RunnerConfig(resolver=("127.0.0.1", 9), provider=ProviderNamespace("mx.provider.test", ()))
    )

    evidence = asyncio.run(checker._zone_evidence(DOMAIN, servfail, cast(Any, session)))

    assert session.asked == [(DOMAIN, MX, True)]  # no zone of its own to look further into
    assert evidence.answers_without_validation is (security is ZoneSecurity.BOGUS)
    assert classify_zone(Lookup(LookupStatus.SERVFAIL), evidence) is security
