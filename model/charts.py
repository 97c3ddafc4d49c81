"""Chart builders from small, pre-aggregated frames (no streamlit here): Plotly figures,
and Vega-Lite specs with their rows for the charts an edit redraws (Streamlit draws a
changed Plotly figure anew, but swaps a Vega-Lite chart's rows in place).

Colours are fixed across the app: won, lost and open always look the same, and so do
revision A and revision B.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from model.core.dataset import OUTCOMES
from model.core.scoring import Explanation
from model.core.spec import ScoringModel
from model.format import count, percent

# One colour per outcome word (core.dataset.OUTCOMES), the same on every chart.
OUTCOME_COLOURS = dict(zip(OUTCOMES, ("#1b9e77", "#d95f02", "#a6a6a6"), strict=True))
WON, LOST, OPEN = OUTCOME_COLOURS.values()
REVISION_A, REVISION_B = "#1f77b4", "#9467bd"


def score_histogram_spec(
    hist: pd.DataFrame, model: ScoringModel, *, width: int
) -> tuple[pd.DataFrame, dict]:
    """The score histogram as Vega-Lite: stacked bars of leads per bucket by outcome, band
    boundaries marked (dashed; solid for the sales-ready threshold) and named at the top.

    Why Vega-Lite there: Streamlit remounts a Plotly chart whenever its figure changes (the
    figure is the element's identity), so each points edit drew the chart from scratch;
    a Vega-Lite chart whose spec is unchanged only swaps its rows. The band lines live in
    the spec and the counts in the rows, so a points edit changes the rows alone.
    """
    rows = pd.DataFrame(
        {
            "start": hist["bucket"].astype(int),
            "end": (hist["bucket"] + width).clip(upper=101).astype(int),
            "outcome": hist["outcome"].astype(str),
            "order": hist["outcome"].map({o: i for i, o in enumerate(OUTCOMES)}).astype(int),
            "leads": hist["leads"].astype(int),
            "scores": [f"{b}–{min(b + width - 1, 100)}" for b in hist["bucket"]],
        }
    )
    lines = [
        {
            "at": b.min_score,
            "note": f"{b.name} ≥ {b.min_score}",
            "dash": [] if b.sales_ready else [5, 4],
        }
        for b in model.bands[:-1]
    ]
    x = {
        "field": "start",
        "type": "quantitative",
        "bin": {"binned": True, "step": width},
        "scale": {"domain": [0, 101], "nice": False},
        "title": "score",
    }
    bars = {
        "mark": {"type": "bar", "binSpacing": 1},
        "encoding": {
            "x": x,
            "x2": {"field": "end"},
            "y": {"field": "leads", "type": "quantitative", "stack": "zero", "title": "leads"},
            "color": {
                "field": "outcome",
                "type": "nominal",
                "scale": {
                    "domain": list(OUTCOMES),
                    "range": [OUTCOME_COLOURS[o] for o in OUTCOMES],
                },
                "legend": {"orient": "top", "title": None},
            },
            "order": {"field": "order"},
            "tooltip": [
                {"field": "outcome", "type": "nominal"},
                {"field": "leads", "type": "quantitative", "format": ","},
                {"field": "scores", "type": "nominal", "title": "score"},
            ],
        },
    }
    marks = {"data": {"values": lines}, "encoding": {"x": {"field": "at", "type": "quantitative"}}}
    rule = {
        **marks,
        "mark": {"type": "rule", "color": "#444"},
        "encoding": {
            **marks["encoding"],
            "strokeDash": {"field": "dash", "type": "nominal", "scale": None, "legend": None},
        },
    }
    note = {
        **marks,
        "mark": {"type": "text", "baseline": "bottom", "dy": -2, "y": 0},
        "encoding": {**marks["encoding"], "text": {"field": "note"}},
    }
    return rows, _spec([bars, rule, note], 340)


def room_config(font: int) -> dict:
    """Vega-Lite text sizes for presentation mode, readable from the back of a room."""
    return {
        "axis": {"labelFontSize": font, "titleFontSize": font},
        "legend": {"labelFontSize": font},
        "text": {"fontSize": font},
    }


def waterfall_spec(explanation: Explanation) -> tuple[pd.DataFrame, dict]:
    """One lead's score built up criterion by criterion, then caps, floor and clipping, as
    Vega-Lite: each step a bar from the running total before it to the one after, the
    last bar the score. The spec holds no figures, so a new lead or a points edit swaps
    the rows of the chart on the page instead of drawing it again."""
    values = [value for _, value in explanation.steps]
    ends = np.cumsum(values) if values else np.zeros(0)
    starts = ends - np.asarray(values, dtype=float)
    rows = pd.DataFrame(
        {
            "step": _distinct([name for name, _ in explanation.steps] + ["Score"]),
            "order": range(len(values) + 1),
            "start": [*starts.tolist(), 0.0],
            "end": [*ends.tolist(), explanation.score],
            "kind": ["up" if v >= 0 else "down" for v in values] + ["score"],
            "text": [f"{v:+.1f}" for v in values] + [f"{explanation.score:.1f}"],
        }
    )
    rows["top"] = rows[["start", "end"]].max(axis=1)
    x = {
        "field": "step",
        "type": "nominal",
        "sort": {"field": "order"},
        "title": None,
        "axis": {"labelAngle": -40, "labelLimit": 220},
    }
    kinds = {"up": WON, "down": LOST, "score": REVISION_A}
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": x,
            "y": {"field": "start", "type": "quantitative", "title": "points"},
            "y2": {"field": "end"},
            "color": {
                "field": "kind",
                "type": "nominal",
                "scale": {"domain": list(kinds), "range": list(kinds.values())},
                "legend": None,
            },
            "tooltip": [
                {"field": "step", "type": "nominal"},
                {"field": "text", "type": "nominal", "title": "points"},
            ],
        },
    }
    labels = {
        "mark": {"type": "text", "baseline": "bottom", "dy": -3},
        "encoding": {
            "x": x,
            "y": {"field": "top", "type": "quantitative"},
            "text": {"field": "text"},
        },
    }
    return rows, _spec([bars, labels], 380)


def _distinct(names: list[str]) -> list[str]:
    """Names made distinct with zero-width spaces, so that two steps with one label (two
    criteria named alike, or one named "Score") stay two bars on a category axis and
    still read the same."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        out.append(name + "\u200b" * seen.get(name, 0))
        seen[name] = seen.get(name, 0) + 1
    return out


def outcome_histogram_spec(
    frames: dict[str, pd.DataFrame], *, normalised: bool, width: int
) -> tuple[pd.DataFrame, dict]:
    """Won and lost score distributions overlaid, per model (solid A, dotted B), as
    Vega-Lite: another bucket width or model B changes the rows, not the spec.

    `frames` maps a model label to a `histogram_frame`; normalised shows each outcome's
    share of its own total, so won and lost shapes compare despite a 1:9 base rate.
    """
    parts = []
    for i, (label, hist) in enumerate(frames.items()):
        for outcome in ("won", "lost"):
            part = hist[hist["outcome"] == outcome]
            y = part["leads"].to_numpy(dtype=float)
            if normalised and y.sum():
                y = y / y.sum()
            parts.append(
                pd.DataFrame(
                    {
                        "model": label,
                        "order": i,
                        "outcome": outcome,
                        "score": (part["bucket"] + width / 2).to_numpy(dtype=float),
                        "value": y,
                    }
                )
            )
    rows = pd.concat(parts, ignore_index=True)
    y_title, y_format = ("share of outcome", ".0%") if normalised else ("leads", ",")
    line = {
        "mark": {"type": "line", "interpolate": "step", "strokeWidth": 2, "clip": True},
        "encoding": {
            "x": {
                "field": "score",
                "type": "quantitative",
                "scale": {"domain": [0, 100]},
                "title": "score",
            },
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": y_title,
                "axis": {"format": y_format},
            },
            "color": {
                "field": "outcome",
                "type": "nominal",
                "scale": {"domain": ["won", "lost"], "range": [WON, LOST]},
                "legend": {"orient": "top", "title": None},
            },
            "strokeDash": _by_model([[1, 0], [2, 3]]),
            "tooltip": [
                {"field": "model", "type": "nominal"},
                {"field": "outcome", "type": "nominal"},
                {"field": "score", "type": "quantitative"},
                {"field": "value", "type": "quantitative", "format": y_format, "title": y_title},
            ],
        },
    }
    return rows, _spec([line], 330)


def _by_model(values: list, *, field: str = "model", title: str | None = "model") -> dict:
    """An encoding that tells model A from model B (or the current threshold from the
    proposed one): `values` in the order of the rows' `order`, whatever their labels."""
    return {
        "field": field,
        "type": "nominal",
        "sort": {"field": "order"},
        "scale": {"range": values},
        "legend": {"orient": "top", "title": title},
    }


def bucket_win_rate_spec(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """Win rate per score bucket with 95 % Wilson intervals and the closed leads in each;
    A and B side by side. Vega-Lite: another bucket width or model B changes the rows."""
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "model": label,
                    "order": i,
                    "bucket": t["bucket"],
                    "start": t["start"],
                    "win_rate": t["win_rate"].fillna(0).astype(float),
                    "low": t["low"].fillna(0).astype(float),
                    "high": t["high"].fillna(0).astype(float),
                    "leads": t["leads"].astype(int),
                    "closed": [count(n) for n in t["leads"]],
                }
            )
            for i, (label, t) in enumerate(tables.items())
        ],
        ignore_index=True,
    )
    x = {
        "field": "bucket",
        "type": "ordinal",
        "sort": {"field": "start"},
        "title": "score bucket",
        "axis": {"labelAngle": 0},
    }
    offset = {"field": "model", "type": "nominal", "sort": {"field": "order"}}
    rate = {
        "field": "win_rate",
        "type": "quantitative",
        "title": "win rate",
        "axis": {"format": ".0%"},
    }
    layers = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": x,
                "xOffset": offset,
                "y": rate,
                "color": _by_model([REVISION_A, REVISION_B]),
                "tooltip": [
                    {"field": "model", "type": "nominal"},
                    {"field": "bucket", "type": "ordinal"},
                    {
                        "field": "win_rate",
                        "type": "quantitative",
                        "format": ".1%",
                        "title": "win rate",
                    },
                    {
                        "field": "leads",
                        "type": "quantitative",
                        "format": ",",
                        "title": "closed leads",
                    },
                ],
            },
        },
        {
            "mark": {"type": "rule", "color": "#333"},
            "encoding": {
                "x": x,
                "xOffset": offset,
                "y": {"field": "low", "type": "quantitative"},
                "y2": {"field": "high"},
            },
        },
        {
            "mark": {
                "type": "text",
                "baseline": "bottom",
                "dy": -2,
                "fontSize": 11,  # fixed, even for the room: two counts share a bucket's width
                "color": "#444",
            },
            "encoding": {
                "x": x,
                "xOffset": offset,
                "y": {"field": "high", "type": "quantitative"},
                "text": {"field": "closed"},
            },
        },
    ]
    return rows, _spec(layers, 330)


def grade_matrix_spec(grid: pd.DataFrame, *, top: float) -> tuple[pd.DataFrame, dict]:
    """Fit grade x engagement grade heat map of win rate, with closed leads per cell. Two
    matrices side by side pass the same `top` (the highest win rate of both), so one shade
    means one win rate. Vega-Lite, the shades in the rows: model B changes the rows."""
    rate = grid["win_rate"].astype(float)
    shade = rate / top if top > 0 else rate * 0.0
    rows = pd.DataFrame(
        {
            "fit": grid["fit"].astype(str),
            "engagement": grid["engagement"].astype(str),
            "win_rate": rate,
            "leads": grid["leads"].astype(int),
            "shade": shade,
            "dark": (shade > 0.55).fillna(False),
            "label": [
                f"{percent(r)}\n{count(n)} leads" for r, n in zip(rate, grid["leads"], strict=True)
            ],
        }
    )
    x = {
        "field": "engagement",
        "type": "ordinal",
        "title": "engagement grade (1 = top quarter)",
        "axis": {"labelAngle": 0, "orient": "top"},
    }
    y = {"field": "fit", "type": "ordinal", "title": "fit grade (A = top quarter)"}
    layers = [
        {
            "mark": {"type": "rect"},
            "encoding": {
                "x": x,
                "y": y,
                "color": {
                    "field": "shade",
                    "type": "quantitative",
                    "scale": {"scheme": "greens", "domain": [0, 1]},
                    "legend": None,
                },
                "tooltip": [
                    {"field": "fit", "title": "fit grade"},
                    {"field": "engagement", "title": "engagement grade"},
                    {"field": "win_rate", "type": "quantitative", "format": ".1%"},
                    {"field": "leads", "type": "quantitative", "format": ",", "title": "closed"},
                ],
            },
        },
        {  # labels at a fixed 14 px: two lines fit a cell, even at the room's sizes
            "mark": {"type": "text", "lineBreak": "\n", "fontSize": 14},
            "encoding": {
                "x": x,
                "y": y,
                "text": {"field": "label"},
                "color": {"condition": {"test": "datum.dark", "value": "white"}, "value": "#222"},
            },
        },
    ]
    return rows, _spec(layers, 330)


def gains_spec(curves: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """Cumulative gains: share of wins captured against share of leads worked, best first,
    per model, beside random order (dashed). Vega-Lite: model B changes the rows."""
    random = pd.DataFrame(
        {"model": "random", "order": -1, "leads_share": [0.0, 1.0], "wins_share": [0.0, 1.0]}
    )
    rows = pd.concat(
        [random]
        + [
            pd.DataFrame(
                {
                    "model": label,
                    "order": i,
                    "leads_share": g["leads_share"].astype(float),
                    "wins_share": g["wins_share"].astype(float),
                }
            )
            for i, (label, g) in enumerate(curves.items())
        ],
        ignore_index=True,
    )
    colour = _by_model(["#999", REVISION_A, REVISION_B])
    line = {
        "mark": {"type": "line"},
        "encoding": {
            "x": {
                "field": "leads_share",
                "type": "quantitative",
                "title": "share of closed leads, highest score first",
                "axis": {"format": ".0%"},
            },
            "y": {
                "field": "wins_share",
                "type": "quantitative",
                "title": "share of wins captured",
                "axis": {"format": ".0%"},
            },
            "color": colour,
            "strokeDash": {**colour, "scale": {"range": [[5, 4], [1, 0], [1, 0]]}, "legend": None},
            "order": {"field": "leads_share"},
        },
    }
    return rows, _spec([line], 330)


def precision_recall_spec(
    sweep: pd.DataFrame, current: pd.Series, proposed: pd.Series
) -> tuple[pd.DataFrame, dict]:
    """Win rate (precision) against share of wins reached (recall) over every threshold,
    with the current and the proposed threshold (their sweep rows) marked, as Vega-Lite:
    the marks are rows of their own, so moving the proposed threshold swaps rows and
    redraws in place."""
    curve = pd.DataFrame(
        {
            "kind": "every threshold",
            "recall": sweep["recall"].astype(float),
            "win_rate": sweep["win_rate"].astype(float),
            "threshold": sweep["threshold"].astype(int),
        }
    )
    marks = [
        {
            "kind": kind,
            "recall": float(row["recall"]),
            "win_rate": float(row["win_rate"]),
            "threshold": int(row["threshold"]),
            "label": f"{kind} {int(row['threshold'])}",
        }
        for kind, row in (("current", current), ("proposed", proposed))
    ]
    rows = pd.concat([curve, pd.DataFrame(marks)], ignore_index=True)
    rows["label"] = rows["label"].fillna("")
    x = {
        "field": "recall",
        "type": "quantitative",
        "scale": {"domain": [0, 1.02]},
        "axis": {"format": ".0%"},
        "title": "share of all wins handed to sales (recall)",
    }
    y = {
        "field": "win_rate",
        "type": "quantitative",
        "axis": {"format": ".0%"},
        "title": "win rate of sales-ready leads (precision)",
    }
    colour = {
        "field": "kind",
        "type": "nominal",
        "scale": {
            "domain": ["every threshold", "current", "proposed"],
            "range": ["#888", REVISION_A, REVISION_B],
        },
        "legend": {"orient": "top", "title": None},
    }
    tooltip = [
        {"field": "threshold", "type": "quantitative"},
        {"field": "recall", "type": "quantitative", "format": ".0%"},
        {"field": "win_rate", "type": "quantitative", "format": ".1%", "title": "win rate"},
    ]
    only = {"filter": "datum.kind === 'every threshold'"}
    marked = {"filter": "datum.kind !== 'every threshold'"}  # the two marked thresholds
    layers = [
        {
            "transform": [only],
            "mark": {"type": "line"},
            "encoding": {"x": x, "y": y, "color": colour, "order": {"field": "threshold"}},
        },
        {
            "transform": [marked],
            "mark": {"type": "point", "filled": True, "size": 140},
            "encoding": {"x": x, "y": y, "color": colour, "tooltip": tooltip},
        },
        *(
            {  # current above its point, proposed below: legible when they coincide
                "transform": [{"filter": f"datum.kind === '{kind}'"}],
                "mark": {"type": "text", "align": "left", "dx": 8, "dy": dy},
                "encoding": {"x": x, "y": y, "text": {"field": "label"}},
            }
            for kind, dy in (("current", -10), ("proposed", 14))
        ),
    ]
    return rows, _spec(layers, 340)


def handoffs_spec(weeks: dict[str, pd.DataFrame], capacity: float) -> tuple[pd.DataFrame, dict]:
    """Hand-offs per week for each threshold (the first in A's colour, the second in
    B's) against the team's weekly capacity, as Vega-Lite; the thresholds and the
    capacity are rows, so changing either redraws the chart in place."""
    parts = [
        pd.DataFrame(
            {
                "series": label,
                "order": i,
                "week": w["week"].dt.strftime("%Y-%m-%d"),
                "handoffs": w["handoffs"].astype(float),
            }
        )
        for i, (label, w) in enumerate(weeks.items())
    ]
    rows = pd.concat(parts, ignore_index=True)
    rows["capacity"] = float(capacity)
    rows["capacity_note"] = f"capacity {capacity:g} / week"
    x = {"field": "week", "type": "temporal", "title": "week"}
    once = {
        "aggregate": [{"op": "max", "field": "capacity", "as": "capacity"}],
        "groupby": ["capacity_note"],
    }
    layers = [
        {
            "mark": {"type": "line"},
            "encoding": {
                "x": x,
                "y": {
                    "field": "handoffs",
                    "type": "quantitative",
                    "title": "leads handed to sales",
                },
                "color": _by_model([REVISION_A, REVISION_B], field="series", title=None),
                "tooltip": [
                    {"field": "series", "type": "nominal", "title": "threshold"},
                    {"field": "week", "type": "temporal"},
                    {"field": "handoffs", "type": "quantitative"},
                ],
            },
        },
        {
            "transform": [once],
            "mark": {"type": "rule", "color": LOST, "strokeDash": [6, 4]},
            "encoding": {"y": {"field": "capacity", "type": "quantitative"}},
        },
        {
            "transform": [once],
            "mark": {
                "type": "text",
                "align": "right",
                "baseline": "bottom",
                "dy": -3,
                "x": "width",
            },
            "encoding": {
                "y": {"field": "capacity", "type": "quantitative"},
                "text": {"field": "capacity_note"},
            },
        },
    ]
    return rows, _spec(layers, 340)


def _spec(layers: list[dict], height: int) -> dict:
    """A layered Vega-Lite spec (ui.components.vega_chart enlarges it for the room)."""
    return {"height": height, "layer": layers}


def figure_reliability(calibrated: pd.DataFrame, baseline: pd.DataFrame) -> go.Figure:
    """Predicted vs observed win rate per confidence bin, with 95 % Wilson intervals, for
    the calibrated confidence and the score/100 baseline; the diagonal is perfect."""
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": [0, 1],
            "y": [0, 1],
            "name": "perfect",
            "line": {"color": "#999", "dash": "dash"},
        }
    ]
    for label, frame, colour in (
        ("score / 100", baseline, OPEN),
        ("calibrated (out of fold)", calibrated, REVISION_A),
    ):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+lines+text",
                "name": label,
                "x": frame["predicted"].tolist(),
                "y": frame["observed"].tolist(),
                "text": [count(n) for n in frame["leads"]],
                "textposition": "top left",
                "textfont": {"size": 10, "color": colour},
                "marker": {"color": colour, "size": 9},
                "line": {"color": colour},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": (frame["high"] - frame["observed"]).tolist(),
                    "arrayminus": (frame["observed"] - frame["low"]).tolist(),
                },
                "customdata": frame["leads"].tolist(),
                "hovertemplate": "predicted %{x:.1%}<br>observed %{y:.1%}<br>"
                "%{customdata:,} leads<extra></extra>",
            }
        )
    layout = {
        "xaxis": {
            "title": {"text": "predicted win probability"},
            "tickformat": ".0%",
            "range": [0, 1],
        },
        "yaxis": {"title": {"text": "observed win rate"}, "tickformat": ".0%", "range": [0, 1]},
        "legend": {"orientation": "h", "y": 1.12},
        "margin": {"t": 40, "b": 40, "l": 60, "r": 10},
        "height": 420,
    }
    return go.Figure({"data": traces, "layout": layout})


def figure_forecast(table: pd.DataFrame, level: float) -> go.Figure:
    """Expected revenue per group with its interval, beside the open pipeline value."""
    groups = table["group"].astype(str).tolist()
    traces = [
        {
            "type": "bar",
            "x": groups,
            "y": table["pipeline_value"].tolist(),
            "name": "open pipeline value",
            "marker": {"color": OPEN},
        },
        {
            "type": "bar",
            "x": groups,
            "y": table["expected"].tolist(),
            "name": f"expected revenue ({level:.0%} interval)",
            "marker": {"color": WON},
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": (table["high"] - table["expected"]).tolist(),
                "arrayminus": (table["expected"] - table["low"]).tolist(),
            },
        },
    ]
    layout = {
        "barmode": "group",
        "yaxis": {"title": {"text": "revenue"}, "tickprefix": "$"},
        "legend": {"orientation": "h", "y": 1.15},
        "margin": {"t": 40, "b": 40, "l": 60, "r": 10},
        "height": 360,
    }
    return go.Figure({"data": traces, "layout": layout})


def figure_group_win_rate(table: pd.DataFrame) -> go.Figure:
    """Win rate of closed leads per category with 95 % Wilson intervals, leads as labels."""
    trace = {
        "type": "bar",
        "x": table["category"].astype(str).tolist(),
        "y": table["win_rate"].tolist(),
        "marker": {"color": WON},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": (table["high"] - table["win_rate"]).tolist(),
            "arrayminus": (table["win_rate"] - table["low"]).tolist(),
        },
        "text": [count(n) for n in table["closed"]],
        "textposition": "inside",
        "insidetextanchor": "start",
        "hovertemplate": "%{x}<br>win rate %{y:.1%}<br>%{text} closed<extra></extra>",
    }
    layout = {
        "yaxis": {"title": {"text": "win rate of closed leads"}, "tickformat": ".0%"},
        "margin": {"t": 20, "b": 40, "l": 60, "r": 10},
        "height": 340,
    }
    return go.Figure({"data": [trace], "layout": layout})


def figure_score_by_group(shares: pd.DataFrame) -> go.Figure:
    """Score distribution per category (share of its leads per bucket), one line each."""
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": str(name),
            "x": (part["bucket"] + 5).tolist(),
            "y": part["share"].tolist(),
        }
        for name, part in shares.groupby("category", sort=False)
    ]
    layout = {
        "xaxis": {"title": {"text": "score"}, "range": [0, 100]},
        "yaxis": {"title": {"text": "share of the category's leads"}, "tickformat": ".0%"},
        "legend": {"orientation": "h", "y": 1.2},
        "margin": {"t": 40, "b": 40, "l": 60, "r": 10},
        "height": 360,
    }
    return go.Figure({"data": traces, "layout": layout})


def figure_score_history(rows: pd.DataFrame, model: ScoringModel) -> go.Figure:
    """One lead's score over time: a step after each event (decay drawn as the slope to
    the next row), with each band's lower boundary as a line."""
    x = rows["when"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": x,
        "y": rows["score"].round(1).tolist(),
        "text": rows["what"].tolist(),
        "hovertemplate": "%{x}<br>%{text}<br>score %{y}<extra></extra>",
        "line": {"color": REVISION_A},
        "name": "score",
    }
    shapes, notes = [], []
    for band in model.bands:
        if band.min_score <= 0:
            continue
        colour = WON if band.sales_ready else OPEN
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": band.min_score,
                "y1": band.min_score,
                "line": {"color": colour, "dash": "dash"},
            }
        )
        notes.append(
            {
                "xref": "paper",
                "x": 0,
                "y": band.min_score,
                "xanchor": "left",
                "yanchor": "bottom",
                "text": f"{band.name} from {band.min_score:g}",
                "showarrow": False,
            }
        )
    layout = {
        "xaxis": {"title": {"text": "when"}},
        "yaxis": {"title": {"text": "score"}, "range": [0, 100]},
        "shapes": shapes,
        "annotations": notes,
        "showlegend": False,
        "margin": {"t": 20, "b": 40, "l": 60, "r": 10},
        "height": 320,
    }
    return go.Figure({"data": [trace], "layout": layout})
