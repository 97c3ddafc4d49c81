"""AppTest for the Replay page: compare models, bucket width, warnings and tables."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from model.core.spec import default_model
from tests.conftest import vega_charts


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/replay.py")


def _table(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_replay_shows_ranking_bands_and_evidence(at: AppTest) -> None:
    assert at.title[0].value == "Replay"
    auc = float(next(m.value for m in at.metric if m.label == "ROC AUC"))
    assert 0.65 < auc < 0.85
    verdict = next(i.value for i in at.info if "A won lead outscores a lost one" in i.value)
    assert f"(AUC {auc:.3f}" in verdict  # a figure read aloud is the one on the page
    bands = _table(at, "reached opportunity")
    assert len(bands) == 1
    assert bands[0]["leads"].sum() == 20_000
    evidence = _table(at, "win rate when hit")[0]
    assert len(evidence) == len(default_model().criteria)
    assert any("open leads are not counted as lost" in c.value for c in at.caption)
    leak = next(w.value for w in at.warning if "'stage'" in w.value)
    assert "separates outcomes almost perfectly" in leak
    assert "0% of 4,485 closed leads won" in leak  # lost leads are stuck at 'Working'
    assert "left out of suggestions and the ceiling" in leak


def test_compare_with_default_after_an_edit(at: AppTest) -> None:
    at.switch_page("pages/model.py").run()
    at.session_state[f"criteria_editor_{at.session_state['editor_version']}"] = {
        "edited_rows": {18: {"points": 30}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.switch_page("pages/replay.py").run()
    at.selectbox(key="compare_with").set_value("default").run()
    assert not at.exception
    assert len(_table(at, "reached opportunity")) == 2
    moves = _table(at, "B: A")[0]
    assert list(moves.index) == ["A: A", "A: B", "A: C"]
    leads = moves.map(lambda cell: int(cell.split(" · ")[0].replace(",", "")))
    assert leads.to_numpy().sum() == 20_000
    moved = leads.to_numpy().sum() - sum(leads.iloc[i, i] for i in range(3))  # off the diagonal
    rerouted = leads.loc["A: A", "B: B"] + leads.loc["A: A", "B: C"]  # A is sales-ready
    rerouted += leads.loc["A: B", "B: A"] + leads.loc["A: C", "B: A"]
    routing = next(c.value for c in at.caption if "change band" in c.value)
    assert f"{moved:,} leads" in routing
    assert f"{rerouted:,} change routing" in routing
    assert moved > 0
    delta = next(m.delta for m in at.metric if m.label == "Wins in top 10 %")
    assert delta.startswith("B − A: ")
    assert delta.endswith(" pts")
    summary, newest = [d.value for d in at.dataframe if "ROC AUC" in d.value.columns][:2]
    assert list(summary.index) == ["A", "B", "B − A"]
    assert list(newest.index) == ["A", "B", "B − A"]
    assert any(m.value.startswith("**On the newest 30% of closed leads") for m in at.markdown)
    assert newest.loc["A", "ROC AUC"] != summary.loc["A", "ROC AUC"]  # other leads
    assert len(_table(at, "win rate when hit")) == 2


def _bucket_rows(at: AppTest) -> pd.DataFrame:
    """The rows of the win-rate-by-bucket chart."""
    for _, rows in vega_charts(at):
        if "bucket" in rows.columns:
            return rows
    raise AssertionError("no bucket chart on the page")


def test_bucket_width_changes_the_buckets(at: AppTest) -> None:
    specs = [spec for spec, _ in vega_charts(at)]
    assert len(_bucket_rows(at)) == 10
    at.radio(key="bucket_width").set_value(5).run()
    assert not at.exception
    rows = _bucket_rows(at)
    assert len(rows) == 20
    assert rows["bucket"].iloc[-1] == "95–100"
    assert [spec for spec, _ in vega_charts(at)] == specs  # redrawn in place: new rows only


def _is_grid(rows: pd.DataFrame) -> bool:
    return {"fit", "engagement", "shade"} <= set(rows.columns)


def test_model_b_adds_rows_to_each_chart_not_new_charts(at: AppTest) -> None:
    """Comparing adds model B's rows to the histogram, buckets and gains (the same
    specs); B's grade matrix comes beside A's, whose chart keeps its place and spec."""
    before = [spec for spec, _ in vega_charts(at)]
    assert not at.get("plotly_chart")  # no Plotly on Replay: its bundle is never loaded
    at.selectbox(key="compare_with").set_value("default").run()
    assert not at.exception
    compared = vega_charts(at)
    grids = [i for i, (_, rows) in enumerate(compared) if _is_grid(rows)]
    assert len(grids) == 2
    assert grids[1] == grids[0] + 1
    assert compared[grids[0]][0] == compared[grids[1]][0]
    assert [spec for i, (spec, _) in enumerate(compared) if i != grids[1]] == before
    for i, (_, rows) in enumerate(compared):
        if i not in grids:
            assert {"A", "B"} <= set(rows["model"])
    # one shade means one win rate in both matrices: the darkest cell of the two is 1
    shades = pd.concat([compared[i][1] for i in grids])
    assert shades["shade"].max() == pytest.approx(1.0)
    expected = shades["win_rate"] / shades["win_rate"].max()
    np.testing.assert_allclose(shades["shade"], expected)


def test_the_grade_matrix_counts_the_wins_the_bands_count(at: AppTest) -> None:
    """Each cell's label says its win rate and closed leads; over the cells, the wins
    add up to the band table's."""
    (rows,) = [rows for _, rows in vega_charts(at) if _is_grid(rows)]
    assert len(rows) == 16
    assert set(rows["fit"]) == set("ABCD")
    assert set(rows["engagement"]) == set("1234")
    wins = (rows["win_rate"].fillna(0) * rows["leads"]).sum()
    assert wins == pytest.approx(_table(at, "reached opportunity")[0]["won"].sum())
    cell = rows.iloc[0]
    assert cell["label"] == f"{100 * cell['win_rate']:.1f} %\n{cell['leads']:,} leads"


def test_uploaded_model_b_errors_are_named(at: AppTest) -> None:
    at.selectbox(key="compare_with").set_value("upload").run()
    bad = default_model().to_dict()
    bad["criteria"][0]["points"] = "ten"
    at.file_uploader(key="compare_upload").set_value(
        ("b.json", json.dumps(bad).encode(), "application/json")
    ).run()
    assert any(
        "criterion 'industry_software': points must be a number" in e.value for e in at.error
    )
    assert len(_table(at, "reached opportunity")) == 1


def test_fixed_snapshot_replays_only_leads_that_existed(at: AppTest) -> None:
    at.radio(key="asof_kind").set_value("Fixed date").run()
    at.date_input(key="asof_date").set_value(pd.Timestamp("2025-06-30").date()).run()
    assert not at.exception
    bands = _table(at, "reached opportunity")[0]
    assert 0 < bands["leads"].sum() < 20_000
    assert any("did not exist yet" in c.value for c in at.caption)


def test_redrawing_reuses_the_report(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A display toggle redraws the page without replaying: at 1M leads a replay report
    takes a third of a second even with the hit matrix cached."""
    from model.analysis import replay

    made: list[int] = []
    real = replay.report
    monkeypatch.setattr(replay, "report", lambda *a, **k: made.append(1) or real(*a, **k))
    before = next(m.value for m in at.metric if m.label == "ROC AUC")
    at.toggle(key="normalised").set_value(False).run()
    assert not at.exception
    assert made == []
    assert next(m.value for m in at.metric if m.label == "ROC AUC") == before
    first = at.radio(key="bucket_width").value
    at.radio(key="bucket_width").set_value(5 if first == 10 else 10).run()
    assert len(made) <= 1  # a width not drawn before in this server is replayed once
    drawn = len(made)
    at.radio(key="bucket_width").set_value(first).run()
    assert len(made) == drawn  # the first width's report is still cached


def test_widget_values_declared_kept_survive_other_pages(at: AppTest) -> None:
    """A page declares which of its widgets outlive a page switch (ui.state.kept), and the
    sidebar's decision moment too: both come back as they were left."""
    at.radio(key="bucket_width").set_value(5).run()
    at.number_input(key="asof_days").set_value(30).run()
    at.switch_page("pages/model.py").run()
    at.switch_page("pages/replay.py").run()
    assert not at.exception
    assert at.radio(key="bucket_width").value == 5
    assert at.number_input(key="asof_days").value == 30
    assert "30 days" in " ".join(c.value for c in at.sidebar.caption)


def test_an_export_without_events_or_open_leads_is_described_as_it_is(bank_app: AppTest) -> None:
    """The UCI bank set has no events and every lead closed: the caption says what the win
    rates use, not "0 events were left out" and "0 open leads are not counted as lost"."""
    at = bank_app.switch_page("pages/replay.py").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if c.value.startswith("Scored "))
    assert "Win rates use the 41,188 closed leads." in caption
    assert "0 events" not in caption
    assert "open leads" not in caption
    (bands,) = [d.value for d in at.dataframe if "win rate (closed)" in d.value.columns]
    assert "reached opportunity" not in bands.columns  # no stage column: nothing to show
    assert bands["won"].sum() == 4_640


def _shown(table) -> pd.DataFrame:
    """An HTML table's cells as the room reads them (the Styler's display values)."""
    return pa.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_all().to_pandas()


def test_the_room_reads_the_comparison_as_the_desk_does(at: AppTest) -> None:
    """Presentation mode draws read-only tables as HTML: a criterion's points read 20 (not
    20.00), a points-earned tick reads ✓ (not 1.00), a share and a score range stay on one
    line ('66.8 %' broke before its sign, '75–100' after its dash) while longer text still
    wraps, and A's and B's band tables stand one above the other, each the page's width,
    where side by side their last column was cut off."""
    at.toggle(key="presentation").set_value(True).run()
    at.selectbox(key="compare_with").set_value("default").run()
    assert not at.exception
    evidence = next(t for t in at.table if "points earned" in t.value.columns)
    shown = _shown(evidence).set_index("criterion")
    assert shown.loc["demo_request", "points"] == "20"
    assert set(shown["points earned"]) == {"✓", ""}
    assert shown.loc["demo_request", "points earned"] == "✓"
    assert shown.loc["demo_request", "win rate when hit"] == "20.2\u00a0%"
    bands = [t for t in at.table if "reached opportunity" in t.value.columns]
    assert len(bands) == 2
    assert _shown(bands[0])["share"].iloc[2] == "66.8\u00a0%"
    assert not [t for c in at.columns for t in c.table if "reached opportunity" in t.value.columns]
    at.switch_page("pages/model.py").run()
    cells = _shown(next(t for t in at.table if "routing action" in t.value.columns))
    assert cells["scores"].iloc[0] == "75–\u2060100"
    assert cells["routing action"].iloc[0] == "Senior rep calls within 24 h"  # words wrap
