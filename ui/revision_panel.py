"""The revision panel on the Model page: where the editor stands against the saved
revisions; load one, save the edits as a new revision, make one live, and the refused save
of two people saving at once (whose edits stay on screen)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import streamlit as st

from model import services
from model.core.spec import Criterion, ScoringModel
from model.store import columns as versions
from model.store.access import Forbidden
from model.store.revisions import Conflict, Revision, RevisionStore
from ui import caches, gate, identity, state


def _on_load(store: RevisionStore, options: dict[str, Revision]) -> None:
    """Load the picked revision into the editor (unsaved edits there are replaced)."""
    revision = options[st.session_state["load_revision"]]
    state.load_into_editor(revision.model, revision)
    loaded = f"Loaded {revision.model_name} {revision.label} into the editor."
    st.session_state["upload_message"] = ("success", loaded)


@dataclass(frozen=True)
class Standing:
    """The model in force against the saved revisions, read from the store once a run and
    shared by the standing line, the panel and the outline."""

    model: ScoringModel
    parent: Revision | None  # the revision it was loaded from (or last saved as)
    latest: Revision | None  # the newest revision of its name

    @property
    def base(self) -> Revision | None:
        return self.parent or self.latest

    @cached_property
    def changes(self) -> list[str]:
        """What changed since the base revision, one line each."""
        return versions.diff_models(self.base.model, self.model) if self.base else []

    @cached_property
    def changed(self) -> list[Criterion]:
        """The criteria added or changed since the base revision (each gets a note box)."""
        return versions.changed_criteria(self.base.model, self.model) if self.base else []


def standing_of(model: ScoringModel) -> Standing:
    """Where `model` stands; with no store, against nothing."""
    store = caches.store()
    parent = state.editing_revision(store, model)
    return Standing(model, parent, store.latest(model.name) if store else None)


def draw(at: Standing, valid: bool) -> None:
    """Load a revision, save the edits as a new one, make one live. Drawn outside the
    editors' fragment: `outline` says what it shows, and an edit that changes that
    redraws the page."""
    store = caches.store()
    if store is None:
        st.error(f"Saving revisions is not available: {st.session_state['store_error']}")
        return
    said = st.session_state.pop("save_message", None)  # the last save, after its rerun
    if said:
        getattr(st, said[0])(said[1])
    with st.container(border=True):
        save, load = st.columns([3, 2])
        identity.name_box("who saves or makes live", save)
        _load_picker(store, load)
        with save:
            _save_form(store, at, valid)
            _make_live(store, at)
    _conflict(store, at.model)


def standing(at: Standing) -> None:
    """Which revision the editor edits and what changed since (redrawn with every edit,
    beside the editors)."""
    if caches.store() is None:
        return
    model, parent, latest = at.model, at.parent, at.latest
    if parent is None:
        st.markdown(
            f"**{model.name}**: not saved as a revision yet"
            + (f" (the store has up to {latest.label})" if latest else ".")
        )
    else:
        unsaved = f"{len(at.changes)} unsaved change(s)" if at.changes else "no unsaved changes"
        st.markdown(f"Editing **{model.name} {parent.label}** ({parent.status}), {unsaved}.")
    if at.changes:
        st.caption(" · ".join(at.changes[:6]) + (" · …" if len(at.changes) > 6 else ""))


def outline(at: Standing, valid: bool) -> tuple:
    """What the panel, the sidebar's model picker and the model file show of the model in
    force: the revision edited, whether it changed, which criteria changed (each has a
    note box), the name; the whole model while a refused save shows its differences."""
    model = at.model
    return (
        model.name,
        st.session_state.get("editor_parent"),
        valid,
        at.parent is None or at.parent.model != model,
        tuple((c.id, c.label) for c in at.changed[:12]),
        model if st.session_state.get("conflict") else None,
    )


def _load_picker(store: RevisionStore, where) -> None:
    options = {
        f"{r.model_name} {r.label}": r for n in store.model_names() for r in store.revisions(n)
    }
    if not options:
        where.caption("No saved revisions yet.")
        return
    labels = {k: f"{k} ({r.status}) {r.note[:40]}" for k, r in options.items()}
    pick, button = where.columns([3, 1], vertical_alignment="bottom")
    pick.selectbox(
        "Load a revision", list(options)[::-1], format_func=labels.get, key="load_revision"
    )
    button.button(
        "Load",
        key="load_button",
        on_click=_on_load,
        args=(store, options),
        help="Replaces the editor's content, unsaved edits included.",
    )


def _save_form(store, at: Standing, valid: bool) -> None:
    """The note, sales feedback on the changed criteria, and the save. The save runs in the
    button's callback, before the page is drawn again, so the panel then says what was
    saved (and offers to make it live); a refused save keeps what was typed."""
    # named=False: without a name typed, the save runs and the store says one is needed
    blocked = identity.why_not("save", store, named=False)
    with st.form("save_revision", clear_on_submit=False, border=False):
        st.text_input(
            "Note: why this revision",
            key="note_input",
            placeholder="e.g. pricing visits close more often, say the reps",
        )
        changed = at.changed
        if changed:
            st.caption("Sales feedback on the changed criteria (optional)")
            for c in changed[:12]:
                st.text_input(c.label, key=f"cnote_{c.id}", placeholder="why it changed")
        st.form_submit_button(
            "Save as new revision",
            key="save_revision_button",
            type="primary",
            disabled=not valid or bool(blocked),
            help=blocked,
            on_click=_on_save,
            args=(store, at.parent, [c.id for c in changed]),
        )


def _on_save(store: RevisionStore, parent, changed: list[str]) -> None:
    """Save the model in force on top of `parent`; an unchanged model is not saved again.
    The model is read when the button is pressed: edits since the panel was drawn ran in
    the editors' fragment alone."""
    model = st.session_state["model"]
    if parent is not None and parent.model == model:
        st.session_state["save_message"] = (
            "info",
            f"Nothing to save: the editor holds {model.name} {parent.label} unchanged.",
        )
        return
    request = {
        "author": identity.author(),
        "note": st.session_state.get("note_input", ""),
        "criterion_notes": {c: st.session_state.get(f"cnote_{c}", "") for c in changed},
    }
    if _save(store, model, parent.number if parent else None, request):
        st.session_state["note_input"] = ""  # typed notes go with the saved revision
        for c in changed:
            st.session_state.pop(f"cnote_{c}", None)


def _save(store: RevisionStore, model: ScoringModel, parent: int | None, request: dict) -> bool:
    """Save; on a conflict keep the request (and the editor untouched) for a save on top.
    What happened is said on the next draw of the panel."""
    try:
        saved = services.save_revision(store, model, parent=parent, **request)
    except Conflict as exc:
        st.session_state["conflict"] = {"message": str(exc), "latest": exc.latest, **request}
        return False
    except (ValueError, Forbidden) as exc:
        st.session_state["save_message"] = ("error", f"Not saved: {exc}. What you typed is kept.")
        return False
    st.session_state["editor_parent"] = (saved.model_name, saved.number)
    st.session_state.pop("conflict", None)
    st.session_state["save_message"] = (
        "success",
        f"Saved {saved.model_name} {saved.label} as a draft. Make it live when the room agrees.",
    )
    return True


def _conflict(store: RevisionStore, model: ScoringModel) -> None:
    """The refused save: who saved what, how your edits differ, and a save on top."""
    conflict = st.session_state.get("conflict")
    if not conflict:
        return
    latest: Revision = conflict["latest"]
    st.error(conflict["message"])
    lines = versions.diff_models(latest.model, model)
    st.markdown(
        f"**Your edits against {latest.label}** ("
        + ("none: the same content" if not lines else f"{len(lines)} differences")
        + ")"
    )
    st.markdown("\n".join(f"- {line}" for line in lines))
    left, right = st.columns(2)
    if left.button(f"Save on top of {latest.label}", key="save_on_top", type="primary"):
        request = {k: conflict[k] for k in ("author", "note", "criterion_notes")}
        request["criterion_notes"] = {
            k: v
            for k, v in request["criterion_notes"].items()
            if k in {c.id for c in model.criteria}
        }
        _save(store, model, latest.number, request)
        st.rerun()
    if right.button(f"Discard my edits and load {latest.label}", key="load_latest"):
        state.load_into_editor(latest.model, latest)
        st.rerun()


def _make_live(store: RevisionStore, at: Standing) -> None:
    gate.message()
    parent, changes = at.parent, at.changes
    if parent is None or parent.status == "live":
        return
    blocked = identity.why_not("make_live", store)
    help_text = "Save your changes first." if changes else "Sales gets leads by this revision."
    gate.make_live_button(
        store,
        at.model.name,
        parent,
        key="make_live",
        disabled=bool(changes) or bool(blocked),
        help=(blocked or help_text)
        + " It is compared with the live revision on recent closed leads first.",
    )
