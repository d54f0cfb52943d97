"""The Notifications page in Chromium: add a webhook (its secret shown once), send a test
event to a loopback receiver and see the delivery and its attempt, set one's own digest (a
viewer too); axe on desktop and phone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from playwright.sync_api import Page, expect

from domains.models import Tenant
from domains.notifications import delivery
from domains.notifications.models import DigestSubscription, Webhook, WebhookDelivery
from tests.notifications.support import Receiver, signature_is_valid, start_receiver
from tests.ui.conftest import MakeMember, check_page, membership_of, tenant_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A loopback receiver, allowed as in the other notification tests."""
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = True
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    found = Receiver()
    server = start_receiver(found)
    yield found
    server.shutdown()
    server.server_close()


def run_in_a_thread(work: Callable[[], int]) -> int:
    """``work()`` off Playwright's event loop (the delivery runs one of its own), as a worker
    would, with a database connection of its own."""

    def call() -> int:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def wait_until_delivered(tenant: Tenant, timeout: float = 30.0) -> None:
    """Until the tenant's delivery has succeeded (whoever delivered it)."""
    deadline = time.monotonic() + timeout
    while not WebhookDelivery.objects.filter(
        webhook__tenant=tenant, state=WebhookDelivery.State.SUCCEEDED
    ).exists():
        assert time.monotonic() < deadline, "the test event was not delivered"
        time.sleep(0.1)


def test_an_admin_adds_a_webhook_sends_a_test_event_and_sees_the_delivery(
    admin_page: Page, live_server: Any, ui_tenant: Tenant, receiver: Receiver
) -> None:
    page = admin_page
    page.goto(tenant_url(live_server, ui_tenant, "settings/"))
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()

    page.get_by_label("Receiver URL").fill(receiver.url)
    page.get_by_label("A command failed").check()
    page.get_by_role("button", name="Add the webhook").click()

    secret = page.locator("#new-webhook-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    check_page(page, "notifications-webhook-created")
    page.goto(tenant_url(live_server, ui_tenant, "settings/notifications/"))
    assert secret not in page.content()
    assert Webhook.objects.get(tenant=ui_tenant).event_types == ["operation.failed"]

    page.get_by_role("button", name=f"Send a test event to {receiver.url}").click()
    expect(page.get_by_role("status").filter(has_text="test event")).to_contain_text(
        "A test event is on its way"
    )
    run_in_a_thread(delivery.deliver_due)  # (a session's Celery worker may deliver it first)
    wait_until_delivered(ui_tenant)
    page.reload()

    row = page.get_by_role("row").filter(has_text="Test event")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")
    (request,) = receiver.requests
    assert signature_is_valid(secret, request.headers["Dane-Admin-Signature"], request.body)
    check_page(page, "notifications", phone=True)


def test_a_viewer_sets_a_daily_digest_in_chinese(
    page: Page,
    live_server: Any,
    ui_tenant: Tenant,
    make_member: MakeMember,
    sign_in: Callable[[User], None],
) -> None:
    user, _ = make_member(ui_tenant, "viewer")
    sign_in(user)
    page.goto(tenant_url(live_server, ui_tenant, "settings/notifications/"))
    expect(page.get_by_role("button", name="Add the webhook")).to_have_count(0)

    page.get_by_label("Once a day").check()
    page.get_by_label("Language of the digest").select_option("zh-hant")
    page.get_by_role("button", name="Save the digest preference").click()

    expect(page.get_by_text("Your e-mail digest preference is saved.")).to_be_visible()
    expect(page.get_by_label("Once a day")).to_be_checked()
    subscription = DigestSubscription.objects.get(membership=membership_of(user, ui_tenant))
    assert (subscription.frequency, subscription.language) == ("daily", "zh-hant")
    check_page(page, "notifications-viewer")
