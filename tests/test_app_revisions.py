"""AppTests for revisions: save from the Model page, see the column, conflicts keep edits,
the Revisions page's diff, restore, make live, import, review and overdue banner."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from model.core.feedback import Feedback
from model.core.spec import default_model, parse_model
from model.store.revisions import RevisionStore

PRICING_ROW = 15  # pricing_visit in the default model


def edit_points(at: AppTest, row: int, points: float) -> None:
    key = f"criteria_editor_{at.session_state['editor_version']}"
    at.session_state[key] = {
        "edited_rows": {row: {"points": points}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()


def save(at: AppTest, author: str, note: str, **criterion_notes: str) -> None:
    at.text_input(key="author").input(author).run()
    at.text_input(key="note_input").input(note)  # a form: typed and sent with the click
    for cid, text in criterion_notes.items():
        at.text_input(key=f"cnote_{cid}").input(text)
    at.button(key="save_revision_button").click().run()
    assert not at.exception


def columns_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "item" in d.value.columns).set_index("item")


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app()


def test_save_a_revision_and_see_it_as_a_new_column_with_its_note(at: AppTest) -> None:
    save(at, "Ann", "kick-off model")
    assert "Saved B2B inbound v1" in at.success[0].value
    edit_points(at, PRICING_ROW, 9)
    assert "1 unsaved change(s)" in "".join(m.value for m in at.markdown)
    save(
        at, "Raj", "pricing up after the workshop", pricing_visit="reps say pricing visitors close"
    )
    assert "Saved B2B inbound v2" in at.success[0].value
    at.switch_page("pages/revisions.py").run()
    assert not at.exception
    table = columns_table(at)
    assert list(table.columns[-2:]) == ["v1", "v2"]
    assert table.loc["Pricing page view", ["v1", "v2"]].tolist() == ["6", "9"]
    assert table.loc["note", "v2"] == "pricing up after the workshop"
    assert table.loc["saved by", "v2"] == "Raj"
    at.radio(key="revisions_view").set_value("Diff").run()
    diff = "".join(m.value for m in at.markdown)
    assert "Pricing page view 6 → 9 (note: reps say pricing visitors close)" in diff


def test_after_a_save_the_panel_agrees_with_itself(at: AppTest) -> None:
    """The panel right after a save says what was saved and offers to make it live; an
    unchanged model is not saved as a copy; a refused save keeps the note typed."""
    save(at, "Ann", "kick-off model")
    panel = "".join(m.value for m in at.markdown)
    assert "Editing **B2B inbound v1** (draft), no unsaved changes." in panel
    assert "not saved as a revision yet" not in panel
    assert at.button(key="make_live").label == "Make v1 live"
    assert at.text_input(key="note_input").value == ""  # the note went with v1
    save(at, "Ann", "the same again")
    assert any(
        "Nothing to save: the editor holds B2B inbound v1 unchanged." in i.value for i in at.info
    )
    assert [r.number for r in RevisionStore().revisions("B2B inbound")] == [1]
    edit_points(at, PRICING_ROW, 8)
    save(at, "", "a note worth keeping")  # no name: refused
    assert "Not saved" in at.error[0].value
    assert at.text_input(key="note_input").value == "a note worth keeping"


def test_stale_parent_shows_the_conflict_and_keeps_the_edits(at: AppTest) -> None:
    save(at, "Ann", "kick-off model")
    other = default_model().to_dict()
    other["criteria"][16]["points"] = 4
    RevisionStore().save(parse_model(other), author="Dana", note="product views up", parent=1)
    edit_points(at, PRICING_ROW, 11)
    save(at, "Ann", "pricing up")
    message = at.error[0].value
    assert "revision 2" in message
    assert "Dana" in message
    assert "product views up" in message
    assert at.session_state["model"].criteria[PRICING_ROW].points == 11  # edits still there
    differences = "".join(m.value for m in at.markdown)
    assert "Pricing page view 6 → 11" in differences
    assert "Product page view 4 → 2" in differences
    assert len(RevisionStore().revisions("B2B inbound")) == 2  # nothing stored or lost
    at.button(key="save_on_top").click().run()
    assert not at.exception
    stored = RevisionStore().revisions("B2B inbound")
    assert [(r.number, r.parent, r.author) for r in stored][-1] == (3, 2, "Ann")
    assert stored[-1].model.criteria[PRICING_ROW].points == 11
    assert stored[-1].note == "pricing up"


def test_load_a_revision_and_make_it_live(at: AppTest) -> None:
    save(at, "Ann", "first")
    edit_points(at, PRICING_ROW, 7)
    save(at, "Ann", "second")
    at.selectbox(key="load_revision").set_value("B2B inbound v1").run()
    at.button(key="load_button").click().run()
    assert at.session_state["model"].criteria[PRICING_ROW].points == 6
    at.button(key="make_live").click().run()
    assert not at.exception
    assert RevisionStore().live("B2B inbound").number == 1
    assert "v1** (live)" in "".join(m.value for m in at.markdown)


def test_sidebar_compares_with_a_saved_revision(at: AppTest) -> None:
    save(at, "Ann", "first")
    edit_points(at, PRICING_ROW, 30)
    at.switch_page("pages/replay.py").run()
    at.selectbox(key="compare_with").set_value("rev:B2B inbound:1").run()
    assert not at.exception
    summary = next(d.value for d in at.dataframe if "ROC AUC" in d.value.columns)
    assert list(summary.index) == ["A", "B", "B − A"]
    assert summary.loc["B − A", "ROC AUC"] != 0
    verdict = next(i.value for i in at.info if "rank" in i.value)
    assert "the closed leads" in verdict
    assert "leads a week to sales" in verdict


@pytest.fixture
def reviewed_store() -> RevisionStore:
    """v1 live since 1 July 2026 (review due 30 Aug, overdue today), v2 a candidate."""
    clock = lambda: datetime(2026, 7, 1, tzinfo=UTC)
    store = RevisionStore(clock=clock)
    model = default_model()
    store.save(model, author="Ann", note="first", parent=None)
    store.make_live(model.name, 1, author="Ann")
    data = model.to_dict()
    data["criteria"][PRICING_ROW]["points"] = 8
    store.save(
        parse_model(data),
        author="Raj",
        note="pricing",
        parent=1,
        criterion_notes={"pricing_visit": "reps asked"},
    )
    return store


def test_overdue_review_banner_and_checklist(reviewed_store, open_app) -> None:
    at = open_app("pages/revisions.py")
    at.radio(key="revisions_view").set_value("Review checklist").run()
    banner = at.warning[0].value
    assert "Model review overdue" in banner
    assert "30 Aug 2026" in banner
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Live revision"] == "v1"
    assert metrics["Next review due"] == "30 Aug 2026"
    assert metrics["Now"].endswith("%")
    notes = next(d.value for d in at.dataframe if "criterion" in d.value.columns)
    assert notes["note"].tolist() == ["reps asked"]
    replay_table, newest = [d.value for d in at.dataframe if "ROC AUC" in d.value.columns]
    assert list(replay_table.index) == ["live v1", "candidate v2", "candidate − live"]
    verdict = next(i.value for i in at.info if "rank" in i.value)
    assert "live v1" in verdict.lower()
    assert "candidate v2" in verdict
    assert list(newest.index) == list(replay_table.index)  # the newest leads, beside
    assert any(m.value.startswith("On the newest 30% of closed leads") for m in at.markdown)
    at.text_input(key="author").input("Dana").run()
    at.text_input(key="review_note").input("keep v1 one more quarter")
    at.button(key="record_review_button").click().run()
    assert not at.exception
    assert not at.warning  # the banner is gone: the next review is 90 days out
    reviews = reviewed_store.reviews("B2B inbound")
    assert reviews[-1].reviewer == "Dana"
    assert 0 < reviews[-1].ready_to_opportunity <= 1


def test_the_review_reads_the_gate_sales_feedback_and_the_shadow_run(reviewed_store, open_app):
    """v2 in shadow since 1 July, and reps' verdicts on 39 leads: the checklist shows the
    gate's recent figures, acceptance by band with the reasons, and how the shadow and the
    live revision ranked the leads that closed since the run began."""
    name = "B2B inbound"
    reviewed_store.set_shadow(name, 2, author="Raj")
    verdicts = [
        Feedback(f"L{i:07d}", "rejected" if i % 3 == 0 else "accepted", "Student" * (i % 3 == 0))
        for i in range(1, 40)
    ]
    reviewed_store.add_feedback(name, verdicts, author="Sam")
    at = open_app("pages/revisions.py")
    at.radio(key="revisions_view").set_value("Review checklist").run()
    assert not at.exception
    text = "".join(m.value for m in at.markdown)
    assert "would pass the gate" in text or "would be refused by the gate" in text
    gate_table = next(d.value for d in at.dataframe if "candidate v2" in d.value.columns)
    assert "AUC" in " ".join(gate_table["figure"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leads judged by sales"] == "39"
    assert metrics["Accepted"] == "66.7 %"
    reasons = next(d.value for d in at.dataframe if "rejected leads" in d.value.columns)
    assert reasons.to_dict("records") == [{"reason": "Student", "rejected leads": 13}]
    assert "v2 has run in shadow since 01 Jul 2026" in text
    shadow = next(d.value for d in at.dataframe if "shadow v2" in d.value.columns)
    assert shadow["live v1"].notna().all()
    assert at.get("download_button")  # both scores per lead, for the leads since
    at.radio(key="revisions_view").set_value("Restore, make live, import").run()
    at.text_input(key="author").input("Lee").run()
    at.button(key="shadow_stop").click().run()
    assert not at.exception
    assert reviewed_store.shadow(name) is None
    assert "The shadow run of v2 stopped." in at.success[0].value
    at.selectbox(key="action_revision").set_value("v2").run()
    at.button(key="shadow_button").click().run()
    assert reviewed_store.shadow(name).number == 2


def test_restore_make_live_and_import_on_the_revisions_page(reviewed_store, open_app) -> None:
    at = open_app("pages/revisions.py")
    at.radio(key="revisions_view").set_value("Restore, make live, import").run()
    at.text_input(key="author").input("Lee").run()
    at.selectbox(key="action_revision").set_value("v1").run()
    at.button(key="restore_button").click().run()
    assert "Saved v3: Restored revision 1" in at.success[0].value
    assert reviewed_store.get("B2B inbound", 3).model == reviewed_store.get("B2B inbound", 1).model
    assert at.selectbox(key="action_revision").value == "v3"  # the copy is what one acts on
    assert "Run v3 in shadow" in [b.label for b in at.button]
    at.selectbox(key="action_revision").set_value("v2").run()
    at.button(key="live_button").click().run()
    assert reviewed_store.live("B2B inbound").number == 2
    data = default_model().to_dict()
    data["criteria"][0]["points"] = 12
    at.file_uploader(key="import_upload").set_value(
        ("idea.json", json.dumps(data).encode(), "application/json")
    ).run()
    at.button(key="import_button").click().run()
    assert not at.exception
    imported = reviewed_store.get("B2B inbound", 4)
    assert (imported.status, imported.note) == ("draft", "Imported from idea.json")
    bad = {**data, "colour": "red"}
    at.file_uploader(key="import_upload").set_value(
        ("bad.json", json.dumps(bad).encode(), "application/json")
    ).run()
    assert any("bad.json was not imported" in e.value and "colour" in e.value for e in at.error)


def test_a_corrupt_store_is_named_and_the_app_still_works(tmp_path, monkeypatch, open_app):
    bad = tmp_path / "broken.db"
    bad.write_bytes(b"garbage" * 500)
    monkeypatch.setenv("LEADSCORE_DB_URL", f"sqlite:///{bad}")
    at = open_app()
    assert any("cannot be read as a revision store" in e.value for e in at.error)
    assert at.metric[0].label == "Leads scored"
    at.switch_page("pages/revisions.py").run()
    assert not at.exception
    assert any("cannot be opened" in e.value for e in at.error)
    assert bad.read_bytes() == b"garbage" * 500


def test_make_live_passes_the_gate_or_shows_its_figures_and_asks_a_reason(at: AppTest) -> None:
    """v1 goes live with nothing to compare; v2 with its fit points upside down is refused
    with the figures, and goes live only with a reason, which is kept with the decision."""
    save(at, "Ann", "first")
    at.button(key="make_live").click().run()
    assert "nothing was live before it" in at.success[0].value
    key = f"criteria_editor_{at.session_state['editor_version']}"
    model = at.session_state["model"]
    flipped = {i: {"points": -c.points} for i, c in enumerate(model.criteria) if c.group == "fit"}
    at.session_state[key] = {"edited_rows": flipped, "added_rows": [], "deleted_rows": []}
    at.run()
    save(at, "Ann", "fit upside down")
    at.button(key="make_live").click().run()
    assert not at.exception
    refusal = next(e.value for e in at.error if "The gate refused v2" in e.value)
    assert "it ranks the closed leads worse: AUC" in refusal
    figures = next(d.value for d in at.dataframe if "candidate − live" in d.value.columns)
    assert figures["figure"].tolist()[0] == "ROC AUC"
    assert figures.loc[0, "95 % interval, high"] < 0
    store = RevisionStore()
    assert store.live("B2B inbound").number == 1  # refused: v1 stays live
    assert at.button(key="make_live_override").disabled  # no reason, no override
    at.text_input(key="make_live_reason").input("a pilot for one region").run()
    at.button(key="make_live_override").click().run()
    assert store.live("B2B inbound").number == 2
    assert "overriding the gate: a pilot for one region" in at.success[0].value
    (_, decision) = store.decisions("B2B inbound")
    assert (decision.verdict, decision.reason, decision.author) == (
        "override",
        "a pilot for one region",
        "Ann",
    )
    assert decision.figures["figures"]["auc"]["high"] < 0
    at.switch_page("pages/revisions.py").run()
    history = next(d.value for d in at.dataframe if "went live" in d.value.columns)
    assert history["gate"].tolist() == ["overrode the gate", "first live"]
    assert history["reason"].tolist()[0] == "a pilot for one region"
    assert history["AUC, candidate − live"].iloc[0] < 0
