"""UI plumbing shared by the pages: session state, the sidebar, cached data and hits."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from model import demo, replay, suggest
from model.features import AsOf, Dataset, HitCache, Hits, build_hits, existing_at
from model.importer import dataset_meta, saved_datasets
from model.io import DataError, load_dataset
from model.replay import Report
from model.revisions import Revision, RevisionStore, StoreError, default_url
from model.spec import ModelError, ScoringModel, default_model, parse_model

DEMO_LABEL = "Demo data (B2B inbound)"
COMPARE_FIXED = {"none": "Nothing", "default": "Default model", "upload": "Uploaded model JSON"}


def demo_folder() -> Path:
    """Where the demo set lives; LEADSCORE_DEMO_DIR overrides data/demo (tests use it)."""
    return Path(os.environ.get("LEADSCORE_DEMO_DIR", demo.DEMO_DIR))


def init_state() -> None:
    """Defaults for every key the pages read; widgets then own their keys."""
    if "model" not in st.session_state:
        start = default_model()
        found = store()
        revision = (found.live(start.name) or found.latest(start.name)) if found else None
        load_into_editor(revision.model if revision else start, revision)
    st.session_state.setdefault("dataset", DEMO_LABEL)
    st.session_state.setdefault("asof_kind", "Days after creation")
    st.session_state.setdefault("asof_days", 14)
    st.session_state.setdefault("asof_date", dt.date(2026, 1, 1))


def load_into_editor(model: ScoringModel, revision: Revision | None = None) -> None:
    """Make `model` the one in force and in the editor (new editor keys drop old edits);
    `revision` is the saved revision it came from, the parent of the next save."""
    st.session_state["model"] = model
    st.session_state["editor_parent"] = (revision.model_name, revision.number) if revision else None
    st.session_state.pop("conflict", None)
    st.session_state.pop("editor_rows", None)
    st.session_state.pop("editor_shown", None)
    st.session_state["editor_base"] = model
    st.session_state["editor_version"] = st.session_state.get("editor_version", -1) + 1
    st.session_state["model_name"] = model.name
    st.session_state["baseline"] = float(model.baseline)
    st.session_state["cap_fit"] = float(model.caps.fit)
    st.session_state["cap_engagement"] = float(model.caps.engagement)
    st.session_state["decay_mode"] = model.decay.mode
    st.session_state["half_life_days"] = float(model.decay.half_life_days)
    st.session_state["percent_per_30_days"] = float(model.decay.percent_per_30_days)
    st.session_state["floor_fraction"] = float(model.decay.floor_fraction)


def load_draft(model: ScoringModel) -> None:
    """Put `model` in the editor as unsaved edits on top of the revision being edited."""
    parent = st.session_state.get("editor_parent")
    load_into_editor(model)
    st.session_state["editor_parent"] = parent


TOUR = (
    ("pages/model.py", "Model", "agree on the criteria and their points"),
    ("pages/replay.py", "Replay", "how the model would have ranked leads that closed"),
    ("pages/thresholds.py", "Thresholds", "where the sales-ready line goes, and the leads per week"),
    ("pages/calibration.py", "Calibration", "scores as win probabilities, and the forecast"),
    ("pages/revisions.py", "Revisions", "every revision side by side, and the review cadence"),
)  # fmt: skip


def welcome(data: Dataset) -> None:
    """The first-run welcome: what the tool does, the data in use, and the tour."""
    if st.session_state.get("welcome_done") or st.session_state.get("presentation"):
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
        st.caption(f"Data in use: **{data_label()}**, {data.n_leads:,} leads created "
                   f"{span[0]:%b %Y} to {span[1]:%b %Y}, {won:,} won; pick another or bring "
                   "your own CRM export on the Data page.")  # fmt: skip
        cols = st.columns(len(TOUR) + 1)
        for i, (col, (path, title, _)) in enumerate(zip(cols, TOUR, strict=False)):
            col.page_link(path, label=f"{i + 1}. {title}", icon=":material/arrow_forward:")
        cols[-1].button("Got it", key="welcome_done_button",
                        on_click=lambda: st.session_state.update(welcome_done=True))  # fmt: skip


def tour_next(current: str) -> None:
    """At the foot of a tour page: where the tour goes next."""
    titles = [t for _, t, _ in TOUR]
    if current not in titles or current == titles[-1]:
        return
    path, title, why = TOUR[titles.index(current) + 1]
    st.divider()
    st.page_link(path, label=f"Next in the tour: {title}: {why}", icon=":material/arrow_forward:")


PRESENTATION_CSS = """
<style>
html { font-size: 19px; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
[data-testid="stCaptionContainer"] { font-size: 1rem; }
</style>
"""


def presentation() -> bool:
    """Presentation mode for the projector: larger type, editing controls hidden."""
    if st.session_state.get("presentation"):
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        return True
    return False


def sidebar() -> None:
    """Dataset and as-of policy, drawn before the page so they keep their values."""
    with st.sidebar:
        st.toggle("Presentation mode", key="presentation",
                  help="For the projector: larger type, editing controls hidden.")  # fmt: skip
        names = [DEMO_LABEL, *saved_datasets()]
        if st.session_state["dataset"] not in names:
            st.session_state["dataset"] = DEMO_LABEL
        st.selectbox("Dataset", names, key="dataset",
                     help="The demo set, or a CRM export mapped on the Data page.")  # fmt: skip
        dated = has_dates()
        st.radio(
            "Score each lead as of",
            ["Days after creation", "Fixed date"],
            key="asof_kind",
            disabled=not dated,
            help="The decision moment: only events before it count, so the outcome cannot leak.",
        )
        _dataset_facts()
        if not dated:
            st.caption("This dataset has no created dates, so every lead is scored as it is "
                       "now, with every event counted; the as-of policies need dates.")  # fmt: skip
            st.session_state["as_of"] = AsOf.now()
            _compare_picker()
            return
        if st.session_state["asof_kind"] == "Fixed date":
            st.date_input("Snapshot date", key="asof_date")
            as_of = AsOf.parse(st.session_state["asof_date"].isoformat())
        else:
            st.number_input("Days after created_at", 0, 365, step=1, key="asof_days")
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
        st.caption(f"{filled:,} leads without a created date are dated by their first event "
                   "or closed date minus the median cycle.")  # fmt: skip


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
    st.selectbox("Compare with (model B)", list(labels), format_func=labels.get, key="compare_with")
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


def store() -> RevisionStore | None:
    """The revision store (LEADSCORE_DB_URL or the user data folder), or None when it cannot
    be opened; the reason is then in session state for the pages to show."""
    try:
        found = _store(default_url())
    except StoreError as exc:
        st.session_state["store_error"] = str(exc)
        return None
    st.session_state.pop("store_error", None)
    return found


@st.cache_resource(show_spinner=False)
def _store(url: str) -> RevisionStore:
    return RevisionStore(url)


def review_banner() -> None:
    """On every page: a warning for each live model whose 60/90-day review is overdue."""
    found = store()
    if found is None:
        st.error(f"Revisions are not available: {st.session_state['store_error']}")
        return
    for problem in found.unreadable.values():
        st.warning(f"{problem}; the other revisions are shown without it.",
                   icon=":material/broken_image:")  # fmt: skip
    for name in found.model_names():
        cadence = found.cadence(name)
        if cadence.overdue_days:
            st.warning(
                f"Model review overdue: {name!r} {cadence.live.label} is live; its review was "
                f"due {cadence.next_due:%d %b %Y} ({cadence.overdue_days} days ago). The "
                "Revisions page has the checklist.",
                icon=":material/event_busy:",
            )


def dataset() -> Dataset:
    """The dataset picked in the sidebar, limited to the leads that existed at a fixed
    snapshot date; the demo set is generated on first start. A kept dataset that can no
    longer be read is named, and the page stops there; the sidebar can pick another."""
    try:
        full = _full_dataset()
    except DataError as exc:
        st.error(f"The dataset {data_label()!r} cannot be read: {exc}. Pick another in the "
                 "sidebar, or import the export again on the Data page.")  # fmt: skip
        st.stop()
    return _scoped(full, full.name, str(st.session_state["as_of"]), st.session_state["as_of"])


@st.cache_resource(max_entries=8, show_spinner=False)
def _scoped(_data: Dataset, data_name: str, as_of_text: str, _as_of: AsOf) -> Dataset:
    return existing_at(_data, _as_of)


def dataset_folder() -> Path:
    """The folder of the dataset picked in the sidebar."""
    name = data_label()
    return demo_folder() if name == DEMO_LABEL else saved_datasets().get(name, demo_folder())


def has_dates() -> bool:
    """Whether the picked dataset has created dates (imports may not)."""
    return data_label() == DEMO_LABEL or bool(dataset_meta(dataset_folder()).get("has_dates", True))


def _full_dataset() -> Dataset:
    """Every lead of the picked dataset, loaded once per server; the demo set is generated
    on first start."""
    if data_label() != DEMO_LABEL:
        return _load(str(dataset_folder()))
    folder = demo_folder()
    if not (folder / "leads.csv").exists() or not (folder / "events.csv").exists():
        bar = st.progress(0.0, "Generating the demo data (first start only)…")
        demo.ensure_demo(folder, progress=lambda f, text: bar.progress(f, text))
        bar.empty()
    return _load(str(folder))


@st.cache_resource(max_entries=4, show_spinner="Loading leads and events…")
def _load(folder: str) -> Dataset:
    return load_dataset(Path(folder), name=folder)


def hits(data: Dataset, model: ScoringModel, as_of: AsOf) -> Hits:
    """Stage 1, cached on the rules, decay and as-of policy: points edits never rebuild it."""

    def build() -> Hits:
        with st.spinner("Replaying events as of each decision moment…"):
            return build_hits(data, model, as_of)

    return _hit_cache().get((data.name, model.rules_key(), str(as_of)), build)


@st.cache_resource(show_spinner=False)
def _hit_cache() -> HitCache:
    """One per server, shared by every session, within LEADSCORE_HIT_CACHE_MB (1024)."""
    return HitCache(int(os.environ.get("LEADSCORE_HIT_CACHE_MB", "1024")) * 2**20)


def report(data: Dataset, model: ScoringModel, as_of: AsOf, *, width: int = 10) -> Report:
    """Every replay figure of one model, cached on the whole model: Replay and the review
    checklist redraw on each widget change, and at 1M leads a report takes a third of a
    second even with the hit matrix cached."""
    return _report(data, data.name, model.to_json(), str(as_of), width, model, as_of)


@st.cache_resource(max_entries=8, show_spinner=False)
def _report(
    _data: Dataset,
    data_name: str,
    model_json: str,
    as_of_text: str,
    width: int,
    _model: ScoringModel,
    _as_of: AsOf,
) -> Report:
    return replay.report(_data, hits(_data, _model, _as_of), _model, width=width)


def leakage(data: Dataset, model: ScoringModel, as_of: AsOf) -> pd.DataFrame:
    """Columns probably recorded at or after the outcome, judged per column (cached on the
    data and the decision moment: edits of the model do not change them)."""
    return _leakage(data, data.name, str(as_of), model, as_of)


@st.cache_data(max_entries=16, show_spinner="Looking for fields recorded after the outcome…")
def _leakage(_data, data_name, as_of_text, _model, _as_of) -> pd.DataFrame:
    return suggest.leakage(_data, hits(_data, _model, _as_of))


def leak_warnings(flags: pd.DataFrame) -> None:
    for line in suggest.leak_lines(flags):
        st.warning(line, icon=":material/warning:")


def fitting_hits(data: Dataset, model: ScoringModel, as_of: AsOf) -> Hits:
    """The model's hit matrix on the dataset; stops the page with a clear message when the
    rules do not fit it (e.g. criteria on columns a newly imported dataset lacks)."""
    try:
        return hits(data, model, as_of)
    except ModelError as exc:
        st.error(f"The model in the editor does not fit the dataset {data_label()!r}: {exc}. "
                 "Edit its criteria on the Model page, or load the dataset's starter model "
                 "from the Data page.")  # fmt: skip
        st.stop()


def data_label() -> str:
    return st.session_state.get("dataset", DEMO_LABEL)


def require_router() -> None:
    """Send a page opened without app.py (a deep link to a fresh server) through the router.

    Streamlit runs `pages/x.py` on its own when the very first request of a new server
    names it, because a folder called `pages/` looks like the old multipage layout; the
    sidebar and session defaults then never ran. app.py sets `as_of` on every run.
    """
    if "as_of" not in st.session_state:
        st.switch_page("app.py")


PERSISTENT = (
    "asof_kind", "asof_days", "asof_date", "model_name", "baseline", "cap_fit", "cap_engagement",
    "decay_mode", "half_life_days", "percent_per_30_days", "floor_fraction", "lookup_id",
    "compare_with", "bucket_width", "normalised", "reps", "per_rep", "author", "dataset",
    "presentation",
)  # fmt: skip


def keep_widget_values() -> None:
    """Keep widget values when their widget is not drawn (another page, a hidden input).

    Streamlit drops a widget's state at the end of a run that did not draw it; writing the
    value back as plain session state before the page runs keeps it (the documented way).
    """
    for key in list(st.session_state.keys()):
        if key in PERSISTENT or str(key).startswith("boundary_"):
            st.session_state[key] = st.session_state[key]


def rebase_editor() -> None:
    """After a page switch the criteria and bands editors have lost their edits (Streamlit
    drops the state of widgets it did not draw); start new editors from the rows they last
    showed, so every edit, valid or not, is still on screen, and the revision being edited
    stays the parent of the next save."""
    editor = f"criteria_editor_{st.session_state['editor_version']}"
    shown = st.session_state.get("editor_shown")
    if editor not in st.session_state and shown is not None:
        st.session_state["editor_rows"] = shown
        st.session_state["editor_version"] += 1
