"""Browser tests: Playwright's Python package driving the system Chromium against a live server.

Where /usr/bin/chromium is missing they skip with the install command, except in CI (CI=true),
where they fail: CI must run them.
"""

import os
import shutil

import pytest

from tests.conftest import seed

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # body (seeding, assertions) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="it-IT")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The live server's database holds the demo site.

    Transactional tests flush the database afterwards, taking with it what the migrations
    created (locales, root page, collection, admin permissions): seed_demo recreates all of it.
    """
    from home.models import HomePage

    if not HomePage.objects.exists():
        seed()
    return live_server
