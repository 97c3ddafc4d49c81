"""One app server and one browser for the journeys; screenshots under test-artifacts/e2e."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, ROOT, app_server, launch

ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def e2e_folder() -> Path:
    """Where the journeys' demo set, stores and server logs live."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is absent (Debian's chromium package; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    return Path(tempfile.mkdtemp(prefix="leadscore-e2e-"))


@pytest.fixture(scope="session")
def app_url(e2e_folder: Path):
    """The app on a fresh demo set, revision store and dataset folder."""
    folder = e2e_folder
    env = {
        "LEADSCORE_DEMO_DIR": str(folder / "demo"),
        "LEADSCORE_DB_URL": f"sqlite:///{folder / 'revisions.db'}",
        "LEADSCORE_DATA_DIR": str(folder / "datasets"),
        "LEADSCORE_SERVER_LOG": str(folder / "server.log"),
    }
    with app_server(env) as url:
        yield url


@pytest.fixture(scope="session")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        b = launch(playwright)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser session per journey; `page.shot(name)` saves a screenshot."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    p = context.new_page()
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    p.shot = lambda name: p.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    yield p
    p.shot("last")
    context.close()


@pytest.fixture
def sized(browser, request):
    """`sized(width, height)`: a fresh browser session at that viewport (a projector, a
    narrow window), with `shot` like `page`'s."""
    contexts = []
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        p = context.new_page()
        p.shot = lambda name: p.screenshot(path=str(folder / f"{name}-{width}x{height}.png"))
        return p

    yield make
    for context in contexts:
        context.close()
