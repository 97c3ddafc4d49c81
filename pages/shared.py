"""UI plumbing shared by the pages: session state, the sidebar, cached data and hits."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import streamlit as st

from model import demo
from model.features import AsOf, Dataset, Hits, build_hits, existing_at
from model.io import load_dataset
from model.spec import ScoringModel, default_model

DEMO_LABEL = "Demo data (B2B inbound)"


def demo_folder() -> Path:
    """Where the demo set lives; LEADSCORE_DEMO_DIR overrides data/demo (tests use it)."""
    return Path(os.environ.get("LEADSCORE_DEMO_DIR", demo.DEMO_DIR))


def init_state() -> None:
    """Defaults for every key the pages read; widgets then own their keys."""
    if "model" not in st.session_state:
        load_into_editor(default_model())
    st.session_state.setdefault("dataset", DEMO_LABEL)
    st.session_state.setdefault("asof_kind", "Days after creation")
    st.session_state.setdefault("asof_days", 14)
    st.session_state.setdefault("asof_date", dt.date(2026, 1, 1))


def load_into_editor(model: ScoringModel) -> None:
    """Make `model` the one in force and in the editor (new editor keys drop old edits)."""
    st.session_state["model"] = model
    st.session_state["editor_base"] = model
    st.session_state["editor_version"] = st.session_state.get("editor_version", -1) + 1
    st.session_state["model_name"] = model.name
    st.session_state["cap_fit"] = float(model.caps.fit)
    st.session_state["cap_engagement"] = float(model.caps.engagement)
    st.session_state["decay_mode"] = model.decay.mode
    st.session_state["half_life_days"] = float(model.decay.half_life_days)
    st.session_state["percent_per_30_days"] = float(model.decay.percent_per_30_days)
    st.session_state["floor_fraction"] = float(model.decay.floor_fraction)


def sidebar() -> None:
    """Dataset and as-of policy, drawn before the page so they keep their values."""
    with st.sidebar:
        st.selectbox("Dataset", [DEMO_LABEL], key="dataset")
        st.radio(
            "Score each lead as of",
            ["Days after creation", "Fixed date"],
            key="asof_kind",
            help="The decision moment: only events before it count, so the outcome cannot leak.",
        )
        if st.session_state["asof_kind"] == "Fixed date":
            st.date_input("Snapshot date", key="asof_date")
            as_of = AsOf.parse(st.session_state["asof_date"].isoformat())
        else:
            st.number_input("Days after created_at", 0, 365, step=1, key="asof_days")
            as_of = AsOf("created_plus_days", days=float(st.session_state["asof_days"]))
        st.session_state["as_of"] = as_of
        st.caption(f"Scoring {as_of.describe()}.")


def dataset() -> Dataset:
    """The dataset picked in the sidebar, limited to the leads that existed at a fixed
    snapshot date; the demo set is generated on first start."""
    full = _full_dataset()
    return _scoped(full, full.name, str(st.session_state["as_of"]), st.session_state["as_of"])


@st.cache_resource(max_entries=8, show_spinner=False)
def _scoped(_data: Dataset, data_name: str, as_of_text: str, _as_of: AsOf) -> Dataset:
    return existing_at(_data, _as_of)


def _full_dataset() -> Dataset:
    """Every lead of the picked dataset (the demo set for now), loaded once per server."""
    folder = demo_folder()
    if not (folder / "leads.csv").exists() or not (folder / "events.csv").exists():
        bar = st.progress(0.0, "Generating the demo data (first start only)…")
        demo.ensure_demo(folder, progress=lambda f, text: bar.progress(f, text))
        bar.empty()
    return _load(str(folder))


@st.cache_resource(max_entries=4, show_spinner="Loading leads and events…")
def _load(folder: str) -> Dataset:
    return load_dataset(Path(folder) / "leads.csv", Path(folder) / "events.csv", name=folder)


def hits(data: Dataset, model: ScoringModel, as_of: AsOf) -> Hits:
    """Stage 1, cached on the rules, decay and as-of policy: points edits never rebuild it."""
    return _hits(data, data.name, model.rules_key(), str(as_of), model, as_of)


@st.cache_resource(max_entries=16, show_spinner="Replaying events as of each decision moment…")
def _hits(
    _data: Dataset,
    data_name: str,
    rules_key: str,
    as_of_text: str,
    _model: ScoringModel,
    _as_of: AsOf,
) -> Hits:
    return build_hits(_data, _model, _as_of)


def require_router() -> None:
    """Send a page opened without app.py (a deep link to a fresh server) through the router.

    Streamlit runs `pages/x.py` on its own when the very first request of a new server
    names it, because a folder called `pages/` looks like the old multipage layout; the
    sidebar and session defaults then never ran. app.py sets `as_of` on every run.
    """
    if "as_of" not in st.session_state:
        st.switch_page("app.py")


PERSISTENT = (
    "asof_kind", "asof_days", "asof_date", "model_name", "cap_fit", "cap_engagement",
    "decay_mode", "half_life_days", "percent_per_30_days", "floor_fraction", "lookup_id",
    "compare_with", "bucket_width", "normalised", "reps", "per_rep",
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
    """After a page switch the criteria and bands editors have lost their edits; show the
    last valid model in them instead of the model they started from."""
    editor = f"criteria_editor_{st.session_state['editor_version']}"
    if (
        editor not in st.session_state
        and st.session_state["model"] is not st.session_state["editor_base"]
    ):
        load_into_editor(st.session_state["model"])
