"""Replay metrics: how a model's as-of scores relate to what actually closed.

Pure functions over per-lead arrays (score, outcome code 0 won / 1 lost / 2 open) that
return small frames. Win rates use closed leads only; open leads are never counted as lost.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.backtest import TEST_SHARE, newest
from model.analysis.stats import _auc_ranked, _ranked
from model.analysis.summaries import band_table, bucket_table, falling_buckets, histogram_frame
from model.core.dataset import NS_PER_DAY, Dataset
from model.core.hits import Hits
from model.core.scoring import N_BINS, Scores, score, score_bins
from model.core.spec import ScoringModel

WON, LOST, OPEN = 0, 1, 2
OPPORTUNITY_STAGES = frozenset(
    {"opportunity", "negotiation", "proposal", "closed won", "won", "contract", "commit"}
)


def lift_at(score: np.ndarray, outcome: np.ndarray, top: float) -> tuple[float, float]:
    """Lift and capture of the top `top` share of closed leads by score.

    Lift = win rate in the top share / overall win rate; capture = share of all wins there.
    """
    return _lift_ranked(*_ranked(score, outcome), top)


def _wins_within(s: np.ndarray, won: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Expected wins among the first k leads when leads with tied scores are taken in random
    order: whole groups above the cut, the tied group at the cut pro rata (the data's own
    row order must not decide who counts as top 10 %)."""
    ends = np.r_[np.flatnonzero(s[1:] != s[:-1]) + 1, len(s)]
    at = np.r_[0, ends]
    return np.interp(k, at, np.r_[0, np.cumsum(won)[ends - 1]])


def _lift_ranked(s: np.ndarray, won: np.ndarray, top: float) -> tuple[float, float]:
    if not len(won) or not won.any():
        return float("nan"), float("nan")
    k = max(1, round(top * len(won)))
    captured = float(_wins_within(s, won, np.array([k]))[0]) / won.sum()
    return float(captured / (k / len(won))), float(captured)


def gains_curve(score: np.ndarray, outcome: np.ndarray, *, points: int = 100) -> pd.DataFrame:
    """Cumulative share of wins captured against share of closed leads contacted, best first."""
    return _gains_ranked(*_ranked(score, outcome), points)


def _gains_ranked(s: np.ndarray, won: np.ndarray, points: int = 100) -> pd.DataFrame:
    at = np.linspace(0, len(won), points + 1).round().astype(np.intp)
    wins = _wins_within(s, won, at) if len(won) else np.zeros(len(at))
    return pd.DataFrame(
        {"leads_share": at / max(len(won), 1), "wins_share": wins / max(int(won.sum()), 1)}
    )


def band_report(data: Dataset, scores: Scores, model: ScoringModel) -> pd.DataFrame:
    """Per band: leads, share, won, win rate (closed), revenue won, average deal value and the
    share of its leads that reached the opportunity stage."""
    counts, won_value = score_bins(scores.score, data.outcome, data.won_value)
    table = band_table(counts, won_value, model)
    n_bands = len(model.bands)
    value = data.value if data.value is not None else np.full(data.n_leads, np.nan)
    priced = (data.outcome == WON) & ~np.isnan(value)
    opp = reached_opportunity(data)
    known = ~np.isnan(opp)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_deal = table["revenue_won"] / np.bincount(scores.band, priced, minlength=n_bands)
        to_opp = np.bincount(scores.band, np.where(known, opp, 0), minlength=n_bands) / (
            np.bincount(scores.band, known, minlength=n_bands)
        )
    return table.assign(
        closed=table["won"] + table["lost"], avg_deal=avg_deal, to_opportunity=to_opp
    )[
        [
            "band",
            "leads",
            "share",
            "won",
            "closed",
            "win_rate",
            "revenue_won",
            "avg_deal",
            "to_opportunity",
        ]
    ]


def reached_opportunity(data: Dataset) -> np.ndarray:
    """Per lead: did it reach the opportunity stage (or win)? NaN without a stage column."""
    if data not in _OPPORTUNITY:
        _OPPORTUNITY[data] = _reached_opportunity(data)
    return _OPPORTUNITY[data]


_OPPORTUNITY: weakref.WeakKeyDictionary[Dataset, np.ndarray] = weakref.WeakKeyDictionary()


def ready_to_opportunity(data: Dataset, scores: Scores, model: ScoringModel) -> float:
    """Share of sales-ready leads that reached the opportunity stage: the ratio a 60/90-day
    review compares with the last one. NaN when no sales-ready lead has a known stage."""
    opp = reached_opportunity(data)
    ready = (scores.score >= model.sales_ready_threshold) & ~np.isnan(opp)
    return float(opp[ready].mean()) if ready.any() else float("nan")


def _reached_opportunity(data: Dataset) -> np.ndarray:
    if "stage" not in data.leads.columns:  # unknown: a share of the wins alone reads 100 %
        return np.full(data.n_leads, np.nan)
    stage = data.leads["stage"].astype("string").str.strip().str.lower()
    return (stage.isin(OPPORTUNITY_STAGES).to_numpy(bool) | (data.outcome == WON)).astype(float)


def grade_matrix(scores: Scores, outcome: np.ndarray, model: ScoringModel) -> pd.DataFrame:
    """Fit grade (A-D, quarters of the fit cap) x engagement grade (1-4, quarters of the
    engagement cap): closed leads and win rate per cell, long format."""
    fit_q = _quarter(scores.fit, model.caps.fit)
    eng_q = _quarter(scores.engagement, model.caps.engagement)
    closed = outcome != OPEN
    cell = fit_q[closed] * 4 + eng_q[closed]
    n = np.bincount(cell, minlength=16)
    won = np.bincount(cell, weights=outcome[closed] == WON, minlength=16)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = won / n
    return pd.DataFrame(
        {
            "fit": np.repeat(list("ABCD"), 4),
            "engagement": np.tile(["1", "2", "3", "4"], 4),
            "leads": n,
            "won": won.astype(np.int64),
            "win_rate": rate,
        }
    )


def _quarter(x: np.ndarray, cap: float) -> np.ndarray:
    """0 for the top quarter of the cap (grade A / 1) ... 3 for the bottom."""
    share = x / cap if cap > 0 else np.zeros_like(x)
    return 3 - np.clip(np.floor(share * 4), 0, 3).astype(np.intp)


def criterion_evidence(hits: Hits, model: ScoringModel, outcome: np.ndarray) -> pd.DataFrame:
    """Per criterion: closed leads hit, win rate when hit and when not, and the lift;
    sorted so the points that are not earned stand out."""
    closed, won = outcome != OPEN, outcome == WON
    n_closed, n_won = int(closed.sum()), int(won.sum())
    rows = []
    for k, c in enumerate(model.criteria):
        fired = hits.fired(k)
        hit, won_hit = np.count_nonzero(fired & closed), np.count_nonzero(fired & won)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate_hit = np.float64(won_hit) / hit
            rate_not = np.float64(n_won - won_hit) / (n_closed - hit)
        rows.append(
            {
                "criterion": c.id,
                "label": c.label,
                "group": c.group,
                "points": c.points,
                "hit": hit,
                "win_rate_hit": rate_hit,
                "win_rate_not": rate_not,
                "lift": rate_hit / (n_won / n_closed) if n_won else np.nan,
            }
        )
    columns = [
        "criterion",
        "label",
        "group",
        "points",
        "hit",
        "win_rate_hit",
        "win_rate_not",
        "lift",
    ]
    frame = pd.DataFrame(rows, columns=columns)  # a model without criteria: no rows
    frame["earned"] = np.sign(frame["points"]) == np.sign(
        frame["win_rate_hit"] - frame["win_rate_not"]
    )
    return frame.sort_values(["earned", "lift"], ascending=[True, False]).reset_index(drop=True)


def band_migration(
    a: Scores, b: Scores, outcome: np.ndarray, model_a: ScoringModel, model_b: ScoringModel
) -> pd.DataFrame:
    """Band under A x band under B: leads and win rate of closed leads per cell."""
    names_a = [x.name for x in model_a.bands]
    names_b = [x.name for x in model_b.bands]
    cell = a.band.astype(np.intp) * len(names_b) + b.band
    size = len(names_a) * len(names_b)
    n = np.bincount(cell, minlength=size)
    closed = outcome != OPEN
    n_closed = np.bincount(cell[closed], minlength=size)
    won = np.bincount(cell[closed], weights=outcome[closed] == WON, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = won / n_closed
    return pd.DataFrame(
        {
            "band_a": np.repeat(names_a, len(names_b)),
            "band_b": np.tile(names_b, len(names_a)),
            "leads": n,
            "win_rate": rate,
        }
    )


@dataclass(frozen=True)
class Routing:
    """What a band migration changes for sales: leads in another band (by name), and
    leads sent to sales under one model only."""

    moved: int
    only_b: int  # sales-ready under B, not under A
    only_a: int

    @property
    def rerouted(self) -> int:
        return self.only_a + self.only_b


def routing_changes(
    migration: pd.DataFrame, model_a: ScoringModel, model_b: ScoringModel
) -> Routing:
    """Count the leads whose band or routing differs between two models."""
    ready_a = migration["band_a"].map({x.name: x.sales_ready for x in model_a.bands})
    ready_b = migration["band_b"].map({x.name: x.sales_ready for x in model_b.bands})
    leads = migration["leads"]
    return Routing(
        moved=int(leads[migration["band_a"] != migration["band_b"]].sum()),
        only_b=int(leads[ready_b & ~ready_a].sum()),
        only_a=int(leads[ready_a & ~ready_b].sum()),
    )


def summary(score: np.ndarray, outcome: np.ndarray) -> dict[str, float]:
    """Headline ranking figures: AUC, lift and capture in the top 10 % and 20 %."""
    return _summary_ranked(*_ranked(score, outcome))


def _summary_ranked(s: np.ndarray, won: np.ndarray) -> dict[str, float]:
    lift10, cap10 = _lift_ranked(s, won, 0.1)
    lift20, cap20 = _lift_ranked(s, won, 0.2)
    return {
        "auc": _auc_ranked(s, won),
        "lift_top10": lift10,
        "capture_top10": cap10,
        "lift_top20": lift20,
        "capture_top20": cap20,
    }


@dataclass(frozen=True)
class Report:
    """Everything the Replay page shows for one model, from one scoring of the leads."""

    scores: Scores
    summary: dict[str, float]
    histogram: pd.DataFrame
    buckets: pd.DataFrame
    falling: list[tuple[str, str]]
    bands: pd.DataFrame
    grid: pd.DataFrame
    gains: pd.DataFrame
    evidence: pd.DataFrame


def report(data: Dataset, hits: Hits, model: ScoringModel, *, width: int = 10) -> Report:
    """Score the leads as of the hits' decision moments and compute every replay figure."""
    s = score(hits, model)
    outcome = data.outcome
    counts, _ = score_bins(s.score, outcome)
    buckets = bucket_table(s.score, outcome, width=width)
    ranked = _ranked(s.score, outcome)
    return Report(
        scores=s,
        summary=_summary_ranked(*ranked),
        histogram=histogram_frame(counts, width=width),
        buckets=buckets,
        falling=falling_buckets(buckets),
        bands=band_report(data, s, model),
        grid=grade_matrix(s, outcome, model),
        gains=_gains_ranked(*ranked),
        evidence=criterion_evidence(hits, model, outcome),
    )


SUMMARY_LABELS = {
    "auc": "ROC AUC", "lift_top10": "lift, top 10 %", "capture_top10": "wins in top 10 %",
    "lift_top20": "lift, top 20 %", "capture_top20": "wins in top 20 %",
}  # fmt: skip


def compare_summary(
    a: Report, b: Report, *, data: Dataset | None = None, recent: np.ndarray | None = None
) -> pd.DataFrame:
    """Headline figures of A and B with a B - A delta row; with `data`, on its newest
    closed leads only (the backtest window: what next quarter's leads will look like),
    `recent` when they are already known (`newest_closed`)."""
    summaries = [a.summary, b.summary]
    if data is not None:
        recent = newest_closed(data) if recent is None else recent
        window = np.full(data.n_leads, OPEN, dtype=data.outcome.dtype)
        window[recent] = data.outcome[recent]
        summaries = [_summary_ranked(*_ranked(r.scores.score, window)) for r in (a, b)]
    frame = pd.DataFrame(summaries, index=["A", "B"])
    frame.loc["B − A"] = frame.loc["B"] - frame.loc["A"]
    return frame


def newest_closed(data: Dataset) -> np.ndarray:
    """Positions of the newest closed leads: the window `compare_summary` measures on."""
    closed = np.flatnonzero(data.outcome != OPEN)
    return closed[newest(data.created_ns[closed])]


def newest_caption(data: Dataset, recent: np.ndarray | None = None) -> str:
    """Which leads `compare_summary(..., data=)` measured on, in words."""
    recent = newest_closed(data) if recent is None else recent
    first = pd.Timestamp(int(data.created_ns[recent].min())) if len(recent) else None
    return f"the newest {TEST_SHARE:.0%} of closed leads ({len(recent):,}" + (
        f", created from {first:%Y-%m-%d})" if first is not None else ")"
    )


# --------------------------------------------------------------------------- thresholds


def threshold_sweep(data: Dataset, scores: Scores) -> pd.DataFrame:
    """For every whole-number threshold 0-100: what sales would get at or above it.

    Columns: threshold, sales_ready, per_week, win_rate (of closed leads: the precision),
    recall (share of all wins at or above), missed_wins, revenue_captured. One 101-bin count.
    """
    counts, value = score_bins(scores.score, data.outcome, data.won_value)
    above = counts[:, ::-1].cumsum(axis=1)[:, ::-1]  # leads with score >= t
    won, lost, total = above[0], above[1], above.sum(axis=0)
    all_won = max(int(counts[0].sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = won / (won + lost)
    return pd.DataFrame(
        {
            "threshold": np.arange(N_BINS),
            "sales_ready": total,
            "per_week": total / weeks_spanned(data),
            "win_rate": win_rate,
            "recall": won / all_won,
            "missed_wins": counts[0].sum() - won,
            "revenue_captured": value[::-1].cumsum()[::-1],
        }
    )


def weeks_spanned(data: Dataset) -> float:
    """Weeks between the first and the last lead created (at least one)."""
    if not data.n_leads:
        return 1.0
    span = (data.created_ns.max() - data.created_ns.min()) / (7 * NS_PER_DAY)
    return max(float(span), 1.0)


def compare_thresholds(sweep: pd.DataFrame, current: int, proposed: int) -> pd.DataFrame:
    """The sweep rows of two thresholds side by side with their difference."""
    rows = sweep.set_index("threshold").loc[[current, proposed]]
    rows.index = [f"current ({current})", f"proposed ({proposed})"]
    rows.loc["difference"] = rows.iloc[1] - rows.iloc[0]
    return rows
