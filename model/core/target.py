"""The outcome a model is tuned against: won deals, or reaching a pipeline stage.

With a stage target a lead counts as "won" once it has reached that stage or a later one
(or won), "lost" when it closed without reaching it, and "open" otherwise, so every page's
win rates, replay and calibration read the faster signal. The stage column holds the
furthest stage a lead reached, as the CRM exports it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from model.core.dataset import LOST, OPEN, WON, DataError, Dataset
from model.core.spec import Target

# Stage words in funnel order, lower case; a stage that names an end without saying how far
# the lead got (closed lost, disqualified) is left out of the order.
FUNNEL = (
    "new",
    "open",
    "not contacted",
    "attempted",
    "contacted",
    "working",
    "engaged",
    "nurturing",
    "mql",
    "marketing qualified",
    "sal",
    "pre-qualified",
    "qualified",
    "sql",
    "sales qualified",
    "discovery",
    "demo",
    "opportunity",
    "proposal",
    "quote",
    "negotiation",
    "contract",
    "commit",
    "closed won",
    "won",
)
ENDS = (
    "closed lost",
    "lost",
    "disqualified",
    "unqualified",
    "not qualified",
    "junk",
    "closed - not converted",
)


def stages(data: Dataset) -> list[str]:
    """The stage values of the data, most common first (none without a stage column)."""
    if "stage" not in data.leads.columns:
        return []
    text = data.leads["stage"].astype("string").str.strip()
    return [str(s) for s in text[text.notna() & (text != "")].value_counts().index]


def default_order(data: Dataset) -> list[str]:
    """The data's stages in funnel order (known words), unknown ones after them, without
    the stages that only say a lead ended; the team edits it."""
    found = [s for s in stages(data) if s.lower() not in ENDS]
    known = {w: i for i, w in enumerate(FUNNEL)}

    def rank(stage: str) -> tuple[int, str]:
        lower = stage.lower()
        hit = next((known[w] for w in sorted(known, key=len, reverse=True) if w in lower), None)
        return (hit if hit is not None else len(FUNNEL), lower)

    return sorted(found, key=rank)


SEP = " → target "  # in a retargeted dataset's name: caches tell the two apart by name


def retarget(data: Dataset, target: Target) -> Dataset:
    """The dataset with its outcome read against `target`, always from the leads' own
    outcome column (so a dataset read against one target can be read against another)."""
    base = Dataset.outcome.func(data)
    name = data.name.split(SEP)[0]
    if target.outcome == "won":
        return data if name == data.name else _with_outcome(data, name, base)
    if "stage" not in data.leads.columns:
        raise DataError(
            f"the model is tuned against {target.describe()}, but the dataset {name!r} "
            "has no stage column: map one at import, or tune against won deals"
        )
    order = {s.strip().lower(): i for i, s in enumerate(target.stage_order)}
    need = order[target.stage.strip().lower()]
    text = data.leads["stage"].astype("string").str.strip().str.lower()
    rank = text.map(order).astype("Float64").fillna(-1).to_numpy(float)
    reached = (rank >= need) | (base == WON)
    outcome = np.where(reached, WON, np.where(base == LOST, LOST, OPEN)).astype(np.intp)
    return _with_outcome(data, f"{name}{SEP}{target.stage}", outcome)


def _with_outcome(data: Dataset, name: str, outcome: np.ndarray) -> Dataset:
    moved = replace(data, name=name)
    moved.__dict__["outcome"] = outcome  # the cached property every figure reads
    return moved


def unordered(data: Dataset, target: Target) -> list[str]:
    """Stages in the data the target's order does not place (they count as not reached)."""
    placed = {s.strip().lower() for s in target.stage_order} | set(ENDS)
    return [s for s in stages(data) if s.lower() not in placed]
