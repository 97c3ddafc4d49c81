"""Several scoring models side by side, one per product line, region or segment: which
leads each covers (its applicability rule), each scored on its own segment, an overview of
them all, and the overlaps (leads two models claim, leads no model covers)."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.stats import auc
from model.core.dataset import OPEN, WON, AsOf, Dataset, subset
from model.core.hits import Hits, attribute_mask, build_hits
from model.core.scoring import score
from model.core.spec import ModelError, ScoringModel


@dataclass(frozen=True)
class Entry:
    """One model of the workspace: its name, which revision (or 'editor'), the model."""

    name: str
    revision: str
    model: ScoringModel


def covers(data: Dataset, model: ScoringModel) -> np.ndarray:
    """Per lead, whether the model applies to it: every rule of `applies_to` holds."""
    keep = np.ones(data.n_leads, dtype=bool)
    for rule in model.applies_to:
        try:
            keep &= attribute_mask(data, rule)
        except ModelError as exc:
            raise ModelError(f"model '{model.name}' applies to: {exc}") from None
    return keep


def segment(data: Dataset, model: ScoringModel) -> Dataset:
    """The leads the model covers, with their events: what its pages and figures read."""
    if not model.applies_to:
        return data
    rules = json.dumps([r.model_dump(mode="json") for r in model.applies_to], sort_keys=True)
    digest = hashlib.sha256(rules.encode()).hexdigest()[:12]  # caches key datasets by name
    return subset(data, covers(data, model), f"{data.name} [{model.describe_coverage()}] {digest}")


def score_models(data: Dataset, models: list[ScoringModel], as_of: AsOf) -> pd.DataFrame:
    """One row per lead and model that applies to it: lead_id, model, fit, engagement,
    score, band; each model scored on its own segment, as the single-model engine does."""
    frames = []
    for model in models:
        part = segment(data, model)
        s = score(build_hits(part, model, as_of), model)
        frames.append(
            pd.DataFrame(
                {
                    "lead_id": part.lead_ids,
                    "model": model.name,
                    "fit": s.fit,
                    "engagement": s.engagement,
                    "score": s.score,
                    "band": s.band_names(model),
                }
            )
        )
    columns = ["lead_id", "model", "fit", "engagement", "score", "band"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def overview(
    data: Dataset,
    entries: list[Entry],
    as_of: AsOf,
    *,
    hits_of: Callable[[Dataset, ScoringModel], Hits] | None = None,
) -> pd.DataFrame:
    """Per model: its revision, the leads it covers, how it ranks those that closed, and
    what it hands to sales (with how those closed). `hits_of` builds a segment's hit
    matrix (the app passes its cache); by default it is built afresh."""
    hits_of = hits_of or (lambda part, model: build_hits(part, model, as_of))
    rows = []
    for e in entries:
        part = segment(data, e.model)
        s = score(hits_of(part, e.model), e.model).score
        ready = s >= e.model.sales_ready_threshold
        closed_ready = ready & (part.outcome != OPEN)
        won_ready = ready & (part.outcome == WON)
        rows.append(
            {
                "model": e.name,
                "revision": e.revision,
                "applies to": e.model.describe_coverage(),
                "leads covered": part.n_leads,
                "closed": int((part.outcome != OPEN).sum()),
                "AUC": auc(s, part.outcome),
                "sales-ready": int(ready.sum()),
                "sales-ready win rate": won_ready.sum() / closed_ready.sum()
                if closed_ready.any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Overlaps:
    """Leads two models both claim (per pair), and leads no model covers."""

    claimed: pd.DataFrame  # lead_id and one bool column per model
    pairs: pd.DataFrame  # model a, model b, leads both claim
    uncovered: int

    def leads(self, kind: str) -> pd.DataFrame:
        """The leads claimed by two models or more ('overlap'), or by none ('uncovered')."""
        n = self.claimed.drop(columns="lead_id").sum(axis=1)
        return self.claimed[n >= 2] if kind == "overlap" else self.claimed[n == 0]


def overlaps(data: Dataset, entries: list[Entry]) -> Overlaps:
    """Which models claim each lead; pairs that claim the same leads, and leads none covers."""
    claimed = pd.DataFrame({"lead_id": data.lead_ids})
    for e in entries:
        claimed[e.name] = covers(data, e.model)
    pairs = [
        {"model a": a.name, "model b": b.name, "leads both claim": int((claimed[a.name] & claimed[b.name]).sum())}
        for a, b in itertools.combinations(entries, 2)
    ]  # fmt: skip
    pairs_frame = pd.DataFrame(pairs, columns=["model a", "model b", "leads both claim"])
    n = (
        claimed.drop(columns="lead_id").sum(axis=1)
        if entries
        else pd.Series(0, index=claimed.index)
    )
    return Overlaps(claimed, pairs_frame[pairs_frame["leads both claim"] > 0], int((n == 0).sum()))
