"""Pieces more than one page draws: tables whose numbers stay numbers, the band table,
leak warnings and the lead look-up."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from model import charts
from model.analysis import accounts, suggest
from model.core import scoring
from model.core.cells import inert_frame
from model.core.dataset import OUTCOMES, Dataset
from model.core.hits import Hits
from model.core.scoring import Scores
from model.core.spec import ModelError, ScoringModel
from model.ingest import starter
from ui import state

PERCENT = "%.1f %%"  # a share shown as "18.4 %", as format.percent writes it
MONEY = "dollar"  # "$12,345" (whole dollars: step=1): sorts as money, where "$12.3k" sorts as text


ROOM_FONT = 18  # chart text in presentation mode, readable from the back of a room


def fragment(draw: Callable[[], None]) -> Callable[[], None]:
    """`draw` as a Streamlit fragment: a widget inside it reruns it alone. With
    LEADSCORE_FRAGMENTS=0 it runs as part of the whole page (the bench's baseline, and a
    way back should a Streamlit release break fragments)."""
    return draw if os.environ.get("LEADSCORE_FRAGMENTS") == "0" else st.fragment(draw)


def chart(figure, *, key: str | None = None, width: str = "stretch") -> None:
    """Draw a plotly figure; in presentation mode with larger text and a taller plot
    (on a copy: a cached figure is never changed)."""
    if st.session_state.get("presentation"):
        figure = go.Figure(figure)
        height = figure.layout.height
        figure.update_layout(
            template="plotly_white",
            font={"size": ROOM_FONT, "family": "Source Sans 3, Source Sans Pro, sans-serif"},
            height=int(height * 1.25) if height else None,
        )
    # Streamlit's own chart theme resets font sizes, so the room's figure goes without it
    theme = None if st.session_state.get("presentation") else "streamlit"
    st.plotly_chart(figure, width=width, key=key, theme=theme)


def vega_chart(rows: pd.DataFrame, spec: dict) -> None:
    """Draw a Vega-Lite chart of `rows`; in presentation mode with larger text and a taller
    plot, without Streamlit's theme, which would reset the room's font sizes."""
    theme = "streamlit"
    if st.session_state.get("presentation"):
        theme = None
        spec = {
            **spec,
            "height": int(spec["height"] * 1.25),
            "config": charts.room_config(ROOM_FONT),
        }
    st.vega_lite_chart(rows, spec, width="stretch", theme=theme)


def csv_download(
    label: str, frame: pd.DataFrame, filename: str, *, key: str, where=st, disabled: bool = False
) -> None:
    """A download button for a table as CSV, every text cell that would start a formula in
    a spreadsheet made inert first."""
    where.download_button(
        label,
        inert_frame(frame).to_csv(index=False),
        filename,
        "text/csv",
        key=key,
        disabled=disabled,
    )


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
    `signed` points show their sign (+8, -15). A money column with no amount at all (data
    without deal values) is left out rather than shown as "None"."""
    config: dict[str, st.column_config.Column] = {}
    money = list(money)
    if isinstance(frame, pd.DataFrame):
        frame = frame.drop(columns=[c for c in money if frame[c].isna().all()])
        money = [c for c in money if c in frame.columns]
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
    data = frame if isinstance(frame, pd.DataFrame) else frame.data  # a Styler holds its data
    for c in data.columns:  # counts with thousands separators, wherever they are
        if c not in config and pd.api.types.is_integer_dtype(data[c]):
            config[c] = st.column_config.NumberColumn(c, format="localized")
    if st.session_state.get("presentation") and isinstance(frame, pd.DataFrame):
        _room_table(frame, config, hide_index)
        return
    st.dataframe(
        frame,
        hide_index=hide_index,
        width="stretch",
        column_config=config,
        key=key,
        **({"height": height} if height else {}),
    )


# In the room's larger type a narrow column breaks "66.8 %" before its sign: a no-break
# space keeps a share whole (and a score range, below), while longer text still wraps.
ROOM_FORMATS = {
    PERCENT: "{:.1f}\u00a0%",
    MONEY: "${:,.0f}",
    "localized": "{:,.0f}",
    "%+g": "{:+g}",
}
RANGE_DASH = re.compile(r"(?<=\d)([–-])(?=\d)")


def _room_table(frame: pd.DataFrame, config: dict, hide_index: bool) -> None:
    """Presentation mode: the same table as HTML, which grows with the room's larger type
    (the interactive grid is drawn on a canvas at a fixed size), formatted alike."""
    formats = {}
    for column, spec in config.items():
        fmt = spec.get("type_config", {}).get("format")
        formats[column] = ROOM_FORMATS.get(fmt) or _printf(fmt)
    for column in frame.columns:
        if not formats.get(column):
            formats[column] = _room_format(frame[column])
    styled = frame.style.format({c: f for c, f in formats.items() if f}, na_rep="–")
    st.table(styled.hide() if hide_index else styled)


def _room_format(values: pd.Series) -> str | Callable[[object], str] | None:
    """How a column the page gave no format reads in the room, as the grid shows it: a
    tick for true (the grid's checkbox), counts and whole points without decimals."""
    if pd.api.types.is_bool_dtype(values):
        return lambda v: "✓" if v is True or v == 1 else ""
    if not pd.api.types.is_numeric_dtype(values):
        return _whole_words
    finite = values.dropna()
    whole = pd.api.types.is_integer_dtype(values) or bool((finite == finite.round()).all())
    return "{:,.0f}" if whole else "{:,.2f}"


def _whole_words(value: object) -> str:
    """A text cell as the room reads it: "12.5 %" and a score range "75–100" kept on one
    line (a no-break space; a word joiner after the range's dash), other words wrap."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return RANGE_DASH.sub("\\1\u2060", str(value).replace(" %", "\u00a0%"))


def _printf(fmt: str | None) -> str | None:
    """'%.2f' -> '{:.2f}' (the NumberColumn formats the tables use)."""
    return "{:" + fmt[1:] + "}" if fmt and fmt.startswith("%") and "%" not in fmt[1:] else None


BAND_LABELS = {
    "band": "band", "range": "scores", "action": "routing action", "leads": "leads",
    "share": "share", "won": "won", "lost": "lost", "open": "open",
    "win_rate": "win rate (closed)", "revenue_won": "revenue won", "avg_deal": "avg deal",
    "to_opportunity": "reached opportunity",
}  # fmt: skip


def band_table(bands: pd.DataFrame, *, columns: Iterable[str] | None = None) -> None:
    """A band table (summaries.band_table or replay's band report) in the one layout every
    page uses; `columns` picks some of its columns, in their order. The opportunity share
    of an export without a stage column is left out, not shown as "None" in every band."""
    present = [c for c in bands.columns if c != "to_opportunity" or bands[c].notna().any()]
    keep = [c for c in (columns or BAND_LABELS) if c in present]
    shown = bands[keep].rename(columns=BAND_LABELS)
    table(
        shown,
        percent=[BAND_LABELS[c] for c in ("share", "win_rate", "to_opportunity") if c in keep],
        money=[BAND_LABELS[c] for c in ("revenue_won", "avg_deal") if c in keep],
        whole=[BAND_LABELS[c] for c in ("leads", "won", "lost", "open") if c in keep],
    )


def _first_lead(data: Dataset, wanted: str) -> int | None:
    """The position of the lead the look-up opened on, when that is the one wanted and
    still there (a scoped dataset has other positions): no million-id hash to build."""
    first_id, first = st.session_state.get("lookup_first", (None, -1))
    if wanted == first_id and first < data.n_leads and data.lead_ids[first] == wanted:
        return first
    return None


def leak_warnings(flags: pd.DataFrame) -> None:
    """One warning per column recorded at or after the outcome."""
    for line in suggest.leak_lines(flags):
        st.warning(line, icon=":material/warning:")


def lead_lookup(data: Dataset, hits: Hits, model: ScoringModel, scores: Scores) -> None:
    """Why a lead has its score: the look-up by id, its figures and the waterfall."""
    st.subheader("Why does a lead have its score?")
    if st.session_state.get("lookup_for") != data.name:  # a new dataset: one of its own leads
        ready = scores.score >= model.sales_ready_threshold
        first = int(ready.argmax()) if ready.any() else 0
        st.session_state["lookup_for"] = data.name
        st.session_state["lookup_id"] = str(data.lead_ids[first])
        st.session_state["lookup_first"] = (str(data.lead_ids[first]), first)
    wanted = st.text_input(
        "Lead id", **state.kept("lookup_id"), help="Paste a lead_id from your data."
    ).strip()
    i = _first_lead(data, wanted)
    if i is None:
        i = data.where_lead(wanted)
    if i is None:
        st.warning(f"No lead with id {wanted!r} in this dataset.")
        return
    e = scoring.explain(hits, model, i, scores)
    outcome = OUTCOMES[int(data.outcome[i])]
    cols = st.columns(5)
    cols[0].metric("Score", f"{e.score:.1f}")
    cols[1].metric("Band", e.band)
    cols[2].metric("Fit", f"{e.fit:.1f}")
    cols[3].metric("Engagement", f"{e.engagement:.1f}")
    cols[4].metric("Outcome", outcome)
    if model.accounts is not None:
        st.caption(_account_line(data, model, scores, i))
    vega_chart(*charts.waterfall_spec(e))
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


def _account_line(data: Dataset, model: ScoringModel, scores: Scores, lead: int) -> str:
    """The lead's account in one line: its score, band and people, or why there is none."""
    try:
        found = accounts.one_account(data, scores.score, model, lead)  # not every account
    except ModelError as exc:
        return f"No account score: {exc}."
    if found is None:
        return f"No account: its '{model.accounts.key}' is blank."
    band = model.accounts.bands[found.band[0]].name
    return (
        f":material/domain: Account **{found.names[0]}**: score {found.score[0]:.1f} "
        f"({band}), {found.people[0]:,} people, {found.engaged[0]:g} engaged."
    )


def starter_button(data: Dataset, *, key: str) -> None:
    """Load the zero-point starter model built from the dataset's own columns (the Model
    page says it was loaded in the sidebar, beside the model file, wherever it was asked)."""
    label = state.data_label()
    st.button(
        f"Load the starter model of {label!r}",
        key=key,
        icon=":material/auto_fix_high:",
        on_click=_load_starter,
        args=(data, f"Starter model ({label})"),
        help="Zero-point criteria from this dataset's columns; replaces the editor's model "
        "(Undo on the Model page brings it back).",
    )


def _load_starter(data: Dataset, name: str) -> None:
    state.load_into_editor(
        starter.starter_model(data.leads, events=starter.events_of(data), name=name)
    )
    st.session_state["upload_message"] = ("success", f"{name} is in the editor.")
    st.toast(f"{name} is in the editor: give its criteria points on the Model page.")
