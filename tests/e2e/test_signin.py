"""Signing in for real: the app configured with an OpenID Connect provider (a throwaway one
on loopback), people signing in through it in the browser, and what each role may do."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.core.spec import default_model
from model.store.revisions import RevisionStore
from tests import oidc
from tests.e2e.browser import app_server, free_port, settle, wait_until

NAME = default_model().name


@pytest.fixture(scope="module")
def signed_server(e2e_folder: Path):
    """The app with sign-in, its store holding an editor, an approver and a viewer domain."""
    folder = e2e_folder / "signin"
    folder.mkdir()
    url = f"sqlite:///{folder / 'team.db'}"
    store = RevisionStore(url)
    store.set_role("boss@acme.com", "approver", author="it")
    store.set_role("ed@acme.com", "editor", author="it")
    store.set_role("@acme.com", "viewer", author="it")
    port = free_port()
    with oidc.provider() as idp:
        secrets = folder / "secrets.toml"
        secrets.write_text(oidc.secrets_toml(idp.issuer, f"http://localhost:{port}"))
        env = {
            "LEADSCORE_DEMO_DIR": str(e2e_folder / "demo"),
            "LEADSCORE_DB_URL": url,
            "LEADSCORE_DATA_DIR": str(folder / "datasets"),
            "LEADSCORE_SERVER_LOG": str(folder / "server.log"),
        }
        with app_server(env, port=port, args=("--secrets.files", str(secrets))):
            yield f"http://localhost:{port}", store, idp


def sign_in(page, url: str, email: str) -> None:
    """Through the provider's own page, as a person would."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#email", timeout=30_000)
    page.fill("#email", email)
    page.click("#go")
    page.wait_for_url(f"{url}/**", timeout=60_000)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=120_000)
    settle(page)
    assert signed_in(page)


def sign_out(page) -> None:
    """Sign out and wait until the sign-in cookie is gone: the page shows "Sign in" a
    moment before the browser has followed the logout route that clears the cookie."""
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    assert wait_until(page, lambda: not signed_in(page), timeout=30), "the sign-in cookie stayed"


def signed_in(page) -> bool:
    """Whether the browser holds Streamlit's sign-in cookie."""
    return any(c["name"] == "_streamlit_user" for c in page.context.cookies())


def test_people_sign_in_through_the_provider_and_their_role_decides(page, signed_server):
    url, store, idp = signed_server
    page.goto(url)
    page.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
    assert page.locator("h1").first.inner_text() == "Lead Scoring Studio"
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # nothing before sign-in
    page.shot("sign-in")

    sign_in(page, url, "ed@acme.com")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "ed@acme.com): editor" in sidebar.inner_text()
    assert page.get_by_label("Your name").count() == 0
    page.get_by_label("Note: why this revision").fill("first cut, from the workshop")
    page.get_by_role("button", name="Save as new revision").click()
    assert wait_until(page, lambda: store.latest(NAME) is not None, timeout=60)
    assert store.latest(NAME).author == "ed@acme.com"
    settle(page)
    live = page.get_by_role("button", name="Make v1 live")
    assert live.is_disabled()
    page.shot("editor-saved")
    sign_out(page)

    sign_in(page, url, "boss@acme.com")
    assert "boss@acme.com): approver" in page.locator('[data-testid="stSidebar"]').inner_text()
    page.get_by_role("button", name="Make v1 live").click()
    assert wait_until(page, lambda: store.live(NAME) is not None, timeout=60)
    assert store.decisions(NAME)[-1].author == "boss@acme.com"
    page.shot("approver-live")
    sign_out(page)

    sign_in(page, url, "someone@elsewhere.org")
    assert "nobody has given this address a role" in page.inner_text("body")
    assert idp.signed_in == ["ed@acme.com", "boss@acme.com", "someone@elsewhere.org"]
