"""Let the data speak: points the history suggests, leakage flags, and a boosted ceiling.

Suggested points come from an L2-regularised logistic regression of won-vs-lost on the hit
matrix (closed leads, as of their decision moment), put on the model's own scale: one
point is worth what a point of the current score is worth in log-odds. Criteria with too
few hits keep their points and are marked; criteria flagged as leaking are left out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from model.features import AsOf, Dataset, Hits, build_hits
from model.replay import OPEN, WON, auc, criterion_evidence
from model.scoring import score
from model.spec import ScoringModel, parse_model

MIN_HITS = 30
# Separating "almost perfectly": a level whose closed leads nearly all won (and that holds
# a real share of them), or a big level whose leads nearly all lost. Student (5 % of
# leads, 0.5 % won) is an honest negative criterion, not a leak; "stage = New" for every
# lost lead while won leads say "Closed Won" is a leak.
LEAK_HIGH, LEAK_HIGH_SHARE = 0.95, 0.01
LEAK_LOW, LEAK_LOW_SHARE = 0.02, 0.20
RESERVED = frozenset({"lead_id", "created_at", "outcome", "closed_at", "value"})


@dataclass(frozen=True)
class Suggestion:
    """Suggested points beside the current ones, and the out-of-fold AUC of both."""

    table: pd.DataFrame
    model: ScoringModel
    auc_current: float
    auc_suggested: float
    scale: float


def features(hits: Hits, model: ScoringModel) -> np.ndarray:
    """Per lead and criterion what the points multiply: 1/0 for attribute rules, the
    decayed, capped count for event rules."""
    x = np.empty((hits.n_leads, len(model.criteria)))
    for k in range(len(model.criteria)):
        if k in hits.event_criteria:
            x[:, k] = hits.counts[:, hits.event_criteria.index(k)]
        else:
            x[:, k] = hits.fired(k)
    return x


def leakage(data: Dataset, hits: Hits, model: ScoringModel) -> pd.DataFrame:
    """Criteria and attribute levels that separate outcomes almost perfectly while covering
    a good share of closed leads: probably recorded after the outcome."""
    closed = data.outcome != OPEN
    won = data.outcome == WON
    rows = [
        _level("criterion", c.id, c.label, hits.fired(k), closed, won)
        for k, c in enumerate(model.criteria)
    ]
    for name in data.attributes:
        if name not in RESERVED:
            rows.extend(_level("attribute", name, text, mask, closed, won)
                        for text, mask in _levels(data, name))  # fmt: skip
    frame = pd.DataFrame(rows, columns=["kind", "name", "level", "closed_leads", "share",
                                        "win_rate"])  # nothing to judge: no rows  # fmt: skip
    flagged = ((frame["win_rate"] >= LEAK_HIGH) & (frame["share"] >= LEAK_HIGH_SHARE)) | (
        (frame["win_rate"] <= LEAK_LOW) & (frame["share"] >= LEAK_LOW_SHARE)
    )
    return frame[flagged].sort_values("share", ascending=False).reset_index(drop=True)


def leak_lines(flags: pd.DataFrame) -> list[str]:
    """One sentence per flagged criterion or attribute, its levels with their win rates."""
    lines = []
    for (kind, name), rows in flags.groupby(["kind", "name"], sort=False):
        levels = "; ".join(f"{r.level}: {100 * r.win_rate:.0f} % of {r.closed_leads:,} won"
                           for r in rows.itertuples())  # fmt: skip
        lines.append(f"{kind} '{name}' separates outcomes almost perfectly ({levels}). "
                     "Recorded after the outcome?")  # fmt: skip
    return lines


def _level(kind: str, name: str, level: str, mask: np.ndarray, closed, won) -> dict:
    hit = int(np.count_nonzero(mask & closed))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.count_nonzero(mask & won) / hit if hit else np.nan
    return {"kind": kind, "name": name, "level": level, "closed_leads": hit,
            "share": hit / max(int(closed.sum()), 1), "win_rate": rate}  # fmt: skip


def _levels(data: Dataset, name: str, *, most: int = 30):
    """(level text, mask) for one attribute: its commonest values, or deciles of numbers."""
    col = data.column(name)
    if col.kind == "text":
        counts = np.bincount(col.values, minlength=len(col.categories) + 1)
        for code in np.argsort(-counts)[:most]:
            if counts[code]:
                text = "missing" if code == len(col.categories) else f"= {col.categories[code]}"
                yield text, col.values == code
    elif col.kind == "bool":
        yield "is true", col.values & ~col.missing
        yield "is false", ~col.values & ~col.missing
    else:
        x = col.values.astype(np.float64)
        known = ~col.missing
        if known.any():
            edges = np.unique(np.quantile(x[known], np.linspace(0, 1, 11)))
            for low, high in itertools.pairwise(edges):
                yield f"{low:g}–{high:g}", known & (x >= low) & (x <= high)
    if col.kind != "text" and col.missing.any():
        yield "missing", col.missing


def suggest(
    data: Dataset,
    hits: Hits,
    model: ScoringModel,
    *,
    keep: frozenset[str] = frozenset(),
    folds: int = 5,
    seed: int = 0,
    min_hits: int = MIN_HITS,
) -> Suggestion:
    """Suggested integer points for every criterion, and the out-of-fold AUC of the
    current and the suggested points on closed leads. Leaking criteria get no points
    unless their id is in `keep`."""
    closed = np.flatnonzero(data.outcome != OPEN)
    won = data.outcome[closed] == WON
    need_closed(won, folds, "suggested points")
    x = features(hits, model)[closed]
    leaks = set(leakage(data, hits, model).query("kind == 'criterion'")["name"]) - keep
    current = score(hits, model).score[closed]
    oof = np.empty(len(closed))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, won):
        points, _, _ = _points(x[train], won[train], current[train], model, leaks, min_hits)
        fold_model = _with_points(model, points)
        oof[test] = score(hits, fold_model).score[closed[test]]
    points, status, scale = _points(x, won, current, model, leaks, min_hits)
    evidence = criterion_evidence(hits, model, data.outcome).set_index("criterion")
    table = pd.DataFrame(
        {
            "criterion": [c.id for c in model.criteria],
            "label": [c.label for c in model.criteria],
            "group": [c.group for c in model.criteria],
            "current": [c.points for c in model.criteria],
            "suggested": points,
            "status": status,
        }
    ).join(evidence[["hit", "win_rate_hit", "win_rate_not"]], on="criterion")
    return Suggestion(
        table=table,
        model=_with_points(model, points),
        auc_current=auc(current, data.outcome[closed]),
        auc_suggested=auc(oof, data.outcome[closed]),
        scale=scale,
    )


class SuggestError(ValueError):
    """Too little history to suggest points or a ceiling; the message says what is missing."""


def need_closed(won: np.ndarray, folds: int, what: str) -> None:
    """Refuse, in words, history too small for `folds`-fold evaluation of `what`."""
    n_won, n_lost = int(won.sum()), int(len(won) - won.sum())
    if min(n_won, n_lost) < folds:
        raise SuggestError(f"{what} need at least {folds} won and {folds} lost closed leads; "
                           f"this data has {n_won} won and {n_lost} lost")  # fmt: skip


def _points(x, won, current, model, leaks, min_hits):
    """Integer points from a logistic fit, on the current score's log-odds scale."""
    enough = np.count_nonzero(x > 0, axis=0) >= min_hits
    leaking = np.array([c.id in leaks for c in model.criteria], dtype=bool)
    usable = enough & ~leaking
    beta = np.zeros(x.shape[1])
    if usable.any() and len(np.unique(won)) == 2:
        beta[usable] = LogisticRegression(C=1.0, max_iter=2000).fit(x[:, usable], won).coef_[0]
    slope = 0.0
    if np.ptp(current) > 0 and len(np.unique(won)) == 2:
        slope = (
            LogisticRegression(C=1e4, max_iter=1000).fit(current[:, None] / 100, won).coef_[0, 0]
        )
    if slope > 1e-6:
        scale = 100 / slope  # log-odds -> points: the current model's exchange rate
    else:  # the current points carry no signal (e.g. a starter model): top lead ~ 100
        top = float(np.maximum(beta * x.max(axis=0), 0).sum())
        scale = 100 / top if top > 0 else 0.0
    current_points = np.array([c.points for c in model.criteria])
    points = np.where(usable, np.round(beta * scale), current_points)
    points = np.where(leaking, 0.0, points) + 0.0  # + 0.0: no "-0" points
    status = np.where(
        leaking,
        "left out: recorded after the outcome?",
        np.where(enough, "suggested", f"too few hits (< {min_hits}): kept"),
    )
    return points, status, scale


def _with_points(model: ScoringModel, points: np.ndarray) -> ScoringModel:
    data = model.to_dict()
    for c, p in zip(data["criteria"], points, strict=True):
        c["points"] = float(p)
    return parse_model(data)


def ceiling_auc(
    data: Dataset,
    as_of: AsOf,
    *,
    exclude: frozenset[str] = frozenset(),
    folds: int = 5,
    seed: int = 0,
) -> float:
    """Out-of-fold AUC of a gradient-boosted classifier on the raw lead attributes and
    per-type event counts (as of the decision moment): what no points model can beat by
    much, the reference an explainable model is measured against. Attributes in `exclude`
    (the ones flagged as leaking) are left out, or the ceiling would be the leak's."""
    closed = np.flatnonzero(data.outcome != OPEN)
    won = data.outcome[closed] == WON
    need_closed(won, folds, "the boosted ceiling")
    frame = _raw_features(data, as_of).drop(columns=list(exclude), errors="ignore").iloc[closed]
    if frame.shape[1] == 0:
        return float("nan")  # nothing to learn from: no ceiling to show
    booster = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, categorical_features="from_dtype", random_state=seed
    )
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    p = cross_val_predict(booster, frame, won, cv=cv, method="predict_proba")[:, 1]
    return auc(p, data.outcome[closed])


def _categories(codes: np.ndarray, missing: np.ndarray, *, most: int = 250) -> pd.Categorical:
    """Text codes as a categorical the booster takes: the `most` commonest levels, the
    rest pooled into one 'other' level, missing as missing."""
    counts = np.bincount(codes[~missing], minlength=int(codes.max()) + 1)
    rank = np.empty(len(counts), dtype=np.intp)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    recoded = np.where(missing, -1, np.minimum(rank[codes], most))
    return pd.Categorical.from_codes(recoded, categories=range(min(len(counts), most + 1)))


def _raw_features(data: Dataset, as_of: AsOf) -> pd.DataFrame:
    """Attributes (numbers as numbers, text as categories, dates as days) and event counts."""
    out = {}
    for name in data.attributes:
        if name in RESERVED:
            continue
        col = data.column(name)
        if col.kind == "text":
            out[name] = _categories(col.values, col.missing)
        elif col.kind == "date":
            out[name] = np.where(col.missing, np.nan, col.values / 86_400e9)
        else:
            out[name] = np.where(col.missing, np.nan, col.values.astype(np.float64))
    if data.event_types:
        counting = parse_model(
            {
                "criteria": [
                    {
                        "id": f"e{i}",
                        "label": t,
                        "group": "engagement",
                        "points": 0,
                        "rule": {"events": [t], "op": "count"},
                    }
                    for i, t in enumerate(data.event_types)
                ],
                "bands": [{"name": "all", "min_score": 0, "sales_ready": True}],
            }
        )
        counts = build_hits(data, counting, as_of).raw_counts
        for i, t in enumerate(data.event_types):
            out[f"events: {t}"] = counts[:, i]
    return pd.DataFrame(out)
