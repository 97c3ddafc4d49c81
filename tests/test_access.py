"""Roles and API keys in the store, and the signed store that checks them on every write."""

from __future__ import annotations

import inspect
import re

import pytest
import sqlalchemy as sa

from model.core.spec import default_model
from model.store import access, revisions
from model.store.access import Actor, Forbidden
from model.store.revisions import RevisionStore
from model.store.signed import WRITES, SignedStore


@pytest.fixture
def store(revision_store_url: str) -> RevisionStore:
    return RevisionStore()


def test_subjects_are_addresses_or_domains_kept_lower_case() -> None:
    assert access.subject_of(" Ann@Acme.COM ") == "ann@acme.com"
    assert access.subject_of("acme.com") == "@acme.com"
    assert access.subject_of("@Sales.Acme.com") == "@sales.acme.com"
    for bad in ("", "ann", "ann@", "@", "a b@acme.com", "ann@@acme.com"):
        with pytest.raises(ValueError, match="neither an e-mail"):
            access.subject_of(bad)


def test_an_address_role_wins_over_its_domain_and_the_newest_row_is_in_force(store) -> None:
    store.set_role("@acme.com", "viewer", author="it")
    assert store.role_of("ann@acme.com") == "viewer"
    assert store.role_of("ANN@acme.com") == "viewer"
    assert store.role_of("ann@acme.co") is None
    assert store.role_of("ann@sub.acme.com") is None  # a domain covers itself only
    store.set_role("ann@acme.com", "editor", author="it")
    assert store.role_of("ann@acme.com") == "editor"
    store.set_role("ann@acme.com", "none", author="it")  # back to the domain's
    assert store.role_of("ann@acme.com") == "viewer"
    assert list(store.roles()) == ["@acme.com"]
    with pytest.raises(ValueError, match="not a role"):
        store.set_role("ann@acme.com", "admin", author="it")


def test_the_last_approver_cannot_be_removed(store) -> None:
    store.set_role("boss@acme.com", "approver", author="it")
    with pytest.raises(ValueError, match="only approver"):
        store.set_role("boss@acme.com", "none", author="it")
    store.set_role("ann@acme.com", "approver", author="boss@acme.com")
    store.set_role("boss@acme.com", "editor", author="ann@acme.com")
    assert store.role_of("boss@acme.com") == "editor"


def test_api_keys_are_kept_as_digests_and_stop_when_revoked(store, revision_store_url) -> None:
    key = store.create_api_key("web form", author="boss")
    assert re.fullmatch(r"lsk_[0-9a-f]{8}_[\w-]{43}", key.token)
    assert store.check_api_key(key.token) == "web form"
    assert store.check_api_key(key.token + "x") is None
    assert store.check_api_key(key.token.replace(key.key_id, "00000000")) is None
    assert store.check_api_key("") is None
    assert store.check_api_key("lsk__") is None
    secret = key.token.split("_", 2)[2]
    with sa.create_engine(revision_store_url).connect() as conn:
        kept = conn.execute(sa.text("select * from leadscore_api_keys")).all()
    assert secret not in str(kept)
    assert key.digest in str(kept)
    store.revoke_api_key(key.key_id, author="boss")
    assert store.check_api_key(key.token) is None
    assert store.api_keys()[0]["revoked_at"] is not None
    with pytest.raises(ValueError, match="no API key"):
        store.revoke_api_key("nope", author="boss")


def test_every_write_of_the_store_is_signed() -> None:
    """A new write method on the store must be added to WRITES, or this fails."""
    writes = {
        name
        for name, method in inspect.getmembers(RevisionStore, inspect.isfunction)
        if not name.startswith("_")
        and re.search(r"self\._write\(\)|self\.save\(", inspect.getsource(method))
    }
    assert writes == set(WRITES)
    assert set(WRITES.values()) <= set(access.ACTIONS)


def test_the_signed_store_refuses_by_role_and_writes_as_the_actor(store) -> None:
    store.set_role("boss@acme.com", "approver", author="it")
    store.set_role("ed@acme.com", "editor", author="it")
    editor = SignedStore(store, Actor("ed@acme.com", "Ed", "editor"))
    saved = editor.save(default_model(), author="someone else", note="n", parent=None)
    assert saved.author == "ed@acme.com"
    with pytest.raises(Forbidden, match="make live needs the approver role"):
        editor.make_live(saved.model_name, 1, author="boss@acme.com")
    assert store.live(saved.model_name) is None
    viewer = SignedStore(store, Actor("vic@acme.com", "Vic", None))
    for call in (
        lambda: viewer.save(default_model(), author="x", note="", parent=1),
        lambda: viewer.record_review(saved.model_name, reviewer="x", note="", ready_to_opportunity=None),
        lambda: viewer.create_api_key("k", author="x"),
        lambda: viewer.set_role("vic@acme.com", "approver", author="x"),
    ):  # fmt: skip
        with pytest.raises(Forbidden, match="has no role"):
            call()
    boss = SignedStore(store, Actor("boss@acme.com", "Boss", "approver"))
    boss.make_live(saved.model_name, 1, author="x")
    review = boss.record_review(
        saved.model_name, reviewer="someone", note="ok", ready_to_opportunity=None
    )
    assert (store.live(saved.model_name).number, review.reviewer) == (1, "boss@acme.com")


def test_an_override_needs_the_approver_role_even_inside_make_live(store) -> None:
    store.set_role("boss@acme.com", "approver", author="it")
    store.save(default_model(), author="it", note="", parent=None)
    demoted = SignedStore(store, Actor("boss@acme.com", "Boss", "approver"))
    store.set_role("ann@acme.com", "approver", author="it")
    store.set_role("boss@acme.com", "editor", author="ann@acme.com")
    decision = revisions.Decision("override", "trust me")
    with pytest.raises(Forbidden, match="editor role"):
        demoted.make_live(default_model().name, 1, author="x", decision=decision)


def test_a_local_actor_is_an_approver_under_the_name_typed(store) -> None:
    local = SignedStore(store, Actor("Dana", "Dana", "approver", local=True))
    saved = local.save(default_model(), author="ignored", note="", parent=None)
    assert saved.author == "Dana"
    with pytest.raises(ValueError, match="author is required"):
        SignedStore(store, Actor("", "", "approver", local=True)).save(
            default_model(), author="x", note="", parent=1
        )


def test_a_schema_4_store_gains_the_team_tables_and_keeps_its_revisions(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = RevisionStore(url)
    old.save(default_model(), author="Ann", note="kept", parent=None)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("leadscore_roles", "leadscore_api_keys", "leadscore_api_key_revocations"):
            conn.execute(sa.text(f"drop table {table}"))
        conn.execute(sa.text("update leadscore_meta set value = '4'"))
    engine.dispose()
    old.engine.dispose()
    store = RevisionStore(url)
    assert store.latest(default_model().name).note == "kept"
    store.set_role("ann@acme.com", "editor", author="it")
    assert store.role_of("ann@acme.com") == "editor"


def test_signed_in_verdicts_are_authored_by_who_enters_them_the_rep_kept_in_the_note(
    store,
) -> None:
    from model.core.feedback import Feedback

    store.set_role("ed@acme.com", "editor", author="it")
    store.save(default_model(), author="it", note="", parent=None)
    rows = [
        Feedback("L1", "accepted", author="Sam Rep", note="good fit"),
        Feedback("L2", "accepted"),
    ]
    SignedStore(store, Actor("ed@acme.com", "Ed", "editor")).add_feedback(
        default_model().name, rows, author="someone"
    )
    kept = store.feedback(default_model().name)
    assert [(f.author, f.note) for f in kept] == [
        ("ed@acme.com", "rep: Sam Rep. good fit"),
        ("ed@acme.com", ""),
    ]
    SignedStore(store, Actor("Dana", "Dana", "approver", local=True)).add_feedback(
        default_model().name, [Feedback("L3", "accepted", author="Sam Rep")], author="Dana"
    )
    assert store.feedback(default_model().name)[-1].author == "Sam Rep"  # local: as before
