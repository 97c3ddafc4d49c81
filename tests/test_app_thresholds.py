"""AppTest for the Thresholds page: sliders, the comparison table and the handoff table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import BANK, column_format, vega_charts


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/thresholds.py")


def _table(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_lowering_the_threshold_sends_more_leads(at: AppTest) -> None:
    before = float(_metric(at, "Sales-ready leads / week"))
    handed = _table(at, "handed off")
    assert len(handed) == 1
    (curve_spec, _), (weeks_spec, weeks) = vega_charts(at)
    assert set(weeks["series"]) == {"current (75)"}
    at.slider(key="boundary_0").set_value(65).run()
    assert not at.exception
    after = float(_metric(at, "Sales-ready leads / week"))
    assert after > before
    table = _table(at, "sales-ready leads")
    assert list(table.index) == ["current (75)", "proposed (65)", "difference"]
    assert table["sales-ready leads"].dtype.kind in "if"  # numbers stay numbers: they sort
    assert 0 < table.loc["current (75)", "win rate"] <= 100  # a share, shown as "18.4 %"
    verdict = next(i.value for i in at.info if i.value.startswith("Moving the line"))
    assert "from 75 to 65 sends" in verdict
    assert "more leads a week to sales" in verdict
    frame = next(d for d in at.dataframe if "sales-ready leads" in d.value.columns)
    assert column_format(frame, "win rate") == "%.1f %%"
    assert column_format(frame, "revenue captured") == "dollar"
    handed = _table(at, "handed off")
    assert list(handed.index) == ["current (75)", "proposed (65)"]
    assert handed["handed off"].iloc[1] > handed["handed off"].iloc[0]
    bands = _table(at, "scores")
    assert bands["scores"].iloc[0] == "65–100"
    (moved_spec, marks), (moved_weeks_spec, moved_weeks) = vega_charts(at)
    assert (moved_spec, moved_weeks_spec) == (curve_spec, weeks_spec)  # redrawn in place
    assert marks.loc[marks["kind"] == "proposed", "label"].tolist() == ["proposed 65"]
    assert set(moved_weeks["series"]) == {"current (75)", "proposed (65)"}
    weekly = moved_weeks.groupby("series")["handoffs"].sum()
    assert weekly["proposed (65)"] > weekly["current (75)"]


def test_capacity_inputs_change_weeks_over_capacity(at: AppTest) -> None:
    at.slider(key="boundary_0").set_value(60).run()
    roomy = _table(at, "weeks over capacity")["weeks over capacity"].tolist()
    at.number_input(key="reps").set_value(1).run()
    at.number_input(key="per_rep").set_value(2).run()
    tight = _table(at, "weeks over capacity")["weeks over capacity"].tolist()
    assert all(t >= r for t, r in zip(tight, roomy, strict=True))
    assert sum(tight) > sum(roomy)
    weeks = vega_charts(at)[1][1]  # the dashed line moved with the team's capacity
    assert set(weeks["capacity"]) == {2.0}
    assert set(weeks["capacity_note"]) == {"capacity 2 / week"}


def test_crossed_boundaries_are_refused_with_a_message(at: AppTest) -> None:
    at.slider(key="boundary_1").set_value(80).run()  # B above A
    assert any("ordered from highest to lowest" in e.value for e in at.error)
    assert _table(at, "scores")["scores"].iloc[0] == "75–100"


def test_use_the_proposed_boundaries_in_the_model(at: AppTest) -> None:
    at.slider(key="boundary_0").set_value(70).run()
    at.button(key="use_boundaries").click().run()
    assert at.session_state["model"].sales_ready_threshold == 70


def test_an_export_without_dates_counts_sales_ready_leads_not_weeks(
    bank_app: AppTest, shared_data: Path
) -> None:
    """The UCI bank set has no created dates, so there are no weeks to count in: the page
    counts the sales-ready leads once (it read "14205.0 leads / week" before)."""
    at = bank_app
    bank = shared_data.joinpath(*BANK)
    at.switch_page("pages/thresholds.py").run()
    assert not at.exception
    won_before = int((pd.read_csv(bank, sep=";")["poutcome"] == "success").sum())
    assert _metric(at, "Sales-ready leads") == f"{won_before:,}"
    assert not any(m.label == "Sales-ready leads / week" for m in at.metric)
    assert "per week" not in _table(at, "wins missed").columns
    assert _metric(at, "Revenue captured") == "–"  # no deal values in the set: not $0
    assert "revenue captured" not in _table(at, "wins missed").columns
    assert "revenue won" not in _table(at, "win rate (closed)").columns
    # no weeks to hand off in: said once, instead of every hand-off in one "week"
    assert any(i.value.startswith("This dataset has no created dates") for i in at.info)
    assert not any("handed off" in d.value.columns for d in at.dataframe)
    assert len(at.get("vega_lite_chart")) == 1  # the precision-recall curve alone
    at.slider(key="boundary_0").set_value(20).run()  # reached on a mobile now counts
    revenue = next(m for m in at.metric if m.label == "Revenue captured")
    assert revenue.value == "–"
    assert not revenue.delta
    assert _metric(at, "Sales-ready leads") != f"{won_before:,}"  # the line moved
