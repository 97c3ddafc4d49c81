"""Leads page: the hand-off list (leads that crossed the sales-ready line in a period, as a
table and a CSV) and each lead's score history: after every event, decay between events,
band crossings and its 7- and 30-day trend."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from model import charts, format
from model.analysis import history
from model.core.dataset import NS_PER_DAY
from ui import caches, components, state, target

ROUND = ["score then", "score now", "days from creation"]


def _scored_by(store, name: str):
    """The model whose scores are shown: the editor's, the live or the shadow revision."""
    options = {}  # the live revision first: it is the one that hands leads to sales
    if store is not None:
        for what, revision in (("live", store.live(name)), ("shadow", store.shadow(name))):
            if revision is not None:
                options[f"{what} revision {revision.label}"] = revision.model
    options["the model in the editor"] = st.session_state["model"]
    pick = st.selectbox("Scored by", list(options), **state.kept("leads_scored_by"))
    return options[pick], pick


def _period(end: pd.Timestamp) -> tuple[int, int]:
    """The period picked, as [start, stop) in ns; the last 30 days of the data by default."""
    picked = st.date_input(
        "Crossed the sales-ready line between",
        (end.date() - timedelta(days=30), end.date()),
        key="leads_period",
        format="YYYY-MM-DD",
    )
    first, last = (picked[0], picked[-1]) if isinstance(picked, tuple | list) else (picked,) * 2
    start = pd.Timestamp(first).value
    return start, pd.Timestamp(last).value + NS_PER_DAY


@st.cache_data(
    max_entries=8, show_spinner="Replaying every lead's events…", hash_funcs=caches.BY_VALUE
)
def _crossings(_data, data_name, _hits, model, as_of, start, stop) -> pd.DataFrame:
    return history.crossings(_data, _hits, model, start, stop)


def _handoff_list(data, hits, model, as_of, end: pd.Timestamp) -> str | None:
    """The hand-off list of a period, with its CSV; returns a lead to show below."""
    st.subheader("Leads that crossed the sales-ready line")
    start, stop = _period(end)
    table = _crossings(data, data.name, hits, model, str(as_of), start, stop)
    st.metric(
        f"Crossed {model.sales_ready_threshold:g} in the period",
        format.count(len(table)),
    )
    if table.empty:
        st.info("No lead crossed the sales-ready line in this period: widen it.")
        return None
    shown = table.copy()
    shown[ROUND] = shown[ROUND].round(1)
    components.table(shown, decimals={c: 1 for c in ROUND}, height=min(38 + 35 * len(shown), 420))
    components.csv_download(
        "Download the hand-off list (CSV)",
        shown,
        f"handoffs-{pd.Timestamp(start):%Y%m%d}-{pd.Timestamp(stop - 1):%Y%m%d}.csv",
        key="leads_download",
    )
    st.caption(
        "The first moment in the period each lead's live score reached the sales-ready "
        f"line, the event that took it over, its score at the end of the data and its trend "
        f"(a move of {history.STEADY_POINTS:g} points or more over 7 or 30 days)."
    )
    return str(table["lead"].iloc[-1])


def _lead(data, hits, model, suggested: str | None) -> None:
    st.subheader("A lead's score history")
    if suggested and st.session_state.get("history_for") != data.name:
        st.session_state["history_for"] = data.name
        st.session_state["history_id"] = suggested
    wanted = st.text_input("Lead id", **state.kept("history_id")).strip()
    if not wanted:
        return
    where = data.where_lead(wanted)
    if where is None:
        st.warning(f"No lead with id {wanted!r} in the dataset {state.data_label()!r}.")
        return
    found = history.lead_history(data, hits, model, where)
    cols = st.columns(4)
    cols[0].metric("Score now", f"{found.now:.1f}")
    cols[1].metric("Band now", found.rows["band"].iloc[-1])
    for col, (days, change) in zip(cols[2:], found.trends.items(), strict=True):
        col.metric(f"{days}-day trend", history.trend_word(change), f"{change:+.1f} pts")
    components.chart(charts.figure_score_history(found.rows, model), key="history_chart")
    crossed = found.rows[found.rows["crossed"] != ""]
    if not crossed.empty:
        st.markdown(
            "**Band crossings:** "
            + "; ".join(
                f"{r.crossed} on {r.when:%d %b %Y %H:%M} ({r.what})" for r in crossed.itertuples()
            )
        )
    rows = found.rows.copy()
    rows["when"] = rows["when"].dt.strftime("%Y-%m-%d %H:%M")
    components.table(
        rows,
        decimals={"decay before it": 1, "points it added": 1, "score": 1},
        height=min(38 + 35 * len(rows), 520),
    )
    st.caption(
        "Each row is the lead's score just after that moment, replayed with the model's own "
        "formula; 'decay before it' is what the age of earlier events took since the row "
        "above (none while engagement is under the decay floor), 'points it added' is this "
        "event's own change after caps."
    )


def main() -> None:
    state.require_router()
    st.title("Leads")
    target.note()
    data, as_of = caches.dataset(), st.session_state["as_of"]
    if not data.has_dates:
        st.info(
            f"The dataset {state.data_label()!r} has no created dates, so there is no score "
            "history to replay: import it with a created-date column."
        )
        return
    model, label = _scored_by(caches.store(), st.session_state["model"].name)
    hits = caches.fitting_hits(data, model, as_of)
    end = pd.Timestamp(history.end_of_data(data))
    st.caption(
        f"Scored by {label}; 'now' is the end of the data, {end:%d %b %Y}. Every event "
        "counts as it happened, so this is the score a rep would have seen live."
    )
    suggested = _handoff_list(data, hits, model, as_of, end)
    _lead(data, hits, model, suggested)


main()
