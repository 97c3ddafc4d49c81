"""Replay page: how would this model have ranked the leads whose outcome is known?"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from model import charts, format, services
from model.analysis import replay, verdicts
from model.core.dataset import OPEN
from model.core.spec import ModelError
from ui import caches, components, sidebar, state, target, timing

METRIC_HELP = {
    "auc": "ROC AUC: the chance that a won lead scores higher than a lost one (0.5 is a coin, 1 is perfect).",
    "lift_top10": "Lift: how many times the overall win rate the top 10 % of scores win at.",
    "capture_top10": "Share of all wins that sit in the top 10 % of scores.",
    "lift_top20": "Lift: how many times the overall win rate the top 20 % of scores win at.",
    "capture_top20": "Share of all wins that sit in the top 20 % of scores.",
}


EVIDENCE_LABELS = {
    "hit": "closed leads hit",
    "win_rate_hit": "win rate when hit",
    "win_rate_not": "win rate when not",
    "earned": "points earned",
}


def _evidence(rep: replay.Report) -> None:
    components.table(
        rep.evidence.rename(columns=EVIDENCE_LABELS),
        percent=["win rate when hit", "win rate when not"],
        decimals={"lift": 2},
    )


def _newest(compared: services.Comparison) -> None:
    """A vs B on the newest closed leads: a model that wins on old history may not on the
    leads the team gets now."""
    st.markdown(f"**On {compared.newest_leads}**")
    st.dataframe(_summary_table(compared.newest), width="stretch", key="newest_compare")


def _summary_table(summary: pd.DataFrame):
    """A, B and B − A in one table: AUC to three decimals, lifts as '×', the shares of wins
    in the top as percentages and their difference in percentage points."""
    table = summary.rename(columns=replay.SUMMARY_LABELS)
    shares = [replay.SUMMARY_LABELS[c] for c in ("capture_top10", "capture_top20")]
    lifts = [replay.SUMMARY_LABELS[c] for c in ("lift_top10", "lift_top20")]
    level = {
        "ROC AUC": "{:.3f}",
        **dict.fromkeys(lifts, "{:.2f}×"),
        **dict.fromkeys(shares, format.percent),
    }
    change = {
        "ROC AUC": "{:+.3f}",
        **dict.fromkeys(lifts, "{:+.2f}"),
        **dict.fromkeys(shares, lambda x: f"{100 * x:+.1f} pts"),
    }
    return table.style.format(level, subset=pd.IndexSlice[["A", "B"], :]).format(
        change, subset=pd.IndexSlice["B − A", :]
    )


def main() -> None:
    state.require_router()
    st.title("Replay")
    target.note()
    _replay()
    sidebar.tour_next("Replay")


@components.fragment
def _replay() -> None:
    """Everything below the title: the bucket width and the histogram's scale rerun this
    alone, not the sidebar (model B is picked there, and reruns the whole page)."""
    data = caches.dataset()
    as_of = st.session_state["as_of"]
    model_a = st.session_state["model"]
    st.session_state.setdefault("bucket_width", 10)
    st.session_state.setdefault("normalised", True)
    left, mid, right = st.columns([2, 1, 1])
    left.caption(
        "Model A is the one in the editor; pick model B under *Compare with* in the "
        "sidebar: the default, any saved revision or a JSON file."
    )
    mid.radio("Bucket width", [5, 10], **state.kept("bucket_width"), horizontal=True)
    right.toggle("Normalised histogram", **state.kept("normalised"))
    model_b = sidebar.model_b()
    width = st.session_state["bucket_width"]

    hits_a = caches.fitting_hits(data, model_a, as_of)
    rep_a = caches.report(data, model_a, as_of, width=width)
    reports = {"A": rep_a}
    if model_b is not None:
        try:
            reports["B"] = caches.report(data, model_b, as_of, width=width)
        except ModelError as exc:
            st.error(f"Model B cannot score this data: {exc}")
    closed = int((data.outcome != OPEN).sum())
    scope = (
        " (leads created after it did not exist yet and are left out)"
        if as_of.kind == "fixed"
        else ""
    )
    left_out = (
        f": {hits_a.events_excluded:,} events at or after that moment were left out"
        if data.n_events
        else ""
    )
    still_open = data.n_leads - closed
    open_note = f"; {still_open:,} open leads are not counted as lost" if still_open else ""
    st.caption(
        f"Scored {as_of.describe()}{scope}{left_out}. Win rates use the {closed:,} closed "
        f"leads{open_note}."
    )

    leaks = st.container()  # filled last: the check takes seconds the first time at 1M leads

    st.subheader("Ranking quality")
    compared = None
    if "B" not in reports:
        st.info(verdicts.single(rep_a), icon=":material/gavel:")
    if "B" in reports:
        compared = caches.comparison(data, model_a, model_b, as_of, width=width)
        st.info(compared.verdict, icon=":material/gavel:")
        st.dataframe(_summary_table(compared.summary), width="stretch")
        if compared.newest is not None:
            _newest(compared)
    cols = st.columns(5)
    for col, (key, label) in zip(
        cols,
        [
            ("auc", "ROC AUC"),
            ("lift_top10", "Lift, top 10 %"),
            ("capture_top10", "Wins in top 10 %"),
            ("lift_top20", "Lift, top 20 %"),
            ("capture_top20", "Wins in top 20 %"),
        ],
        strict=True,
    ):
        value = rep_a.summary[key]
        text = (
            format.percent(value)
            if key.startswith("capture")
            else f"{value:.{3 if key == 'auc' else 2}f}"
        )
        delta = None
        if "B" in reports:
            diff = reports["B"].summary[key] - value
            delta = (
                f"B − A: {100 * diff:+.1f} pts"
                if key.startswith("capture")
                else f"B − A: {diff:+.{3 if key == 'auc' else 2}f}"
            )
        col.metric(label, text, delta, delta_color="off", help=METRIC_HELP[key])

    st.subheader("Score distribution vs outcome")
    frames = {k: r.histogram for k, r in reports.items()}
    components.vega_chart(
        *charts.outcome_histogram_spec(
            frames,
            normalised=st.session_state["normalised"],
            width=width,
        )
    )
    st.caption(
        "Scores of won and of lost leads. The further apart the two shapes, the better"
        " the model separates them (B dotted when comparing)."
    )

    st.subheader("Win rate by score bucket")
    components.vega_chart(*charts.bucket_win_rate_spec({k: r.buckets for k, r in reports.items()}))
    st.caption(
        "Share of closed leads won per bucket (label: closed leads in it), with 95 %"
        " Wilson intervals: the range the true win rate most likely lies in, wide "
        "where a bucket has few leads. Win rate should rise with score."
    )
    for key, rep in reports.items():
        if rep.falling:
            pairs = ", ".join(f"{a} → {b}" for a, b in rep.falling)
            st.warning(
                f"Model {key}: win rate falls as score rises between buckets {pairs}; "
                "look for a criterion whose points are not earned."
            )

    st.subheader("Per band")
    # the room's larger type needs the page's width for a band table: A above B there
    room = st.session_state.get("presentation")
    band_cols = [st.container() for _ in reports] if room else st.columns(len(reports))
    for col, (key, rep) in zip(band_cols, reports.items(), strict=True):
        col.markdown(f"**Model {key}**")
        with col:
            components.band_table(rep.bands)
    if "B" in reports:
        _migration(compared, model_a, model_b, data.n_leads)

    st.subheader("Grade matrix")
    top = max(float(np.nanmax(r.grid["win_rate"].to_numpy(), initial=0)) for r in reports.values())
    cols = st.columns(2)  # A keeps its place whether B is shown or not: its rows change only
    for col, (key, rep) in zip(cols, reports.items(), strict=False):
        col.markdown(f"**Model {key}**")
        with col:
            components.vega_chart(*charts.grade_matrix_spec(rep.grid, top=top))
    if "B" not in reports:
        cols[1].caption("Compare with a model B (above) to see its matrix here.")
    st.caption(
        "Win rate of closed leads by fit grade (A = top quarter of the fit cap) and "
        "engagement grade (1 = top quarter), with closed leads per cell; the darker, the "
        "higher the win rate, in the same shades for both models."
    )

    st.subheader("Cumulative gains")
    components.vega_chart(*charts.gains_spec({k: r.gains for k, r in reports.items()}))
    st.caption(
        "Share of all wins found by working leads from the highest score down; the"
        " dashed line is random order."
    )

    st.subheader("Criterion evidence")
    st.caption(
        "Closed leads each criterion hit, their win rate against the rest, and the lift."
        " Criteria whose points point the wrong way come first."
    )
    for key, rep in reports.items():
        if len(reports) > 1:
            st.markdown(f"**Model {key}**")
        _evidence(rep)
    with leaks:
        components.leak_warnings(caches.leakage(data, model_a, as_of))
    timing.mark("drawn")


MOVED, REROUTED = "background-color: #fff1d6", "background-color: #f9c784; font-weight: 600"


def _migration(compared, model_a, model_b, n_leads: int) -> None:
    """Band under A x band under B, the cells off the diagonal marked, and how many leads
    change band and routing: what the room asks first about a new model."""
    st.markdown("**Band migration** (rows: band under A, columns: band under B)")
    moves = compared.migration
    cells = moves["leads"].map("{:,}".format) + " · " + moves["win_rate"].map(format.percent)
    shape = (len(model_a.bands), len(model_b.bands))
    grid = pd.DataFrame(
        cells.to_numpy().reshape(shape),
        index=[f"A: {b.name}" for b in model_a.bands],
        columns=[f"B: {b.name}" for b in model_b.bands],
    )
    look = np.full(shape, "", dtype=object)
    for i, a in enumerate(model_a.bands):
        for j, b in enumerate(model_b.bands):
            if a.sales_ready != b.sales_ready:
                look[i, j] = REROUTED
            elif a.name != b.name:
                look[i, j] = MOVED
    st.dataframe(grid.style.apply(lambda _: look, axis=None), width="stretch")
    routing = replay.routing_changes(moves, model_a, model_b)
    st.caption(
        f"Leads · win rate of the closed ones, per pair of bands. {routing.moved:,} leads "
        f"({format.percent(routing.moved / max(n_leads, 1))}) change band (shaded); "
        f"{routing.rerouted:,} change routing (dark): {routing.only_b:,} would be handed to "
        f"sales under B only and {routing.only_a:,} under A only."
    )


main()
