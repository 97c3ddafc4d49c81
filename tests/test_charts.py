"""Figure builders, tested as plain functions (AppTest cannot look inside a chart)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from model import charts, format
from model.analysis.summaries import histogram_frame
from model.core.dataset import AsOf, Dataset
from model.core.hits import build_hits
from model.core.scoring import explain, score
from model.core.spec import ScoringModel


def test_histogram_is_small_stacked_and_marks_bands(model: ScoringModel) -> None:
    counts = np.arange(303).reshape(3, 101)
    rows, spec = charts.score_histogram_spec(histogram_frame(counts, width=5), model, width=5)
    assert rows.groupby("outcome", sort=False).size().to_dict() == {
        "won": 21,
        "lost": 21,
        "open": 21,
    }
    assert rows["leads"].sum() == counts.sum()
    assert rows.loc[rows["start"] == 100, "end"].tolist() == [101] * 3  # the last bucket is 100
    assert rows.loc[rows["start"] == 10, "scores"].tolist() == ["10–14"] * 3
    bars, rule, note = spec["layer"]
    assert bars["encoding"]["y"]["stack"] == "zero"
    assert bars["encoding"]["color"]["scale"]["range"] == [charts.WON, charts.LOST, charts.OPEN]
    assert [(line["at"], line["dash"]) for line in rule["data"]["values"]] == [
        (75, []),
        (50, [5, 4]),
    ]
    assert [line["note"] for line in note["data"]["values"]] == ["A ≥ 75", "B ≥ 50"]
    assert "config" not in spec  # Streamlit's theme, until the room asks for larger text
    assert len(json.dumps(spec)) < 5_000
    assert len(rows) == 63


def test_a_points_edit_changes_the_histograms_rows_not_its_spec(model: ScoringModel) -> None:
    """Streamlit redraws a Vega-Lite chart in place when only its rows change: a points
    edit must leave the spec (band lines and all) exactly as it was."""
    before = np.arange(303).reshape(3, 101)
    after = before[:, ::-1].copy()
    edited = model.model_copy(
        update={"criteria": [c.model_copy(update={"points": c.points + 1}) for c in model.criteria]}
    )
    rows_a, spec_a = charts.score_histogram_spec(histogram_frame(before), model, width=5)
    rows_b, spec_b = charts.score_histogram_spec(histogram_frame(after), edited, width=5)
    assert spec_a == spec_b
    assert not rows_a.equals(rows_b)


def test_waterfall_keeps_steps_named_alike_apart(
    demo_dataset: Dataset, model: ScoringModel
) -> None:
    """Two criteria with one label, and one labelled "Score", are still a bar each (a
    category axis would otherwise stack them into one), with the labels people wrote."""
    criteria = list(model.criteria)
    criteria[2] = criteria[2].model_copy(update={"label": criteria[0].label})
    criteria[5] = criteria[5].model_copy(update={"label": "Score"})
    alike = model.model_copy(update={"criteria": criteria})
    hits = build_hits(demo_dataset, alike, AsOf())
    scores = score(hits, alike)
    lead = next(
        i
        for i in range(demo_dataset.n_leads)
        if [n for n, _ in explain(hits, alike, i, scores).steps].count(criteria[0].label) == 2
        and "Score" in [n for n, _ in explain(hits, alike, i, scores).steps]
    )
    e = explain(hits, alike, lead, scores)
    rows, _ = charts.waterfall_spec(e)
    assert rows["step"].is_unique
    assert [s.rstrip("\u200b") for s in rows["step"]] == [n for n, _ in e.steps] + ["Score"]


def test_moving_a_threshold_or_the_capacity_changes_rows_not_specs() -> None:
    sweep = pd.DataFrame(
        {
            "threshold": range(101),
            "recall": np.linspace(1, 0, 101),
            "win_rate": np.linspace(0.1, 0.6, 101),
        }
    )
    _, spec = charts.precision_recall_spec(sweep, sweep.iloc[75], sweep.iloc[75])
    moved, moved_spec = charts.precision_recall_spec(sweep, sweep.iloc[75], sweep.iloc[60])
    assert moved_spec == spec
    marked = moved[moved["kind"] != "every threshold"].set_index("kind")
    assert marked.loc["proposed", "recall"] == pytest.approx(0.4)
    assert marked["label"].tolist() == ["current 75", "proposed 60"]
    assert (moved["kind"] == "every threshold").sum() == 101
    weeks = pd.DataFrame({"week": pd.date_range("2026-01-05", periods=3, freq="W-MON")})
    one = {"current (75)": weeks.assign(handoffs=[3, 4, 5])}
    two = {**one, "proposed (60)": weeks.assign(handoffs=[6, 7, 9])}
    _, a_spec = charts.handoffs_spec(one, 40)
    b, b_spec = charts.handoffs_spec(two, 12)
    assert a_spec == b_spec
    assert b.groupby("series")["handoffs"].sum().to_dict() == {
        "current (75)": 12,
        "proposed (60)": 22,
    }
    assert set(b["capacity"]) == {12.0}
    assert b["week"].iloc[0] == "2026-01-05"


def test_waterfall_ends_at_the_score(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    scores = score(hits, model)
    e = explain(hits, model, 11, scores)
    rows, spec = charts.waterfall_spec(e)
    assert rows["step"].tolist() == [name for name, _ in e.steps] + ["Score"]
    steps, last = rows.iloc[:-1], rows.iloc[-1]
    assert (steps["start"].iloc[1:].to_numpy() == steps["end"].iloc[:-1].to_numpy()).all()
    assert steps["end"].iloc[-1] == pytest.approx(scores.score[11])  # the steps add up
    assert (last["start"], last["end"]) == (0.0, pytest.approx(scores.score[11]))
    assert set(steps["kind"]) <= {"up", "down"}
    assert (steps["kind"] == "down").tolist() == [v < 0 for _, v in e.steps]
    other = charts.waterfall_spec(explain(hits, model, 12, scores))
    assert other[1] == spec  # another lead changes the rows, not the spec


@pytest.mark.parametrize(
    ("value", "count", "money"),
    [(0, "0", "$0"), (999, "999", "$999"), (1234, "1,234", "$1.2k"), (2.5e6, "2,500,000", "$2.5M")],
)
def test_numbers_for_people(value: float, count: str, money: str) -> None:
    assert format.count(value) == count  # counts in full, as the tables write them
    assert format.money(value) == money


def test_percent_and_missing_values() -> None:
    assert format.percent(0.1843) == "18.4 %"
    assert format.percent(float("nan")) == "–"
    assert format.money(float("nan")) == "–"
    assert format.money(-2_500) == "-$2.5k"


def test_grade_matrix_shades_share_one_top_and_empty_cells_say_so() -> None:
    """Two matrices with one `top` shade one win rate alike; the spec holds no figures, so
    another model or replay only changes the rows; a cell with no closed leads has no
    shade and says '–'."""
    grid = pd.DataFrame(
        {
            "fit": np.repeat(list("ABCD"), 4),
            "engagement": np.tile(list("1234"), 4),
            "leads": [10] * 15 + [0],
            "won": [5] * 15 + [0],
            "win_rate": [0.5] * 15 + [np.nan],
        }
    )
    rows, spec = charts.grade_matrix_spec(grid, top=1.0)
    other_rows, other_spec = charts.grade_matrix_spec(grid.assign(win_rate=0.2), top=0.2)
    assert spec == other_spec
    assert rows["shade"].iloc[0] == pytest.approx(0.5)
    assert other_rows["shade"].iloc[0] == pytest.approx(1.0)
    assert bool(other_rows["dark"].iloc[0])  # white text on the darkest shade
    assert not bool(rows["dark"].iloc[0])
    assert np.isnan(rows["shade"].iloc[-1])
    assert rows["label"].iloc[-1] == "–\n0 leads"
    assert rows["label"].iloc[0] == "50.0 %\n10 leads"
    nothing_closed, _ = charts.grade_matrix_spec(grid.assign(win_rate=np.nan, leads=0), top=0.0)
    assert nothing_closed["shade"].isna().all()
    assert not nothing_closed["dark"].any()
