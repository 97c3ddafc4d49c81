"""What every page shows around itself: the sidebar (dataset, decision moment, model B),
presentation mode, the review banner, the welcome and the tour."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from model.core.dataset import AsOf, Dataset
from model.core.spec import ModelError, ScoringModel, default_model, parse_model
from model.ingest.catalog import dataset_meta, saved_datasets
from ui import identity, state
from ui.caches import bare_store, dataset_folder, has_dates, store
from ui.state import DEMO_LABEL, data_label

COMPARE_FIXED = {"none": "Nothing", "default": "Default model", "upload": "Uploaded model JSON"}

TOUR = (
    ("pages/model.py", "Model", "agree on the criteria and their points"),
    ("pages/replay.py", "Replay", "how the model would have ranked leads that closed"),
    ("pages/thresholds.py", "Thresholds", "where the sales-ready line goes, and the leads per week"),
    ("pages/calibration.py", "Calibration", "scores as win probabilities, and the forecast"),
    ("pages/revisions.py", "Revisions", "every revision side by side, and the review cadence"),
)  # fmt: skip


WELCOME_COOKIE = "leadscore_welcome"


def welcome_seen() -> bool:
    """Whether this browser dismissed the welcome before: a cookie set on 'Got it' (read
    back through st.context.cookies), or `?welcome=off` in the address for a shared link."""
    if st.session_state.get("welcome_done"):
        return True
    seen = st.context.cookies.get(WELCOME_COOKIE) == "seen"
    seen = seen or st.query_params.get("welcome") == "off"
    if seen:
        st.session_state["welcome_done"] = True
    return seen


def _remember_welcome() -> None:
    """Set the cookie once, from a zero-height component (Streamlit can read cookies but
    has no call to write one)."""
    if st.session_state.pop("welcome_cookie_pending", False):
        components.html(
            f"<script>document.cookie = '{WELCOME_COOKIE}=seen; path=/; "
            "max-age=31536000; SameSite=Lax';</script>",
            height=0,
        )


def _dismiss_welcome() -> None:
    st.session_state.update(welcome_done=True, welcome_cookie_pending=True)


def welcome(data: Dataset) -> None:
    """The first-run welcome: what the tool does, the data in use, and the tour; once
    dismissed, this browser does not see it again."""
    _remember_welcome()
    if welcome_seen() or st.session_state.get("presentation"):
        return
    with st.container(border=True):
        st.markdown(
            "**Welcome to Lead Scoring Studio.** Sales and marketing tune one lead-scoring "
            "model together: edit the points, replay history *as it was at each decision* to "
            "see what the model would have sent to sales, and turn scores into calibrated win "
            "probabilities. Every revision is kept side by side."
        )
        won = int((data.outcome == 0).sum())
        span = pd.to_datetime(data.created_ns[[data.created_ns.argmin(), data.created_ns.argmax()]])
        st.caption(
            f"Data in use: **{data_label()}**, {data.n_leads:,} leads created "
            f"{span[0]:%b %Y} to {span[1]:%b %Y}, {won:,} won; pick another or bring "
            "your own CRM export on the Data page."
        )
        row = st.container(horizontal=True, vertical_alignment="center")  # wraps when narrow
        for i, (path, title, _) in enumerate(TOUR):
            row.page_link(path, label=f"{i + 1}. {title}", icon=":material/arrow_forward:")
        row.button("Got it", key="welcome_done_button", on_click=_dismiss_welcome)


def tour_next(current: str) -> None:
    """At the foot of a tour page: where the tour goes next."""
    titles = [t for _, t, _ in TOUR]
    if current not in titles or current == titles[-1]:
        return
    path, title, why = TOUR[titles.index(current) + 1]
    st.divider()
    st.page_link(path, label=f"Next in the tour: {title}: {why}", icon=":material/arrow_forward:")


# Always: metric values and labels wrap instead of being cut ("$25.…") on a narrow screen.
WRAP_CSS = """
<style>
@media (max-width: 1000px) {
  section[data-testid="stSidebar"] { width: 220px !important; min-width: 220px !important; }
}
[data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] p {
  white-space: normal; overflow-wrap: anywhere; text-overflow: clip;
}
</style>
"""

# Presentation: larger type everywhere. Text scales with the root font size; read-only
# tables are drawn as HTML tables then (components.table), which scale with it too, and
# charts get larger text from their layout (components.chart). The editors stay grids.
PRESENTATION_CSS = """
<style>
html { font-size: 19px; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
[data-testid="stCaptionContainer"] { font-size: 1rem; }
[data-testid="stTable"] table { font-size: 1rem; }
</style>
"""


def presentation() -> bool:
    """Presentation mode for the projector: larger type on every page, the sidebar
    folded away (the arrow at the top left opens it); the editors stay unless the screen is
    shown read-only to people outside the room."""
    st.markdown(WRAP_CSS, unsafe_allow_html=True)
    if st.session_state.get("presentation"):
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        return True
    return False


def read_only() -> bool:
    """The 'show' screen: presentation mode with every editing control hidden."""
    return bool(st.session_state.get("presentation") and st.session_state.get("show_only"))


def _model_picker() -> None:
    """Which scoring model the pages edit and read, when the store holds several: its live
    revision (else its newest) goes into the editor. Not while the editor has unsaved
    edits, which a switch would drop."""
    found = store()
    current = st.session_state["model"].name
    names = sorted({*(found.model_names() if found else []), current})
    if len(names) < 2:
        return
    st.session_state["model_pick"] = current  # the model in force, however it was loaded
    unsaved = _unsaved(found)
    st.selectbox(
        "Scoring model",
        names,
        key="model_pick",
        on_change=_switch_model,
        disabled=unsaved,
        help="Save or discard your edits first: a switch would drop them."
        if unsaved
        else "Each model has its own revisions and covers its own leads (the Models page).",
    )

    if refused := st.session_state.pop("switch_refused", None):
        st.warning(f"Not switched to {refused!r}: save or discard your edits first.")


def _unsaved(found) -> bool:
    """Whether the model in force differs from the revision it was loaded from (or was
    never saved): a switch would drop it."""
    current = st.session_state["model"]
    saved = state.editing_revision(found, current)
    return saved is None or saved.model != current


def _switch_model() -> None:
    """Load the picked model's live revision, else its newest, into the editor; refused
    while the editor holds unsaved edits (the sidebar is drawn before an edit applies, so
    the picker may not be disabled yet)."""
    found, name = store(), st.session_state["model_pick"]
    if _unsaved(found):
        st.session_state["switch_refused"] = name
        st.session_state["model_pick"] = st.session_state["model"].name
        return
    revision = (found.live(name) or found.latest(name)) if found else None
    if revision is not None:
        state.load_into_editor(revision.model, revision)


def draw() -> None:
    """Dataset and as-of policy, drawn before the page so they keep their values."""
    with st.sidebar:
        st.toggle(
            "Presentation mode",
            **state.kept("presentation"),
            help="For the projector: larger type on every page and the sidebar folded "
            "away; the room can still edit.",
        )
        if st.session_state.get("presentation"):
            st.toggle(
                "Read-only (a screen shown outside the room)",
                **state.kept("show_only"),
                help="Hides every editing control: the model is shown as a plain table.",
            )
        identity.sidebar_line(bare_store())
        names = [DEMO_LABEL, *saved_datasets()]
        if st.session_state["dataset"] not in names:
            st.session_state["dataset"] = DEMO_LABEL
        st.selectbox(
            "Dataset",
            names,
            **state.kept("dataset"),
            help="The demo set, or a CRM export mapped on the Data page.",
        )
        _model_picker()
        dated = has_dates()
        st.radio(
            "Score each lead as of",
            ["Days after creation", "Fixed date"],
            **state.kept("asof_kind"),
            disabled=not dated,
            help="The decision moment: only events before it count, so the outcome cannot leak.",
        )
        _dataset_facts()
        if not dated:
            st.caption(
                "This dataset has no created dates, so every lead is scored as it is "
                "now, with every event counted; the as-of policies need dates."
            )
            st.session_state["as_of"] = AsOf.now()
            _compare_picker()
            return
        if st.session_state["asof_kind"] == "Fixed date":
            st.date_input("Snapshot date", **state.kept("asof_date"))
            as_of = AsOf.parse(st.session_state["asof_date"].isoformat())
        else:
            st.number_input("Days after created_at", 0, 365, step=1, **state.kept("asof_days"))
            as_of = AsOf("created_plus_days", days=float(st.session_state["asof_days"]))
        st.session_state["as_of"] = as_of
        st.caption(f"Scoring {as_of.describe()}.")
        _compare_picker()


def _dataset_facts() -> None:
    """What the import did to the picked dataset's created dates, on every page."""
    if data_label() == DEMO_LABEL:
        return
    meta = dataset_meta(dataset_folder())
    left, filled = int(meta.get("created_left_out") or 0), int(meta.get("created_filled") or 0)
    if left:
        st.caption(f"{left:,} leads without a created date were left out of this dataset.")
    if filled:
        st.caption(
            f"{filled:,} leads without a created date are dated by their first event "
            "or closed date minus the median cycle."
        )


def _compare_picker() -> None:
    """Model B for comparisons: nothing, the default, any saved revision or a JSON file."""
    found = store()
    saved = {}
    for name in found.model_names() if found else []:
        for r in found.revisions(name):
            saved[f"rev:{name}:{r.number}"] = f"{name} {r.label} ({r.status})"
    labels = {**COMPARE_FIXED, **saved}
    labels["upload"] = labels.pop("upload")  # last
    st.session_state.setdefault("compare_with", "none")
    if st.session_state["compare_with"] not in labels:
        st.session_state["compare_with"] = "none"
    st.selectbox(
        "Compare with (model B)",
        list(labels),
        format_func=labels.get,
        **state.kept("compare_with"),
    )
    if st.session_state["compare_with"] == "upload":
        st.file_uploader("Model B (JSON)", type=["json"], key="compare_upload")


def model_b() -> ScoringModel | None:
    """The comparison model picked in the sidebar, or None (an error is shown if unusable)."""
    choice = st.session_state.get("compare_with", "none")
    if choice == "default":
        return default_model()
    if choice.startswith("rev:"):
        name, _, number = choice.removeprefix("rev:").rpartition(":")
        return store().get(name, int(number)).model
    if choice == "upload":
        file = st.session_state.get("compare_upload")
        if file is None:
            st.info("Upload a model JSON in the sidebar to compare with.")
            return None
        try:
            return parse_model(file.getvalue())
        except ModelError as exc:
            st.error(f"{file.name} cannot be compared: {exc}")
    return None


def review_banner() -> None:
    """On every page: a warning for each live model whose 60/90-day review is overdue."""
    found = store()
    if found is None:
        st.error(f"Revisions are not available: {st.session_state['store_error']}")
        return
    for problem in found.unreadable.values():
        st.warning(
            f"{problem}; the other revisions are shown without it.", icon=":material/broken_image:"
        )
    for name in found.model_names():
        cadence = found.cadence(name)
        if cadence.overdue_days:
            st.warning(
                f"Model review overdue: {name!r} {cadence.live.label} is live; its review was "
                f"due {cadence.next_due:%d %b %Y} ({cadence.overdue_days} days ago). The "
                "Revisions page has the checklist.",
                icon=":material/event_busy:",
            )
