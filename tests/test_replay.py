"""Replay metrics on tiny hand-made data with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from model.analysis import replay, stats, summaries
from model.core.dataset import LOST, OPEN, WON, AsOf, Dataset, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel

W, L, O = WON, LOST, OPEN


def test_wilson_by_hand() -> None:
    low, high = stats.wilson(5, 10)
    assert (round(float(low), 4), round(float(high), 4)) == (0.2366, 0.7634)
    low, high = stats.wilson(0, 10)  # centre (0 + z²/20)/(1 + z²/10) = 0.1388, same half-width
    assert float(low) == pytest.approx(0, abs=1e-12)
    assert float(high) == pytest.approx(0.2775, abs=1e-4)
    low, high = stats.wilson(np.array([0]), np.array([0]))
    assert np.isnan(low[0])
    assert np.isnan(high[0])


def test_auc_with_ties_by_hand() -> None:
    # won scores 3, 2; lost 2, 1: pairs 3>2, 3>1, 2=2 (one half), 2>1 -> 3.5 / 4
    s = np.array([3.0, 2.0, 2.0, 1.0, 9.0])
    o = np.array([W, W, L, L, O])
    assert stats.auc(s, o) == 0.875


def test_auc_matches_scikit_learn(demo_dataset: Dataset, model: ScoringModel) -> None:
    s = score(build_hits(demo_dataset, model, AsOf()), model).score
    o = demo_dataset.outcome
    closed = o != O
    assert stats.auc(s, o) == pytest.approx(roc_auc_score(o[closed] == W, s[closed]), abs=1e-12)


def test_lift_and_capture_by_hand() -> None:
    s = np.arange(10, 0, -1, dtype=float)  # 10 closed leads, best first
    o = np.array([W, L, L, W, L, L, L, L, L, L])
    lift, capture = replay.lift_at(s, o, 0.1)  # top lead is a win: half the wins in 10 %
    assert (lift, capture) == (5.0, 0.5)
    lift, capture = replay.lift_at(s, o, 0.2)
    assert (lift, capture) == (2.5, 0.5)


def test_bucket_table_uses_closed_leads_only() -> None:
    s = np.array([5, 15, 15, 95, 100, 100, 55])
    o = np.array([L, W, L, W, W, L, O])
    t = summaries.bucket_table(s, o, width=10)
    assert t["leads"].sum() == 6
    assert t.loc[t["bucket"] == "10–19", ["leads", "won"]].to_numpy().tolist() == [[2, 1]]
    assert t.loc[t["bucket"] == "90–100", ["leads", "won"]].to_numpy().tolist() == [[3, 2]]
    assert t.loc[t["bucket"] == "50–59", "leads"].item() == 0
    with pytest.raises(ValueError, match="width must divide 100"):
        summaries.bucket_table(s, o, width=7)


def test_falling_buckets_are_named() -> None:
    s = np.repeat([5.0, 15.0, 25.0], 40)
    o = np.array([L] * 36 + [W] * 4 + [L] * 30 + [W] * 10 + [L] * 38 + [W] * 2)
    t = summaries.bucket_table(s, o, width=10)
    assert summaries.falling_buckets(t) == [("10–19", "20–29")]


def test_gains_curve_runs_from_zero_to_one() -> None:
    s = np.arange(10, 0, -1, dtype=float)
    o = np.array([W, L, L, W, L, L, L, L, L, L])
    g = replay.gains_curve(s, o, points=10)
    assert g["wins_share"].iloc[0] == 0
    assert g["wins_share"].iloc[1] == 0.5
    assert g["wins_share"].iloc[-1] == 1


def test_band_report_and_evidence_on_demo(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    s = score(hits, model)
    bands = replay.band_report(demo_dataset, s, model)
    assert bands["leads"].sum() == demo_dataset.n_leads
    assert bands["win_rate"].is_monotonic_decreasing  # A wins more than B more than C
    assert (bands["to_opportunity"] >= bands["win_rate"] * 0.99).all()
    evidence = replay.criterion_evidence(hits, model, demo_dataset.outcome)
    unearned = set(evidence.loc[~evidence["earned"], "criterion"])
    assert {"industry_finance", "webinar"} <= unearned
    assert "demo_request" not in unearned


def test_grade_matrix_and_migration(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    a = score(hits, model)
    closed = int((demo_dataset.outcome != O).sum())
    grid = replay.grade_matrix(a, demo_dataset.outcome, model)
    assert len(grid) == 16
    assert grid["leads"].sum() == closed
    data = model.to_dict()
    data["bands"][0]["min_score"] = 65
    other = ScoringModel.model_validate(data)
    b = score(hits, other)
    moves = replay.band_migration(a, b, demo_dataset.outcome, model, other)
    assert moves["leads"].sum() == demo_dataset.n_leads
    assert moves.query("band_a == 'A' and band_b != 'A'")["leads"].sum() == 0
    assert moves.query("band_a == 'B' and band_b == 'A'")["leads"].sum() > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_with_heavy_ties_matches_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 8, 500).astype(float)
    o = np.where(rng.random(500) < 0.1 + s / 20, W, np.where(rng.random(500) < 0.2, O, L))
    closed = o != O
    expected = roc_auc_score(o[closed] == W, s[closed])
    assert stats.auc(s, o) == pytest.approx(expected, abs=1e-12)


def test_lift_and_gains_treat_tied_scores_as_random_order():
    """All-zero points (a starter model) rank nobody: lift 1 and a diagonal gains curve,
    whatever the order of the rows."""
    from model.analysis.replay import gains_curve, lift_at

    outcome = np.array([1] * 900 + [0] * 100)  # wins all at the end of the file
    score = np.zeros(1000)
    assert lift_at(score, outcome, 0.1) == pytest.approx((1.0, 0.1))
    gains = gains_curve(score, outcome, points=10)
    assert gains["wins_share"].to_numpy() == pytest.approx(gains["leads_share"].to_numpy())
    score[-50:] = 10  # half the wins on top, then a tie group
    _, capture = lift_at(score, outcome, 0.1)
    assert capture == pytest.approx((50 + 50 * 50 / 950) / 100)


def test_a_comparison_on_the_newest_leads_measures_only_them(
    demo_dataset: Dataset, model: ScoringModel
) -> None:
    as_of = AsOf("created_plus_days", days=14)
    a = replay.report(demo_dataset, build_hits(demo_dataset, model, as_of), model)
    frame = replay.compare_summary(a, a, data=demo_dataset)
    closed = np.flatnonzero(demo_dataset.outcome != 2)
    newest = closed[np.argsort(demo_dataset.created_ns[closed], kind="stable")][
        round(0.7 * len(closed)) :
    ]
    won = demo_dataset.outcome[newest] == 0
    assert frame.loc["A", "auc"] == pytest.approx(roc_auc_score(won, a.scores.score[newest]))
    assert frame.loc["A", "auc"] != pytest.approx(a.summary["auc"], abs=1e-4)
    assert (frame.loc["B − A"] == 0).all()
    assert "newest 30% of closed leads (5,073, created from" in replay.newest_caption(demo_dataset)


def test_without_a_stage_column_reaching_opportunity_is_unknown(demo_data, model) -> None:
    """Without a stage column nobody knows which leads reached opportunity: the share is
    unknown, not the 100 % that counting the wins alone would give."""
    data = prepare(demo_data.leads.drop(columns="stage"), demo_data.events, name="no-stage")
    scores = score(build_hits(data, model, AsOf()), model)
    assert np.isnan(replay.ready_to_opportunity(data, scores, model))
    assert replay.band_report(data, scores, model)["to_opportunity"].isna().all()


def _bootstrap_sd(a, b, outcome, rounds=400, seed=1) -> float:
    """Slow, obviously right: the spread of the AUC difference over resampled leads."""
    rng = np.random.default_rng(seed)
    closed = np.flatnonzero(outcome != OPEN)
    diffs = []
    for _ in range(rounds):
        pick = rng.choice(closed, len(closed))
        diffs.append(stats.auc(b[pick], outcome[pick]) - stats.auc(a[pick], outcome[pick]))
    return float(np.std(diffs))


def test_auc_difference_is_paired_and_its_interval_matches_a_bootstrap() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    outcome = rng.choice([WON, LOST, OPEN], n, p=[0.2, 0.6, 0.2])
    signal = (outcome == WON) * 1.0
    a = np.round(signal + rng.normal(0, 1.2, n), 1)  # ties, as whole-ish scores have
    b = a + 0.4 * signal + rng.normal(0, 0.3, n)  # B: A plus a little more signal
    diff, low, high = stats.auc_difference(a, b, outcome)
    assert diff == pytest.approx(stats.auc(b, outcome) - stats.auc(a, outcome), abs=1e-12)
    assert low < diff < high
    assert (high - low) / (2 * 1.959964) == pytest.approx(_bootstrap_sd(a, b, outcome), rel=0.15)
    assert low > 0  # B is better beyond noise
    same = stats.auc_difference(a, a, outcome)
    assert same[0] == 0
    assert same[1] == pytest.approx(0)
    assert same[2] == pytest.approx(0)


def test_verdicts_say_which_model_is_better_in_words(demo_dataset, model) -> None:
    from model.analysis import verdicts

    worse = model.model_copy(update={"criteria": [c for c in model.criteria if c.group == "fit"]})
    a, b = (
        replay.report(demo_dataset, build_hits(demo_dataset, m, AsOf()), m) for m in (model, worse)
    )
    text = verdicts.compare(demo_dataset, a, model, b, worse)
    assert text.startswith("A ranks the closed leads better than B: AUC ")
    assert f"{a.summary['auc']:.3f} against {b.summary['auc']:.3f}" in text
    assert "leads a week to sales" in text
    alike = verdicts.compare(demo_dataset, a, model, a, model, names=("live v1", "candidate v2"))
    assert alike.startswith("Live v1 and candidate v2 rank the closed leads alike")
    assert "both send" in alike
    sweep = replay.threshold_sweep(demo_dataset, a.scores)
    moved = verdicts.thresholds(sweep, 75, 65)
    at = sweep.set_index("threshold")
    assert moved.startswith("Moving the line from 75 to 65 sends ")
    assert f"({at.loc[65, 'per_week']:.1f} instead of {at.loc[75, 'per_week']:.1f})" in moved
    assert "fewer wins go to nurture" in moved


def test_verdicts_on_data_without_dates_count_leads_in_all(demo_dataset, model) -> None:
    """Without created dates there is no pace a week (the bank marketing set): the verdict
    counts the leads sent in all, with thousands separators, and says when one model sends
    none rather than comparing a win rate with a dash."""
    import dataclasses

    from model.analysis import verdicts

    data = dataclasses.replace(demo_dataset, has_dates=False)
    silent = model.model_copy(  # zero points: every lead scores 0, none goes to sales
        update={"criteria": [c.model_copy(update={"points": 0}) for c in model.criteria]}
    )
    a, b = (replay.report(data, build_hits(data, m, AsOf()), m) for m in (silent, model))
    text = verdicts.compare(
        data, a, silent, b, model, names=("the starter model", "the suggested model")
    )
    assert text.startswith("The suggested model ranks")  # a sentence starts with a capital
    assert "leads in all to sales" in text
    assert "a week" not in text
    sent = int((b.scores.score >= model.sales_ready_threshold).sum())
    assert f"({sent:,} against 0)" in text
    assert "; the suggested model wins " in text
    assert "against –" not in text


def test_the_preview_verdict_says_when_the_line_sends_nobody_or_wins_no_more():
    from model.analysis import verdicts

    assert verdicts.preview(0, 100, float("nan"), 0.1).startswith("This model hands no lead")
    flat = verdicts.preview(10, 100, 0.1, 0.2)
    assert "do not win more often" in flat
    assert "too few of them have closed" in verdicts.preview(10, 100, float("nan"), 0.2)
