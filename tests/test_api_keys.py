"""API keys: shown once, stored hashed, scoped to one tenant; the management commands."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from domains import services
from domains.api_keys import verified_keys
from domains.audit import Actor
from domains.authentication import TenantApiKeyAuthentication
from domains.models import AuditEvent, Tenant, TenantAPIKey

pytestmark = pytest.mark.django_db(transaction=True)


def all_database_text() -> str:
    """Every value of every row of every table, as text."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_createtenant_and_createapikey_print_a_working_key() -> None:
    out = io.StringIO()
    call_command("createtenant", "contoso", "--name", "Contoso Ltd", stdout=out)
    assert "contoso.onprovider.test" in out.getvalue()
    out = io.StringIO()
    call_command("createapikey", "contoso", stdout=out)
    raw_key = out.getvalue().strip().splitlines()[-1]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    response = client.get("/api/v1/domains/")
    assert response.status_code == 200
    assert [d["name"] for d in response.json()["results"]] == ["contoso.onprovider.test"]
    client.credentials(HTTP_AUTHORIZATION=f"api-key {raw_key}")  # schemes ignore case
    assert client.get("/api/v1/domains/").status_code == 200

    database = all_database_text()
    secret_part = raw_key.split(".", 1)[1]
    assert raw_key not in database
    assert secret_part not in database
    key = TenantAPIKey.objects.get(tenant__slug="contoso")
    assert key.hashed_key
    assert key.hashed_key != secret_part
    assert AuditEvent.objects.filter(action="api_key.created", target_id=key.prefix).exists()


def test_createtenant_refuses_bad_and_duplicate_slugs() -> None:
    from django.core.management.base import CommandError

    call_command("createtenant", "fabrikam", stdout=io.StringIO())
    for slug in ("fabrikam", "Bad Slug", "-x", "a" * 64, "xn--ab", "a.b"):
        with pytest.raises(CommandError):
            call_command("createtenant", slug, stdout=io.StringIO())
    assert Tenant.objects.filter(slug="fabrikam").count() == 1


def test_a_key_only_ever_acts_for_its_own_tenant(
    api: APIClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    api.post("/api/v1/domains/", {"name": "contoso.example"}, format="json")
    assert tenant.domains.filter(name="contoso.example").exists()
    assert not other_tenant.domains.filter(name="contoso.example").exists()


def test_a_key_and_its_tenant_are_read_in_one_query(
    tenant: Tenant, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _, raw_key = services.create_api_key(tenant, name="one-query", actor=Actor.cli())
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Api-Key {raw_key}"))
    with django_assert_num_queries(1):
        result = TenantApiKeyAuthentication().authenticate(request)
        assert result is not None
        assert result[0].tenant.slug == tenant.slug


def test_a_known_prefix_with_a_wrong_secret_is_refused(api: APIClient, tenant: Tenant) -> None:
    _, raw_key = services.create_api_key(tenant, name="guessed", actor=Actor.cli())
    prefix, _, secret = raw_key.partition(".")
    guess = APIClient()
    guess.credentials(HTTP_AUTHORIZATION=f"Api-Key {prefix}.{secret[::-1]}")
    response = guess.get("/api/v1/domains/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid API key."


class Clock:
    """The key cache's clock, moved by hand (no test sleeps for the cache's lifetime)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The process's verified-key cache on a hand-moved clock."""
    clock = Clock()
    monkeypatch.setattr(verified_keys, "clock", clock)
    return clock


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_a_verified_key_is_not_looked_up_again_within_the_cache_lifetime(
    tenant: Tenant,
    clock: Clock,
    settings: SettingsWrapper,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    _, raw_key = services.create_api_key(tenant, name="cached", actor=Actor.cli())
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Api-Key {raw_key}"))
    with django_assert_num_queries(1):
        TenantApiKeyAuthentication().authenticate(request)
    with django_assert_num_queries(0):
        result = TenantApiKeyAuthentication().authenticate(request)
    assert result is not None
    assert result[0].tenant == tenant
    assert result[0].tenant is not tenant  # each request its own instance
    assert result[0].actor.label == f"api-key:{raw_key.split('.')[0]}"
    clock.now += settings.DANE_API_KEY_CACHE_SECONDS
    with django_assert_num_queries(1):  # stale: looked up again
        TenantApiKeyAuthentication().authenticate(request)
    assert raw_key not in repr(verified_keys._entries)  # only the key's hash is kept


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_lifetime(
    tenant: Tenant, clock: Clock, settings: SettingsWrapper
) -> None:
    api_key, raw_key = services.create_api_key(tenant, name="revoked", actor=Actor.cli())
    client = key_client(raw_key)
    assert client.get("/api/v1/domains/").status_code == 200
    # Another web process revokes it: this process is not told (the row changes, nothing else).
    TenantAPIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    clock.now += settings.DANE_API_KEY_CACHE_SECONDS - 0.5
    assert client.get("/api/v1/domains/").status_code == 200  # within the documented bound
    clock.now += 0.5
    response = client.get("/api/v1/domains/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid API key."


def test_a_key_revoked_in_this_process_or_deleted_stops_working_at_once(
    tenant: Tenant, clock: Clock
) -> None:
    api_key, raw_key = services.create_api_key(tenant, name="revoked", actor=Actor.cli())
    client = key_client(raw_key)
    assert client.get("/api/v1/domains/").status_code == 200
    services.revoke_api_key(api_key, actor=Actor.cli())
    assert client.get("/api/v1/domains/").status_code == 401
    deleted, raw_deleted = services.create_api_key(tenant, name="deleted", actor=Actor.cli())
    assert key_client(raw_deleted).get("/api/v1/domains/").status_code == 200
    deleted.delete()
    assert key_client(raw_deleted).get("/api/v1/domains/").status_code == 401


def test_a_cached_key_is_refused_as_soon_as_it_expires(
    tenant: Tenant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_key, raw_key = services.create_api_key(tenant, name="expiring", actor=Actor.cli())
    expiry = timezone.now() + timedelta(minutes=1)
    TenantAPIKey.objects.filter(pk=api_key.pk).update(expiry_date=expiry)
    client = key_client(raw_key)
    assert client.get("/api/v1/domains/").status_code == 200  # verified and cached
    monkeypatch.setattr(
        "domains.authentication.timezone.now", lambda: expiry + timedelta(microseconds=1)
    )
    response = client.get("/api/v1/domains/")  # the cache is fresh: only the expiry refuses
    assert response.status_code == 401
    assert response.json()["detail"] == "The API key has expired."


def test_with_the_cache_off_every_request_looks_the_key_up(
    tenant: Tenant, settings: SettingsWrapper, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    settings.DANE_API_KEY_CACHE_SECONDS = 0
    _, raw_key = services.create_api_key(tenant, name="uncached", actor=Actor.cli())
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Api-Key {raw_key}"))
    for _ in range(2):
        with django_assert_num_queries(1):
            TenantApiKeyAuthentication().authenticate(request)
