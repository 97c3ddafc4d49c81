"""The starter model: zero-point criteria from a dataset's own columns, for the room to
fill in points."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd

from model.core.dataset import RESERVED, AsOf, Dataset
from model.core.kinds import category_codes, excluded_columns, slug, unique_ids
from model.core.spec import parse_model

MOSTLY_MISSING = 0.95

ENGAGEMENT_NAME = re.compile(
    r"visit|view|session|click|open|download|activit|time on|duration|seconds|minutes|"
    r"count|number of|num |# of|page|email|web|event|attend|form|chat|call|meeting|"
    r"administrative|informational|productrelated|bounce|exit|last|recent",
    re.IGNORECASE,
)
FIT_NAME = re.compile(
    r"employee|revenue|size|age\b|income|salary|balance|year|founded", re.IGNORECASE
)


def starter_model(
    leads: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    name: str = "Starter model",
    most: int = 12,
):
    """Zero-point criteria from the data's own columns: one per common level of each text
    column, ranges of each number column, one per true/false column, "days since" ranges of
    each date column known when the lead came in, and a count of each common event type
    (`events`: lead_id and event_type per event). Counts, durations and visits go to
    engagement, the rest to fit; integer codes of categories (a browser or region code) are
    levels, not ranges; ids, free text, constant and mostly-missing columns are skipped.
    The room fills in points."""

    left_out = excluded_columns(leads)
    criteria: list[dict] = []
    for column in leads.columns:
        if column in RESERVED or column in left_out:
            continue
        if pd.api.types.is_datetime64_any_dtype(leads[column]):
            criteria.extend(_days_ranges(column, leads[column], leads.get("created_at")))
            continue
        criteria.extend(_column_criteria(column, leads[column], most))
    if events is not None and len(events):
        criteria.extend(event_criteria(events, most))
    unique_ids(criteria)
    return parse_model(
        {
            "name": name,
            "criteria": criteria,
            "bands": [
                {
                    "name": "A",
                    "min_score": 75,
                    "action": "Senior rep calls within 24 h",
                    "sales_ready": True,
                },
                {"name": "B", "min_score": 50, "action": "SDR qualifies"},
                {"name": "C", "min_score": 0, "action": "Nurture email"},
            ],
        }
    )


def events_of(data: Dataset) -> pd.DataFrame:
    """A prepared dataset's events as starter_model reads them: each event's lead (by
    position) and type, as categories (14.5M events make no string each)."""
    kinds = pd.Categorical.from_codes(data.ev_type, categories=list(data.event_types))
    return pd.DataFrame({"lead_id": data.ev_lead, "event_type": kinds})


def event_criteria(events: pd.DataFrame, most: int = 12) -> list[dict]:
    """A count of each of the `most` commonest event types (at least 1 % of events), capped
    where nine in ten of the leads that have the type stop: an activity log's calls and
    e-mails earn points per event without a few busy leads running away with them."""
    types = events["event_type"]
    if isinstance(types.dtype, pd.CategoricalDtype):  # a dataset's: coded already
        kind, kinds = types.cat.codes.to_numpy(), types.cat.categories
    else:
        kind, kinds = pd.factorize(types)
    lead = events["lead_id"]
    positions = pd.api.types.is_integer_dtype(lead) and (len(lead) == 0 or lead.min() >= 0)
    lead = lead.to_numpy() if positions else pd.factorize(lead)[0]  # a dataset's are rows
    shares = np.bincount(kind[kind >= 0], minlength=len(kinds)) / len(kind)
    out = []
    for k in np.argsort(-shares, kind="stable")[:most]:
        if shares[k] < 0.01:
            break
        per_lead = np.bincount(lead[kind == k])
        cap = int(np.clip(np.ceil(np.quantile(per_lead[per_lead > 0], 0.9)), 1, 10))
        name = str(kinds[k]).strip()
        label = f"Event type {name}" if _code(name) else name
        out.append(
            {
                "id": slug(f"event_{name}"),
                "label": f"{label} (count, up to {cap})",
                "group": "engagement",
                "points": 0,
                "rule": {"events": [name], "op": "count", "max_count": cap},
            }
        )
    return out


def _code(text: str) -> bool:
    """A code such as Marketo's activity type 11, which reads better as 'Event type 11'."""
    return text.replace(".", "", 1).isdigit()


def _column_criteria(column: str, s: pd.Series, most: int) -> list[dict]:
    known = s.dropna()
    if len(known) < max(len(s) * (1 - MOSTLY_MISSING), 1) or known.nunique() < 2:
        return []
    group = _group(column, s)
    if pd.api.types.is_bool_dtype(s):
        return [_criterion(column, "is true", {"op": "is_true"}, group)]
    if pd.api.types.is_numeric_dtype(s):
        x = known.astype(np.float64)
        if category_codes(column, x):
            levels = x.value_counts(normalize=True)
            return [
                _criterion(column, f"= {v:g}", {"op": "equals", "value": _plain(v)}, group)
                for v in levels[levels >= 0.01].index[:most]
            ]
        return _ranges(column, x, group)
    shares = known.astype("string").value_counts(normalize=True)
    return [
        _criterion(column, f"= {level}", {"op": "equals", "value": str(level)}, group)
        for level in shares[shares >= 0.01].index[:most]
    ]


KNOWN_AT_CREATION = 0.5  # share of a date column's dates before the lead came in


def _days_ranges(column: str, s: pd.Series, created: pd.Series | None) -> list[dict]:
    """Whole-day "days since" ranges (quarters of the leads) of a date column, counted back
    from the decision moment. A column whose dates mostly fall after the lead came in (a
    closed or last-stage date) was not known then: it gets no criteria."""
    if created is None or not pd.api.types.is_datetime64_any_dtype(created):
        return []
    # days before the default decision moment (created + 14 days), as the rule will count
    days = (created - s).dt.total_seconds().to_numpy() / 86_400 + AsOf().days
    known = days[~np.isnan(days)]
    if (
        len(known) < max(len(s) * (1 - MOSTLY_MISSING), 1)
        or np.mean(known > AsOf().days) < KNOWN_AT_CREATION
    ):
        return []
    cuts = np.unique(np.floor(np.quantile(known[known > 0], [0.25, 0.5, 0.75])))
    cuts = cuts[cuts > 0]
    if not len(cuts):
        return []
    group = _group(column, s)
    out = [_criterion(column, f"under {cuts[0]:g} days before",
                      {"op": "days_since", "high": float(cuts[0])}, group)]  # fmt: skip
    for low, high in itertools.pairwise(cuts):
        rule = {"op": "days_since", "low": float(low), "high": float(high)}
        out.append(_criterion(column, f"{low:g}–{high:g} days before", rule, group))
    last = {"op": "days_since", "low": float(cuts[-1])}
    out.append(_criterion(column, f"{cuts[-1]:g}+ days before", last, group))
    return out


def _group(column: str, s: pd.Series) -> str:
    """Engagement for behaviour (counts, durations, visits, page views, last activity),
    fit for firmographic and demographic columns."""
    if FIT_NAME.search(column):
        return "fit"
    return "engagement" if ENGAGEMENT_NAME.search(column) else "fit"


def _plain(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _ranges(column: str, x: pd.Series, group: str = "fit") -> list[dict]:
    """Quartile ranges, cut at the data's own precision: whole numbers give '12 to 31'
    and '32 to 80', never a bound of 31.9999999 that nobody can read aloud."""
    digits = _precision(x)
    step = 10.0**-digits
    edges = np.unique(np.round(np.quantile(x, [0, 0.25, 0.5, 0.75, 1]), digits))
    out = []
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        top = high if i == len(edges) - 2 else round(high - step, digits)  # [low, high)
        if top < low:
            continue
        rule = {"op": "between", "low": _plain(low), "high": _plain(top)}
        out.append(_criterion(column, f"{low:g} to {top:g}", rule, group))
    return out


def _precision(x: pd.Series, most: int = 6) -> int:
    """The decimals the column's values are written with (0 for whole numbers)."""
    sample = x.to_numpy(dtype=float)[:10_000]
    for digits in range(most):
        scaled = sample * 10.0**digits
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return digits
    return most


def _criterion(column: str, what: str, rule: dict, group: str = "fit") -> dict:
    return {
        "id": slug(f"{column}_{what}"),
        "label": f"{column} {what}",
        "group": group,
        "points": 0,
        "rule": {"attribute": column, **rule},
    }
