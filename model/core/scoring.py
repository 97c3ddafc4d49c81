"""Stage 2: hits x points -> fit, engagement, score, band; per-lead explanation.

Only points, caps, the floor and band thresholds are read here, so an edit of any of them
re-runs this cheap stage and never the hit matrix. Band tables and histograms come from
one 101-bin count per outcome (band thresholds are whole numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from model.core.hits import Hits, workers
from model.core.spec import ScoringModel

N_BINS = 101
_CHUNKS = 2  # one per worker: every lead costs the same here


@dataclass(frozen=True, eq=False)
class Scores:
    """Per-lead fit, engagement and score (0-100), and band index (0 = highest band)."""

    fit: np.ndarray
    engagement: np.ndarray
    score: np.ndarray
    band: np.ndarray

    def band_names(self, model: ScoringModel) -> np.ndarray:
        return np.array([b.name for b in model.bands], dtype=object)[self.band]


def score(hits: Hits, model: ScoringModel) -> Scores:
    """Apply points, caps, decay floor, clipping and banding to a hit matrix."""
    _check_same_rules(hits, model)
    fit_pts, eng_pts = points_by_group(model)
    ev = list(hits.event_criteria)
    fit_ev, eng_ev = fit_pts[ev], eng_pts[ev]
    floor = model.decays and bool(ev)
    event_fit = bool(fit_ev.any())
    offsets, fit_table, eng_table = _code_tables(hits, fit_pts, eng_pts)
    thresholds = _thresholds(model)
    n = hits.n_leads
    fit, engagement, total = np.empty(n), np.empty(n), np.empty(n)
    band = np.empty(n, dtype=np.int8)
    cuts = np.linspace(0, n, _CHUNKS + 1).astype(np.intp)

    def chunk(c: int) -> None:
        _finish(
            cuts[c],
            cuts[c + 1],
            hits.codes,
            offsets,
            fit_table,
            eng_table,
            hits.counts,
            hits.raw_counts,
            fit_ev,
            eng_ev,
            *_limits(model),
            floor,
            event_fit,
            thresholds,
            float(model.baseline),
            fit,
            engagement,
            total,
            band,
        )

    list(workers(n).map(chunk, range(_CHUNKS)))
    return Scores(fit, engagement, total, band)


def _code_tables(
    hits: Hits, fit_pts: np.ndarray, eng_pts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every code word's points tables, end to end, and where each word's table starts."""
    members = [list(m) for m in hits.code_criteria]
    fit = [_code_table(fit_pts[m]) for m in members] or [np.zeros(1)]
    eng = [_code_table(eng_pts[m]) for m in members] or [np.zeros(1)]
    offsets = np.cumsum([0] + [len(t) for t in fit[:-1]]).astype(np.intp)
    return offsets, np.concatenate(fit), np.concatenate(eng)


@numba.njit(nogil=True, cache=True)
def _finish(
    lo,
    hi,
    codes,
    offsets,
    fit_table,
    eng_table,
    counts,
    raw,
    fit_ev,
    eng_ev,
    fit_cap,
    eng_cap,
    floor_cap,
    floor,
    event_fit,
    thresholds,
    baseline,
    fit,
    engagement,
    total,
    band,
):  # pragma: no cover
    """Per lead lo..hi, in one pass over its row of counts: attribute points by code lookup,
    event points (criteria in model order), caps, decay floor, clipping and band. One
    pass reads the counts once; matrix-vector products and a dozen whole-array steps
    read and wrote every lead many times."""
    for i in range(lo, hi):
        f = 0.0
        attr = 0.0
        for w in range(codes.shape[0]):
            k = offsets[w] + codes[w, i]
            f += fit_table[k]
            attr += eng_table[k]
        decayed = 0.0
        for j in range(len(eng_ev)):
            decayed += counts[i, j] * eng_ev[j]
        if event_fit:
            event_points = 0.0
            for j in range(len(fit_ev)):
                event_points += raw[i, j] * fit_ev[j]
            f += event_points
        undecayed = 0.0
        if floor:
            for j in range(len(eng_ev)):
                undecayed += raw[i, j] * eng_ev[j]
        f, e, s = lead_score(
            f, decayed + attr, undecayed + attr, fit_cap, eng_cap, floor_cap, floor, baseline
        )
        fit[i], engagement[i], total[i], band[i] = f, e, s, _band(s, thresholds)


@numba.njit(nogil=True, cache=True)
def lead_score(fit, decayed, undecayed, fit_cap, eng_cap, floor_cap, floor, baseline):
    """The score formula, the one place it is written (the SQL export says it again in SQL,
    proven equal by the tests): engagement capped, then held up by the decay floor unless
    its undecayed points were lower; fit capped; baseline + fit + engagement clipped to
    0-100 (NaN falls to 0, so bins and bands stay in range)."""  # pragma: no cover
    e = min(decayed, eng_cap)
    if floor:
        e = max(e, min(undecayed, floor_cap))
    f = min(fit, fit_cap)
    s = baseline + f + e
    return f, e, (min(s, 100.0) if s >= 0.0 else 0.0)


@numba.njit(nogil=True, cache=True)
def _band(s, thresholds):  # pragma: no cover
    """Band index of one score: how many band thresholds (highest first) lie above it."""
    b = 0
    for low in thresholds:
        b += s < low
    return b


def attribute_points(hits: Hits, model: ScoringModel) -> tuple[np.ndarray, np.ndarray]:
    """Per-lead points of the attribute criteria, fit and engagement, before any cap."""
    _check_same_rules(hits, model)
    offsets, fit_table, eng_table = _code_tables(hits, *points_by_group(model))
    index = hits.codes + offsets[:, None]
    return fit_table[index].sum(axis=0), eng_table[index].sum(axis=0)


def band_index(score: np.ndarray, model: ScoringModel) -> np.ndarray:
    """Index of each score's band in `model.bands` (highest first); boundaries inclusive."""
    score = np.asarray(score, dtype=np.float64)
    band = np.empty(score.shape, dtype=np.int8)
    _bands(score.ravel(), _thresholds(model), band.ravel())
    return band


def formula(model: ScoringModel) -> tuple[float, float, float, bool, float]:
    """What `lead_score` takes besides a lead's points: the fit and engagement caps, the
    floor's cap, whether the floor applies, and the baseline."""
    return (*_limits(model), model.decays, float(model.baseline))


def _limits(model: ScoringModel) -> tuple[float, float, float]:
    """The fit cap, the engagement cap and what the decay floor holds engagement up to."""
    return (
        float(model.caps.fit),
        float(model.caps.engagement),
        float(min(model.caps.engagement, model.floor)),
    )


def _thresholds(model: ScoringModel) -> np.ndarray:
    """Every band's lowest score but the last band's, highest first."""
    return np.array([b.min_score for b in model.bands[:-1]], dtype=np.float64)


@numba.njit(nogil=True, cache=True)
def _bands(score, thresholds, out):  # pragma: no cover
    for i in range(len(score)):
        out[i] = _band(score[i], thresholds)


def _check_same_rules(hits: Hits, model: ScoringModel) -> None:
    if hits.rules_key != model.rules_key():
        raise ValueError("the hit matrix was built for other rules or decay; rebuild it")


def points_by_group(model: ScoringModel) -> tuple[np.ndarray, np.ndarray]:
    """Points per criterion split into fit and engagement (0 where the other group)."""
    points = np.array([c.points for c in model.criteria], dtype=np.float64)
    is_fit = np.array([c.group == "fit" for c in model.criteria], dtype=bool)
    return np.where(is_fit, points, 0.0), np.where(is_fit, 0.0, points)


def _code_table(points: np.ndarray) -> np.ndarray:
    """Points of every bit pattern of len(points) criteria: table[p] = sum of points[j]
    over the bits j set in p, built by doubling (2**n additions, no bit matrix)."""
    table = np.zeros(1 << len(points))
    for j, p in enumerate(points):
        table[1 << j : 2 << j] = table[: 1 << j] + p
    return table


# --------------------------------------------------------------------------- explanation


@dataclass(frozen=True)
class Explanation:
    """Why one lead has its score: criteria that fired, then caps, floor and clipping.

    `steps` is a list of (label, points) whose sum is exactly the score.
    """

    lead_index: int
    criteria: pd.DataFrame
    steps: list[tuple[str, float]]
    fit: float
    engagement: float
    score: float
    band: str


def explain(
    hits: Hits, model: ScoringModel, lead_index: int, scores: Scores | None = None
) -> Explanation:
    """Every criterion that fired for one lead, its raw and decayed points, and the adjustments.

    Pass the bulk `scores` of the same hits and model to skip re-scoring; the explanation
    then ends at exactly the score the lead has everywhere else.
    """
    _check_same_rules(hits, model)
    i = lead_index
    rows = []
    for k, c in enumerate(model.criteria):
        if c.on_events:
            j = hits.event_criteria.index(k)
            raw_n, dec_n = float(hits.raw_counts[i, j]), float(hits.counts[i, j])
        else:
            raw_n = dec_n = float(hits.fired(k, i))
        if raw_n == 0 and dec_n == 0:
            continue
        decays = c.on_events and c.group == "engagement"
        rows.append(
            {
                "criterion": c.id,
                "label": c.label,
                "group": c.group,
                "count": raw_n,
                "raw_points": c.points * raw_n,
                "points": c.points * (dec_n if decays else raw_n),
            }
        )
    table = pd.DataFrame(
        rows, columns=["criterion", "label", "group", "count", "raw_points", "points"]
    )
    s = scores if scores is not None else score(hits, model)
    fit_sum = float(table.loc[table["group"] == "fit", "points"].sum())
    eng_sum = float(table.loc[table["group"] == "engagement", "points"].sum())
    fit, eng, total = float(s.fit[i]), float(s.engagement[i]), float(s.score[i])
    eng_capped = min(eng_sum, model.caps.engagement)
    steps = [("Baseline", float(model.baseline))] if model.baseline else []
    steps += [(f"{r.label}", float(r.points)) for r in table.itertuples()]
    adjustments = [
        ("Fit cap", fit - fit_sum),
        ("Engagement cap", eng_capped - eng_sum),
        ("Decay floor", eng - eng_capped),
        ("Clipped to 0–100", total - (model.baseline + fit + eng)),
    ]
    steps += [(name, value) for name, value in adjustments if abs(value) > 1e-12]
    band = model.bands[int(s.band[i])].name
    return Explanation(i, table, steps, fit, eng, total, band)


# --------------------------------------------------------------------------- summaries


def score_bins(
    score: np.ndarray, outcome: np.ndarray, won_value: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Lead counts (3 outcomes x 101 whole-score bins) and won value per bin.

    `won_value` is each lead's value when won and 0 otherwise (`Dataset.won_value`); data
    without a value column has no revenue to sum, so its value per bin is NaN (shown as
    '–'), never $0.
    """
    counts = np.zeros((3, N_BINS), dtype=np.int64)
    value = np.zeros(N_BINS)
    has_value = won_value is not None
    _count_bins(score, outcome, won_value if has_value else value, has_value, counts, value)
    return counts, value if has_value else np.full(N_BINS, np.nan)


@numba.njit(nogil=True, cache=True)
def _count_bins(score, outcome, won_value, has_value, counts, value):  # pragma: no cover
    """One pass; scores are 0-100, so truncation is the floor. Two bincounts needed four
    whole-array temporaries first."""
    for i in range(len(score)):
        b = int(min(max(score[i], 0.0), 100.0)) if score[i] == score[i] else 0
        counts[outcome[i], b] += 1
        if has_value:
            value[b] += won_value[i]


def scored_frame(lead_ids: np.ndarray, scores: Scores, model: ScoringModel) -> pd.DataFrame:
    """The per-lead output table: lead_id, fit, engagement, score, band."""
    return pd.DataFrame(
        {
            "lead_id": lead_ids,
            "fit": scores.fit,
            "engagement": scores.engagement,
            "score": scores.score,
            "band": scores.band_names(model),
        }
    )
