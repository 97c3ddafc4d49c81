"""Each lead's score history against a slow reference that re-scores the lead with the
main engine at each moment; trends, and the hand-off list of a period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis import history
from model.core.dataset import NS_PER_DAY, AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel, default_model
from model.ingest import demo
from tests.conftest import tiny_dataset, tiny_model
from tests.test_handoff import DECAYS


def _reference(raw: demo.DemoData, lead_id: str, model: ScoringModel, moment: int) -> float:
    """The lead scored alone by the main engine as of `moment` (events strictly before)."""
    leads = raw.leads[raw.leads["lead_id"] == lead_id]
    data = prepare(leads, raw.events[raw.events["lead_id"] == lead_id])
    as_of = AsOf("fixed", date=pd.Timestamp(moment))
    return float(score(build_hits(data, model, as_of), model).score[0])


@pytest.mark.parametrize("decay", DECAYS, ids=[d["mode"] for d in DECAYS])
def test_history_equals_rescoring_the_lead_after_each_event(decay: dict) -> None:
    model = ScoringModel.model_validate({**default_model().to_dict(), "decay": decay})
    raw = demo.generate(60, seed=11)
    data = prepare(raw.leads, raw.events)
    hits = build_hits(data, model, AsOf())
    busiest = np.argsort(np.diff(data.lead_starts))[-3:]
    for i in busiest:
        found = history.lead_history(data, hits, model, int(i))
        lead = str(data.lead_ids[i])
        events = found.rows[~found.rows["what"].isin(["created", "now (end of data)"])]
        assert len(events) == data.lead_starts[i + 1] - data.lead_starts[i]
        for row in events.itertuples():
            t = row.when.value
            assert row.score == pytest.approx(_reference(raw, lead, model, t + 1), abs=1e-9)
            before = row.score - row._5  # points it added
            assert before == pytest.approx(_reference(raw, lead, model, t), abs=1e-9)
        end = history.end_of_data(data)
        assert found.now == pytest.approx(_reference(raw, lead, model, end + 1), abs=1e-9)


def test_decay_between_events_and_band_crossings_are_shown() -> None:
    """One demo request (+40) and pricing views: decay lowers the score between events,
    and the rows name each crossing into and out of a band."""
    model = tiny_model(
        [
            {
                "id": "demo",
                "label": "Demo request",
                "group": "engagement",
                "points": 40,
                "rule": {"events": ["demo_request"], "op": "count"},
            },
            {
                "id": "pricing",
                "label": "Pricing page",
                "group": "engagement",
                "points": 20,
                "rule": {"events": ["pricing"], "op": "count", "max_count": 1},
            },
        ],
        caps={"fit": 50, "engagement": 100},
        decay={"mode": "half_life", "half_life_days": 10, "floor_fraction": 0.0},
    )
    data = tiny_dataset(
        [
            {"lead_id": "L1", "created_at": "2026-01-01"},
            {"lead_id": "L2", "created_at": "2026-01-01"},
        ],
        [
            ("L1", "2026-01-02", "demo_request"),
            ("L1", "2026-01-02 01:00", "pricing"),
            ("L1", "2026-01-22", "pricing"),  # past its cap of 1: renews its decayed count
            ("L2", "2026-03-01", "blog"),
        ],
    )
    hits = build_hits(data, model, AsOf())
    rows = history.lead_history(data, hits, model, 0).rows
    assert rows["what"].tolist() == [
        "created",
        "demo_request",
        "pricing",
        "pricing",
        "now (end of data)",
    ]
    assert rows["points it added"].iloc[1] == pytest.approx(40)
    assert rows["crossed"].iloc[2] == "C → B"  # 40 + 20 (a little decayed) crosses 50, not 75
    assert rows["counts for"].iloc[3] == "Pricing page (at its cap: renews decayed points)"
    assert rows["decay before it"].iloc[3] == pytest.approx(-(60 - 60 / 4), rel=1e-2)
    assert rows["points it added"].iloc[3] == pytest.approx(20 * 0.75, rel=1e-2)  # 0.25 -> 1
    assert rows["crossed"].iloc[3] == "B → C"  # decay took it under 50 before the repeat visit


def test_trend_words_and_the_handoff_list_of_a_period(demo_dataset, model) -> None:
    assert [history.trend_word(x) for x in (6, 4.9, -5, np.nan)] == [
        "improving",
        "steady",
        "declining",
        "–",
    ]
    hits = build_hits(demo_dataset, model, AsOf())
    end = history.end_of_data(demo_dataset)
    month = history.crossings(demo_dataset, hits, model, end - 30 * NS_PER_DAY, end + 1)
    assert len(month) > 20
    assert month["lead"].is_unique
    assert (month["score then"] >= model.sales_ready_threshold).all()
    assert (pd.to_datetime(month["crossed at"]) >= pd.Timestamp(end - 30 * NS_PER_DAY)).all()
    i = int(np.flatnonzero(demo_dataset.lead_ids == month["lead"].iloc[0])[0])
    found = history.lead_history(demo_dataset, hits, model, i)
    assert month["score now"].iloc[0] == pytest.approx(found.now)
    assert month["30-day trend"].iloc[0] == history.trend_word(found.trends[30])
    at = found.rows[found.rows["when"] == pd.Timestamp(month["crossed at"].iloc[0])]
    assert at["score"].iloc[-1] == pytest.approx(month["score then"].iloc[0])
    assert at["band"].iloc[-1] == "A"


def test_olist_mqls_without_events_cross_at_their_creation(tmp_path, shared_data) -> None:
    """Real MQLs with no event table: each lead's history is its creation and now, and the
    hand-off list holds the leads created in the period whose fit alone is sales-ready."""
    from model.cli import main
    from model.core.spec import load_model, parse_model
    from model.ingest.catalog import load_dataset

    folder = shared_data / "olist-funnel"
    mqls = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv", dtype=str)
    deals = pd.read_csv(folder / "olist_closed_deals_dataset.csv", dtype=str)
    mqls["won"] = mqls["mql_id"].isin(deals["mql_id"]).map({True: "yes", False: "no"})
    mqls.to_csv(tmp_path / "mqls.csv", index=False)
    assert (
        main(["import", "--leads", str(tmp_path / "mqls.csv"), "--out", str(tmp_path / "ds")]) == 0
    )
    assert (
        main(["starter-model", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "s.json")])
        == 0
    )
    model = load_model(tmp_path / "s.json").to_dict()
    for c in model["criteria"]:  # the source the README says wins more often than many
        c["points"] = 80 if c["label"] == "source = unknown" else 0
    model["caps"] = {"fit": 100, "engagement": 50}  # no events: fit alone can be sales-ready
    model = parse_model(model)
    data = load_dataset(tmp_path / "ds")
    hits = build_hits(data, model, AsOf())
    end = history.end_of_data(data)
    month = history.crossings(data, hits, model, end - 30 * NS_PER_DAY, end + 1)
    created = pd.to_datetime(data.created_ns[np.isin(data.lead_ids, month["lead"])])
    source = data.leads.set_index("lead_id").loc[month["lead"], "source"]
    assert len(month) > 0
    assert set(month["what took it over"]) == {"created"}
    assert (source == "unknown").all()
    assert (created >= pd.Timestamp(end - 30 * NS_PER_DAY)).all()
    found = history.lead_history(data, hits, model, 0)
    assert found.rows["what"].tolist() == ["created", "now (end of data)"]
