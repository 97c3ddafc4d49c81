"""The append-only revision store: numbering, conflicts, restore, status, cadence, files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from model.core.spec import ScoringModel, parse_model
from model.store.revisions import (
    SCHEMA_VERSION,
    Conflict,
    RevisionStore,
    StoreError,
    revisions_table,
)


def edited(model: ScoringModel, **points: float) -> ScoringModel:
    """The model with some criteria's points changed."""
    data = model.to_dict()
    for c in data["criteria"]:
        c["points"] = points.get(c["id"], c["points"])
    return parse_model(data)


class Clock:
    """A settable clock so dates in the review cadence are known."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(revision_store_url: str) -> RevisionStore:
    return RevisionStore()


def test_saves_number_revisions_per_model_and_keep_their_content(store, model):
    first = store.save(model, author="Ann", note="first model", parent=None)
    second = store.save(
        edited(model, pricing_visit=8),
        author="Raj",
        note="pricing up",
        parent=1,
        criterion_notes={"pricing_visit": "reps say pricing visitors close", "webinar": " "},
    )
    other = store.save(
        model.model_copy(update={"name": "Partner leads"}), author="Ann", note="", parent=None
    )
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert store.model_names() == ["B2B inbound", "Partner leads"]
    stored = store.revisions(model.name)
    assert [r.number for r in stored] == [1, 2]
    assert stored[0].model == model
    assert stored[1].model.criteria[15].points == 8
    assert stored[1].parent == 1
    assert stored[1].author == "Raj"
    assert stored[1].criterion_notes == {"pricing_visit": "reps say pricing visitors close"}
    assert stored[1].created_at.tzinfo is not None


def test_a_save_from_a_stale_parent_is_refused_naming_who_saved_what(store, model):
    store.save(model, author="Ann", note="first", parent=None)
    store.save(edited(model, demo_request=25), author="Raj", note="demo worth more", parent=1)
    with pytest.raises(Conflict) as caught:
        store.save(edited(model, webinar=10), author="Lee", note="webinars", parent=1)
    message = str(caught.value)
    assert "revision 2" in message
    assert "Raj" in message
    assert "demo worth more" in message
    assert "opened revision 1" in message
    assert caught.value.latest.number == 2
    assert [r.number for r in store.revisions(model.name)] == [1, 2]
    on_top = store.save(edited(model, webinar=10), author="Lee", note="webinars", parent=2)
    assert on_top.number == 3


def test_a_first_save_of_a_name_that_exists_is_a_conflict(store, model):
    store.save(model, author="Ann", note="first", parent=None)
    with pytest.raises(Conflict, match="already has revisions"):
        store.save(model, author="Raj", note="mine", parent=None)


def test_parent_that_does_not_exist_and_missing_author_are_refused(store, model):
    with pytest.raises(ValueError, match="no revision 4"):
        store.save(model, author="Ann", note="", parent=4)
    with pytest.raises(ValueError, match="author is required"):
        store.save(model, author="  ", note="", parent=None)
    with pytest.raises(ValueError, match="not in the model"):
        store.save(model, author="Ann", note="", parent=None, criterion_notes={"nope": "x"})
    assert store.revisions(model.name) == []


def test_restore_saves_a_new_revision_equal_to_the_old_one(store, model):
    store.save(model, author="Ann", note="first", parent=None)
    store.save(edited(model, pricing_visit=9), author="Raj", note="more", parent=1)
    restored = store.restore(model.name, 1, author="Ann", parent=2)
    assert restored.number == 3
    assert restored.note == "Restored revision 1"
    assert store.get(model.name, 3).model == store.get(model.name, 1).model
    assert store.get(model.name, 2).model.criteria[15].points == 9  # nothing overwritten


def test_exactly_one_live_revision_and_the_old_one_retires(store, model):
    for n in range(3):
        store.save(edited(model, webinar=n), author="Ann", note=f"v{n + 1}", parent=n or None)
    assert store.live(model.name) is None
    assert {r.status for r in store.revisions(model.name)} == {"draft"}
    store.make_live(model.name, 1, author="Ann")
    store.make_live(model.name, 3, author="Raj")
    statuses = [r.status for r in store.revisions(model.name)]
    assert statuses == ["retired", "draft", "live"]
    assert store.live(model.name).number == 3
    with pytest.raises(ValueError, match="no revision 7"):
        store.make_live(model.name, 7, author="Ann")


def test_nothing_is_updated_or_deleted(store, model, revision_store_url):
    store.save(model, author="Ann", note="first", parent=None)
    store.make_live(model.name, 1, author="Ann")
    store.save(edited(model, webinar=3), author="Ann", note="second", parent=1)
    store.make_live(model.name, 2, author="Ann")
    store.restore(model.name, 1, author="Ann", parent=2)
    engine = sa.create_engine(revision_store_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(revisions_table.c.number, revisions_table.c.note)).all()
    assert rows == [(1, "first"), (2, "second"), (3, "Restored revision 1")]


def test_review_cadence_60_days_after_first_go_live_then_every_90(model, revision_store_url):
    clock = Clock(datetime(2026, 1, 10, 9, tzinfo=UTC))
    store = RevisionStore(clock=clock)
    store.save(model, author="Ann", note="first", parent=None)
    assert store.cadence(model.name).next_due is None  # nothing live, nothing due
    store.make_live(model.name, 1, author="Ann")
    clock.now += timedelta(days=20)
    store.save(edited(model, webinar=9), author="Raj", note="tweak", parent=1)
    store.make_live(model.name, 2, author="Raj")  # a later go-live does not move the review
    cadence = store.cadence(model.name, today=date(2026, 3, 10))
    assert cadence.next_due == date(2026, 3, 11)
    assert cadence.overdue_days == 0
    assert store.cadence(model.name, today=date(2026, 3, 21)).overdue_days == 10
    clock.now = datetime(2026, 3, 15, tzinfo=UTC)
    review = store.record_review(model.name, reviewer="Dana", note="ok", ready_to_opportunity=0.4)
    assert review.live_number == 2
    cadence = store.cadence(model.name, today=date(2026, 3, 16))
    assert cadence.next_due == date(2026, 6, 13)
    assert cadence.last_review.ready_to_opportunity == pytest.approx(0.4)


def test_store_is_sqlite_in_wal_mode_at_the_configured_url(store, revision_store_url):
    path = revision_store_url.removeprefix("sqlite:///")
    assert store.location == path
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = conn.execute(
            "SELECT value FROM leadscore_meta WHERE key = 'schema_version'"
        ).fetchone()
    assert version == (str(SCHEMA_VERSION),)


def test_default_store_lives_in_the_user_data_folder(monkeypatch):
    from model.store.revisions import default_url

    monkeypatch.delenv("LEADSCORE_DB_URL")
    assert default_url().startswith("sqlite:///")
    assert default_url().endswith("leadscore/revisions.db")


def test_corrupt_file_gets_a_clear_message_and_is_not_modified(tmp_path):
    path = tmp_path / "revisions.db"
    path.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"cannot be read as a revision store.*left untouched"):
        RevisionStore(f"sqlite:///{path}")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["revisions.db"]


def test_foreign_database_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER, name TEXT)")
        conn.execute("INSERT INTO accounts VALUES (1, 'Acme')")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"not a Lead Scoring Studio revision store.*accounts"):
        RevisionStore(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_store_from_a_newer_version_is_refused(store, revision_store_url):
    engine = sa.create_engine(revision_store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE leadscore_meta SET value = '99'")
    with pytest.raises(StoreError, match="newer Lead Scoring Studio"):
        RevisionStore(revision_store_url)


def test_a_schema_1_store_is_migrated_and_keeps_its_revisions(tmp_path, model):
    """A store written before calibrations, go-live decisions, shadow runs and feedback
    existed gains their tables and loses nothing."""
    from model.core.feedback import Feedback
    from model.store.revisions import Decision, meta_table, metadata, reviews_table, status_table

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        metadata.create_all(
            conn,
            tables=[meta_table, revisions_table, status_table, reviews_table],
        )
        conn.exec_driver_sql("INSERT INTO leadscore_meta VALUES ('schema_version', '1')")
        conn.execute(
            revisions_table.insert().values(
                model_name=model.name,
                number=1,
                parent=None,
                author="Ann",
                created_at="2026-01-01T00:00:00+00:00",
                model_json=model.to_json(),
                note="old",
                criterion_notes="{}",
            )
        )
    store = RevisionStore(url)
    assert store.get(model.name, 1).note == "old"
    store.save_calibration(model.name, 1, '{"x": 1}', author="Ann")
    assert store.calibration(model.name, 1)[0] == '{"x": 1}'
    store.make_live(model.name, 1, author="Ann", decision=Decision("no_live"))
    assert [d.verdict for d in store.decisions(model.name)] == ["no_live"]
    store.add_feedback(model.name, [Feedback("L1", "accepted")], author="Ann")
    assert [f.live_number for f in store.feedback(model.name)] == [1]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM leadscore_meta").scalar() == str(
            SCHEMA_VERSION
        )


def test_calibrations_are_kept_per_revision_newest_first(store, model):
    store.save(model, author="Ann", note="", parent=None)
    assert store.calibration(model.name, 1) is None
    store.save_calibration(model.name, 1, "first", author="Ann")
    store.save_calibration(model.name, 1, "second", author="Raj")
    text, author, _ = store.calibration(model.name, 1)
    assert (text, author) == ("second", "Raj")
    with pytest.raises(ValueError, match="no revision 5"):
        store.save_calibration(model.name, 5, "x", author="Ann")
