"""Thresholds page: move the sales-ready line and band boundaries, see what sales gets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model import charts, format
from model.analysis import handoff, replay, summaries, verdicts
from model.core import scoring
from model.core.dataset import Dataset
from model.core.hits import Hits
from model.core.spec import ModelError, ScoringModel, parse_model
from ui import caches, components, sidebar, state, target, timing


@st.cache_resource(
    max_entries=4,
    show_spinner="Replaying every lead's score event by event…",
    hash_funcs=caches.BY_VALUE,
)
def _timeline(data: Dataset, model: ScoringModel, _hits: Hits) -> handoff.Timeline:
    """The live score timeline depends on the whole model (points too), not on as-of."""
    return handoff.score_timeline(data, _hits, model, moments_only=True)


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=caches.BY_VALUE)
def _handoffs(
    data: Dataset, model: ScoringModel, threshold: int, _line: handoff.Timeline
) -> handoff.Handoffs:
    """Hand-offs at one threshold on the model's timeline: the current line's are read on
    every move of the proposed one, and a line moved back is read again."""
    return handoff.handoffs(data, _line, threshold)


def _proposed(model: ScoringModel) -> ScoringModel:
    """The model with the band boundaries from the sliders (errors keep the current one)."""
    cols = st.columns(len(model.bands) - 1)
    bands = model.to_dict()["bands"]
    for i, (col, band) in enumerate(zip(cols, model.bands[:-1], strict=True)):
        key = f"boundary_{i}"
        st.session_state.setdefault(key, band.min_score)
        label = f"{band.name} from" + (
            " (sales-ready threshold)" if band.min_score == model.sales_ready_threshold else ""
        )
        col.slider(label, 1, 100, **state.kept(key))
        bands[i]["min_score"] = st.session_state[key]
    try:
        return parse_model({**model.to_dict(), "bands": bands})
    except ModelError as exc:
        st.error(f"Not applied: {exc}")
        return model


def _sweep_row(sweep: pd.DataFrame, t: int) -> pd.Series:
    return sweep.loc[sweep["threshold"] == t].iloc[0]


def main() -> None:
    state.require_router()
    st.title("What-if thresholds")
    target.note()
    _what_if()
    sidebar.tour_next("Thresholds")


@components.fragment
def _what_if() -> None:
    """Everything below the title: moving a boundary or the team's capacity reruns this
    alone, not the sidebar ("Use these boundaries" reruns the whole page)."""
    data = caches.dataset()
    as_of = st.session_state["as_of"]
    model = st.session_state["model"]
    st.caption(
        f"Leads scored {as_of.describe()}, with the model from the Model page. Move a "
        "boundary to see what sales would get before anything goes live."
    )
    proposed = _proposed(model)
    current_t, proposed_t = model.sales_ready_threshold, proposed.sales_ready_threshold
    hits = caches.fitting_hits(data, model, as_of)
    scores = scoring.score(hits, model)
    sweep = replay.threshold_sweep(data, scores)
    now, then = _sweep_row(sweep, current_t), _sweep_row(sweep, proposed_t)

    moved = proposed_t != current_t
    st.info(
        verdicts.thresholds(sweep, current_t, proposed_t, weekly=data.has_dates),
        icon=":material/gavel:",
    )

    def delta(text: str) -> str | None:
        return text if moved else None

    m = st.columns(5)
    if data.has_dates:
        m[0].metric(
            "Sales-ready leads / week",
            f"{then['per_week']:.1f}",
            delta(f"{then['per_week'] - now['per_week']:+.1f} vs {current_t}"),
        )
    else:  # no created dates, so no weeks: every sales-ready lead, counted once
        m[0].metric(
            "Sales-ready leads",
            f"{int(then['sales_ready']):,}",
            delta(f"{int(then['sales_ready'] - now['sales_ready']):+,} vs {current_t}"),
        )
    m[1].metric(
        "Their win rate",
        format.percent(then["win_rate"]),
        delta(f"{100 * (then['win_rate'] - now['win_rate']):+.1f} pts"),
    )
    m[2].metric(
        "Share of all wins (recall)",
        format.percent(then["recall"]),
        delta(f"{100 * (then['recall'] - now['recall']):+.1f} pts"),
    )
    m[3].metric(
        "Wins sent to nurture",
        f"{int(then['missed_wins']):,}",
        delta(f"{int(then['missed_wins'] - now['missed_wins']):+,}"),
        delta_color="inverse",
    )
    gained = then["revenue_captured"] - now["revenue_captured"]  # NaN: no deal values
    m[4].metric(
        "Revenue captured",
        format.money(then["revenue_captured"]),
        None if pd.isna(gained) else delta(format.money(gained)),
    )

    table = replay.compare_thresholds(sweep, current_t, proposed_t)
    weekly = ["per_week"] if data.has_dates else []  # no dates, no weeks
    components.table(
        table[
            ["sales_ready", *weekly, "win_rate", "recall", "missed_wins", "revenue_captured"]
        ].rename(
            columns={
                "sales_ready": "sales-ready leads",
                "per_week": "per week",
                "win_rate": "win rate",
                "missed_wins": "wins missed",
                "revenue_captured": "revenue captured",
            }
        ),
        percent=["win rate", "recall"],
        money=["revenue captured"],
        decimals={"per week": 1},
        whole=["sales-ready leads", "wins missed"],
        hide_index=False,
    )
    left, right = st.columns(2)
    with left:
        components.vega_chart(*charts.precision_recall_spec(sweep, now, then))
        st.caption(
            "Each point is a threshold: further right reaches more of the wins, higher"
            " means sales wins more of what it gets."
        )
    with right:
        counts, won_value = scoring.score_bins(scores.score, data.outcome, data.won_value)
        bands = summaries.band_table(counts, won_value, proposed)
        st.markdown("**Bands with the proposed boundaries**")
        components.band_table(
            bands, columns=["band", "range", "leads", "share", "won", "win_rate", "revenue_won"]
        )
        if proposed is not model and st.button(
            "Use these boundaries in the model", key="use_boundaries"
        ):
            state.load_into_editor(proposed)
            st.rerun()

    st.subheader("Handoff simulation")
    st.caption(
        "Each lead's score replayed after every event, with decay; a lead is handed to "
        "sales the first time it reaches the threshold."
    )
    if not data.has_dates:  # every hand-off would fall in one "week": today
        st.info(
            "This dataset has no created dates, so there are no weeks to hand leads off "
            "in. Map a created date on the Data page to simulate hand-offs per week.",
            icon=":material/event_busy:",
        )
        timing.mark("drawn")
        return
    c1, c2 = st.columns(2)
    st.session_state.setdefault("reps", 4)
    st.session_state.setdefault("per_rep", 10)
    c1.number_input("Sales reps", 1, 500, **state.kept("reps"))
    c2.number_input("Leads each rep can take per week", 1, 500, **state.kept("per_rep"))
    capacity = st.session_state["reps"] * st.session_state["per_rep"]
    line = _timeline(data, model, hits)
    runs = {f"current ({current_t})": _handoffs(data, model, current_t, line)}
    if proposed_t != current_t:
        runs[f"proposed ({proposed_t})"] = _handoffs(data, model, proposed_t, line)
    components.vega_chart(*charts.handoffs_spec({k: r.per_week for k, r in runs.items()}, capacity))
    st.caption(
        "Leads handed to sales per week under each threshold; the dashed line is what "
        "the team can take."
    )
    components.table(
        pd.DataFrame(
            {
                "handed off": [r.handed_off for r in runs.values()],
                "per week (last 12 weeks)": [
                    r.per_week["handoffs"].tail(12).mean() for r in runs.values()
                ],
                "weeks over capacity": [
                    int((r.per_week["handoffs"] > capacity).sum()) for r in runs.values()
                ],
                "median days to hand-off": [r.median_days for r in runs.values()],
                "win rate of handed-off (closed)": [r.win_rate for r in runs.values()],
            },
            index=list(runs),
        ),
        percent=["win rate of handed-off (closed)"],
        hide_index=False,
        decimals={"per week (last 12 weeks)": 1, "median days to hand-off": 1},
    )
    timing.mark("drawn")


main()
