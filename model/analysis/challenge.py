"""Champion vs challenger on time-ordered history: the live revision and a candidate scored
on the most recent leads whose outcome is known, each figure with a paired bootstrap
interval, and the gate that "Make live" passes.

Paired: every bootstrap sample draws the same leads for both models, so the difference has
an interval of its own, much narrower than the two separate intervals would suggest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from model.analysis import replay
from model.core.dataset import NS_PER_DAY, OPEN, WON, Dataset
from model.core.scoring import Scores
from model.core.spec import ScoringModel

BOOTSTRAPS = 1000
SEED = 20261202
MIN_CLOSED = 40  # fewer won and lost leads than this and the figures are noise
FIGURES = {
    "auc": "ROC AUC",
    "ready_win_rate": "win rate, sales-ready",
    "ready_leads": "sales-ready leads",
    "nurtured_wins": "wins sent to nurture",
}


@dataclass(frozen=True)
class Figure:
    """One figure for live and candidate, and the candidate − live difference with its
    95 % paired bootstrap interval."""

    live: float
    candidate: float
    low: float
    high: float

    @property
    def difference(self) -> float:
        return self.candidate - self.live


@dataclass(frozen=True)
class Challenge:
    """The comparison a go-live decision rests on."""

    since: pd.Timestamp | None
    leads: int  # closed leads measured on
    won: int
    weeks: float
    figures: dict[str, Figure]
    migration: pd.DataFrame
    routing: replay.Routing
    refusals: tuple[str, ...] = field(default=())

    @property
    def enough(self) -> bool:
        return self.won > 0 and self.leads - self.won > 0 and self.leads >= MIN_CLOSED

    @property
    def passed(self) -> bool:
        return not self.refusals

    def table(self) -> pd.DataFrame:
        """One row per figure: live, candidate, difference and its interval."""
        rows = [
            {
                "figure": FIGURES[k],
                "live": f.live,
                "candidate": f.candidate,
                "candidate − live": f.difference,
                "95 % interval, low": f.low,
                "95 % interval, high": f.high,
            }
            for k, f in self.figures.items()
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-ready figures, as stored with a go-live decision and printed by the CLI."""
        return {
            "since": self.since.date().isoformat() if self.since is not None else None,
            "closed_leads": self.leads,
            "won": self.won,
            "weeks": round(self.weeks, 2),
            "enough": self.enough,
            "passed": self.passed,
            "refusals": list(self.refusals),
            "figures": {
                k: {
                    "live": _plain(f.live),
                    "candidate": _plain(f.candidate),
                    "difference": _plain(f.difference),
                    "low": _plain(f.low),
                    "high": _plain(f.high),
                }
                for k, f in self.figures.items()
            },
            "changes_band": self.routing.moved,
            "changes_routing": self.routing.rerouted,
        }


RECENT_DAYS = 90  # the period a review looks at when no date is given


def default_since(data: Dataset, days: int = RECENT_DAYS) -> pd.Timestamp | None:
    """`days` before the newest lead was created (None without created dates)."""
    if not data.has_dates or not data.n_leads:
        return None
    return pd.Timestamp(int(data.created_ns.max())).normalize() - pd.Timedelta(days=days)


def recent(data: Dataset, since: pd.Timestamp | None) -> np.ndarray:
    """Indices of the closed leads created since `since` (all closed leads without it, or
    without created dates)."""
    closed = data.outcome != OPEN
    if since is None or not data.has_dates:
        return np.flatnonzero(closed)
    return np.flatnonzero(closed & (data.created_ns >= since.value))


def challenge(
    data: Dataset,
    live: tuple[ScoringModel, Scores],
    candidate: tuple[ScoringModel, Scores],
    since: pd.Timestamp | None,
    *,
    bootstraps: int = BOOTSTRAPS,
    seed: int = SEED,
) -> Challenge:
    """Live vs candidate on the closed leads created since `since`, scored as of each
    lead's decision moment (the scores passed in), with paired bootstrap intervals."""
    rows = recent(data, since)
    won = data.outcome[rows] == WON
    (m_live, s_live), (m_cand, s_cand) = live, candidate
    sets = [_per_lead(s.score[rows], m, won) for s, m in ((s_live, m_live), (s_cand, m_cand))]
    diffs: dict[str, list[np.ndarray]] = {k: [] for k in FIGURES}
    for counts in _resample(len(rows), bootstraps, seed):
        for key in FIGURES:
            diffs[key].append(_figure(key, sets[1], counts) - _figure(key, sets[0], counts))
    figures = {}
    for key in FIGURES:
        point = [_figure(key, lead, np.ones((1, len(rows))))[0] for lead in sets]
        diff = np.concatenate(diffs[key])
        finite = diff[np.isfinite(diff)]
        low, high = np.percentile(finite, [2.5, 97.5]) if len(finite) else (np.nan, np.nan)
        figures[key] = Figure(float(point[0]), float(point[1]), float(low), float(high))
    migration = replay.band_migration(
        _rows(s_live, rows), _rows(s_cand, rows), data.outcome[rows], m_live, m_cand
    )
    span = data.created_ns[rows] if len(rows) else np.zeros(1, dtype=np.int64)
    weeks = max((span.max() - span.min()) / NS_PER_DAY / 7, 1.0) if data.has_dates else 1.0
    made = Challenge(
        since=since,
        leads=len(rows),
        won=int(won.sum()),
        weeks=float(weeks),
        figures=figures,
        migration=migration,
        routing=replay.routing_changes(migration, m_live, m_cand),
    )
    return replace(made, refusals=gate(made))


def _rows(scores: Scores, rows: np.ndarray) -> Scores:
    """The scores of some leads only."""
    return Scores(scores.fit[rows], scores.engagement[rows], scores.score[rows], scores.band[rows])


def gate(found: Challenge) -> tuple[str, ...]:
    """Why the candidate may not go live: worse beyond its interval. It ranks the closed
    leads worse, or it sends more wins to nurture without winning more of those it hands
    to sales. Too little evidence refuses nothing (the page and the command say so)."""
    if not found.enough:
        return ()
    out = []
    auc = found.figures["auc"]
    if auc.high < 0:
        out.append(
            f"it ranks the closed leads worse: AUC {auc.candidate:.3f} against "
            f"{auc.live:.3f}, a difference of {auc.difference:+.3f} (95 % interval "
            f"{auc.low:+.3f} to {auc.high:+.3f})"
        )
    missed, rate = found.figures["nurtured_wins"], found.figures["ready_win_rate"]
    if missed.low > 0 and not rate.low > 0:
        out.append(
            f"it sends {missed.difference:+,.0f} wins to nurture (95 % interval "
            f"{missed.low:+,.0f} to {missed.high:+,.0f}) without winning more of the leads it "
            "hands to sales"
        )
    return tuple(out)


@dataclass(frozen=True)
class _Leads:
    """What the figures need per lead, sorted by score for the weighted AUC."""

    order: np.ndarray
    starts: np.ndarray  # where each group of equal scores begins, in `order`
    won: np.ndarray
    ready: np.ndarray


def _per_lead(score: np.ndarray, model: ScoringModel, won: np.ndarray) -> _Leads:
    order = np.argsort(score, kind="stable")
    ranked = score[order]
    starts = (
        np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if len(score) else np.zeros(0, int)
    )
    return _Leads(order, starts, won, score >= model.sales_ready_threshold)


CHUNK_CELLS = 4_000_000  # bootstrap weights held at once (32 MB), whatever the data size


def _resample(n: int, bootstraps: int, seed: int):
    """Bootstrap samples as counts per lead, in chunks of rows (samples x n): the same
    draws for both models, which is what makes the difference paired."""
    rng = np.random.default_rng(seed)
    step = max(1, min(bootstraps, CHUNK_CELLS // max(n, 1)))
    for first in range(0, bootstraps, step):
        rows = min(step, bootstraps - first)
        draws = rng.integers(0, max(n, 1), size=(rows, n))
        flat = (np.arange(rows)[:, None] * n + draws).ravel()
        yield np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)


def _figure(key: str, lead: _Leads, w: np.ndarray) -> np.ndarray:
    """One figure per row of weights `w` (bootstraps x leads)."""
    won, ready = lead.won, lead.ready
    if key == "auc":
        return _weighted_auc(lead, w)
    if key == "ready_win_rate":
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w * (won & ready)).sum(1) / (w * ready).sum(1)
    if key == "ready_leads":
        return (w * ready).sum(1)
    return (w * (won & ~ready)).sum(1)  # nurtured_wins


def _weighted_auc(lead: _Leads, w: np.ndarray) -> np.ndarray:
    """P(a won lead outscores a lost one), ties counting half, with weights per lead."""
    if not len(lead.order):
        return np.full(len(w), np.nan)
    ws = w[:, lead.order]
    won = lead.won[lead.order]
    won_g = np.add.reduceat(ws * won, lead.starts, axis=1)
    lost_g = np.add.reduceat(ws * ~won, lead.starts, axis=1)
    below = np.cumsum(lost_g, axis=1) - lost_g
    with np.errstate(invalid="ignore", divide="ignore"):
        return (won_g * (below + 0.5 * lost_g)).sum(1) / (won_g.sum(1) * lost_g.sum(1))


def _plain(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
