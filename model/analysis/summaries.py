"""Small frames people read: the band table and histogram from one 101-bin count, the
model preview, and win rates per score bucket."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.stats import wilson
from model.core.dataset import OPEN, OUTCOMES, WON, Dataset
from model.core.scoring import N_BINS, Scores, score_bins
from model.core.spec import ScoringModel


def band_table(counts: np.ndarray, won_value: np.ndarray, model: ScoringModel) -> pd.DataFrame:
    """Per band: range, action, leads, share, won, lost, open, win rate of closed, revenue won."""
    rows = []
    top = N_BINS
    total = max(int(counts.sum()), 1)
    for b in model.bands:
        part = counts[:, b.min_score : top]
        won, lost, open_ = (int(x) for x in part.sum(axis=1))
        leads = won + lost + open_
        rows.append(
            {
                "band": b.name,
                "range": f"{b.min_score}–{top - 1}",
                "action": b.action,
                "sales_ready": b.sales_ready,
                "leads": leads,
                "share": leads / total,
                "won": won,
                "lost": lost,
                "open": open_,
                "win_rate": won / (won + lost) if won + lost else np.nan,
                "revenue_won": float(won_value[b.min_score : top].sum()),
            }
        )
        top = b.min_score
    return pd.DataFrame(rows)


def histogram_frame(counts: np.ndarray, *, width: int = 5) -> pd.DataFrame:
    """Leads per score bucket of `width` points and outcome, long format for plotting."""
    starts = np.arange(0, N_BINS, width)
    summed = np.add.reduceat(counts, starts, axis=1)
    frames = [
        pd.DataFrame({"bucket": starts, "outcome": name, "leads": summed[o]})
        for o, name in enumerate(OUTCOMES)
    ]
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Preview:
    """What the Model page shows under the editor: band table and score histogram."""

    bands: pd.DataFrame
    histogram: pd.DataFrame
    sales_ready: int
    sales_ready_win_rate: float
    other_win_rate: float


def preview(data: Dataset, scores: Scores, model: ScoringModel, *, width: int = 5) -> Preview:
    """Band table, histogram and sales-ready summary from one 101-bin count."""
    counts, won_value = score_bins(scores.score, data.outcome, data.won_value)
    bands = band_table(counts, won_value, model)
    ready = counts[:, model.sales_ready_threshold :]
    rest = counts[:, : model.sales_ready_threshold]
    return Preview(
        bands=bands,
        histogram=histogram_frame(counts, width=width),
        sales_ready=int(ready.sum()),
        sales_ready_win_rate=_win_rate(ready),
        other_win_rate=_win_rate(rest),
    )


def _win_rate(counts: np.ndarray) -> float:
    won, lost = counts[0].sum(), counts[1].sum()
    return float(won / (won + lost)) if won + lost else float("nan")


def bucket_table(score: np.ndarray, outcome: np.ndarray, *, width: int = 10) -> pd.DataFrame:
    """Closed leads per score bucket: leads, won, win rate and its 95 % Wilson interval."""
    if width <= 0 or 100 % width:
        raise ValueError(f"width must divide 100 (e.g. 5 or 10), got {width}")
    closed = outcome != OPEN
    idx = np.minimum(score[closed].astype(np.intp) // width, 100 // width - 1)
    n = np.bincount(idx, minlength=100 // width)
    won = np.bincount(idx, weights=outcome[closed] == WON, minlength=100 // width)
    low, high = wilson(won, n)
    starts = np.arange(0, 100, width)
    ends = np.where(starts + width >= 100, 100, starts + width - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = won / n
    return pd.DataFrame(
        {
            "bucket": [f"{a}–{b}" for a, b in zip(starts, ends, strict=True)],
            "start": starts,
            "leads": n,
            "won": won.astype(np.int64),
            "win_rate": rate,
            "low": low,
            "high": high,
        }
    )


def falling_buckets(buckets: pd.DataFrame, *, min_leads: int = 30) -> list[tuple[str, str]]:
    """Neighbouring buckets (with enough leads) where the win rate falls as score rises."""
    kept = buckets[buckets["leads"] >= min_leads]
    pairs = zip(kept.itertuples(), kept.iloc[1:].itertuples(), strict=False)
    return [(a.bucket, b.bucket) for a, b in pairs if b.win_rate < a.win_rate]
