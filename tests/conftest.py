"""Fixtures shared by the suite: tenants, API keys and clients, and the DNS test network.

Two tiers: ``tests/unit/`` is pure logic (no database, no network) and runs anywhere with
``pytest tests/unit``; everything else is the integration tier, which runs on the real stack
that ``deploy/test`` starts (PostgreSQL, Redis, Knot, Unbound on loopback) and refuses to run
on anything else.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from dnsops.models import Partition
from domains import services
from domains.api_keys import verified_keys
from domains.audit import Actor
from domains.models import Tenant
from tests.dnsnet import DnsTestNetwork
from tests.worker import WorkerProcess

UNIT_TIER = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run integration tests on SQLite: constraints and locking need the real
    database (the unit tier needs neither a database nor a network)."""
    needs_stack = any(not item.path.is_relative_to(UNIT_TIER) for item in items)
    if needs_stack and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.exit(
            "The integration tests run on the project's PostgreSQL: use `make test` "
            "(deploy/test), or `python3 deploy/stack.py up` and export var/stack/stack.env; "
            "`pytest tests/unit` runs the pure tests alone.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def _forget_verified_api_keys() -> Iterator[None]:
    """Each test starts with no API key verified in this process (domains/api_keys.py)."""
    verified_keys.clear()
    yield
    verified_keys.clear()


@pytest.fixture
def make_tenant(db: None) -> Callable[..., Tenant]:
    """Create tenants through the service layer (so each gets its initial domain)."""

    def make(slug: str | None = None) -> Tenant:
        return services.create_tenant(slug or f"t-{uuid.uuid4().hex[:10]}", actor=Actor.cli())

    return make


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """One tenant."""
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """A second tenant, to prove isolation."""
    return make_tenant()


def client_for(tenant: Tenant) -> APIClient:
    """An API client authenticated with a new API key of ``tenant``."""
    _, raw_key = services.create_api_key(tenant, name="test", actor=Actor.cli())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def api(tenant: Tenant) -> APIClient:
    """An API client of ``tenant``."""
    return client_for(tenant)


@pytest.fixture
def other_api(other_tenant: Tenant) -> APIClient:
    """An API client of ``other_tenant``."""
    return client_for(other_tenant)


@pytest.fixture(scope="session")
def worker(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """A real Celery worker + beat on the test database (tests using it need
    ``django_db(transaction=True)`` so that it sees their rows)."""
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    process = WorkerProcess(url, tmp_path_factory.mktemp("worker"))
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def dnsnet() -> DnsTestNetwork:
    """The DNS test network started by deploy/stack.py (Knot + validating Unbound)."""
    network = DnsTestNetwork.from_environment()
    network.check_running()
    return network


@pytest.fixture
def customer_domain(dnsnet: DnsTestNetwork) -> str:
    """A fresh name in the test network's signed top zone, unique to the test."""
    return f"c{uuid.uuid4().hex[:12]}.{dnsnet.top_zone}"


@pytest.fixture
def partition(db: None, dnsnet: DnsTestNetwork) -> Partition:
    """The only partition of the test database: a fresh zone name, provisioned on first use
    by the worker (zones on the test network outlive the test database)."""
    label = f"t{uuid.uuid4().hex[:8]}"
    return Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")


@pytest.fixture
def resolver_down(settings: SettingsWrapper) -> None:
    """Point DANE_RESOLVER at a loopback port where nothing listens."""
    settings.DANE_RESOLVER = "127.0.0.1:9"
    settings.DANE_DNS_TIMEOUT = 0.5
