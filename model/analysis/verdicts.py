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
    return f"{ranking[0].upper()}{ranking[1:]} {_routing(data, a, model_a, b, model_b, names)}"


def _routing(data, a, model_a, b, model_b, names) -> str:
    weekly = data.has_dates
    ra, rb = _at_line(data, a, model_a), _at_line(data, b, model_b)
    (na, unit), (nb, _) = _volume(ra, weekly), _volume(rb, weekly)
    more = nb - na
    if abs(more) < 0.05:
        volume = f"both send {_leads(na, weekly)} leads {unit} to sales"
    else:
        volume = (
            f"{names[1]} sends {_leads(abs(more), weekly)} {'more' if more > 0 else 'fewer'} "
            f"leads {unit} to sales than {names[0]} ({_leads(nb, weekly)} against "
            f"{_leads(na, weekly)})"
        )
    if na and nb:
        wins = f", winning {percent(rb['win_rate'])} of them against {percent(ra['win_rate'])}"
    elif na or nb:
        sender, row = (names[1], rb) if nb else (names[0], ra)
        wins = f"; {sender} wins {percent(row['win_rate'])} of those it sends"
    else:
        wins = ""
    return (
        f"At their sales-ready lines ({model_a.sales_ready_threshold} and "
        f"{model_b.sales_ready_threshold}) {volume}{wins}."
    )


def _at_line(data: Dataset, rep: Report, model: ScoringModel) -> pd.Series:
    sweep = threshold_sweep(data, rep.scores)
    return sweep.set_index("threshold").loc[model.sales_ready_threshold]


def _volume(row: pd.Series, weekly: bool) -> tuple[float, str]:
    """Leads sent to sales at a line: a week when the data has dates (so a pace exists),
    else in all."""
    return (float(row["per_week"]), "a week") if weekly else (float(row["sales_ready"]), "in all")


def _leads(x: float, weekly: bool) -> str:
    return f"{x:,.1f}" if weekly else f"{x:,.0f}"


def thresholds(sweep: pd.DataFrame, current: int, proposed: int, *, weekly: bool = True) -> str:
    """What moving the sales-ready line from `current` to `proposed` changes, in words
    (`weekly`: the data has dates, so leads are counted a week, else in all)."""
    rows = sweep.set_index("threshold")
    now, then = rows.loc[current], rows.loc[proposed]
    (n_now, unit), (n_then, _) = _volume(now, weekly), _volume(then, weekly)
    if current == proposed:
        return (
            f"At {current}, sales gets {_leads(n_now, weekly)} leads {unit} and wins "
            f"{percent(now['win_rate'])} of them; {int(now['missed_wins']):,} wins go to nurture."
        )
    lower = proposed < current
    wins = int(now["missed_wins"] - then["missed_wins"])
    return (
        f"Moving the line from {current} to {proposed} sends "
        f"{_leads(abs(n_then - n_now), weekly)} {'more' if lower else 'fewer'} leads {unit} to "
        f"sales ({_leads(n_then, weekly)} instead of {_leads(n_now, weekly)}), winning "
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


def preview(sales_ready: int, n_leads: int, ready_rate: float, other_rate: float) -> str:
    """The Model page's first sentence: what the model in force hands to sales and how
    those leads closed against the rest."""
    if not sales_ready:
        return "This model hands no lead to sales: no lead reaches the sales-ready line."
    said = (
        f"This model hands {sales_ready:,} of {n_leads:,} leads "
        f"({percent(sales_ready / max(n_leads, 1))}) to sales"
    )
    if np.isnan(ready_rate) or np.isnan(other_rate):
        return said + "; too few of them have closed to give a win rate."
    said += f"; {percent(ready_rate)} of those that closed were won, against {percent(other_rate)} of the rest"
    if other_rate > 0 and ready_rate > other_rate:
        said += f": {ready_rate / other_rate:.1f} times as often"
    elif ready_rate <= other_rate:
        said += ": the sales-ready leads do not win more often, so the points need another look"
    return said + "."
