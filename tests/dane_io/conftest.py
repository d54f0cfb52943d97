"""Fixtures of the outbound DANE tests: loopback SMTP servers and a scenario around them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dane_io.scenario import Scenario
from tests.dane_io.servers import LoopbackServers
from tests.dnsnet import DnsTestNetwork


@pytest.fixture
def servers() -> Iterator[LoopbackServers]:
    """SMTP servers for one test, stopped after it."""
    pool = LoopbackServers()
    yield pool
    pool.close()


@pytest.fixture
def scenario(dnsnet: DnsTestNetwork, servers: LoopbackServers) -> Scenario:
    """Zones, records and servers of one test."""
    return Scenario(dnsnet, servers)
