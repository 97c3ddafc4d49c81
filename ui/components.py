"""Pieces more than one page draws: tables whose numbers stay numbers, the band table,
leak warnings and the lead look-up."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from model import charts
from model.analysis import suggest
from model.core import scoring
from model.core.dataset import OUTCOMES, Dataset
from model.core.hits import Hits
from model.core.scoring import Scores
from model.core.spec import ScoringModel
from ui import state

PERCENT = "%.1f %%"  # a share shown as "18.4 %", as format.percent writes it
MONEY = "dollar"  # "$12,345" (whole dollars: step=1): sorts as money, where "$12.3k" sorts as text


def table(
    frame: pd.DataFrame | pd.io.formats.style.Styler,
    *,
    percent: Iterable[str] = (),
    money: Iterable[str] = (),
    decimals: dict[str, int] | None = None,
    whole: Iterable[str] = (),
    signed: Iterable[str] = (),
    hide_index: bool = True,
    height: int | None = None,
    key: str | None = None,
) -> None:
    """Draw a table whose numbers stay numbers (columns sort as numbers and download as
    numbers), each column shown the way people read it. `percent` columns hold shares
    (0.184) and show as "18.4 %"; `money` as dollars; `decimals` and `whole` fix digits;
    `signed` points show their sign (+8, -15)."""
    config: dict[str, st.column_config.Column] = {}
    if isinstance(frame, pd.DataFrame):
        frame = frame.copy()
        for c in percent:
            frame[c] = pd.to_numeric(frame[c], errors="coerce") * 100
            config[c] = st.column_config.NumberColumn(c, format=PERCENT)
    for c in money:
        config[c] = st.column_config.NumberColumn(c, format=MONEY, step=1)
    for c, digits in (decimals or {}).items():
        config[c] = st.column_config.NumberColumn(c, format=f"%.{digits}f")
    for c in whole:
        config[c] = st.column_config.NumberColumn(c, format="localized")
    for c in signed:
        config[c] = st.column_config.NumberColumn(c, format="%+g")
    st.dataframe(
        frame,
        hide_index=hide_index,
        width="stretch",
        column_config=config,
        key=key,
        **({"height": height} if height else {}),
    )


BAND_LABELS = {
    "band": "band", "range": "scores", "action": "routing action", "leads": "leads",
    "share": "share", "won": "won", "lost": "lost", "open": "open",
    "win_rate": "win rate (closed)", "revenue_won": "revenue won", "avg_deal": "avg deal",
    "to_opportunity": "reached opportunity",
}  # fmt: skip


def band_table(bands: pd.DataFrame, *, columns: Iterable[str] | None = None) -> None:
    """A band table (summaries.band_table or replay's band report) in the one layout every
    page uses; `columns` picks some of its columns, in their order."""
    keep = [c for c in (columns or BAND_LABELS) if c in bands.columns]
    shown = bands[keep].rename(columns=BAND_LABELS)
    table(
        shown,
        percent=[BAND_LABELS[c] for c in ("share", "win_rate", "to_opportunity") if c in keep],
        money=[BAND_LABELS[c] for c in ("revenue_won", "avg_deal") if c in keep],
        whole=[BAND_LABELS[c] for c in ("leads", "won", "lost", "open") if c in keep],
    )


def leak_warnings(flags: pd.DataFrame) -> None:
    """One warning per column recorded at or after the outcome."""
    for line in suggest.leak_lines(flags):
        st.warning(line, icon=":material/warning:")


def lead_lookup(data: Dataset, hits: Hits, model: ScoringModel, scores: Scores) -> None:
    """Why a lead has its score: the look-up by id, its figures and the waterfall."""
    st.subheader("Why does a lead have its score?")
    ids = data.lead_ids
    ready = scores.score >= model.sales_ready_threshold
    if st.session_state.get("lookup_for") != data.name:  # a new dataset: one of its own leads
        st.session_state["lookup_for"] = data.name
        st.session_state["lookup_id"] = str(ids[ready.argmax()] if ready.any() else ids[0])
    wanted = st.text_input(
        "Lead id", key=state.kept("lookup_id"), help="Paste a lead_id from your data."
    )
    where = (ids == wanted.strip()).nonzero()[0]
    if not len(where):
        st.warning(f"No lead with id {wanted!r} in this dataset.")
        return
    i = int(where[0])
    e = scoring.explain(hits, model, i, scores)
    outcome = OUTCOMES[int(data.outcome[i])]
    cols = st.columns(5)
    cols[0].metric("Score", f"{e.score:.1f}")
    cols[1].metric("Band", e.band)
    cols[2].metric("Fit", f"{e.fit:.1f}")
    cols[3].metric("Engagement", f"{e.engagement:.1f}")
    cols[4].metric("Outcome", outcome)
    st.plotly_chart(charts.figure_waterfall(e), width="stretch")
    st.caption(
        "Each bar is one criterion that fired (decayed points for engagement), then what the"
        " caps, the decay floor and the 0–100 clip did; the last bar is the score."
    )
    st.dataframe(
        e.criteria.rename(columns={"raw_points": "points before decay", "points": "points now"}),
        hide_index=True,
        width="stretch",
        column_config={
            "count": st.column_config.NumberColumn(format="%.2g"),
            "points before decay": st.column_config.NumberColumn(format="%.1f"),
            "points now": st.column_config.NumberColumn(format="%.1f"),
        },
    )
