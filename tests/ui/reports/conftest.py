"""Browser tests of the report pages, and the order of the session: every browser test runs
after all the other tests.

pytest-playwright keeps one Playwright for the whole session, and its sync API holds an event
loop in the main thread from the first browser test on; any later test that calls
``asyncio.run`` there (the DNS client, the DANE analyzer, the SMTP client) would fail with
"cannot be called from a running event loop". pytest-django puts tests without a database
after the transactional ones (where the browser tests are), so the browser tests are moved to
the end here, keeping every other order.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests that use Playwright (``page``, ``browser``...: all need the
    ``playwright`` fixture) to the end, keeping the order within both groups."""

    def uses_browser(item: pytest.Item) -> bool:
        return "playwright" in getattr(item, "fixturenames", ())

    items[:] = [
        *(item for item in items if not uses_browser(item)),
        *(item for item in items if uses_browser(item)),
    ]
