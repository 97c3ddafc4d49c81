"""Revisions side by side: versioned columns, changed cells, diffs in words, workbook."""

from __future__ import annotations

import io

import openpyxl
import pytest

from model.core.spec import parse_model
from model.store import columns as versions
from model.store.revisions import RevisionStore


@pytest.fixture
def three_revisions(model) -> list:
    """v1 default; v2 pricing 6 -> 8 with a note, webinar removed, 'trial' added, A from 70;
    v3 pricing rule capped at 5 views with the same points."""
    store = RevisionStore()
    store.save(model, author="Ann", note="first model", parent=None)
    data = model.to_dict()
    data["criteria"] = [c for c in data["criteria"] if c["id"] != "webinar"]
    next(c for c in data["criteria"] if c["id"] == "pricing_visit")["points"] = 8
    data["criteria"].append(
        {
            "id": "trial",
            "label": "Trial started",
            "group": "engagement",
            "points": 12,
            "rule": {"events": ["demo_request"], "op": "count", "max_count": 1},
        }
    )
    data["bands"][0]["min_score"] = 70
    v2 = parse_model(data)
    store.save(
        v2,
        author="Raj",
        note="after the workshop",
        parent=1,
        criterion_notes={"pricing_visit": "reps say pricing visitors close"},
    )
    next(c for c in data["criteria"] if c["id"] == "pricing_visit")["rule"]["max_count"] = 5
    store.save(parse_model(data), author="Lee", note="more pricing views", parent=2)
    store.make_live(model.name, 2, author="Raj")
    return store.revisions(model.name)


def cell(columns: versions.VersionedColumns, item: str, revision: str):
    row = columns.table.index[columns.table["item"] == item][0]
    return columns.table.at[row, revision], bool(columns.changed.at[row, revision])


def test_versioned_columns_have_points_per_revision_and_mark_changes(three_revisions):
    columns = versions.versioned_columns(three_revisions)
    assert columns.revision_columns == ["v1", "v2", "v3"]
    assert cell(columns, "Pricing page view", "v1") == (6, False)
    assert cell(columns, "Pricing page view", "v2") == (8, True)
    assert cell(columns, "Pricing page view", "v3") == (8, True)  # rule changed, same points
    assert cell(columns, "Webinar attended", "v2") == (None, True)  # removed: blank cell
    assert cell(columns, "Trial started", "v1") == (None, False)
    assert cell(columns, "Trial started", "v2") == (12, True)
    assert cell(columns, "band A from", "v2") == (70, True)
    assert cell(columns, "sales-ready threshold", "v3") == (70, False)
    assert cell(columns, "note", "v2") == ("after the workshop", False)
    assert cell(columns, "status", "v2") == ("live", False)
    rule = columns.table.loc[columns.table["item"] == "Pricing page view", "rule"].item()
    assert rule == "count pricing_page_view (max 5)"
    assert columns.changed["v1"].sum() == 0


def test_diff_in_words_names_points_notes_additions_and_settings(three_revisions):
    v1, v2, v3 = three_revisions
    lines = versions.diff_models(v1.model, v2.model, v2.criterion_notes)
    assert "Pricing page view 6 → 8 (note: reps say pricing visitors close)" in lines
    assert "criterion 'Trial started' added (+12)" in lines
    assert "criterion 'Webinar attended' removed (was +8)" in lines
    assert "band A from 75 → 70" in lines
    assert "sales-ready threshold 75 → 70" in lines
    assert versions.diff_models(v2.model, v3.model) == [
        "Pricing page view rule: count pricing_page_view (max 3) → count pricing_page_view (max 5)"
    ]
    assert versions.diff_models(v1.model, v1.model) == []


def test_changed_criteria_are_the_ones_that_deserve_a_note(three_revisions):
    v1, v2, _ = three_revisions
    assert [c.id for c in versions.changed_criteria(v1.model, v2.model)] == [
        "pricing_visit",
        "trial",
    ]
    assert len(versions.changed_criteria(None, v1.model)) == len(v1.model.criteria)


def test_workbook_has_the_columns_sheet_with_highlights_and_a_notes_sheet(three_revisions):
    columns = versions.versioned_columns(three_revisions)
    book = openpyxl.load_workbook(io.BytesIO(versions.workbook(columns)))
    assert book.sheetnames == ["Revisions", "Notes"]
    sheet = book["Revisions"]
    header = [c.value for c in sheet[1]]
    assert header == ["section", "item", "group", "rule", "v1", "v2", "v3"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "Pricing page view")
    assert [c.value for c in row[4:]] == [6, 8, 8]
    assert row[4].fill.fgColor.rgb != "00FFE699"
    assert row[5].fill.fgColor.rgb == "00FFE699"
    notes = [[c.value for c in r] for r in book["Notes"].iter_rows(min_row=2)]
    assert notes[1][:3] == ["v2", "live", "Raj"]
    assert notes[2][5:] == ["Pricing page view", "reps say pricing visitors close"]


def test_describe_rule_reads_like_a_sentence(model):
    described = {c.id: versions.describe_rule(c.rule) for c in model.criteria}
    assert described["mid_market"] == "employees 200–5,000"
    assert described["revenue_10m"] == "annual_revenue ≥ 10,000,000"
    assert described["budget"] == "budget_confirmed is true"
    assert described["content_download"] == ("count ebook_download, whitepaper_download (max 3)")


def test_a_criterions_own_decay_shows_in_the_columns_and_the_diff(model):
    """A decay of its own is part of the criterion: its row says it, the revision that
    set it is marked changed, and the diff says from what to what."""
    store = RevisionStore()
    store.save(model, author="Ann", note="first", parent=None)
    data = model.to_dict()
    demo = next(c for c in data["criteria"] if c["id"] == "demo_request")
    demo["decay"] = {"mode": "half_life", "half_life_days": 120}
    store.save(parse_model(data), author="Raj", note="demos stay hot", parent=1)
    v1, v2 = store.revisions(model.name)
    table = versions.versioned_columns([v1, v2])
    row = table.table.index[table.table["item"] == demo["label"]][0]
    assert table.table.at[row, "rule"].endswith(", decays: half-life 120 d")
    assert bool(table.changed.at[row, "v2"])
    assert versions.diff_models(v1.model, v2.model) == [
        f"{demo['label']} decay: the model's → half-life 120 d"
    ]


@pytest.mark.parametrize(
    "decay",
    [{"mode": "none"}, {"mode": "half_life", "half_life_days": 7.5},
     {"mode": "linear", "percent_per_30_days": 20}],
)  # fmt: skip
def test_the_tables_decay_words_read_back_as_the_same_decay(decay):
    from model.core.spec import CriterionDecay
    from model.core.tables import parse_decay

    own = CriterionDecay.model_validate(decay)
    assert CriterionDecay.model_validate(parse_decay(own.describe())) == own
