"""Calibration, forecast and suggested points: known curves, hand-worked metrics, demo data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from model import format
from model.analysis import backtest
from model.analysis import calibration as cal
from model.analysis import forecast as fc
from model.core.dataset import OPEN, WON, AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from tests.conftest import tiny_dataset, tiny_model

AS_OF = AsOf("created_plus_days", days=14)


def synthetic(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores uniform on 0-100 and outcomes drawn from a known logistic curve p(s)."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0, 100, n)
    p = curve(np.floor(s))
    return s, p, rng.random(n) < p


def curve(s: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(s - 70) / 10))


@pytest.mark.parametrize("method", cal.METHODS)
def test_fitted_confidence_recovers_a_known_curve(method):
    s, _, won = synthetic(60_000)
    table = cal.fit_table(cal.score_index(s), won, method)
    truth = curve(np.arange(101))
    assert np.abs(table - truth).max() < 0.06
    assert np.abs(table - truth).mean() < 0.02
    assert (np.diff(table) >= -1e-12).all()  # monotone


@pytest.mark.parametrize("seed", range(8))
def test_isotonic_on_counts_per_score_is_isotonic_on_every_lead(seed: int) -> None:
    """The isotonic fit sees each whole score's win rate weighted by its leads, which is
    what scikit-learn makes of every lead's row itself: the same table, to the last bit,
    on scores that leave gaps and on a few leads as on many."""
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 20_000))
    idx = rng.integers(0, 101, n) if seed % 2 else rng.integers(30, 60, n)
    won = rng.random(n) < rng.random() * idx / 100
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    every = iso.fit(idx.astype(float), won.astype(float)).predict(np.arange(101))
    np.testing.assert_array_equal(cal.fit_table(idx, won, "isotonic"), np.clip(every, *cal.CLIP))


def test_brier_log_loss_and_ece_match_hand_worked_examples():
    p = np.array([0.1, 0.1, 0.8, 0.8, 0.8])
    won = np.array([0, 1, 1, 1, 0], dtype=bool)
    assert cal.brier(p, won) == pytest.approx((0.01 + 0.81 + 0.04 + 0.04 + 0.64) / 5)
    expected = -(np.log(0.9) + np.log(0.1) + 2 * np.log(0.8) + np.log(0.2)) / 5
    assert cal.log_loss(p, won) == pytest.approx(expected)
    # bin 1 (10-20 %): predicted 0.2, observed 1 -> |1 - 0.2| over 2 leads;
    # bin 8 (80-90 %): predicted 2.4, observed 2 -> |2 - 2.4| over 3 leads
    assert cal.ece(p, won) == pytest.approx((0.8 + 0.4) / 5)
    table = cal.reliability(p, won)
    assert table["leads"].tolist() == [2, 3]
    assert table["observed"].tolist() == pytest.approx([0.5, 2 / 3])


def test_confidence_table_reads_as_ranges_for_sales():
    c = cal.Calibration("isotonic", np.linspace(0, 1, 101), 10, 1, "a", "b", "c")
    table = cal.confidence_table(c)
    assert table.iloc[0].to_dict()["scores"] == "0–4"
    assert table.iloc[15]["confidence"] == "75–79 %"
    assert table.iloc[-1]["scores"] == "100"
    back = cal.Calibration.from_json(c.to_json())
    assert np.allclose(back.table, c.table)
    assert back.describe() == c.describe()


def test_a_confidence_never_reads_0_or_100_percent():
    """Scores whose closed leads all won (or all lost) fit to the clip, 99.9 % and 0.1 %:
    in whole percents those would read '100 %' and '0 %', a promise the fit never makes."""
    idx = np.repeat([10, 50, 90], 20)
    won = np.repeat([False, True, True], 20)
    won[20:30] = False
    c = cal.Calibration("isotonic", cal.fit_table(idx, won, "isotonic"), 60, 40, "a", "b", "c")
    table = cal.confidence_table(c)
    assert table.iloc[0]["confidence"] == "0.1 %"
    assert table.iloc[-1]["confidence"] == "99.9 %"
    assert "100 %" not in set(table["confidence"])
    assert not any(t.startswith(("0 ", "0–")) for t in table["confidence"])
    assert table.iloc[18]["confidence"] == "99.9 %"  # 90-94
    words = [format.confidence(p) for p in (0.001, 0.004, 0.005, 0.0051, 0.284, 0.995, 0.999)]
    assert words == ["0.1 %", "0.4 %", "0.5 %", "1 %", "28 %", "99.5 %", "99.9 %"]
    assert format.confidence(float("nan")) == "–"


def test_demo_calibration_halves_the_baseline_error(demo_dataset, model):
    scores = score(build_hits(demo_dataset, model, AS_OF), model)
    report = cal.calibrate(demo_dataset, scores)
    assert report.metrics["ece"] <= report.baseline["ece"] / 2
    assert report.metrics["brier"] < report.baseline["brier"]
    assert report.calibration.n_closed == int((demo_dataset.outcome != 2).sum())
    rel = report.reliability
    assert rel["leads"].sum() == report.calibration.n_closed
    assert ((rel["low"] <= rel["observed"]) & (rel["observed"] <= rel["high"])).all()


def test_per_stage_calibration_uses_leads_that_got_that_far_and_falls_back(demo_dataset, model):
    scores = score(build_hits(demo_dataset, model, AS_OF), model)
    report = cal.calibrate(demo_dataset, scores, by_stage=True, min_stage_closed=4000)
    c = report.calibration
    assert set(c.stage_tables) == {"new", "working", "qualified", "opportunity"}
    assert any("negotiation" in note and "too few" in note for note in report.stage_notes)
    # the further a lead got, the likelier it closes at the same score
    assert c.stage_tables["opportunity"][60] > c.stage_tables["new"][60]
    stage = np.array(["Opportunity", "Negotiation", "Mystery"])
    conf = c.confidence(np.array([60.0, 60.0, 60.0]), stage)
    assert conf[0] == c.stage_tables["opportunity"][60]
    assert conf[1] == conf[2] == c.table[60]  # fallback to overall


def test_too_few_outcomes_to_calibrate_is_said():
    data = tiny_dataset(
        [
            {"lead_id": str(i), "created_at": "2026-01-01", "outcome": "won" if i < 2 else "lost"}
            for i in range(20)
        ]
    )
    scores = score(build_hits(data, _empty_model(), AS_OF), _empty_model())
    with pytest.raises(cal.CalibrationError, match=r"at least 5 won and 5 lost.*2 won"):
        cal.calibrate(data, scores)


def _empty_model():
    return tiny_model([])


def test_forecast_mean_is_exact_and_interval_matches_a_simulation():
    value = np.array([10_000.0, 5_000, 2_000, np.nan, 8_000] * 200)
    p = np.array([0.2, 0.5, 0.9, 0.7, 0.05] * 200)
    band = np.array(["A", "B", "B", "C", "C"] * 200)
    result = fc.forecast(value, p, {"band": band}, seed=3)
    assert result.expected == pytest.approx(200 * (2_000 + 2_500 + 1_800 + 400))
    assert result.low < result.expected < result.high
    assert result.without_value == 200
    # an independent simulation of the same sum
    rng = np.random.default_rng(99)
    v = np.nan_to_num(value)
    sims = (rng.random((20_000, len(v))) < p) @ v
    assert result.low == pytest.approx(np.quantile(sims, 0.1), rel=0.01)
    assert result.high == pytest.approx(np.quantile(sims, 0.9), rel=0.01)
    bands = result.groups["band"].set_index("group")
    assert bands.loc["A", "expected"] == pytest.approx(200 * 2_000)
    assert bands["expected"].sum() == pytest.approx(result.expected)
    assert (bands["low"] <= bands["expected"]).all()


def test_a_10000_lead_at_20_percent_adds_2000():
    one = fc.forecast(np.array([10_000.0]), np.array([0.2]))
    assert one.expected == pytest.approx(2_000)


def test_back_solve_target_to_pipeline_and_leads():
    result = fc.forecast(np.full(100, 1_000.0), np.full(100, 0.25))
    created = pd.date_range("2026-01-01", periods=130, freq="D").as_unit("ns").asi8
    plan = fc.back_solve(50_000, 91, result, created)
    assert plan.expected_from_pipeline == pytest.approx(25_000)
    assert plan.revenue_gap == pytest.approx(25_000)
    assert plan.pipeline_needed == pytest.approx(200_000)
    assert plan.pipeline_gap == pytest.approx(100_000)
    assert plan.leads_needed == pytest.approx(100)
    assert plan.leads_in_period == pytest.approx(91 / 91 * 91, rel=0.02)


def test_calibration_is_measured_in_time_order_first_and_on_random_folds_beside(
    demo_dataset, model
):
    report = cal.calibrate(demo_dataset, score(build_hits(demo_dataset, model, AS_OF), model))
    time, folds = report.backtests
    assert (time["how"], folds["how"]) == ("time", "random")
    assert time["measured"].startswith("fitted on older leads, measured on the newest 30%")
    assert folds["metrics"] == pytest.approx(report.metrics)  # the random folds are the chart's
    closed = int((demo_dataset.outcome != 2).sum())
    assert folds["won"] + folds["lost"] == closed
    assert time["won"] + time["lost"] == pytest.approx(0.3 * closed, abs=2)
    assert time["metrics"]["brier"] < time["baseline"]["brier"] / 2
    assert time["metrics"]["ece"] > folds["metrics"]["ece"]  # next quarter is harder


def test_calibration_without_dates_has_only_random_folds(demo_data, model):
    data = prepare(demo_data.leads, demo_data.events, name="dateless", has_dates=False)
    report = cal.calibrate(data, score(build_hits(data, model, AsOf.now()), model))
    assert [b["how"] for b in report.backtests] == ["random"]


def _per_lead(data, score_of, method, folds=5):
    """The backtests as first written: each split's leads gathered, fitted and scored one
    by one, the random folds' confidences kept per lead for the chart."""
    closed = data.outcome != OPEN
    idx, won = cal.score_index(score_of[closed]), data.outcome[closed] == WON
    base = np.clip(idx / 100.0, *cal.CLIP)
    created = data.created_ns[closed] if data.has_dates else None
    rows, oof = [], None
    for how, splits in backtest.plans(created, won, folds, 0):
        p = np.empty(len(idx))
        for train, test in splits:
            p[test] = cal.fit_table(idx[train], won[train], method)[idx[test]]
        test = np.concatenate([t for _, t in splits])
        first = f"{pd.Timestamp(int(created[test].min())):%Y-%m-%d}" if how == "time" else ""
        rows.append((how, first, len(splits), won[test].sum(), (~won[test]).sum(),
                     cal.metrics(p[test], won[test]), cal.metrics(base[test], won[test])))  # fmt: skip
        oof = p if how == "random" else oof
    return rows, cal.reliability(oof, won), cal.reliability(base, won)


def _tied_dataset(seed: int, has_dates: bool = True):
    """Leads created on few days (windows start inside a day's leads), outcomes drawn
    from their scores, some open."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 4_000))
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(
        rng.integers(0, rng.integers(2, 40), n), "D"
    )
    score_of = rng.uniform(0, 100, n) if seed % 2 else rng.integers(20, 40, n).astype(float)
    outcome = np.where(rng.random(n) < score_of / 120, "won", "lost")
    outcome[rng.random(n) < 0.2] = "open"
    outcome[:20] = ["won"] * 10 + ["lost"] * 10  # always enough of each to calibrate
    leads = pd.DataFrame(
        {"lead_id": [f"L{i}" for i in range(n)], "created_at": days, "outcome": outcome}
    )
    return prepare(leads, None, name=f"tied{seed}", has_dates=has_dates), score_of


def _assert_same_backtests(data, score_of, method):
    rows, rel, base_rel = _per_lead(data, score_of, method)
    report = cal.calibrate(data, SimpleNamespace(score=score_of), method=method)
    assert [b["how"] for b in report.backtests] == [r[0] for r in rows]
    for got, (how, first, parts, won, lost, figures, baseline) in zip(
        report.backtests, rows, strict=True
    ):
        assert got["measured"] == backtest.describe(how, first, parts, 5)
        assert (got["won"], got["lost"]) == (won, lost)
        assert got["metrics"] == pytest.approx(figures, rel=1e-12, abs=1e-12)
        assert got["baseline"] == pytest.approx(baseline, rel=1e-12, abs=1e-12)
    for table, want in ((report.reliability, rel), (report.baseline_reliability, base_rel)):
        pd.testing.assert_frame_equal(table, want, rtol=1e-12)


@pytest.mark.parametrize("method", cal.METHODS)
def test_backtests_counted_per_score_are_the_per_lead_backtests_on_the_demo(
    demo_dataset, model, method
):
    """Calibration counts each part's leads per whole score instead of gathering every lead
    of every split; the figures are those of the per-lead computation, in time order and on
    random folds, with dates and without."""
    score_of = score(build_hits(demo_dataset, model, AS_OF), model).score
    _assert_same_backtests(demo_dataset, score_of, method)
    dateless = prepare(demo_dataset.leads, None, name="demo-dateless", has_dates=False)
    _assert_same_backtests(dateless, score_of, method)


@pytest.mark.parametrize("seed", range(10))
def test_backtests_counted_per_score_hold_when_windows_start_inside_a_day(seed: int) -> None:
    """Leads created on a few days: a window's training leads are those created before its
    first lead, not those sorted before it, as in the per-lead computation."""
    data, score_of = _tied_dataset(seed)
    _assert_same_backtests(data, score_of, cal.METHODS[seed % 2])


def test_folds_are_worked_out_once_per_dataset_and_a_retargeted_one_has_its_own(demo_dataset):
    """The leak check and calibration read the same folds, made once per dataset; a
    dataset read against a stage target has other outcomes, so folds of its own."""
    from model.analysis import suggest
    from model.core.spec import Target
    from model.core.target import default_order, retarget

    folds = backtest.closed_folds(demo_dataset)
    won = demo_dataset.outcome[demo_dataset.outcome != OPEN] == WON
    np.testing.assert_array_equal(folds, backtest.fold_of(won, 5, 0))
    assert suggest.leak_folds(demo_dataset) is folds is backtest.closed_folds(demo_dataset)
    assert not folds.flags.writeable  # shared: nobody may change it in place
    order = default_order(demo_dataset)
    moved = retarget(demo_dataset, Target(outcome="stage", stage=order[-2], stage_order=order))
    moved_won = moved.outcome[moved.outcome != OPEN] == WON
    assert not np.array_equal(moved_won, won)
    np.testing.assert_array_equal(backtest.closed_folds(moved), backtest.fold_of(moved_won, 5, 0))
