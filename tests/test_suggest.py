"""Suggested models: scaled with a baseline, bands proposed, ranges monotone, leaks left out
per column, evaluated in time order; on the demo data, on synthetic traps, and on the
public sets in ../shared/data/ against a one-hot logistic reference on the same folds."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

from model.analysis import backtest, suggest
from model.cli import main
from model.core.dataset import OPEN, WON, AsOf, existing_at, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import load_model, parse_model
from model.ingest.catalog import load_dataset
from tests.conftest import SHARED_DATA

AS_OF = AsOf("created_plus_days", days=14)


def _suggest(data, model, as_of=AS_OF, **kw):
    return suggest.suggest(data, build_hits(data, model, as_of), model, **kw)


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_suggestion(request):
    data = request.getfixturevalue("demo_dataset")
    from model.core.spec import default_model

    model = default_model()
    return data, model, _suggest(data, model)


def test_the_suggestion_spans_0_to_100_with_bands_populated(demo_suggestion):
    data, _, result = demo_suggestion
    low, high = result.clipped
    assert low <= 0.02
    assert high <= 0.02
    scores = score(build_hits(data, result.model, AS_OF), result.model).score
    assert np.quantile(scores, 0.02) < 10
    assert np.quantile(scores, 0.98) > 90
    bands = result.bands.set_index("band")
    ready = bands[bands["sales_ready"]]
    assert ready["share"].sum() >= 0.05
    assert [b.min_score for b in result.model.bands] == list(bands["suggested_from"])
    top_rate = ready["win_rate"].iloc[-1]
    assert top_rate >= 2 * (data.outcome == WON).sum() / (data.outcome != OPEN).sum() - 1e-9
    assert result.model.baseline != 0
    assert result.model.caps.fit == 100  # the fit had no caps: none bind on its points


def test_bands_stay_where_they_were_when_every_lead_scores_the_same():
    """A suggestion with no criterion (no signal in the export) scores every lead alike:
    there is nothing to split, and an empty band has no win rate to read aloud."""
    from model.core.spec import default_model

    model = default_model()
    scores = np.full(50, 30.0)
    closed = np.arange(40)
    won = np.arange(40) % 3 == 0
    banded, table = suggest.propose_bands(model, scores, closed, won)
    assert [b.min_score for b in banded.bands] == [b.min_score for b in model.bands]
    assert list(table["suggested_from"]) == list(table["current_from"])
    empty = table[table["share"] == 0]
    assert len(empty) == len(model.bands) - 1
    assert (empty["closed_leads"] == 0).all()
    spread = np.linspace(0, 100, 50)
    banded, _ = suggest.propose_bands(model, spread, closed, won)
    assert [b.min_score for b in banded.bands] != [b.min_score for b in model.bands]


def test_points_are_whole_and_the_model_is_what_the_table_says(demo_suggestion):
    _, _, result = demo_suggestion
    table = result.table.set_index("criterion")
    assert (table["suggested"] == table["suggested"].round()).all()
    for c in result.model.criteria:
        assert table.loc[c.id, "suggested"] == c.points
    assert table.loc["job_level_student", "suggested"] < 0
    assert table.loc["demo_request", "suggested"] > 0
    assert table.loc["demo_request", "current"] == 20  # the same rule in the current model
    again = parse_model(result.model.to_dict())  # the JSON a user saves loads back
    assert again == result.model


def test_the_suggestion_ranks_like_the_logistic_it_comes_from(demo_suggestion):
    _, _, result = demo_suggestion
    assert [e.how for e in result.evaluations] == ["time", "random"]  # time first: dates exist
    for e in result.evaluations:
        assert abs(e.suggested - e.unrounded) <= 0.005
        assert e.suggested > e.current + 0.03
        assert not e.noise


def test_stage_is_left_out_whole_and_can_be_kept(demo_dataset):
    from model.core.spec import default_model

    model = default_model()
    result = _suggest(demo_dataset, model)
    flags = result.leaks.set_index("column")
    assert flags.loc["stage", "action"] == "left out"
    assert "stage" not in {c.rule.attribute for c in result.model.criteria if not c.on_events}
    assert "job_level" not in flags.index  # students rarely win, but that is no leak
    kept = _suggest(demo_dataset, model, keep=frozenset({"stage"}))
    assert kept.leaks.set_index("column").loc["stage", "action"] == "kept by you"
    assert "stage" in {c.rule.attribute for c in kept.model.criteria if not c.on_events}


def test_a_share_picked_for_sales_ready_moves_the_line(demo_dataset):
    from model.core.spec import default_model

    result = _suggest(demo_dataset, default_model(), sales_ready_share=0.10)
    ready = result.bands[result.bands["sales_ready"]]
    assert ready["share"].sum() == pytest.approx(0.10, abs=0.03)


def test_boosted_ceiling_in_time_order_and_on_random_folds(demo_dataset):
    from model.core.spec import default_model

    ceiling = suggest.ceiling_auc(demo_dataset, AS_OF, exclude=frozenset({"stage"}))
    assert set(ceiling) == {"time", "random"}
    current = _suggest(demo_dataset, default_model()).auc_current
    assert current < ceiling["time"] < 0.9
    leaky = suggest.ceiling_auc(demo_dataset, AS_OF)
    assert leaky["random"] > 0.99  # with the stage column the ceiling is the leak's


# --------------------------------------------------------------------------- synthetic


def _frame(n: int, seed: int, **columns) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 365, n)), "D")
    frame = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)], "created_at": created})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _model():
    return parse_model(
        {
            "criteria": [],
            "bands": [
                {"name": "A", "min_score": 70, "sales_ready": True},
                {"name": "B", "min_score": 40},
                {"name": "C", "min_score": 0},
            ],
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_noisy_copy_of_the_outcome_over_12_levels_is_flagged_as_a_column(seed):
    rng = np.random.default_rng(seed)
    n = 6000
    won = rng.random(n) < 0.12
    said = np.where(rng.random(n) < 0.03, ~won, won)  # 3 % noise
    level = np.where(said, rng.integers(0, 6, n), rng.integers(6, 12, n))
    leads = _frame(
        n,
        seed,
        quality=[f"Q{k}" for k in level],
        industry=rng.choice(["a", "b", "c"], n),
        outcome=np.where(won, "won", "lost"),
    )
    data = prepare(leads, None, name="leak")
    flags = suggest.leakage(data, build_hits(data, _model(), AS_OF)).set_index("column")
    assert flags.loc["quality", "action"] == "left out"
    assert "industry" not in flags.index
    result = _suggest(data, _model())
    assert "quality" not in {c.rule.attribute for c in result.model.criteria}


def test_a_column_filled_only_for_won_leads_is_flagged():
    rng = np.random.default_rng(4)
    n = 4000
    won = rng.random(n) < 0.1
    segment = np.where(won & (rng.random(n) < 0.9), rng.choice(["x", "y"], n), None)
    leads = _frame(n, 4, business_segment=segment, outcome=np.where(won, "won", "lost"))
    data = prepare(leads, None, name="deals")
    flags = suggest.leakage(data, build_hits(data, _model(), AS_OF))
    assert list(flags["column"]) == ["business_segment"]


def test_ranges_are_monotone_and_labelled_in_the_columns_units():
    rng = np.random.default_rng(5)
    n = 8000
    employees = rng.integers(1, 5000, n)
    p = 0.04 + 0.16 * employees / 5000
    won = rng.random(n) < p
    leads = _frame(n, 5, employees=employees, outcome=np.where(won, "won", "lost"))
    result = _suggest(prepare(leads, None, name="mono"), _model())
    ranges = [c for c in result.model.criteria if c.rule.attribute == "employees"]
    assert len(ranges) >= 2
    lows = [c.rule.low if c.rule.low is not None else -np.inf for c in ranges]
    points = [c.points for c in sorted(ranges, key=lambda c: lows[ranges.index(c)])]
    assert points == sorted(points)  # more employees, never fewer points
    assert all(" to " in c.label or "up to" in c.label or "or more" in c.label for c in ranges)
    assert all("." not in c.label for c in ranges)  # whole numbers stay whole


def test_a_mostly_filled_column_whose_levels_earn_alike_is_one_filled_in_criterion():
    rng = np.random.default_rng(6)
    n = 8000
    blank = rng.random(n) < 0.15
    city = np.where(blank, None, rng.choice(["Mumbai", "Pune", "Delhi", "Chennai"], n))
    won = rng.random(n) < np.where(blank, 0.03, 0.15)
    leads = _frame(n, 6, city=city, outcome=np.where(won, "won", "lost"))
    result = _suggest(prepare(leads, None, name="filled"), _model())
    city_rules = [c for c in result.model.criteria if c.rule.attribute == "city"]
    assert [c.rule.op for c in city_rules] == ["is_filled"]
    assert city_rules[0].points > 0
    assert city_rules[0].label == "city is filled in"


def test_time_order_scores_lower_than_random_folds_under_drift():
    """A signal that fades over the year: random folds mix old and new leads and look
    better than what next quarter will see."""
    rng = np.random.default_rng(8)
    n = 9000
    t = np.linspace(0, 1, n)
    plan = rng.choice(["free", "pro"], n)
    source = rng.choice(["web", "event", "partner"], n)
    strength = 2.5 * (1 - t) - 0.5  # "pro" wins early on, not later
    logit = -2.2 + np.where(plan == "pro", strength, 0) + np.where(source == "partner", 0.4, 0)
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    leads = _frame(n, 8, plan=plan, source=source, outcome=np.where(won, "won", "lost"))
    result = _suggest(prepare(leads, None, name="drift"), _model())
    by = {e.how: e for e in result.evaluations}
    assert by["time"].suggested < by["random"].suggested - 0.03


def test_too_few_closed_leads_in_the_test_window_are_called_noise():
    rng = np.random.default_rng(9)
    n = 400
    won = rng.random(n) < 0.2
    leads = _frame(n, 9, plan=rng.choice(["a", "b"], n), outcome=np.where(won, "won", "lost"))
    result = _suggest(prepare(leads, None, name="small"), _model())
    assert result.headline.how == "time"
    assert result.headline.noise


# --------------------------------------------------------------------------- real data


def _reference(data, exclude: frozenset[str], splits) -> float:
    """One-hot logistic on the raw columns (levels with at least 30 leads, numbers as
    deciles, blanks as a level), pooled over the same splits as the suggestion."""
    closed = np.flatnonzero(data.outcome != OPEN)
    y = data.outcome[closed] == WON
    drop = [
        c for c in data.leads.columns if c in suggest.RESERVED or c in exclude or c == "lead_id"
    ]
    frame = data.leads.iloc[closed].drop(columns=drop)
    frame = frame.drop(columns=[c for c in frame if pd.api.types.is_datetime64_any_dtype(frame[c])])
    levels = [
        c for c in frame if not pd.api.types.is_numeric_dtype(frame[c]) or frame[c].nunique() <= 25
    ]
    numbers = [c for c in frame if c not in levels]
    frame[levels] = frame[levels].astype(str)
    deciles = make_pipeline(
        SimpleImputer(strategy="median"), KBinsDiscretizer(10, encode="onehot", strategy="quantile")
    )
    encode = ColumnTransformer(
        [
            ("levels", OneHotEncoder(handle_unknown="ignore", min_frequency=30), levels),
            ("numbers", deciles, numbers),
        ]
    )
    pipe = make_pipeline(encode, LogisticRegression(max_iter=2000))
    p = np.empty(len(closed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in splits:
            pipe.fit(frame.iloc[train], y[train])
            p[test] = pipe.predict_proba(frame.iloc[test])[:, 1]
    test = np.concatenate([t for _, t in splits])
    return float(roc_auc_score(y[test], p[test]))


def _shared():
    """The public datasets beside the project; skip only when that folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it sits beside the checkout)")
    return SHARED_DATA


def _imported(tmp_path_factory, name: str, leads, *extra: str):
    folder = tmp_path_factory.mktemp(name)
    assert main(["import", "--leads", str(leads), *extra, "--out", str(folder / "ds")]) == 0
    assert (
        main(["starter-model", "--data", str(folder / "ds"), "--out", str(folder / "m.json")]) == 0
    )
    full = load_dataset(folder / "ds")
    as_of = AS_OF if full.has_dates else AsOf.now()
    return existing_at(full, as_of), load_model(folder / "m.json"), as_of


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    shared = _shared()
    return _imported(
        tmp_path_factory,
        "bank",
        shared / "bank-marketing" / "bank-additional-full.csv",
        "--drop",
        "duration",
        "--missing",
        "unknown",
    )


@pytest.fixture(scope="module")
def shoppers(tmp_path_factory):
    shared = _shared()
    return _imported(
        tmp_path_factory, "shop", shared / "online-shoppers" / "online_shoppers_intention.csv"
    )


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    """Olist's MQLs with the won deals' columns joined on: present for won leads only."""
    folder = _shared() / "olist-funnel"
    mqls = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv", dtype=str)
    deals = pd.read_csv(folder / "olist_closed_deals_dataset.csv", dtype=str)
    mqls["won"] = mqls["mql_id"].isin(deals["mql_id"]).map({True: "yes", False: "no"})
    joined = mqls.merge(
        deals.drop(columns=["won_date", "declared_monthly_revenue"]), on="mql_id", how="left"
    )
    path = tmp_path_factory.mktemp("olist_csv") / "mqls_with_deals.csv"
    joined.to_csv(path, index=False)
    return _imported(tmp_path_factory, "olist", path)


def _check_real(data, model, as_of, *, must_flag: set[str]):
    result = _suggest(data, model, as_of)
    left = suggest.left_out(result.leaks)
    assert must_flag <= left
    closed = np.flatnonzero(data.outcome != OPEN)
    won = data.outcome[closed] == WON
    reference = _reference(data, left, backtest.random_folds(won, 5, 0))
    by = {e.how: e for e in result.evaluations}
    assert by["random"].suggested >= reference - 0.01, (by["random"], reference)
    if data.has_dates:
        ref_time = _reference(data, left, backtest.time_windows(data.created_ns[closed]))
        assert by["time"].suggested >= ref_time - 0.01, (by["time"], ref_time)
    assert max(result.clipped) <= 0.02
    assert result.bands.loc[result.bands["sales_ready"], "share"].sum() >= 0.05
    _no_flips_without_evidence(result)
    return result


def _no_flips_without_evidence(result) -> None:
    """Neighbouring ranges of a column whose points have opposite signs must differ in
    win rate: each outside the other's 95 % interval."""
    table = result.table.set_index("criterion")
    by_column: dict[str, list] = {}
    for c in result.model.criteria:
        if not c.on_events and c.rule.op == "between":
            by_column.setdefault(c.rule.attribute, []).append(c)
    for ranges in by_column.values():
        ranges.sort(key=lambda c: -np.inf if c.rule.low is None else c.rule.low)
        for a, b in itertools.pairwise(ranges):
            if a.points * b.points < 0:
                ra, rb = table.loc[a.id], table.loc[b.id]
                assert not (
                    ra["low"] <= rb["win_rate"] <= ra["high"]
                    and rb["low"] <= ra["win_rate"] <= rb["high"]
                ), (a.label, b.label)


def test_bank_marketing_without_duration(bank):
    data, model, as_of = bank
    result = _check_real(data, model, as_of, must_flag=set())
    assert result.headline.how == "random"  # no dates in the file: no backtest to run
    pdays = suggest.bin_column(data, "pdays", data.outcome != OPEN)
    assert pdays.labels[-1] == "999 or more"  # "never contacted" is a range of its own


def test_bank_marketing_duration_is_flagged_as_a_column(tmp_path_factory):
    data, _, _ = _imported(
        tmp_path_factory,
        "bankdur",
        _shared() / "bank-marketing" / "bank-additional-full.csv",
        "--missing",
        "unknown",
    )
    flags = suggest.leakage(data).set_index("column")
    assert flags.loc["duration", "action"] == "left out"
    assert set(flags.index) == {"duration"}


def test_online_shoppers_page_values_flagged(shoppers):
    data, model, as_of = shoppers
    result = _check_real(data, model, as_of, must_flag={"PageValues"})
    assert "Browser" in {c.rule.attribute for c in result.model.criteria}
    browser = [c for c in result.model.criteria if c.rule.attribute == "Browser"]
    assert all(c.rule.op in ("equals", "in") for c in browser)  # codes stay levels


def test_olist_deal_columns_flagged_and_the_rest_scored(olist):
    data, model, as_of = olist
    deal_columns = {
        "seller_id",
        "sdr_id",
        "sr_id",
        "business_segment",
        "lead_type",
        "lead_behaviour_profile",
        "has_company",
        "has_gtin",
        "average_stock",
        "business_type",
        "declared_product_catalog_size",
    }
    result = _check_real(data, model, as_of, must_flag=deal_columns)
    assert result.headline.how == "time"
    assert "source" not in suggest.left_out(result.leaks)
    used = {c.rule.attribute for c in result.model.criteria}
    assert used <= {"source", "landing_page_id"}


@pytest.mark.parametrize("seed", range(6))
def test_a_columns_out_of_fold_auc_is_the_auc_of_its_predictions(seed: int) -> None:
    """The leak check counts wins per (fold, level) instead of sorting every lead; it gives
    exactly the AUC roc_auc_score gives the same out-of-fold predictions, ties included."""
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    levels = int(rng.integers(2, 40))
    codes = rng.integers(0, levels, 5_000)
    won = rng.random(5_000) < (0.1 + 0.8 * (codes % 3 == 0) * rng.random())
    closed = rng.random(5_000) < 0.8
    b = suggest.Binned("x", codes, tuple(map(str, range(levels))), (None,) * levels, False, None)
    idx = np.flatnonzero(closed)
    y = won[idx]
    pred = np.empty(len(idx))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(idx, y):
        n = np.bincount(codes[idx[train]], minlength=levels)
        w = np.bincount(codes[idx[train]], weights=y[train], minlength=levels)
        pred[test] = ((w + suggest.PRIOR * y[train].mean()) / (n + suggest.PRIOR))[codes[idx[test]]]
    want = roc_auc_score(y, pred)
    fold_of = backtest.fold_of(y, 5, 0)
    assert suggest.single_column_auc(b, closed, won, fold_of) == pytest.approx(
        max(want, 1 - want), abs=1e-12
    )
