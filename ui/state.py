"""Session state the pages share: the model in the editor and the revision it came from,
the dataset picked, and the widget values kept across pages."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from model.core import tables
from model.core.spec import ScoringModel, criteria_only, default_model
from model.store.revisions import Revision, RevisionStore

DEMO_LABEL = "Demo data (B2B inbound)"


def init_state(found: RevisionStore | None) -> None:
    """Defaults for every key the pages read (the editor starts on the live revision in
    `found`, the revision store); widgets then own their keys."""
    if "model" not in st.session_state:
        start = default_model()
        revision = (found.live(start.name) or found.latest(start.name)) if found else None
        load_into_editor(revision.model if revision else start, revision)
    st.session_state.setdefault("dataset", DEMO_LABEL)
    st.session_state.setdefault("asof_kind", "Days after creation")
    st.session_state.setdefault("asof_days", 14)
    st.session_state.setdefault("asof_date", dt.date(2026, 1, 1))


def load_into_editor(
    model: ScoringModel, revision: Revision | None = None, *, origin: bool = True
) -> None:
    """Make `model` the one in force and in the editor (new editor keys drop old edits);
    `revision` is the saved revision it came from, the parent of the next save. With
    `origin`, it is also what "Discard my edits" goes back to."""
    if origin:
        st.session_state["editor_origin"] = (model, revision)
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
    st.session_state["target_outcome"] = model.target.outcome
    st.session_state["target_stage"] = model.target.stage
    st.session_state["target_order"] = "\n".join(model.target.stage_order)


def editing_revision(store: RevisionStore | None, model: ScoringModel) -> Revision | None:
    """The revision the editor was loaded from, when it is of the same model name."""
    parent = st.session_state.get("editor_parent")
    if store is not None and parent and parent[0] == model.name:
        return store.get(*parent)
    return None


def load_draft(model: ScoringModel) -> None:
    """Put `model` in the editor as unsaved edits on top of the revision being edited."""
    parent = st.session_state.get("editor_parent")
    load_into_editor(model, origin=False)
    st.session_state["editor_parent"] = parent


HISTORY = 50  # valid models the editor can step back through


def remember(model: ScoringModel) -> None:
    """Record the valid model in force as the newest step of the editor's history; after
    a step back, a new edit drops the steps ahead, as in any editor."""
    history: list[ScoringModel] = st.session_state.setdefault("history", [])
    at = st.session_state.get("history_at", len(history) - 1)
    if history and 0 <= at < len(history) and history[at] == model:
        return
    del history[at + 1 :]
    history.append(model)
    del history[:-HISTORY]
    st.session_state["history_at"] = len(history) - 1


def steps() -> tuple[int, int]:
    """Where the editor stands in its history: (step, of steps), counted from 1."""
    return st.session_state.get("history_at", 0) + 1, len(st.session_state.get("history", []))


def undo() -> None:
    """Back to the previous valid model (a button's callback: before the editors draw)."""
    _step(-1)


def redo() -> None:
    """Forward again to the model undone last."""
    _step(+1)


def _step(by: int) -> None:
    history = st.session_state.get("history", [])
    at = st.session_state.get("history_at", len(history) - 1) + by
    if 0 <= at < len(history):
        st.session_state["history_at"] = at
        load_draft(history[at])


def discard() -> None:
    """Back to what was last loaded (a revision, a file, the default), edits thrown away."""
    model, revision = st.session_state["editor_origin"]
    load_into_editor(model, revision)


def data_label() -> str:
    return st.session_state.get("dataset", DEMO_LABEL)


def require_router() -> None:
    """Send a page opened without app.py (a deep link to a fresh server) through the router.

    Streamlit runs `pages/x.py` on its own when the very first request of a new server
    names it, because a folder called `pages/` looks like the old multipage layout; the
    sidebar and session defaults then never ran. app.py sets `as_of` on every run.
    """
    from ui import caches, identity

    if "as_of" not in st.session_state:
        st.switch_page("app.py")
    if not identity.allowed(caches.bare_store()):  # signed out, or the role was taken away
        st.rerun()


def kept(key: str) -> dict:
    """Widget arguments for a value that outlives its widget: another page, a hidden
    input, a fragment rerun. Streamlit's own `persist_state="session"` keeps it; the
    older way (writing every value back before each run) lost edits made in a fragment."""
    return {"key": key, "persist_state": "session"}


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


def shown_criterion_ids() -> set[str]:
    """The ids in the criteria table as last drawn, complete rows or not."""
    shown = st.session_state.get("editor_shown") or {}
    rows = shown.get("criteria_rows")
    return set() if rows is None else {str(i) for i in rows["id"].dropna()}


def add_criterion_row(criterion: dict) -> None:
    """Append one complete criterion to the criteria table as the room sees it (its other
    rows, edits and half-filled ones included, stay as they are)."""
    one = criteria_only([criterion])
    base = st.session_state["editor_base"]
    shown = st.session_state.get("editor_shown") or {
        "criteria_rows": tables.criteria_table(base),
        "band_rows": tables.bands_table(base),
    }
    rows = pd.concat([shown["criteria_rows"], tables.criteria_table(one)], ignore_index=True)
    _show_criteria({**shown, "criteria_rows": rows})


def set_points(criterion_id: str, points: float) -> None:
    """Give one criterion row new points in the criteria table as the room sees it (the
    points stepper beside the preview); its other rows and edits stay as they are."""
    shown = st.session_state["editor_shown"]
    rows = shown["criteria_rows"].copy()
    at = rows.index[rows["id"].astype(str) == criterion_id]
    if len(at):
        rows.loc[at[0], "points"] = float(points)
        _show_criteria({**shown, "criteria_rows": rows})


def _show_criteria(shown: dict) -> None:
    """New editors (new keys) start from `shown`, the tables as they must now read."""
    st.session_state["editor_rows"] = st.session_state["editor_shown"] = shown
    st.session_state["editor_version"] += 1
