"""Sign-in and roles in the app: who sees what, and every role's refusals checked on the
server (a disabled button clicked anyway is refused by the store, not only hidden)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from model.core.spec import default_model
from model.store.revisions import RevisionStore

TEAM_BUTTONS = ("Save the role", "Create a key", "Revoke the key")
BOSS, ED, VIC = "boss@acme.com", "ed@acme.com", "vic@acme.com"


@pytest.fixture
def team() -> RevisionStore:
    """A store where boss approves, ed edits and everyone else at acme.com views."""
    store = RevisionStore()
    store.set_role(BOSS, "approver", author="setup")
    store.set_role(ED, "editor", author="setup")
    store.set_role("@acme.com", "viewer", author="setup")
    return store


def forced(widget):
    """The widget as a forged request would reach it: enabled, whatever the page drew.
    AppTest, like a browser, refuses to click a disabled button; Streamlit's server drops
    such a click, and the role check behind it is proven where the role changes after the
    page was drawn (the button then really is enabled)."""
    widget.proto.disabled = False
    return widget


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def save_on_model_page(at: AppTest, note: str) -> None:
    at.text_input(key="note_input").input(note)
    forced(at.button(key="save_revision_button")).click().run()
    assert not at.exception


def test_signed_out_visitors_see_only_the_sign_in(team, signed_app) -> None:
    at = signed_app(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe
    assert not at.sidebar.selectbox


def test_a_stranger_signed_in_without_a_role_is_told_who_to_ask(team, signed_app) -> None:
    at = signed_app("someone@elsewhere.org")
    assert "nobody has given this address a role" in at.warning[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.dataframe


def test_a_viewer_reads_everything_and_every_write_is_refused(team, signed_app) -> None:
    team.save(default_model(), author=BOSS, note="first", parent=None)
    at = signed_app(VIC)
    assert "vic@acme.com): viewer" in at.sidebar.caption[0].value
    assert not [t for t in at.text_input if t.key == "author"]  # no free-text name
    button = at.button(key="save_revision_button")
    assert button.disabled
    assert "Needs the editor role" in button.help
    save_on_model_page(at, "sneaked in")  # the click the browser would not send
    assert [r.number for r in team.revisions(default_model().name)] == [1]
    assert at.button(key="make_live").disabled


def test_an_editor_saves_under_their_address_and_cannot_make_live(team, signed_app) -> None:
    at = signed_app(ED)
    save_on_model_page(at, "raise pricing")
    saved = team.latest(default_model().name)
    assert (saved.number, saved.author, saved.note) == (1, ED, "raise pricing")
    live = at.button(key="make_live")
    assert live.disabled
    assert "Needs the approver role" in live.help
    forced(live).click().run()
    assert team.live(default_model().name) is None


def test_an_approver_makes_live_and_records_the_review_as_themselves(team, signed_app) -> None:
    team.save(default_model(), author=ED, note="first", parent=None)
    at = signed_app(BOSS, "pages/revisions.py")
    at.radio(key="revisions_view").set_value("Restore, make live, import").run()
    at.button(key="live_button").click().run()
    assert not at.exception
    live = team.live(default_model().name)
    assert live.number == 1
    assert team.decisions(default_model().name)[-1].author == BOSS


def test_a_role_taken_away_stops_the_next_write_at_once(team, signed_app) -> None:
    at = signed_app(ED)
    team.set_role(ED, "viewer", author=BOSS)  # while ed's page is open
    save_on_model_page(at, "after the change")
    assert "ed@acme.com has the viewer role" in at.error[0].value
    assert team.latest(default_model().name) is None


def test_only_an_approver_gives_roles_and_keys_on_the_team_page(team, signed_app) -> None:
    at = signed_app(ED, "pages/team.py")
    assert all(button(at, label).disabled for label in TEAM_BUTTONS)
    at.text_input(key="role_subject").input("new@acme.com")
    at.selectbox(key="role_pick").set_value("editor")
    forced(button(at, "Save the role")).click().run()
    assert "new@acme.com" not in team.roles()

    at = signed_app(BOSS, "pages/team.py")
    at.text_input(key="role_subject").input("New@Acme.com ")
    at.selectbox(key="role_pick").set_value("editor")
    button(at, "Save the role").click().run()
    assert team.roles()["new@acme.com"][:2] == ("editor", BOSS)
    at.text_input(key="key_name").input("website form")
    button(at, "Create a key").click().run()
    token = at.code[0].value
    assert team.check_api_key(token) == "website form"
    assert token not in str(team.api_keys())  # only its digest is kept
    at.run()
    assert not at.code  # shown once


def test_an_approver_demoted_while_the_page_is_open_is_refused_by_the_store(
    team, signed_app
) -> None:
    team.set_role("ann@acme.com", "approver", author="setup")
    at = signed_app(BOSS, "pages/team.py")
    team.set_role(BOSS, "editor", author="ann@acme.com")  # the button stays drawn enabled
    at.text_input(key="role_subject").input("new@acme.com")
    button(at, "Save the role").click().run()
    assert "boss@acme.com has the editor role; roles needs the approver role" in at.error[0].value
    assert "new@acme.com" not in team.roles()


def test_the_only_approver_cannot_demote_themselves(team, signed_app) -> None:
    at = signed_app(BOSS, "pages/team.py")
    at.text_input(key="role_subject").input(BOSS)
    at.selectbox(key="role_pick").set_value("viewer")
    button(at, "Save the role").click().run()
    assert "is the only approver" in at.error[0].value
    assert team.role_of(BOSS) == "approver"


def test_running_local_says_so_and_the_typed_name_authors(open_app: Callable) -> None:
    at = open_app("pages/team.py")
    assert "Local and single-user" in at.info[0].value
    at.text_input(key="author").input("Dana").run()
    at.text_input(key="key_name").input("crm sync")
    button(at, "Create a key").click().run()
    keys = RevisionStore().api_keys()
    assert [(k["name"], k["author"]) for k in keys] == [("crm sync", "Dana")]
    at.selectbox(key="key_revoke_pick").set_value(keys[0]["key_id"])
    button(at, "Revoke the key").click().run()
    assert RevisionStore().api_keys()[0]["revoked_at"] is not None
    assert "is revoked" in at.success[0].value


def test_a_dataset_is_kept_with_who_saved_it_and_a_viewer_cannot_save_one(team, signed_app) -> None:
    from model.ingest import catalog
    from tests.test_app_data import CRM, upload

    at = signed_app(VIC, "pages/data.py")
    upload(at, CRM)
    use = at.button(key="use_dataset")
    assert use.disabled
    assert "Needs the editor role" in use.help
    assert not catalog.saved_datasets()

    at = signed_app(ED, "pages/data.py")
    upload(at, CRM)
    at.button(key="use_dataset").click().run()
    folder = catalog.saved_datasets()["crm"]
    assert catalog.dataset_meta(folder)["saved_by"] == ED
    assert "crm (saved by ed@acme.com)" in " ".join(c.value for c in at.caption)
