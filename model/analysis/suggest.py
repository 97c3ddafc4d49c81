"""Let the data speak: a suggested model, leakage flags per column, and a boosted ceiling.

The suggestion is a scorecard. Each usable attribute is cut into bins without looking at
outcomes (levels, or ranges of about a tenth of the leads), then the bins are grouped on
the training leads: number ranges made monotone unless the evidence against is strong,
and neighbours whose win rates sit within each other's 95 % intervals merged. A logistic
regression (regularisation chosen by inner cross-validation) weighs each column's groups
and the model's event criteria; its coefficients become whole points and its intercept a
baseline, scaled so that the data's scores span 0-100. Columns recorded at or after the
outcome are left out whole. It is evaluated in time order when dates exist, on random
folds beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.analysis import backtest
from model.analysis.backtest import NOISE
from model.analysis.stats import auc, auc_of_groups, wilson
from model.core.dataset import OPEN, RESERVED, WON, AsOf, Dataset
from model.core.hits import Hits, build_hits
from model.core.kinds import ID_BY_NAME, category_codes, excluded_columns, slug, unique_ids
from model.core.scoring import band_index, score
from model.core.spec import ScoringModel, parse_model

MIN_HITS = 30  # closed leads a level or range needs to earn points of its own
PRIOR = 20  # pseudo-leads at the average win rate in every group's rate: small groups shrink
# Evidence a range's turn needs to stay (p < 0.001): scipy.stats.chi2.ppf(0.999, 1), written
# out so that every page (which imports this module for its leak warnings) starts without
# SciPy; scikit-learn is imported where a fit runs, for the same reason.
TURN = 10.827566170662733
BINS = 10  # a number column is first cut into tenths of its leads
MOST_LEVELS = 40  # text levels with their own points; rarer ones share one group
MAX_RARE = 2000  # rare levels a rule may list; past that they earn the baseline
CLIP_SHARE = 0.01  # leads allowed at either clip (0 and 100) when scaling
SALES_READY_LIFT = 2.0  # proposed sales-ready line: the top share winning >= 2x the average
MIN_SALES_READY = 0.05  # ... holding at least 5 % of leads
# Leakage, per column: a level that separates outcomes almost perfectly (nearly all won
# and at least 1 % of closed leads, or nearly all lost and at least 20 %), small levels
# that are all won, a column that alone ranks closed leads nearly perfectly, a name that
# says it was recorded at or after the outcome, or dates after the decision moment.
LEAK_HIGH, LEAK_HIGH_SHARE = 0.95, 0.01
LEAK_LOW, LEAK_LOW_SHARE = 0.02, 0.20
LEAK_ALL_WON_LOG = np.log(1e-6)  # all-won levels this unlikely by chance at the average rate
LEAK_AUC = 0.85
LEAK_NAME = re.compile(
    r"(?i)(?<![a-z])(closed?|closing|converted|conversion|won|lost|became|customer since|"
    r"lifecycle|stage|status|outcome|result|quality|rating|probability|disqualified|"
    r"reason|sales[ _]?cycle|(?:deal|opportunity)[ _]?(?:value|amount|size|owner))(?![a-z])"
)
CEILING_FIT_MOST = 40_000  # leads the boosted ceiling trains on per fit (a sample past it)


# --------------------------------------------------------------------------- binning


@dataclass(frozen=True)
class Binned:
    """One attribute cut into bins without looking at outcomes."""

    name: str
    codes: np.ndarray  # per lead: its bin
    labels: tuple[str, ...]
    rules: tuple[dict | None, ...]  # per bin: its rule (None: rare levels pooled)
    ordered: bool  # number ranges, neighbours in value order
    missing: int | None  # the bin of blank values, if any
    starts: tuple[float, ...] = ()  # ranges: where each starts
    whole: bool = False  # ranges of whole numbers ("30 to 39", not "30 to under 40")

    def range_label(self, first: int, last: int) -> str:
        """Label of the ranges first..last together, in the column's own units."""
        low = self.starts[first] if first else None
        high = self.starts[last + 1] if last + 1 < len(self.starts) else None
        return _range_label(low, high, self.whole)


def bin_column(data: Dataset, name: str, closed: np.ndarray) -> Binned | None:
    """Levels of a text, true/false or code column, ranges of a number column; None for
    columns with one bin and for dates: their "days since" ranges (in the starter model)
    leave the leads whose date came after the decision moment in no bin, which a scorecard
    cannot weigh."""
    col = data.column(name)
    if col.kind == "date":
        return None
    if col.kind == "text":
        binned = _text_bins(name, col, closed)
    elif col.kind == "bool":
        values = np.where(col.missing, 2, col.values.astype(np.intp))
        binned = _level_bins(
            name,
            values,
            [1, 0],
            ["is true", "is false"],
            [{"op": "is_true"}, {"op": "equals", "value": False}],
        )
    else:
        known = col.values[~col.missing & closed]
        if known.size and category_codes(name, pd.Series(known)):
            binned = _code_bins(name, col, closed)
        else:
            binned = _range_bins(name, col, closed)
    return binned if binned is not None and len(binned.labels) > 1 else None


def _text_bins(name: str, col, closed: np.ndarray) -> Binned:
    n_cat = len(col.categories)
    counts = np.bincount(col.values[closed], minlength=n_cat + 1)[:n_cat]
    top = [c for c in np.argsort(-counts, kind="stable")[:MOST_LEVELS] if counts[c] >= MIN_HITS]
    labels = [f"= {col.categories[c]}" for c in top]
    rules = [{"op": "equals", "value": str(col.categories[c])} for c in top]
    lookup = np.full(n_cat + 1, len(top), dtype=np.intp)
    lookup[top] = np.arange(len(top))
    if len(top) < n_cat:  # the rare levels are listed only when few (a company name has 1M)
        labels.append("is another level")
        rules.append(_rare_rule(col.categories, top) if n_cat - len(top) <= MAX_RARE else None)
    lookup[n_cat] = len(labels)
    missing = None
    if col.missing.any():
        missing = len(labels)
        labels.append("is blank")
        rules.append({"op": "is_missing"})
    return Binned(name, lookup[col.values], tuple(labels), tuple(rules), False, missing)


def _rare_rule(categories, top: list) -> dict:
    """The rule for every level but the `top` ones, by name."""
    kept = set(top)
    return {
        "op": "in",
        "values": sorted({str(c) for i, c in enumerate(categories) if i not in kept}),
    }


def _level_bins(name, values, levels, labels, rules) -> Binned:
    """Bins from given level values; a last bin for the rest (missing)."""
    codes = np.full(len(values), len(levels), dtype=np.intp)
    for i, v in enumerate(levels):
        codes[values == v] = i
    labels, rules = list(labels), list(rules)
    missing = None
    if (codes == len(levels)).any():
        missing = len(labels)
        labels.append("is blank")
        rules.append({"op": "is_missing"})
    return Binned(name, codes, tuple(labels), tuple(rules), False, missing)


def _code_bins(name: str, col, closed: np.ndarray) -> Binned:
    """Integer codes of categories (browser 2, region 7): levels, never ranges."""
    levels, counts = np.unique(col.values[closed & ~col.missing], return_counts=True)
    common, rare = levels[counts >= MIN_HITS], levels[counts < MIN_HITS]
    labels = [f"= {v:g}" for v in common]
    rules: list[dict | None] = [{"op": "equals", "value": _plain(v)} for v in common]
    codes = np.full(len(col.values), len(common), dtype=np.intp)  # unseen codes: "another"
    for i, v in enumerate(common):
        codes[col.values == v] = i
    if rare.size or (~col.missing & (codes == len(common))).any():
        labels.append("is another code")
        rules.append({"op": "in", "values": [_plain(v) for v in rare]} if rare.size else None)
    missing = None
    if col.missing.any():
        missing = len(labels)
        codes[col.missing] = missing
        labels.append("is blank")
        rules.append({"op": "is_missing"})
    return Binned(name, codes, tuple(labels), tuple(rules), False, missing)


def _range_bins(name: str, col, closed: np.ndarray) -> Binned | None:
    """Ranges of about a tenth of the closed leads each; a value held by many leads
    (pdays = 999, 0 visits) stays one range of its own."""
    known = ~col.missing
    values, counts = np.unique(col.values[known & closed], return_counts=True)
    if len(values) < 2:
        return None
    target = max(counts.sum() / BINS, MIN_HITS)
    before = np.cumsum(counts) - counts
    bin_of = np.floor(before / target).astype(np.intp)
    big = counts >= target  # a value this common is a range of its own
    new = np.r_[True, (bin_of[1:] != bin_of[:-1]) | big[1:] | big[:-1]]
    starts = _enough_per_range(values, counts, values[new])
    codes = np.searchsorted(starts, col.values, side="right") - 1
    codes = np.clip(codes, 0, len(starts) - 1)
    whole = bool(np.all(np.mod(values, 1) == 0))
    labels, rules = [], []
    for i, low in enumerate(starts):
        high = starts[i + 1] if i + 1 < len(starts) else None
        labels.append(_range_label(low if i else None, high, whole))
        rule: dict = {"op": "between"}
        if i:
            rule["low"] = float(low)
        if high is not None:
            rule["high"] = float(np.nextafter(high, -np.inf))
        rules.append(rule)
    missing = None
    if col.missing.any():
        missing = len(labels)
        codes = np.where(col.missing, missing, codes)
        labels.append("is blank")
        rules.append({"op": "is_missing"})
    return Binned(
        name,
        codes.astype(np.intp),
        tuple(labels),
        tuple(rules),
        True,
        missing,
        tuple(float(s) for s in starts),
        whole,
    )


def _enough_per_range(values, counts, starts: np.ndarray) -> np.ndarray:
    """Range starts with at least MIN_HITS closed leads in every range: a range left small
    beside a common value (19 leads under a score of 10 held by 40) joins its smaller
    neighbour."""
    starts = list(starts)
    while len(starts) > 1:
        held = np.bincount(
            np.searchsorted(starts, values, side="right") - 1, weights=counts, minlength=len(starts)
        )
        small = int(np.argmin(held))
        if held[small] >= MIN_HITS:
            break
        if small == 0 or (small < len(starts) - 1 and held[small + 1] < held[small - 1]):
            del starts[small + 1]  # joins the range after it
        else:
            del starts[small]  # joins the range before it
    return np.asarray(starts)


def _range_label(low, high, whole: bool) -> str:
    """'30 to 39' for whole numbers, 'under 1.5' / '1.5 or more' / '1.5 to under 3'
    otherwise: in the column's own units, as a person says it."""
    if whole and high is not None:
        top = _number(high - 1)
        if low is None:
            return f"up to {top}"
        return f"= {_number(low)}" if high - 1 == low else f"{_number(low)} to {top}"
    if low is None and high is None:
        return "any value"
    if low is None:
        return f"under {_number(high)}"
    if high is None:
        return f"{_number(low)} or more"
    return f"{_number(low)} to under {_number(high)}"


def _number(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _plain(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


# --------------------------------------------------------------------------- grouping


def _alike(n1, w1, n2, w2) -> bool:
    """One rate inside the other's interval: no evidence the two differ (a plain two-sample
    test would merge more; requiring both inside would split equal levels one time in
    six)."""
    (lo1, hi1), (lo2, hi2) = wilson(w1, n1), wilson(w2, n2)
    p1, p2 = w1 / max(n1, 1e-9), w2 / max(n2, 1e-9)
    return bool(lo2 <= p1 <= hi2 or lo1 <= p2 <= hi1)


def _merge_neighbours(blocks: list[list[int]], n: np.ndarray, w: np.ndarray) -> list[list[int]]:
    """Merge neighbouring blocks alike in win rate, the most alike first."""
    blocks = [list(b) for b in blocks]
    while len(blocks) > 1:
        sizes = [(n[b].sum(), w[b].sum()) for b in blocks]
        gaps = []
        for i in range(len(blocks) - 1):
            (n1, w1), (n2, w2) = sizes[i], sizes[i + 1]
            if _alike(n1, w1, n2, w2):
                gaps.append((abs(w1 / max(n1, 1) - w2 / max(n2, 1)), i))
        if not gaps:
            break
        _, i = min(gaps)
        blocks[i : i + 2] = [blocks[i] + blocks[i + 1]]
    return blocks


def _monotone(bins: list[int], n: np.ndarray, w: np.ndarray) -> list[list[int]]:
    """Ranges pooled into a monotone run (pool adjacent violators, in the direction the
    rates lean), unless the turns are strong evidence (likelihood ratio, p < 0.001)."""
    if len(bins) < 3:
        return [[b] for b in bins]
    rate = w[bins] / np.maximum(n[bins], 1)
    x, weight = np.arange(len(bins)), n[bins]
    lean = np.sum(weight * (x - np.average(x, weights=weight)) * rate)
    sign = 1.0 if lean >= 0 else -1.0
    blocks: list[list[int]] = []
    for b in bins:
        blocks.append([b])
        while len(blocks) > 1:
            r = [w[blk].sum() / max(n[blk].sum(), 1) for blk in blocks[-2:]]
            if sign * (r[1] - r[0]) >= 0:
                break
            blocks[-2:] = [blocks[-2] + blocks[-1]]
    gain = _loglik(bins, n, w, [[b] for b in bins]) - _loglik(bins, n, w, blocks)
    if 2 * gain > TURN * max(len(bins) - len(blocks), 1):
        return [[b] for b in bins]
    return blocks


def _loglik(bins, n, w, blocks) -> float:
    total = 0.0
    for blk in blocks:
        nn, ww = n[blk].sum(), w[blk].sum()
        for k in (ww, nn - ww):
            if k > 0:
                total += k * np.log(k / nn)
    return total


def group_bins(b: Binned, n: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Group id per bin, from the training leads' counts per bin (n closed, w won)."""
    other = [i for i, r in enumerate(b.rules) if r is None]
    rest = [i for i in range(len(b.labels)) if i not in other and i != b.missing]
    rest = [i for i in rest if n[i] > 0]
    if b.ordered:
        blocks = _merge_neighbours(_monotone(rest, n, w), n, w)
    else:
        rate = (w + PRIOR * w.sum() / max(n.sum(), 1)) / (n + PRIOR)
        blocks = _merge_neighbours([[i] for i in sorted(rest, key=lambda i: rate[i])], n, w)
    if b.missing is not None and n[b.missing] > 0:
        blocks = _place_blank(blocks, b.missing, n, w)
    group = np.full(len(b.labels), -1, dtype=np.intp)
    for g, blk in enumerate(blocks):
        group[blk] = g
    return group


def _place_blank(blocks, missing: int, n, w) -> list[list[int]]:
    """Blanks join the group they are most alike, or stay a group of their own."""
    alike = [
        (abs(w[blk].sum() / max(n[blk].sum(), 1) - w[missing] / n[missing]), i)
        for i, blk in enumerate(blocks)
        if _alike(n[blk].sum(), w[blk].sum(), n[missing], w[missing])
    ]
    if not alike:
        return [*blocks, [missing]]
    blocks = [list(blk) for blk in blocks]
    blocks[min(alike)[1]].append(missing)
    return blocks


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class Scorecard:
    """A fitted scorecard: per column its bins' groups and each group's log-odds points
    (0 for the reference group), per event criterion its log-odds per count, and the
    constant every lead starts with."""

    columns: tuple[Binned, ...]
    groups: tuple[np.ndarray, ...]  # per column: group per bin
    weights: tuple[np.ndarray, ...]  # per column: log-odds per group (reference 0)
    reference: tuple[int, ...]  # per column: its reference group
    events: tuple[int, ...]  # criterion indexes in the current model
    event_weights: np.ndarray
    constant: float

    def log_odds(self, counts: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The unrounded linear score of leads `rows` (counts: event features of all leads)."""
        out = np.full(len(counts[rows]), self.constant)
        for b, g, wt in zip(self.columns, self.groups, self.weights, strict=True):
            out += wt[g[b.codes[rows]]]
        return out + counts[rows] @ self.event_weights


def fit_scorecard(
    columns: list[Binned],
    counts: np.ndarray,
    events: list[int],
    won_all: np.ndarray,
    train: np.ndarray,
    seed: int = 0,
) -> Scorecard:
    """Group each column's bins on the `train` leads (closed), weigh the groups and event
    counts by a logistic regression whose C is chosen by inner cross-validation, keeping
    only columns whose weight follows their evidence (a positive coefficient)."""
    won = won_all[train]
    p = won.mean()
    prepared = []
    for b in columns:
        n = np.bincount(b.codes[train], minlength=len(b.labels)).astype(float)
        w = np.bincount(b.codes[train], weights=won, minlength=len(b.labels))
        group = group_bins(b, n, w)
        if group.max() < 1:
            continue  # one group: nothing to tell leads apart
        ng = np.bincount(group[group >= 0], weights=n[group >= 0])
        wg = np.bincount(group[group >= 0], weights=w[group >= 0])
        woe = _logit((wg + PRIOR * p) / (ng + PRIOR)) - _logit(p)
        ref = _reference(b, group, ng)
        group = np.where(group < 0, ref, group)  # rare levels earn the baseline
        prepared.append((b, group, woe, ref))
    while True:
        x = np.column_stack([woe[g[b.codes[train]]] for b, g, woe, _ in prepared] + [counts[train]])
        coef, intercept = _logistic(x, won, seed)
        negative = [i for i in range(len(prepared)) if coef[i] < 0]
        if not negative:
            break
        prepared = [p_ for i, p_ in enumerate(prepared) if i not in negative]
    weights, refs, constant = [], [], intercept
    for (_, _g, woe, ref), c in zip(prepared, coef[: len(prepared)], strict=True):
        weights.append(c * (woe - woe[ref]))
        refs.append(ref)
        constant += c * woe[ref]
    return Scorecard(
        columns=tuple(b for b, *_ in prepared),
        groups=tuple(g for _, g, _, _ in prepared),
        weights=tuple(weights),
        reference=tuple(refs),
        events=tuple(events),
        event_weights=coef[len(prepared) :],
        constant=float(constant),
    )


def _logit(p):
    return np.log(p / (1 - p))


def _reference(b: Binned, group: np.ndarray, ng: np.ndarray) -> int:
    """The group worth 0 points: the biggest, except in a column whose levels all earn the
    same and only blanks differ, where blanks are (so it reads "is filled in")."""
    if b.missing is not None and len(ng) == 2 and np.count_nonzero(group == group[b.missing]) == 1:
        return int(group[b.missing])
    return int(np.argmax(ng))


CS = np.logspace(-3, 1, 5)


def _logistic(x: np.ndarray, won: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """Coefficients on x's own scale, fitted on standardised columns with C chosen by
    3-fold inner cross-validation on log loss."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    if x.shape[1] == 0:
        return np.zeros(0), float(_logit(np.clip(won.mean(), 1e-6, 1 - 1e-6)))
    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (x - mean) / sd
    if min(int(won.sum()), int(len(won) - won.sum())) >= 3:
        fit = LogisticRegressionCV(
            Cs=CS,
            cv=StratifiedKFold(3, shuffle=True, random_state=seed),
            scoring="neg_log_loss",
            max_iter=500,
            l1_ratios=(0.0,),
            use_legacy_attributes=False,
        ).fit(z, won)
    else:
        fit = LogisticRegression(max_iter=500).fit(z, won)
    coef = fit.coef_[0] / sd
    return coef, float(fit.intercept_[0] - coef @ mean)


# --------------------------------------------------------------------------- to a model


def to_model(card: Scorecard, base: ScoringModel, counts: np.ndarray) -> ScoringModel:
    """Whole points and a baseline, scaled so that the data's scores span 0-100 with about
    1 % of leads beyond either clip; caps lifted (the fit has none); the base model's event
    rules, decay and bands kept (bands are proposed separately)."""
    lo, hi = np.quantile(card.log_odds(counts), [CLIP_SHARE, 1 - CLIP_SHARE])
    scale = 100 / (hi - lo) if hi > lo else 0.0
    baseline = _baseline(card, scale, counts)
    for _ in range(20):  # rounding widened the span past 100: shrink the scale a little
        if baseline is not None:
            break
        scale *= 0.98
        baseline = _baseline(card, scale, counts)
    criteria = []
    groups = {c.rule.attribute: c.group for c in base.criteria if not c.on_events}
    for b, g, wt, ref in zip(card.columns, card.groups, card.weights, card.reference, strict=True):
        criteria.extend(_column_criteria(b, g, wt, ref, scale, groups.get(b.name, "fit")))
    for k, w in zip(card.events, card.event_weights, strict=True):
        c = base.criteria[k].model_dump(mode="json", exclude_none=True)
        c["points"] = float(np.round(w * scale)) + 0.0
        criteria.append(c)
    criteria = unique_ids([c for c in criteria if c["points"] != 0])
    data = base.model_dump(mode="json", exclude_none=True)
    data.update(
        criteria=criteria,
        baseline=baseline if baseline is not None else 0.0,
        caps={"fit": 100, "engagement": 100},
    )
    return parse_model(data)


def _baseline(card: Scorecard, scale: float, counts: np.ndarray) -> float | None:
    """Whole baseline points that put the rounded sums within 0-100 for all but about
    1 % of leads at either end; None when the rounded span is wider than 100."""
    sums = counts @ np.round(card.event_weights * scale)
    for b, g, wt in zip(card.columns, card.groups, card.weights, strict=True):
        sums += np.round(wt * scale)[g[b.codes]]
    low, high = np.quantile(sums, [CLIP_SHARE, 1 - CLIP_SHARE])
    least, most = np.ceil(-low), np.floor(100 - high)
    return float(least) + 0.0 if least <= most else None


def _column_criteria(b: Binned, group, weights, ref, scale, kind: str) -> list[dict]:
    """One criterion per group that is not the reference: its ranges or levels as one
    rule, blanks as a second rule of the same points."""
    out = []
    for g, w in enumerate(weights):
        points = float(np.round(w * scale)) + 0.0
        if g == ref or points == 0:
            continue
        members = [i for i in np.flatnonzero(group == g) if b.rules[i] is not None]
        blank = b.missing is not None and b.missing in members
        known = [i for i in members if i != b.missing]
        if known:
            out.append(_criterion(b, known, points, kind))
        if blank:
            out.append(_one(b.name, f"{b.name} is blank", {"op": "is_missing"}, points, kind))
    if len(weights) == 2 and b.missing is not None and group[b.missing] == ref and out:
        known_all = [i for i in range(len(b.labels)) if i != b.missing and b.rules[i] is not None]
        if {*known_all} <= {*np.flatnonzero(group != ref)}:  # every level alike: filled in
            return [
                _one(b.name, f"{b.name} is filled in", {"op": "is_filled"}, out[0]["points"], kind)
            ]
    return out


def _criterion(b: Binned, bins: list[int], points: float, kind: str) -> dict:
    rules = [b.rules[i] for i in bins]
    if b.ordered:
        low, high = rules[0].get("low"), rules[-1].get("high")
        rule = {
            "op": "between",
            **({"low": low} if low is not None else {}),
            **({"high": high} if high is not None else {}),
        }
        label = b.range_label(bins[0], bins[-1])
        return _one(b.name, f"{b.name} {label}", rule, points, kind)
    if len(rules) == 1:
        return _one(b.name, f"{b.name} {b.labels[bins[0]]}", rules[0], points, kind)
    named = [r.get("value", r["op"] == "is_true") for r in rules if r["op"] != "in"]
    values = named + [v for r in rules if r["op"] == "in" for v in r["values"]]
    shown = ", ".join(str(v) for v in named[:4]) + (", …" if len(named) > 4 else "")
    if len(named) < len(rules):
        shown += " or another level" if named else "another level"
    return _one(b.name, f"{b.name} is one of {shown}", {"op": "in", "values": values}, points, kind)


def _one(column: str, label: str, rule: dict, points: float, kind: str) -> dict:
    return {
        "id": slug(label),
        "label": label,
        "group": kind,
        "points": points,
        "rule": {"attribute": column, **rule},
    }


# --------------------------------------------------------------------------- leakage

LEAK_COLUMNS = ["column", "reason", "evidence", "action"]
CALL_DURATION = re.compile(r"(?i)^\s*duration\s*$|(call|talk|conversation)[ _]*(duration|length)")
SAFE_NAME = re.compile(r"(?i)marital|employment|family|relationship|tax|vat|legal|marriage")


def leakage(
    data: Dataset,
    hits: Hits | None = None,
    *,
    keep=frozenset(),
    bins: dict[str, Binned] | None = None,
) -> pd.DataFrame:
    """Columns probably recorded at or after the outcome, judged per column: left out of
    suggestions and ceilings whole, unless kept. A lead source that wins often is
    plausible: it is a warning, not left out. `hits` gives the decision moments; `bins`
    the columns already binned (`column_bins`)."""
    closed, won = data.outcome != OPEN, data.outcome == WON
    decision = hits.decision_ns if hits is not None else None
    bins = column_bins(data) if bins is None else bins
    fold_of = leak_folds(data)
    rows = []
    for name in data.attributes:
        if name in RESERVED:
            continue
        found = _leak_evidence(data, name, bins.get(name), closed, won, decision, fold_of)
        if found:
            action = (
                "kept by you" if name in keep else "warning" if name == "source" else "left out"
            )
            rows.append(
                {"column": name, "reason": found[0], "evidence": found[1], "action": action}
            )
    return pd.DataFrame(rows, columns=LEAK_COLUMNS)


def left_out(leaks: pd.DataFrame) -> frozenset[str]:
    """The columns a suggestion and a ceiling leave out."""
    return frozenset(leaks.loc[leaks["action"] == "left out", "column"])


def leak_lines(flags: pd.DataFrame) -> list[str]:
    """One sentence per flagged column: why, the evidence, and what was done."""
    done = {
        "left out": "left out of suggestions and the ceiling (keep it if it is known "
        "when a lead comes in)",
        "warning": "kept: check it was known when the lead came in",
        "kept by you": "kept, as you asked",
    }
    return [
        f"'{r.column}' {r.reason} ({r.evidence}): {done[r.action]}." for r in flags.itertuples()
    ]


def _leak_evidence(data, name, b, closed, won, decision, fold_of) -> tuple[str, str] | None:
    """The values' evidence first (it convinces), then the name's."""
    col = data.column(name)
    if col.kind == "date" and decision is not None and (~col.missing).any():
        after = np.mean(col.values[~col.missing] > decision[~col.missing])
        if after >= 0.5:
            return "holds dates after the decision moment", f"{after:.0%} of its dates"
    found = _bin_leak(b, closed, won, fold_of) if b is not None else None
    if found is None and (
        CALL_DURATION.search(name) or (LEAK_NAME.search(name) and not SAFE_NAME.search(name))
    ):
        return "is by its name recorded at or after the outcome", f"name '{name}'"
    return found


def _bin_leak(b: Binned, closed, won, fold_of) -> tuple[str, str] | None:
    """A level that separates almost perfectly, small all-won levels, or a column that
    alone ranks closed leads nearly perfectly (out of fold)."""
    codes = b.codes[closed]
    n = np.bincount(codes, minlength=len(b.labels)).astype(float)
    w = np.bincount(codes, weights=won[closed], minlength=len(b.labels))
    total, base = n.sum(), w.sum() / max(n.sum(), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = w / n
    for i in np.argsort(-n):
        share = n[i] / total
        if (rate[i] >= LEAK_HIGH and share >= LEAK_HIGH_SHARE) or (
            rate[i] <= min(LEAK_LOW, base / 5) and share >= LEAK_LOW_SHARE
        ):
            return (
                "separates outcomes almost perfectly",
                f"'{b.labels[i]}': {rate[i]:.0%} of {int(n[i]):,} closed leads won",
            )
    all_won = (rate == 1) & (n >= 3)
    if all_won.any() and n[all_won].sum() * np.log(max(base, 1e-9)) < LEAK_ALL_WON_LOG:
        return (
            "has small levels whose leads all won",
            f"{int(all_won.sum())} levels, {int(n[all_won].sum()):,} closed leads, all won",
        )
    single = single_column_auc(b, closed, won, fold_of=fold_of)
    if single >= LEAK_AUC:
        return (
            "alone ranks closed leads nearly perfectly",
            f"out-of-fold AUC {single:.3f}, cut-off {LEAK_AUC:.2f}",
        )
    return None


def single_column_auc(b: Binned, closed, won, fold_of: np.ndarray | None) -> float:
    """Out-of-fold AUC of one column's bins alone (either direction). `fold_of` is each
    closed lead's fold (`leak_folds`), made once for every column of a check. Wins are
    counted per (fold, level) in one pass, each fold's training counts being the others'
    sum: at 1M leads a fifth of the time of gathering each fold's leads."""
    if fold_of is None:
        return float("nan")
    idx = np.flatnonzero(closed)
    y = won[idx]
    k, levels = int(fold_of.max()) + 1, len(b.labels)
    key = fold_of * levels + b.codes[idx]  # (fold, level): every lead's prediction
    n = np.bincount(key, minlength=k * levels).reshape(k, levels)
    w = np.bincount(key, weights=y, minlength=k * levels).reshape(k, levels)
    n_train, w_train = n.sum(axis=0) - n, w.sum(axis=0) - w
    rate = w_train.sum(axis=1, keepdims=True) / n_train.sum(axis=1, keepdims=True)
    pred = (w_train + PRIOR * rate) / (n_train + PRIOR)
    a = _grouped_auc(pred.ravel(), key, y)
    return max(a, 1 - a)


def leak_folds(data: Dataset, folds: int = 5) -> np.ndarray | None:
    """Each closed lead's fold (stratified, shuffled), which every column's out-of-fold
    AUC uses, or None with fewer than `folds` won or lost leads. The same folds as
    calibration's, worked out once per dataset (`backtest.closed_folds`)."""
    won = data.outcome[data.outcome != OPEN] == WON
    if min(int(won.sum()), int(len(won) - won.sum())) < folds:
        return None
    return backtest.closed_folds(data, folds)


def _grouped_auc(pred: np.ndarray, key: np.ndarray, y: np.ndarray) -> float:
    """The AUC of `pred[key]` for `y`, ties counting one half, from counts per prediction:
    what auc() gives, without sorting a million leads for a few distinct values."""
    values, group = np.unique(pred, return_inverse=True)
    won_k = np.bincount(key, weights=y, minlength=len(pred))
    all_k = np.bincount(key, minlength=len(pred))
    won_g = np.bincount(group, weights=won_k, minlength=len(values))[::-1]  # high to low
    lost_g = np.bincount(group, weights=all_k - won_k, minlength=len(values))[::-1]
    return auc_of_groups(won_g, lost_g)


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Evaluation:
    """AUC of the current and the suggested points on leads the fit did not see."""

    how: str  # "time" (fitted on older leads, measured on the newest) or "random"
    description: str
    current: float
    suggested: float
    unrounded: float  # the logistic itself, before whole points, baseline and clipping
    won: int
    lost: int

    @property
    def noise(self) -> bool:
        """Too few won or lost leads measured on for the figures to mean much."""
        return min(self.won, self.lost) < NOISE


# --------------------------------------------------------------------------- suggestion


@dataclass(frozen=True)
class Suggestion:
    """A suggested model beside the current one: its criteria, proposed bands, and how
    both rank leads they were not fitted on (headline evaluation first)."""

    table: pd.DataFrame
    model: ScoringModel
    evaluations: tuple[Evaluation, ...]
    bands: pd.DataFrame
    clipped: tuple[float, float]  # share of leads at 0 and at 100
    leaks: pd.DataFrame
    dropped: tuple[str, ...] = field(default=())  # current criteria the suggestion has not

    @property
    def headline(self) -> Evaluation:
        return self.evaluations[0]

    @property
    def auc_current(self) -> float:
        return self.headline.current

    @property
    def auc_suggested(self) -> float:
        return self.headline.suggested


class SuggestError(ValueError):
    """Too little history to suggest points or a ceiling; the message says what is missing."""


def need_closed(won: np.ndarray, folds: int, what: str) -> None:
    """Refuse, in words, history too small for `folds`-fold evaluation of `what`."""
    n_won, n_lost = int(won.sum()), int(len(won) - won.sum())
    if min(n_won, n_lost) < folds:
        raise SuggestError(
            f"{what} need at least {folds} won and {folds} lost closed leads; "
            f"this data has {n_won} won and {n_lost} lost"
        )


def suggest(
    data: Dataset,
    hits: Hits,
    model: ScoringModel,
    *,
    keep: frozenset[str] = frozenset(),
    folds: int = 5,
    seed: int = 0,
    sales_ready_share: float | None = None,
    progress=None,
) -> Suggestion:
    """The suggested model for this data: criteria from every usable column and the
    model's event rules, whole points with a baseline, bands proposed from the data.
    Columns flagged as leaking are left out unless in `keep`. `progress(done, total)` is
    called after each fit."""
    closed = np.flatnonzero(data.outcome != OPEN)
    won = data.outcome[closed] == WON
    need_closed(won, folds, "suggested points")
    bins = column_bins(data)
    leaks = leakage(data, hits, keep=keep, bins=bins)
    columns = _usable(data, bins, left_out(leaks))
    events, counts = list(hits.event_criteria), hits.counts  # the model's event rules, as counted
    won_all = data.outcome == WON
    current = score(hits, model).score
    plans = _plans(data, closed, won, folds, seed)
    total, done = sum(len(s) for _, s in plans) + 1, 0
    evaluations = []
    for how, splits in plans:
        test_all = np.concatenate([t for _, t in splits])
        s_oof, u_oof = np.empty(len(closed)), np.empty(len(closed))
        for train, test in splits:
            card = fit_scorecard(columns, counts, events, won_all, closed[train], seed)
            fold_model = to_model(card, model, counts)
            s_oof[test] = score(build_hits(data, fold_model, hits.as_of), fold_model).score[
                closed[test]
            ]
            u_oof[test] = card.log_odds(counts, closed[test])
            done += 1
            if progress:
                progress(done, total)
        evaluations.append(
            _evaluation(how, splits, test_all, data, closed, current, s_oof, u_oof, folds)
        )
    card = fit_scorecard(columns, counts, events, won_all, closed, seed)
    suggested = to_model(card, model, counts)
    final_hits = build_hits(data, suggested, hits.as_of)  # bands do not change the rules
    final = score(final_hits, suggested)
    suggested, bands = propose_bands(suggested, final.score, closed, won, sales_ready_share)
    if progress:
        progress(total, total)
    return Suggestion(
        table=_table(final_hits, suggested, model, closed, won),
        model=suggested,
        evaluations=tuple(evaluations),
        bands=bands,
        clipped=_clipped(final, suggested),
        leaks=leaks,
        dropped=_dropped(model, suggested),
    )


def _dropped(current: ScoringModel, suggested: ScoringModel) -> tuple[str, ...]:
    """Labels of the current attribute criteria worth points whose rule the suggestion has
    not (a starter model's zero-point criteria say nothing when dropped)."""
    rules = {c.rule.model_dump_json() for c in suggested.criteria}
    return tuple(
        c.label
        for c in current.criteria
        if not c.on_events and c.points and c.rule.model_dump_json() not in rules
    )


def _clipped(s, model: ScoringModel) -> tuple[float, float]:
    """Share of leads whose points fall below 0 or above 100 (and are clipped there)."""
    raw = model.baseline + s.fit + s.engagement
    return float(np.mean(raw < -1e-9)), float(np.mean(raw > 100 + 1e-9))


def column_bins(data: Dataset) -> dict[str, Binned]:
    """Every attribute that bins (not dates, not one-bin columns), cut on the closed leads:
    once per suggestion, for its leak checks and its fit alike."""
    closed = data.outcome != OPEN
    out = {}
    for name in data.attributes:
        if name not in RESERVED:
            b = bin_column(data, name, closed)
            if b is not None:
                out[name] = b
    return out


def _usable(data: Dataset, bins: dict[str, Binned], leaking: frozenset[str]) -> list[Binned]:
    """The columns the fit weighs: not leaking, no free text (names, e-mails, titles) and
    no running number; a text column named like an id stays (landing_page_id is a category
    whose common levels earn points, its rare ones pool)."""
    skipped = excluded_columns(data.leads)  # ids, running numbers, free text
    return [
        b
        for name, b in bins.items()
        if name not in leaking
        and (
            name not in skipped
            or (skipped[name] == ID_BY_NAME and data.column(name).kind == "text")
        )
    ]


def _plans(data: Dataset, closed: np.ndarray, won: np.ndarray, folds: int, seed: int):
    return backtest.plans(data.created_ns[closed] if data.has_dates else None, won, folds, seed)


def _evaluation(how, splits, test, data, closed, current, s_oof, u_oof, folds) -> Evaluation:
    outcome = data.outcome[closed[test]]
    n_won = int(np.count_nonzero(outcome == WON))
    first = f"{pd.Timestamp(int(data.created_ns[closed[test]].min())):%Y-%m-%d}"
    text = backtest.describe(how, first, len(splits), folds)
    return Evaluation(
        how,
        text,
        auc(current[closed[test]], outcome),
        auc(s_oof[test], outcome),
        auc(u_oof[test], outcome),
        n_won,
        len(test) - n_won,
    )


def _table(hits: Hits, suggested: ScoringModel, current: ScoringModel, closed, won) -> pd.DataFrame:
    """Per suggested criterion: its points, the current points of the same rule, and its
    evidence (closed leads hit, their win rate with a 95 % interval)."""
    by_rule = {c.rule.model_dump_json(): c.points for c in current.criteria}
    rows = []
    for k, c in enumerate(suggested.criteria):
        fired = hits.fired(k)[closed]
        n, w = int(fired.sum()), int((fired & won).sum())
        lo, hi = wilson(w, n)
        rows.append(
            {
                "criterion": c.id,
                "label": c.label,
                "group": c.group,
                "current": by_rule.get(c.rule.model_dump_json(), 0.0),
                "suggested": c.points,
                "closed_leads": n,
                "win_rate": w / n if n else np.nan,
                "low": float(lo),
                "high": float(hi),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "criterion",
            "label",
            "group",
            "current",
            "suggested",
            "closed_leads",
            "win_rate",
            "low",
            "high",
        ],
    )


# --------------------------------------------------------------------------- bands


def propose_bands(
    model: ScoringModel,
    scores: np.ndarray,
    closed: np.ndarray,
    won: np.ndarray,
    share: float | None = None,
) -> tuple[ScoringModel, pd.DataFrame]:
    """The model with band boundaries from the data (names and actions kept), and a table
    of them beside the current ones. Sales-ready = the largest top share (at least 5 % of
    leads) whose closed leads win at least twice the average, or the top `share` the user
    picks; bands above and below split their leads evenly. When every lead scores the same
    there is nothing to split, and the current boundaries stay."""
    same = scores.size == 0 or scores.min() == scores.max()
    banded = model if same else _banded(model, scores, closed, won, share)
    band = band_index(scores, banded)
    rows = []
    for k, (old, new) in enumerate(zip(model.bands, banded.bands, strict=True)):
        here = band == k
        c = here[closed]
        rows.append(
            {
                "band": new.name,
                "current_from": old.min_score,
                "suggested_from": new.min_score,
                "sales_ready": new.sales_ready,
                "share": float(here.mean()),
                "win_rate": float(won[c].mean()) if c.any() else np.nan,
                "closed_leads": int(c.sum()),
            }
        )
    return banded, pd.DataFrame(rows)


def _banded(model: ScoringModel, scores, closed, won, share) -> ScoringModel:
    """The model with its band starts placed on `scores`, as propose_bands says."""
    n_ready = sum(b.sales_ready for b in model.bands)
    line = _sales_ready_line(scores, closed, won, share)
    mins = _strictly_falling(
        _splits(scores[scores >= line], n_ready, line, 101)
        + _splits(scores[scores < line], len(model.bands) - n_ready, 0, line)
    )
    data = model.model_dump(mode="json", exclude_none=True)
    for b, m in zip(data["bands"], mins, strict=True):
        b["min_score"] = m
    return parse_model(data)


def _sales_ready_line(scores, closed, won, share) -> int:
    t = np.arange(1, 101)
    at_or_above = scores[None, :] >= t[:, None]
    shares = at_or_above.mean(axis=1)
    if share is not None:
        return int(t[np.argmin(np.abs(shares - share))])
    c = at_or_above[:, closed]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (c & won[None, :]).sum(axis=1) / c.sum(axis=1)
    average = won.mean()
    good = (shares >= MIN_SALES_READY) & (rate >= SALES_READY_LIFT * average)
    if good.any():
        return int(t[np.flatnonzero(good)[0]])
    enough = np.flatnonzero(shares >= MIN_SALES_READY)
    return int(t[enough[-1]]) if enough.size else 1  # the top 5 % at least


def _splits(scores: np.ndarray, k: int, low: int, high: int) -> list[int]:
    """k band starts, highest first, splitting `scores` (all within low..high) evenly."""
    if k == 0:
        return []
    qs = np.quantile(scores, np.linspace(1, 0, k + 1)[1:-1]) if scores.size else []
    starts = [int(np.clip(np.ceil(q), low + 1, high - 1)) for q in qs] + [low]
    return starts


def _strictly_falling(mins: list[int]) -> list[int]:
    """Distinct starts, highest first, the last 0: a tie moves the higher one up."""
    out = list(mins)
    out[-1] = 0
    for i in range(len(out) - 2, -1, -1):
        out[i] = max(out[i], out[i + 1] + 1)
    return [min(m, 100 - (len(out) - 1 - i)) if i < len(out) - 1 else 0 for i, m in enumerate(out)]


# --------------------------------------------------------------------------- ceiling


def ceiling_auc(
    data: Dataset,
    as_of: AsOf,
    *,
    exclude: frozenset[str] = frozenset(),
    folds: int = 5,
    seed: int = 0,
) -> dict[str, float]:
    """Out-of-sample AUC of a gradient-boosted classifier on the raw lead attributes and
    per-type event counts (as of the decision moment): about the best any model could
    rank these leads. Leak columns (`exclude`) are left out, as from the suggestion, so
    the two compare. In time order when dates exist ("time"), and on random folds."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    closed = np.flatnonzero(data.outcome != OPEN)
    won = data.outcome[closed] == WON
    need_closed(won, folds, "the boosted ceiling")
    frame = _raw_features(data, as_of).drop(columns=list(exclude), errors="ignore").iloc[closed]
    if frame.shape[1] == 0:
        return {"random": float("nan")}  # nothing to learn from: no ceiling to show
    out = {}
    for how, splits in _plans(data, closed, won, folds, seed):
        test_all = np.concatenate([t for _, t in splits])
        p = np.empty(len(closed))
        for train, test in splits:
            booster = HistGradientBoostingClassifier(
                max_iter=100,
                learning_rate=0.1,
                categorical_features="from_dtype",
                random_state=seed,
            )
            if len(np.unique(won[train])) < 2:
                p[test] = won[train].mean()
                continue
            if len(train) > CEILING_FIT_MOST:  # a reference, not the product: a sample will do
                train = np.random.default_rng(seed).choice(train, CEILING_FIT_MOST, replace=False)
            booster.fit(frame.iloc[train], won[train])
            p[test] = booster.predict_proba(frame.iloc[test])[:, 1]
        out[how] = auc(p[test_all], data.outcome[closed[test_all]])
    return out


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
