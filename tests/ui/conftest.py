"""Browser fixtures of the web UI tests: Debian's chromium driven by pytest-playwright against
Django's live server on the real stack (PostgreSQL, and the worker and DNS test network where
a test asks for them).

One browser for the whole session; each test gets a fresh context (cookies) and signs in by
putting a session cookie into it (``sign_in``), so only the sign-in tests type a password.
Every page test calls ``check_page`` (axe: no serious or critical violation, and a
screenshot into ``var/screenshots/``).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import BrowserContext, Page, ViewportSize

from domains import services
from domains.audit import Actor
from domains.models import Membership, Tenant

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the tests
# themselves are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
_axe = Axe()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, and ``asyncio.run()`` (the DNS and SMTP clients
    other tests call in that thread) refuses to start inside it."""
    uses_browser = [item for item in items if "playwright" in getattr(item, "fixturenames", ())]
    if uses_browser:
        chosen = set(uses_browser)
        items[:] = [item for item in items if item not in chosen] + uses_browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """English and a desktop window unless a test asks otherwise."""
    return {**browser_context_args, "locale": "en-US", "viewport": DESKTOP}


@pytest.fixture(autouse=True)
def _ui_settings(settings: Any) -> None:
    """The live server answers on plain http://localhost: Chromium keeps Secure cookies
    there, so the settings stay as outside DEBUG (the stack's env switches the session
    cookie's Secure flag off for its plain-http servers; the browser tests keep it on)."""
    settings.DEBUG = False
    settings.SESSION_COOKIE_SECURE = True


MakeMember = Callable[..., tuple[User, str]]


@pytest.fixture
def make_member(transactional_db: None) -> MakeMember:
    """``make_member(tenant, role="admin", username=None)`` → (user, password), created
    through the service layer like ``manage.py createmember``."""

    def make(tenant: Tenant, role: str = "admin", username: str | None = None) -> tuple[User, str]:
        name = username or f"{role}-{uuid.uuid4().hex[:8]}"
        membership, password = services.provision_member(tenant, name, role=role, actor=Actor.cli())
        return membership.user, password

    return make


@pytest.fixture
def ui_tenant(transactional_db: None) -> Tenant:
    """A tenant for a browser test (the live server needs committed rows)."""
    return services.create_tenant(
        f"t-{uuid.uuid4().hex[:10]}", name="Contoso Ltd", actor=Actor.cli()
    )


@pytest.fixture
def sign_in(live_server: Any, context: BrowserContext) -> Callable[[User], None]:
    """Put a signed-in session of ``user`` into the browser context (no password typed)."""

    def sign(user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": live_server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    return sign


@pytest.fixture
def admin_page(
    page: Page, ui_tenant: Tenant, make_member: MakeMember, sign_in: Callable[[User], None]
) -> Page:
    """A browser page signed in as an admin of ``ui_tenant``."""
    user, _ = make_member(ui_tenant, "admin")
    sign_in(user)
    return page


def url_of(live_server: Any, path: str) -> str:
    """The live server's URL of ``path``."""
    return f"{live_server.url}{path}"


def tenant_url(live_server: Any, tenant: Tenant, path: str = "") -> str:
    """The URL of a page of ``tenant`` (``/t/<slug>/<path>``)."""
    return f"{live_server.url}/t/{tenant.slug}/{path}"


def check_page(page: Page, name: str, *, phone: bool = False) -> None:
    """axe-core finds no serious or critical violation; a screenshot goes to var/screenshots/
    (``phone``: also one at 390 px wide)."""
    results = _axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"accessibility violations on {name}: {serious}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    page.screenshot(path=str(SCREENSHOTS / f"{safe}.png"), full_page=True)
    if phone:
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / f"{safe}-phone.png"), full_page=True)
        if size is not None:
            page.set_viewport_size(size)


def membership_of(user: User, tenant: Tenant) -> Membership:
    """The user's membership of ``tenant``."""
    return Membership.objects.get(user=user, tenant=tenant)
