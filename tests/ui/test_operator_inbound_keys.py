"""The operators' inbound keys page in Chromium: each key's state and expiry countdown, which
key every inbound address serves (two loopback MTAs probed for real), a served certificate
that matches no published TLSA red and labelled at the top, and the promote / retire buttons
with a refusal shown with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.choices import InboundKeyState
from dnsops.models import InboundKey
from domains import rollover
from domains.audit import Actor
from domains.inbound_keys import register_certificate
from tests.dane_io.servers import Credentials, LoopbackServers, next_address, self_signed
from tests.support import make_operator
from tests.ui.conftest import check_page, url_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def servers() -> Iterator[LoopbackServers]:
    """Loopback SMTP servers for one test."""
    pool = LoopbackServers()
    yield pool
    pool.close()


def test_the_inbound_keys_page_shows_the_rollover_and_refusals(
    page: Page,
    live_server: Any,
    servers: LoopbackServers,
    settings: SettingsWrapper,
    sign_in: Callable[[User], None],
) -> None:
    current, stranger = self_signed("mx.provider.test"), self_signed("stale.provider.test")
    good, stale = next_address(), next_address()
    servers.smtp(good, Credentials.of([current.certificate], current.key))
    servers.smtp(stale, Credentials.of([stranger.certificate], stranger.key))
    settings.DANE_INBOUND_ADDRESSES = [good, stale]
    settings.DANE_INBOUND_SMTP_PORT = servers.port
    pem = current.certificate.public_bytes(serialization.Encoding.PEM).decode()
    register_certificate(pem, name="mx-2026", state=InboundKeyState.CURRENT, actor=Actor.cli())
    upcoming = self_signed("mx.provider.test").certificate.public_bytes(serialization.Encoding.PEM)
    register_certificate(
        upcoming.decode(), name="mx-2027", state=InboundKeyState.NEXT, actor=Actor.cli()
    )
    with ThreadPoolExecutor(1) as pool:  # the beat's probe; Playwright's loop runs here
        pool.submit(rollover.probe_inbound_servers).result()

    sign_in(make_operator()[0])
    page.goto(url_of(live_server, "/operator/inbound-keys/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbound keys")
    banner = page.locator("#served-mismatch")
    expect(banner).to_contain_text("matches no published TLSA record")
    expect(banner).to_contain_text(stale)
    expect(banner).not_to_contain_text(good)
    expect(page.locator(f'#served tr[data-address="{good}"]')).to_contain_text("mx-2026")
    expect(page.locator(f'#served tr[data-address="{good}"]')).to_contain_text("matches")
    expect(page.locator(f'#served tr[data-address="{stale}"]')).to_contain_text(
        "matches no published TLSA"
    )
    row = page.locator('#keys tr[data-key="mx-2026"]')
    expect(row).to_contain_text("current")
    expect(row).to_contain_text("in 1 month")  # the test certificates live 60 days
    expect(row).to_contain_text(good)
    expect(page.locator("#rollover-phase")).to_contain_text("Next key published")
    check_page(page, "operator-inbound-keys", phone=True)

    row.get_by_role("button", name="Retire mx-2026").click()
    expect(page.get_by_role("alert").filter(has_text="Retirement refused")).to_contain_text(
        "the only current key"
    )
    assert InboundKey.objects.get(name="mx-2026").state == InboundKeyState.CURRENT

    page.locator('#keys tr[data-key="mx-2027"]').get_by_role("button", name="Promote").click()
    expect(page.get_by_role("status").filter(has_text="mx-2027 is current")).to_be_visible()
    assert InboundKey.objects.get(name="mx-2027").state == InboundKeyState.CURRENT
    expect(page.locator('#keys tr[data-key="mx-2026"]')).to_contain_text("current (outgoing)")


def test_the_inbound_keys_page_reads_in_traditional_chinese(client: Client) -> None:
    register_certificate(
        self_signed("mx.provider.test")
        .certificate.public_bytes(serialization.Encoding.PEM)
        .decode(),
        name="mx-2026",
        state=InboundKeyState.CURRENT,
        actor=Actor.cli(),
    )
    client.force_login(make_operator()[0])
    page = client.get("/operator/inbound-keys/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert page.status_code == 200
    text = page.content.decode()
    assert "收信金鑰" in text
    assert "沒有進行中的輪替" in text
    assert 'data-key="mx-2026"' in text
