"""Handoff simulation against a slow reference that re-scores each lead at each moment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis.handoff import NEVER, handoffs, score_timeline, simulate
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel, default_model
from model.ingest import demo

DECAYS = [
    {"mode": "none"},
    {"mode": "half_life", "half_life_days": 10, "floor_fraction": 0.5},
    {"mode": "linear", "percent_per_30_days": 60, "floor_fraction": 0.3},
]


def _reference_first_crossing(leads, events, model: ScoringModel, threshold: float) -> list[int]:
    """For each lead: score it with the main engine as of just after each moment."""
    out = []
    for _, lead in leads.iterrows():
        own = events[events["lead_id"] == lead["lead_id"]]
        created = lead["created_at"].value
        times = own["occurred_at"].to_numpy(dtype="datetime64[ns]").view("int64")
        moments = sorted({created} | {int(t) for t in times if t >= created})
        data = prepare(lead.to_frame().T.astype(leads.dtypes.to_dict()), own)
        first = NEVER
        for t in moments:
            as_of = AsOf("fixed", date=pd.Timestamp(t + 1))
            if score(build_hits(data, model, as_of), model).score[0] >= threshold:
                first = t
                break
        out.append(first)
    return out


def _own_decays(data: dict) -> dict:
    """Engagement event criteria fading at their own rates: never, fast, linear."""
    own = [{"mode": "none"}, {"mode": "half_life", "half_life_days": 2}, None,
           {"mode": "linear", "percent_per_30_days": 80}]  # fmt: skip
    events = [c for c in data["criteria"] if "events" in c["rule"] and c["group"] == "engagement"]
    for k, c in enumerate(events):
        if own[k % len(own)] is not None:
            c["decay"] = own[k % len(own)]
    return data


@pytest.mark.parametrize("own", [False, True], ids=["model decay", "own decays"])
@pytest.mark.parametrize("decay", DECAYS, ids=[d["mode"] for d in DECAYS])
def test_first_crossing_matches_the_reference(decay: dict, own: bool) -> None:
    data = {**default_model().to_dict(), "decay": decay}
    model = ScoringModel.model_validate(_own_decays(data) if own else data)
    raw = demo.generate(70, seed=5)
    data = prepare(raw.leads, raw.events)
    hits = build_hits(data, model, AsOf())
    threshold = 55
    got = simulate(data, hits, model, threshold)
    expected = _reference_first_crossing(raw.leads, raw.events, model, threshold)
    assert got.at_ns.tolist() == expected
    assert 0 < got.handed_off < len(raw.leads)


def test_timeline_at_creation_equals_the_as_of_zero_score() -> None:
    model = default_model()
    raw = demo.generate(200, seed=9)
    data = prepare(raw.leads, raw.events)
    hits = build_hits(data, model, AsOf())
    line = score_timeline(data, hits, model)
    at_creation = line.time_ns == data.created_ns[line.lead]
    # the creation row comes after any event at the same moment, so take the last per lead
    last = pd.Series(line.score[at_creation]).groupby(line.lead[at_creation]).last()
    as_of_zero = score(build_hits(data, model, AsOf.parse("created+0d")), model).score
    # created+0d excludes events exactly at creation; the demo has none at that instant
    np.testing.assert_allclose(last.to_numpy(), as_of_zero[last.index], atol=1e-9)


def test_summary_per_week_and_median(demo_dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    low = simulate(demo_dataset, hits, model, 65)
    high = simulate(demo_dataset, hits, model, 75)
    assert low.per_week["handoffs"].sum() == low.handed_off > high.handed_off
    assert low.median_days >= 0
    assert high.win_rate > low.win_rate


def test_a_few_leads_replay_as_in_the_whole_replay(demo_dataset, model: ScoringModel) -> None:
    """The whole set is replayed in lead ranges by two workers; a handful of leads, with
    probes between their events, give the same rows and scores as the whole replay."""
    hits = build_hits(demo_dataset, model, AsOf())
    whole = score_timeline(demo_dataset, hits, model)
    assert len(whole.lead) == demo_dataset.n_events + demo_dataset.n_leads
    assert (np.diff(whole.lead) >= 0).all()
    some = np.array([demo_dataset.n_leads - 1, 0, 4_321, 12_345])
    probe_t = demo_dataset.created_ns[some] + 3 * 86_400 * 10**9
    few = score_timeline(demo_dataset, hits, model, probes=(some, probe_t), leads=some)
    assert few.lead.tolist() == sorted(few.lead.tolist())
    probed = few.kind == -2
    assert few.lead[probed].tolist() == sorted(some.tolist())
    mine = np.isin(whole.lead, some)
    for column in ("lead", "time_ns", "kind", "score"):
        np.testing.assert_array_equal(getattr(few, column)[~probed], getattr(whole, column)[mine])
    # hand-offs read each lead's own rows: the leads not replayed are never handed off
    everyone = handoffs(demo_dataset, whole, 60).at_ns
    chosen = np.concatenate([some, np.flatnonzero(everyone != NEVER)[:3]])
    alone = score_timeline(demo_dataset, hits, model, leads=chosen)
    moments = handoffs(demo_dataset, alone, 60).at_ns
    np.testing.assert_array_equal(moments[chosen], everyone[chosen])
    assert (moments[chosen] != NEVER).sum() == 3
    assert (np.delete(moments, chosen) == NEVER).all()
    # a probe reads the score carried from the row before it, decayed over the gap
    before = np.flatnonzero(probed) - 1
    assert (few.score[probed] <= few.score[before] + 1e-9).all()


def test_a_timeline_for_hand_offs_alone_has_the_same_moments_and_scores(
    demo_dataset, model: ScoringModel
) -> None:
    """The Thresholds page's timeline writes each row's moment and score, not its lead or
    kind; what it has is the whole timeline's, and so are the hand-offs."""
    hits = build_hits(demo_dataset, model, AsOf())
    whole = score_timeline(demo_dataset, hits, model)
    bare = score_timeline(demo_dataset, hits, model, moments_only=True)
    assert bare.lead is None
    assert bare.kind is None
    for column in ("time_ns", "score", "lead_rows"):
        np.testing.assert_array_equal(getattr(bare, column), getattr(whole, column))
    for threshold in (40, 60, 75):
        np.testing.assert_array_equal(
            handoffs(demo_dataset, bare, threshold).at_ns,
            handoffs(demo_dataset, whole, threshold).at_ns,
        )


def test_a_probe_for_a_lead_not_replayed_is_refused(demo_dataset, model) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    with pytest.raises(ValueError, match="probe"):
        score_timeline(
            demo_dataset, hits, model, probes=(np.array([7]), np.array([0])), leads=np.array([3])
        )
