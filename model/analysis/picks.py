"""What the editor offers to pick from: the dataset's event types and attribute levels with
their counts, the ops that fit each attribute, and how many leads a draft criterion hits.

The room picks instead of typing, so a typo such as 'careers_page_vew' cannot happen in
the first place; counts say at a glance whether a level is worth a criterion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from model.core.dataset import LOST, RESERVED, WON, AsOf, Dataset
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel, criteria_only

OPS_BY_KIND = {
    "text": ("in", "equals", "is_missing", "is_filled"),
    "number": ("between", "is_missing", "is_filled"),
    "date": ("days_since", "between", "is_missing", "is_filled"),
    "bool": ("is_true", "is_missing", "is_filled"),
}
OP_WORDS = {
    "in": "is one of",
    "equals": "equals",
    "between": "is between",
    "days_since": "was this many days before the decision",
    "is_true": "is true",
    "is_missing": "is blank",
    "is_filled": "is filled in",
    "count": "count of events",
}
TOP_LEVELS = 300  # a pick-list longer than this is a free-text column, not a choice


def event_counts(data: Dataset) -> dict[str, int]:
    """Events per event type in the dataset, most frequent first."""
    counts = data.type_counts
    order = np.argsort(-counts, kind="stable")
    return {data.event_types[i]: int(counts[i]) for i in order}


def level_counts(data: Dataset, attribute: str) -> dict[str, int]:
    """Leads per level of a text attribute (blanks and placeholders left out), most
    frequent first, at most TOP_LEVELS of them."""
    col = data.column(attribute)
    if col.kind != "text":
        return {}
    counts = np.bincount(col.values, minlength=len(col.categories) + 1)[:-1]
    order = np.argsort(-counts, kind="stable")[:TOP_LEVELS]
    return {str(col.categories[i]): int(counts[i]) for i in order if counts[i]}


def candidates(data: Dataset) -> list[str]:
    """Lead attributes a criterion may read: not the outcome and its dates, nor the stage
    (recorded as the deal moves, after the lead came in)."""
    return [a for a in data.attributes if a not in RESERVED and a != "stage"]


def kind_of(data: Dataset, attribute: str) -> str:
    """number / date / text / bool, as the rules read the column."""
    return data.column(attribute).kind


def labelled(counts: dict[str, int]) -> dict[str, str]:
    """'pricing_page_view' -> 'pricing_page_view (4,210)', for a pick-list's labels."""
    return {name: f"{name} ({n:,})" for name, n in counts.items()}


@dataclass(frozen=True)
class Reach:
    """How many leads a criterion hits, and how those that closed ended."""

    leads: int
    won: int
    lost: int
    all_leads: int
    all_won: int
    all_lost: int

    @property
    def win_rate(self) -> float:
        return self.won / (self.won + self.lost) if self.won + self.lost else float("nan")

    @property
    def base_rate(self) -> float:
        closed = self.all_won + self.all_lost
        return self.all_won / closed if closed else float("nan")


def probe(criterion: dict[str, Any], model: ScoringModel) -> ScoringModel:
    """A one-criterion model worth 1 point, with `model`'s decay: a lead scores above 0
    exactly when the criterion hits it. Raises ModelError when the criterion is invalid."""
    return criteria_only([{**criterion, "points": 1}], decay=model.decay.model_dump())


def reach(data: Dataset, probe_model: ScoringModel, as_of: AsOf, hits=None) -> Reach:
    """The leads the probe's criterion hits, as of each lead's decision moment."""
    hits = hits or build_hits(data, probe_model, as_of)
    hit = score(hits, probe_model).score > 0
    outcome = data.outcome
    return Reach(
        leads=int(hit.sum()),
        won=int((hit & (outcome == WON)).sum()),
        lost=int((hit & (outcome == LOST)).sum()),
        all_leads=data.n_leads,
        all_won=int((outcome == WON).sum()),
        all_lost=int((outcome == LOST).sum()),
    )
