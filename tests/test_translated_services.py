# ruff: noqa: RUF001  (zh-Hant texts have full-width punctuation)
"""The services' own texts in the reader's language: audit-action labels and service errors
render in zh-Hant on the pages of a zh-Hant reader, and the API keeps its codes and answers
English unless the request asks for zh-Hant (``Accept-Language``)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor
from domains.models import Tenant

ZH = {"Accept-Language": "zh-Hant"}


@pytest.fixture
def admin_client(tenant: Tenant) -> Client:
    membership, _ = services.provision_member(tenant, "alice", role="admin", actor=Actor.cli())
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.mark.django_db
def test_audit_trail_labels_are_translated(admin_client: Client, tenant: Tenant) -> None:
    services.add_domain(tenant, "contoso.example", actor=Actor("user:alice"))

    page = admin_client.get(f"/t/{tenant.slug}/audit/", headers=ZH).content.decode()
    english = admin_client.get(f"/t/{tenant.slug}/audit/").content.decode()

    assert "已新增網域" in page  # "Domain added"
    assert "<code>domain.added</code>" in page  # the value itself is never translated
    assert '<option value="api_key.revoked">已撤銷 API 金鑰</option>' in page  # the filter
    assert "Domain added" in english
    assert "已新增網域" not in english


@pytest.mark.django_db
def test_service_errors_show_in_the_readers_language(admin_client: Client, tenant: Tenant) -> None:
    services.add_domain(tenant, "contoso.example", actor=Actor.cli())

    wildcard = admin_client.post(
        f"/t/{tenant.slug}/domains/add/", {"name": "*.contoso.example"}, headers=ZH
    )
    again = admin_client.post(
        f"/t/{tenant.slug}/domains/add/", {"name": "contoso.example"}, headers=ZH
    )

    assert "InvalidRequest: 不接受萬用字元名稱；請新增網域本身。" in wildcard.content.decode()
    assert "DomainAlreadyExists: contoso.example 已經是此組織的網域。" in again.content.decode()


@pytest.mark.django_db
def test_api_errors_keep_their_code_and_follow_accept_language(api: APIClient) -> None:
    english = api.post("/api/v1/domains/", {"name": "*.contoso.example"}, format="json")
    chinese = api.post("/api/v1/domains/", {"name": "*.contoso.example"}, format="json", headers=ZH)

    assert english.status_code == chinese.status_code == 400
    assert english.json()["code"] == chinese.json()["code"] == "InvalidRequest"
    assert english.json()["detail"] == "Wildcard names are not accepted; add the domain itself."
    assert chinese.json()["detail"] == "不接受萬用字元名稱；請新增網域本身。"


@pytest.mark.django_db
def test_command_errors_follow_the_readers_language(
    api: APIClient, admin_client: Client, tenant: Tenant
) -> None:
    services.add_domain(tenant, "contoso.example", actor=Actor.cli())  # not verified
    path = "/api/v1/domains/contoso.example/dnssec/enable/"

    english = api.post(path)
    chinese = api.post(path, headers=ZH)
    page = admin_client.post(
        f"/t/{tenant.slug}/domains/contoso.example/run/enable-dnssec/", headers=ZH
    ).content.decode()

    assert english.json()["code"] == chinese.json()["code"] == "DomainNotFound"
    assert english.json()["detail"] == (
        "contoso.example is not verified yet: publish its verification TXT record and verify it."
    )
    assert chinese.json()["detail"] == "contoso.example 尚未驗證：請發布其驗證 TXT 記錄並進行驗證。"
    assert "contoso.example 尚未驗證" in page
