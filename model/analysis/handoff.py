"""Handoff simulation: replay each lead's score after every event and find when it first
reaches the sales-ready threshold, as a team would see it live.

Rows are the events of each lead plus one row at its creation, sorted by lead and time.
Counts per criterion are carried from row to row of a lead (a loop over the rank of a row
within its lead, vectorised across all leads: no Python loop per lead), so the cost grows
with the events, not with the leads times the events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.core.dataset import NS_PER_DAY, OPEN, WON, Dataset
from model.core.hits import Hits
from model.core.scoring import attribute_points, combine, points_by_group
from model.core.spec import CriterionDecay, Decay, ScoringModel

NEVER = np.iinfo(np.int64).min
CREATED, PROBE = -1, -2  # row kinds beside the event type codes


@dataclass(frozen=True, eq=False)
class Timeline:
    """Every (lead, moment) row and the lead's score just after it; `kind` is the event
    type code, CREATED, or PROBE (a moment asked for, scored with decay up to it)."""

    lead: np.ndarray
    time_ns: np.ndarray
    score: np.ndarray
    kind: np.ndarray | None = None


def score_timeline(
    data: Dataset,
    hits: Hits,
    model: ScoringModel,
    *,
    probes: tuple[np.ndarray, np.ndarray] | None = None,
    leads: np.ndarray | None = None,
) -> Timeline:
    """The score of each lead at its creation and just after each of its events, plus at
    each (lead, moment) of `probes` (before an event at the same moment); `leads` limits
    the rows to those leads (one lead's history without replaying everyone)."""
    lead, t, kind = _rows(data, probes, leads)
    start = np.searchsorted(lead, np.arange(data.n_leads))
    rank = np.arange(len(lead)) - start[lead]
    ev = [k for k, c in enumerate(model.criteria) if c.on_events]
    types = {name: i for i, name in enumerate(data.event_types)}
    x = np.zeros((len(lead), len(ev)))
    for j, k in enumerate(ev):
        wanted = [types[e] for e in model.criteria[k].rule.events if e in types]
        x[:, j] = np.isin(kind, wanted)
    undecayed = _carry(x, t, rank, lambda gap: np.ones_like(gap, dtype=float))
    decayed = undecayed.copy()
    decays = [model.decay_of(model.criteria[k]) for k in ev]
    for decay in _unique([d for d in decays if d.mode != "none"]):  # each its columns
        cols = [j for j, d in enumerate(decays) if d == decay]
        decayed[:, cols] = _decayed(x[:, cols], t, rank, decay)
    fit_attr, eng_attr = attribute_points(hits, model)
    fit_pts, eng_pts = (pts[ev] for pts in points_by_group(model))
    cap = np.array([model.criteria[k].rule.max_count or np.inf for k in ev])
    raw = np.minimum(undecayed, cap)
    fit = fit_attr[lead] + raw @ fit_pts
    decayed_points = eng_attr[lead] + np.minimum(decayed, cap) @ eng_pts
    _, _, total = combine(fit, decayed_points, eng_attr[lead] + raw @ eng_pts, model)
    return Timeline(lead, t, total, kind)


def _rows(
    data: Dataset,
    probes: tuple[np.ndarray, np.ndarray] | None = None,
    leads: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lead, time, event type code, CREATED or PROBE), sorted by lead and time; at one
    moment a probe comes first and the creation last."""
    ev = np.arange(data.n_events)
    created = np.arange(data.n_leads)
    if leads is not None:
        runs = [np.arange(data.lead_starts[i], data.lead_starts[i + 1]) for i in leads]
        ev = np.concatenate([*runs, np.zeros(0, np.int64)])
        created = np.asarray(leads, dtype=np.int64)
    p_lead, p_t = probes if probes is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    lead = np.concatenate([data.ev_lead[ev], created, p_lead]).astype(np.int64)
    t = np.concatenate([data.ev_ns[ev], data.created_ns[created], p_t]).astype(np.int64)
    kind = np.concatenate(
        [data.ev_type[ev], np.full(len(created), CREATED), np.full(len(p_lead), PROBE)]
    ).astype(np.int64)
    tie = np.select([kind == PROBE, kind == CREATED], [0, 2], 1)
    order = np.lexsort((tie, t, lead))
    return lead[order], t[order], kind[order]


def _carry(x: np.ndarray, t: np.ndarray, rank: np.ndarray, factor: Callable) -> np.ndarray:
    """S[row] = S[previous row of the lead] * factor(gap) + x[row], rank by rank."""
    out = x.copy()
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2 if len(rank) else 1))
    for r in range(1, len(bounds) - 1):
        idx = order[bounds[r] : bounds[r + 1]]
        gap_days = (t[idx] - t[idx - 1]) / NS_PER_DAY
        out[idx] += out[idx - 1] * factor(gap_days)[:, None]
    return out


def _unique(items: list) -> list:
    """Items in order, each once (pydantic models compare by value but do not hash)."""
    return [x for i, x in enumerate(items) if x not in items[:i]]


def _decayed(
    x: np.ndarray, t: np.ndarray, rank: np.ndarray, decay: Decay | CriterionDecay
) -> np.ndarray:
    """Decayed counts per row: a carried product for half-life, a window sum for linear."""
    if decay.mode == "half_life":
        return _carry(x, t, rank, lambda gap: np.exp2(-gap / decay.half_life_days))
    out = x.copy()  # linear: weights clip at 0 one by one, so sum over earlier rows by lag
    per_day = decay.percent_per_30_days / 100.0 / 30.0
    for lag in range(1, int(rank.max()) + 1 if len(rank) else 1):
        idx = np.flatnonzero(rank >= lag)
        age_days = (t[idx] - t[idx - lag]) / NS_PER_DAY
        weight = np.clip(1.0 - per_day * age_days, 0.0, 1.0)
        if not weight.any():
            break
        out[idx] += x[idx - lag] * weight[:, None]
    return out


@dataclass(frozen=True)
class Handoffs:
    """First moment each lead reached the threshold (NEVER if it did not), and summaries."""

    at_ns: np.ndarray
    per_week: pd.DataFrame
    median_days: float
    handed_off: int
    win_rate: float


def simulate(data: Dataset, hits: Hits, model: ScoringModel, threshold: float) -> Handoffs:
    """Hand each lead to sales the first time its live score reaches `threshold`."""
    return handoffs(data, score_timeline(data, hits, model), threshold)


def handoffs(data: Dataset, line: Timeline, threshold: float) -> Handoffs:
    """First crossing of `threshold` per lead on a timeline (reuse it across thresholds)."""
    live = line.time_ns >= data.created_ns[line.lead]
    crossed = live & (line.score >= threshold)
    first = np.full(data.n_leads, NEVER, dtype=np.int64)
    rows = np.flatnonzero(crossed)
    leads, at = np.unique(line.lead[rows], return_index=True)
    first[leads] = line.time_ns[rows[at]]
    return summarise(data, first)


def summarise(data: Dataset, at_ns: np.ndarray) -> Handoffs:
    """Hand-offs per week, median days from creation and win rate of handed-off leads."""
    done = at_ns != NEVER
    week_ns = 7 * NS_PER_DAY
    start = data.created_ns.min() if data.n_leads else 0
    counts = np.zeros(0, dtype=np.int64)
    if done.any():  # one bin per week from the first lead to the last lead or hand-off
        last = max(data.created_ns.max(), at_ns[done].max())
        counts = np.bincount(
            (at_ns[done] - start) // week_ns, minlength=(last - start) // week_ns + 1
        )
    weeks = pd.to_datetime(start + np.arange(len(counts)) * week_ns)
    days = (at_ns[done] - data.created_ns[done]) / NS_PER_DAY
    closed = done & (data.outcome != OPEN)
    won = done & (data.outcome == WON)
    return Handoffs(
        at_ns=at_ns,
        per_week=pd.DataFrame({"week": weeks, "handoffs": counts}),
        median_days=float(np.median(days)) if len(days) else float("nan"),
        handed_off=int(done.sum()),
        win_rate=float(won.sum() / closed.sum()) if closed.any() else float("nan"),
    )
