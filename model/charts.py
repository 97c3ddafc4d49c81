"""Plotly figure builders from small, pre-aggregated frames (no streamlit here).

Colours are fixed across the app: won, lost and open always look the same, and so do
revision A and revision B.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from model.scoring import Explanation
from model.spec import ScoringModel

WON, LOST, OPEN = "#1b9e77", "#d95f02", "#a6a6a6"
OUTCOME_COLOURS = {"won": WON, "lost": LOST, "open": OPEN}
REVISION_A, REVISION_B = "#1f77b4", "#9467bd"


def human_count(n: float) -> str:
    """1234 -> '1.2k', 2_500_000 -> '2.5M'."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}{suffix}"
    return f"{n:,.0f}"


def money(x: float) -> str:
    """12_345 -> '$12.3k'; NaN -> '–'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return "$" + human_count(x)


def percent(x: float, digits: int = 1) -> str:
    """0.1843 -> '18.4 %'; NaN -> '–'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f} %"


def figure_score_histogram(hist: pd.DataFrame, model: ScoringModel, *, width: int) -> go.Figure:
    """Stacked bars of leads per score bucket by outcome, with the band boundaries marked."""
    fig = go.Figure()
    for outcome in ("won", "lost", "open"):
        part = hist[hist["outcome"] == outcome]
        fig.add_bar(
            x=part["bucket"] + width / 2,
            y=part["leads"],
            width=width * 0.95,
            name=outcome,
            marker_color=OUTCOME_COLOURS[outcome],
            hovertemplate=f"{outcome}: %{{y:,}} leads<br>score %{{customdata}}<extra></extra>",
            customdata=[f"{b}–{min(b + width - 1, 100)}" for b in part["bucket"]],
        )
    for band in model.bands[:-1]:
        fig.add_vline(
            x=band.min_score,
            line_dash="dash" if not band.sales_ready else "solid",
            line_color="#444",
            annotation_text=f"{band.name} ≥ {band.min_score}",
            annotation_position="top",
        )
    fig.update_layout(
        barmode="stack",
        xaxis={"title": "score", "range": [0, 101]},
        yaxis={"title": "leads"},
        legend={"orientation": "h", "y": 1.12},
        margin={"t": 40, "b": 40, "l": 50, "r": 10},
        height=340,
    )
    return fig


def figure_waterfall(explanation: Explanation) -> go.Figure:
    """One lead's score built up criterion by criterion, then caps, floor and clipping."""
    labels = [name for name, _ in explanation.steps] + ["Score"]
    values = [value for _, value in explanation.steps] + [explanation.score]
    fig = go.Figure(
        go.Waterfall(
            orientation="v",
            x=labels,
            y=values,
            measure=["relative"] * len(explanation.steps) + ["total"],
            text=[f"{v:+.1f}" for v in values[:-1]] + [f"{explanation.score:.1f}"],
            textposition="outside",
            increasing={"marker": {"color": WON}},
            decreasing={"marker": {"color": LOST}},
            totals={"marker": {"color": REVISION_A}},
            connector={"line": {"color": "#bbb"}},
        )
    )
    fig.update_layout(
        yaxis={"title": "points"},
        margin={"t": 20, "b": 120, "l": 50, "r": 10},
        height=380,
        showlegend=False,
    )
    return fig
