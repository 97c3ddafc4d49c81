"""AppTest for the Calibration page: confidence, reliability, forecast, target, suggestions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from model.analysis.calibration import Calibration
from model.core.spec import default_model
from model.store.revisions import RevisionStore


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/calibration.py")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_calibrated_confidence_beats_the_baseline_and_reads_out(at: AppTest) -> None:
    assert at.title[0].value == "Lead confidence"
    assert at.radio(key="cal_view").value == "Confidence"
    assert not [m for m in at.metric if m.label.startswith(("AUC", "Expected revenue"))]  # unrun
    ece = next(m for m in at.metric if m.label == "ECE")
    assert float(ece.value) < 0.02
    assert "vs score/100" in ece.delta
    assert float(ece.delta.split()[0]) < -0.1  # far better than reading the score as %
    measured = next(d.value for d in at.dataframe if "Brier of score/100" in d.value.columns)
    assert list(measured["measured"]) == ["in time order", "5 random folds"]
    assert float(ece.value) == pytest.approx(measured["ECE"].iloc[0], abs=5e-4)  # cards: time
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t["name"] for t in chart["data"]]
    assert names == ["perfect", "score / 100", "calibrated (out of fold)"]
    table = next(d.value for d in at.dataframe if "confidence" in d.value.columns)
    assert table["scores"].iloc[15] == "75–79"
    at.number_input(key="read_score").set_value(90.0).run()
    high = int(metric(at, "Lead confidence").rstrip(" %"))
    at.number_input(key="read_score").set_value(20.0).run()
    low = int(metric(at, "Lead confidence").rstrip(" %"))
    assert high > low
    assert any(f"Leads scoring 20 close **{low} %**" in m.value for m in at.markdown)
    assert any(
        "'stage' separates outcomes" in w.value and "left out" in w.value for w in at.warning
    )


def test_logistic_fit_and_per_stage_calibration(at: AppTest) -> None:
    at.radio(key="cal_method").set_value("logistic").run()
    assert not at.exception
    assert "logistic, fitted on" in "".join(c.value for c in at.caption)
    at.toggle(key="cal_by_stage").set_value(True).run()
    assert not at.exception
    options = at.selectbox(key="read_stage").options
    assert "opportunity" in options
    at.number_input(key="read_score").set_value(60.0).run()
    anywhere = metric(at, "Lead confidence")
    at.selectbox(key="read_stage").set_value("negotiation").run()
    assert metric(at, "Lead confidence") != anywhere
    at.radio(key="cal_view").set_value("Suggested points").run()
    assert not [r for r in at.radio if r.key == "cal_method"]  # fit controls: not for suggestions
    at.radio(key="cal_view").set_value("Confidence").run()
    assert at.radio(key="cal_method").value == "logistic"  # kept while hidden
    assert at.toggle(key="cal_by_stage").value


def test_forecast_and_target_back_solve(at: AppTest) -> None:
    at.radio(key="cal_view").set_value("Forecast").run()  # only the view picked runs
    expected = metric(at, "Expected revenue")
    assert expected.startswith("$")
    low, high = metric(at, "80% interval").split(" – ")
    assert low.startswith("$")
    assert high.startswith("$")
    bands = next(
        d.value
        for d in at.dataframe
        if "band" in d.value.columns and "expected revenue" in d.value.columns
    )
    assert sorted(bands["band"]) == ["A", "B", "C"]
    at.radio(key="forecast_by").set_value("source").run()
    sources = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert len(sources) == 10
    at.number_input(key="target").set_value(1.0).run()
    assert metric(at, "New leads needed") == "0"
    at.number_input(key="target").set_value(100_000_000.0).run()
    assert metric(at, "New leads needed") != "0"


def test_suggestion_goes_to_the_editor_as_an_unsaved_draft(at: AppTest) -> None:
    at.radio(key="cal_view").set_value("Suggested points").run()  # only the view picked runs
    current = float(metric(at, "AUC, current points"))
    suggested = float(metric(at, "AUC, suggested model"))
    assert current < suggested
    measured = next(d.value for d in at.dataframe if "unrounded fit" in d.value.columns)
    assert measured["measured"].iloc[0] == "in time order"  # time first
    assert any("fitted on older leads, measured on the newest 30%" in c.value for c in at.caption)
    assert measured["measured"].iloc[1] == "5 random folds"  # random folds beside it
    assert (measured["suggested"] - measured["unrounded fit"]).abs().max() <= 0.005
    assert not [m for m in at.metric if m.label == "AUC, boosted ceiling"]  # only when asked
    at.button(key="ceiling_button").click().run()
    ceiling = float(metric(at, "AUC, boosted ceiling"))
    assert current < ceiling < 0.9
    bands = next(d.value for d in at.dataframe if "suggested from" in d.value.columns)
    assert list(bands["band"]) == ["A", "B", "C"]
    criteria = next(d.value for d in at.dataframe if "95 % interval" in d.value.columns)
    assert (criteria["closed leads"] >= 30).all()
    assert "stage" not in " ".join(criteria["criterion"])  # the leak column is left out
    at.button(key="copy_suggestion").click().run()
    assert not at.exception
    assert at.title[0].value == "Scoring model"
    edited = at.session_state["model"]
    assert edited.baseline == at.number_input(key="baseline").value != 0
    assert [b.min_score for b in edited.bands] == list(bands["suggested from"])
    assert len(edited.criteria) == len(criteria)
    assert RevisionStore().revisions(edited.name) == []  # nothing saved behind the user's back


def test_picking_a_sales_ready_share_moves_the_proposed_line(at: AppTest) -> None:
    at.radio(key="cal_view").set_value("Suggested points").run()  # only the view picked runs
    at.toggle(key="ready_share_on").set_value(True).run()
    at.slider(key="ready_share").set_value(0.1).run()
    bands = next(d.value for d in at.dataframe if "suggested from" in d.value.columns)
    ready = bands[bands["sales-ready"]]
    share = ready["share of leads"].sum() / 100  # shown as "18.4 %", kept as 18.4
    assert share == pytest.approx(0.10, abs=0.03)


def test_calibration_is_saved_with_the_revision(open_app: Callable[..., AppTest]) -> None:
    at = open_app()
    at.text_input(key="author").input("Ann").run()
    at.text_input(key="note_input").input("first")
    at.button(key="save_revision_button").click().run()
    at.switch_page("pages/calibration.py").run()
    at.button(key="save_calibration").click().run()
    assert not at.exception
    text, author, _ = RevisionStore().calibration("B2B inbound", 1)
    assert author == "Ann"
    saved = Calibration.from_json(text)
    assert saved.n_closed > 10_000
    assert any("Saved with v1 by Ann" in c.value for c in at.caption)


def test_a_kept_flag_says_so_and_the_column_is_scored(at: AppTest) -> None:
    at.radio(key="cal_view").set_value("Suggested points").run()  # only the view picked runs
    at.multiselect(key="keep_flagged").set_value(["stage"]).run()
    assert any("'stage'" in w.value and "kept, as you asked" in w.value for w in at.warning)
    criteria = next(d.value for d in at.dataframe if "95 % interval" in d.value.columns)
    assert criteria["criterion"].str.startswith("stage").any()


EXPORTS = Path(__file__).parent / "data" / "exports"


def test_scores_whose_leads_all_won_read_99_9_percent_not_100(
    open_app: Callable[..., AppTest],
) -> None:
    """A HubSpot export's customers all won (the stage is filled in after the outcome):
    100 points for them fits to the clip, 99.9 %, which the card, the sentence and the
    table to hand to sales say rather than rounding it to a promise of 100 %."""
    at = open_app("pages/data.py")
    export = (EXPORTS / "hubspot_contacts.csv").read_bytes()
    at.file_uploader(key="leads_upload").set_value(("hubspot.csv", export, "text/csv")).run()
    at.button(key="use_dataset").click().run()
    model = default_model().to_dict()
    model["criteria"] = [
        {"id": "customer", "label": "Customer", "group": "fit", "points": 100,
         "rule": {"attribute": "stage", "op": "equals", "value": "Customer"}},
    ]  # fmt: skip
    model["caps"]["fit"] = 100
    at.switch_page("pages/model.py").run()
    at.file_uploader(key="model_upload").set_value(
        ("customers.json", json.dumps(model).encode(), "application/json")
    ).run()
    at.switch_page("pages/calibration.py").run()
    assert not at.exception
    at.number_input(key="read_score").set_value(100.0).run()
    assert metric(at, "Lead confidence") == "99.9 %"
    assert any("Leads scoring 100 close **99.9 %**" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "confidence" in d.value.columns)
    assert table["confidence"].iloc[-1] == "99.9 %"
    assert not table["confidence"].str.contains(r"(?:^|–)(?:100|0) %").any()
