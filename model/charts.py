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
    """Stacked bars of leads per score bucket by outcome, with the band boundaries marked.

    Built in one constructor call (no add_* helpers): plotly validates each call, and this
    figure is redrawn on every slider move.
    """
    bars = []
    for outcome in ("won", "lost", "open"):
        part = hist[hist["outcome"] == outcome]
        starts = part["bucket"].to_numpy()
        bars.append(
            {
                "type": "bar",
                "x": (starts + width / 2).tolist(),
                "y": part["leads"].tolist(),
                "width": width * 0.95,
                "name": outcome,
                "marker": {"color": OUTCOME_COLOURS[outcome]},
                "customdata": [f"{b}–{min(b + width - 1, 100)}" for b in starts],
                "hovertemplate": f"{outcome}: %{{y:,}} leads<br>score %{{customdata}}<extra></extra>",
            }
        )
    boundaries = model.bands[:-1]
    shapes = [
        {
            "type": "line", "xref": "x", "yref": "paper", "x0": b.min_score, "x1": b.min_score,
            "y0": 0, "y1": 1, "line": {"color": "#444", "dash": "solid" if b.sales_ready else "dash"},
        }
        for b in boundaries
    ]  # fmt: skip
    notes = [
        {"x": b.min_score, "y": 1.0, "xref": "x", "yref": "paper", "yanchor": "bottom",
         "text": f"{b.name} ≥ {b.min_score}", "showarrow": False}
        for b in boundaries
    ]  # fmt: skip
    layout = {
        "barmode": "stack",
        "xaxis": {"title": {"text": "score"}, "range": [0, 101]},
        "yaxis": {"title": {"text": "leads"}},
        "legend": {"orientation": "h", "y": 1.14},
        "margin": {"t": 40, "b": 40, "l": 50, "r": 10},
        "height": 340,
        "shapes": shapes,
        "annotations": notes,
    }
    return go.Figure({"data": bars, "layout": layout})


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
