"""Where leads come from: a source taxonomy everyone agrees on, and credit rules for the
marketing touches (events with a channel or campaign) before each lead's decision moment.

Two fields are kept apart: the *reason* a lead came (its source: referral, ad, event) and
the *vehicle* it used to reach us (the touches' channel: web form, phone, email).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.stats import wilson
from model.core.dataset import OPEN, WON, AsOf, Dataset
from model.core.scoring import Scores

RULES = {
    "first": "first touch",
    "last": "last touch before the decision",
    "linear": "linear split",
    "position": "position-based 40/20/40",
}
NO_TOUCH = "(no touch before the decision)"
UNMAPPED = "(not in the taxonomy)"
KEYWORDS = [
    ("Events", r"trade ?show|congress|conference|event|expo|fair"),
    ("Webinars", r"webinar"),
    ("Paid ads", r"paid|ads?\b|ppc|adwords|cpc|display|banner"),
    ("Organic search", r"search|seo|organic|google"),
    ("Email", r"e-?mail|newsletter"),
    ("Referrals & partners", r"referr|partner|word of mouth|recommend"),
    ("Outbound", r"outbound|cold|call|sdr|prospect"),
    ("Social", r"social|linkedin|facebook|twitter|instagram"),
    ("PR", r"press|\bpr\b|media"),
    ("Direct mail", r"direct mail|mailing|postal"),
]


def guess_taxonomy(values: list[str]) -> dict[str, str]:
    """Raw source value -> category by common words; values no rule knows stay unmapped
    (listed, never silently 'other')."""
    out = {}
    for value in values:
        for category, pattern in KEYWORDS:
            if re.search(pattern, str(value).lower()):
                out[value] = category
                break
    return out


def source_values(data: Dataset, column: str = "source") -> pd.Series:
    """Leads per raw source value (missing as its own row), most common first."""
    if column not in data.leads.columns:
        return pd.Series(dtype="int64")
    return data.leads[column].astype("string").str.strip().fillna("(missing)").value_counts()


def categories(data: Dataset, taxonomy: dict[str, str], column: str = "source") -> np.ndarray:
    """Each lead's source category; values outside the taxonomy are marked as such."""
    raw = data.leads[column].astype("string").str.strip().fillna("(missing)")
    return raw.map(lambda v: taxonomy.get(v) or UNMAPPED).to_numpy(object)


def unmapped(data: Dataset, taxonomy: dict[str, str], column: str = "source") -> list[str]:
    return [v for v in source_values(data, column).index if not taxonomy.get(v)]


def group_table(data: Dataset, scores: Scores, groups: np.ndarray) -> pd.DataFrame:
    """Per group of leads: leads, closed, won, win rate of closed with a 95 % Wilson
    interval, revenue won and average score."""
    lead = np.arange(data.n_leads)
    return _weighted_table(data, scores, lead, groups, np.ones(data.n_leads))


# ------------------------------------------------------------------------- credit


def touches(data: Dataset, as_of: AsOf) -> tuple[np.ndarray, np.ndarray]:
    """Lead and touch code of every touch strictly before its lead's decision moment, in
    lead then time order."""
    if data.touch_codes is None:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    decision = as_of.decision_ns(data.created_ns)
    keep = (data.ev_ns < decision[data.ev_lead]) & (data.touch_codes >= 0)
    # the dataset keeps events in lead then time order
    return data.ev_lead[keep].astype(np.intp), data.touch_codes[keep].astype(np.intp)


def credit(lead: np.ndarray, rule: str) -> np.ndarray:
    """Each touch's share of its lead (touches in lead then time order); shares of one
    lead sum to 1. first / last: all to one touch; linear: equal; position: 40 % first,
    40 % last, 20 % split over the middle (one touch 100 %, two 50/50)."""
    if not len(lead):
        return np.zeros(0)
    start = np.r_[True, lead[1:] != lead[:-1]]
    end = np.r_[lead[1:] != lead[:-1], True]
    k = np.bincount(lead)[lead].astype(np.float64)
    if rule == "first":
        return start.astype(np.float64)
    if rule == "last":
        return end.astype(np.float64)
    if rule == "linear":
        return 1.0 / k
    if rule == "position":
        middle = np.where(k > 2, 0.2 / np.maximum(k - 2, 1), 0.0)
        ends = np.where(k == 1, 1.0, np.where(k == 2, 0.5, 0.4))
        return np.where(start | end, ends, middle)
    raise ValueError(f"credit rule must be one of {', '.join(RULES)}, got {rule!r}")


def credit_table(data: Dataset, scores: Scores, as_of: AsOf, rule: str) -> pd.DataFrame:
    """Leads, wins, win rate, revenue and average score per touch channel under one rule;
    leads with no touch before their decision form their own row."""
    lead, code = touches(data, as_of)
    share = credit(lead, rule)
    names = np.array(data.touch_names, dtype=object)
    untouched = np.setdiff1d(np.arange(data.n_leads), lead)
    all_lead = np.r_[lead, untouched]
    groups = np.r_[
        names[code] if len(code) else np.zeros(0, object),
        np.full(len(untouched), NO_TOUCH, dtype=object),
    ]
    weights = np.r_[share, np.ones(len(untouched))]
    return _weighted_table(data, scores, all_lead, groups, weights)


def _weighted_table(data, scores, lead, groups, weights) -> pd.DataFrame:
    codes, names = pd.factorize(pd.Series(groups, dtype=object))
    n = len(names)
    outcome = data.outcome[lead]
    won_value = data.won_value[lead] if data.won_value is not None else np.zeros(len(lead))
    leads = np.bincount(codes, weights, minlength=n)
    closed = np.bincount(codes, weights * (outcome != OPEN), minlength=n)
    won = np.bincount(codes, weights * (outcome == WON), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = wilson(np.round(won).astype(np.int64), np.round(closed).astype(np.int64))
        frame = pd.DataFrame(
            {
                "category": names,
                "leads": leads,
                "closed": closed,
                "won": won,
                "win_rate": won / closed,
                "low": low,
                "high": high,
                "revenue_won": np.bincount(codes, weights * won_value, minlength=n),
                "avg_score": np.bincount(codes, weights * scores.score[lead], minlength=n) / leads,
            }
        )
    return frame.sort_values("leads", ascending=False).reset_index(drop=True)


def all_rules(data: Dataset, scores: Scores, as_of: AsOf) -> pd.DataFrame:
    """Leads and wins per channel under every rule, side by side, for the room to agree."""
    parts = []
    for rule, label in RULES.items():
        t = credit_table(data, scores, as_of, rule).set_index("category")
        parts.append(t[["leads", "won"]].rename(columns=lambda c, lab=label: f"{lab}: {c}"))
    return pd.concat(parts, axis=1).fillna(0).reset_index()


def score_by_group(
    scores: Scores, groups: np.ndarray, *, width: int = 10, top: int = 5
) -> pd.DataFrame:
    """Share of each group's leads per score bucket: does the model favour a source? The
    `top` largest groups each get a line, the rest one line together (a chart of nine
    overlapping lines reads as none)."""
    bucket = np.minimum(scores.score // width, 100 // width - 1).astype(np.intp)
    sizes = pd.Series(groups).value_counts()
    if len(sizes) > top + 1:
        rest = sizes.index[top:]
        label = f"the other {len(rest)} categories"
        groups = np.where(pd.Series(groups).isin(rest), label, groups)
    frame = pd.crosstab(
        pd.Series(groups, name="category"),
        pd.Series(bucket * width, name="bucket"),
        normalize="index",
    )
    return frame.reset_index().melt(id_vars="category", var_name="bucket", value_name="share")


# ------------------------------------------------------------------------- storing


def save_taxonomy(folder: Path, taxonomy: dict[str, str], *, author: str = "") -> Path:
    """Keep a taxonomy with its dataset as a new file (earlier ones stay)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"taxonomy-{stamp}.json"
    path.write_text(
        json.dumps({"author": author, "taxonomy": taxonomy}, indent=2, ensure_ascii=False)
    )
    return path


def load_taxonomy(folder: Path) -> dict[str, str] | None:
    """The newest taxonomy saved with a dataset, or None."""
    files = sorted(folder.glob("taxonomy-*.json"))
    if not files:
        return None
    return json.loads(files[-1].read_text())["taxonomy"]
