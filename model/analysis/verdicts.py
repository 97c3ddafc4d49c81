"""Verdicts in words: one or two sentences, computed from the figures, that say which model
or threshold does better and by how much, and whether the difference is beyond noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.analysis.replay import Report, threshold_sweep
from model.analysis.stats import auc_difference
from model.core.dataset import Dataset
from model.core.spec import ScoringModel
from model.format import percent


def compare(
    data: Dataset,
    a: Report,
    model_a: ScoringModel,
    b: Report,
    model_b: ScoringModel,
    *,
    names: tuple[str, str] = ("A", "B"),
) -> str:
    """Which of two models ranks the closed leads better (AUC, with the interval of the
    paired difference), and what each sends to sales at its own sales-ready line."""
    diff, low, high = auc_difference(a.scores.score, b.scores.score, data.outcome)
    auc_a, auc_b = a.summary["auc"], b.summary["auc"]
    if np.isnan(diff):
        ranking = "There are too few won and lost leads to say which model ranks them better."
    elif low <= 0 <= high:
        ranking = (
            f"{names[0]} and {names[1]} rank the closed leads alike: AUC {auc_a:.3f} and "
            f"{auc_b:.3f}, a difference within noise (95 % interval of {names[1]} − "
            f"{names[0]}: {_signed(low)} to {_signed(high)})."
        )
    else:
        better, worse = (names[1], names[0]) if diff > 0 else (names[0], names[1])
        ranking = (
            f"{better} ranks the closed leads better than {worse}: AUC "
            f"{max(auc_a, auc_b):.3f} against {min(auc_a, auc_b):.3f} (95 % interval of "
            f"{names[1]} − {names[0]}: {_signed(low)} to {_signed(high)})."
        )
    return f"{ranking} {_routing(data, a, model_a, b, model_b, names)}"


def _routing(data, a, model_a, b, model_b, names) -> str:
    ra = _at_line(data, a, model_a)
    rb = _at_line(data, b, model_b)
    more = rb["per_week"] - ra["per_week"]
    if abs(more) < 0.05:
        volume = f"both send {ra['per_week']:.1f} leads a week to sales"
    else:
        volume = (
            f"{names[1]} sends {abs(more):.1f} {'more' if more > 0 else 'fewer'} leads a week to "
            f"sales than {names[0]} ({rb['per_week']:.1f} against {ra['per_week']:.1f})"
        )
    return (
        f"At their sales-ready lines ({model_a.sales_ready_threshold} and "
        f"{model_b.sales_ready_threshold}) {volume}, winning {percent(rb['win_rate'])} of "
        f"them against {percent(ra['win_rate'])}."
    )


def _at_line(data: Dataset, rep: Report, model: ScoringModel) -> pd.Series:
    sweep = threshold_sweep(data, rep.scores)
    return sweep.set_index("threshold").loc[model.sales_ready_threshold]


def thresholds(sweep: pd.DataFrame, current: int, proposed: int) -> str:
    """What moving the sales-ready line from `current` to `proposed` changes, in words."""
    rows = sweep.set_index("threshold")
    now, then = rows.loc[current], rows.loc[proposed]
    if current == proposed:
        return (
            f"At {current}, sales gets {now['per_week']:.1f} leads a week and wins "
            f"{percent(now['win_rate'])} of them; {int(now['missed_wins']):,} wins go to nurture."
        )
    lower = proposed < current
    wins = int(now["missed_wins"] - then["missed_wins"])
    return (
        f"Moving the line from {current} to {proposed} sends "
        f"{abs(then['per_week'] - now['per_week']):.1f} {'more' if lower else 'fewer'} leads a "
        f"week to sales ({then['per_week']:.1f} instead of {now['per_week']:.1f}), winning "
        f"{percent(then['win_rate'])} of them instead of {percent(now['win_rate'])}; "
        + (
            f"{abs(wins):,} {'fewer' if wins > 0 else 'more'} wins go to nurture."
            if wins
            else "as many wins go to nurture."
        )
    )


def _signed(x: float) -> str:
    return f"{x:+.3f}"


def single(rep: Report) -> str:
    """What one model's ranking means, for a page without a model to compare with."""
    s = rep.summary
    if np.isnan(s["auc"]):
        return "There are too few won and lost leads to judge the ranking."
    return (
        f"A won lead outscores a lost one {percent(s['auc'], 0)} of the time (AUC "
        f"{s['auc']:.3f}); the top 10 % of scores win {s['lift_top10']:.2f} times the average "
        f"and hold {percent(s['capture_top10'], 0)} of the wins."
    )
