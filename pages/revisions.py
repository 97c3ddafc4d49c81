"""Revisions page: every saved revision side by side, diffs, review cadence, restore."""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from model import format, services
from model.analysis import replay
from model.core.spec import ModelError, parse_model
from model.store import columns as versions
from model.store.access import Forbidden
from model.store.revisions import Cadence, Revision, RevisionStore, stamp
from ui import caches, components, gate, identity, review, state, target

SHOW_LAST = 8
CHANGED = "background-color: #ffe699; color: #1f1f1f"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


def _columns_tab(revisions: list[Revision]) -> None:
    labels = [r.label for r in revisions]
    shown = st.multiselect(
        "Revisions to show", labels, default=labels[-SHOW_LAST:], key="shown_revisions"
    )
    picked = [r for r in revisions if r.label in shown] or revisions[-1:]
    columns = versions.versioned_columns(picked)
    table = columns.table.drop(columns="section").map(_cell)
    styles = pd.DataFrame("", index=table.index, columns=table.columns)
    styles[columns.revision_columns] = columns.changed.replace({True: CHANGED, False: ""})
    st.dataframe(
        table.style.apply(lambda _: styles, axis=None),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 1400),
    )
    st.caption(
        "One row per criterion and setting, one column per revision (newest right): the "
        "points each revision gives. Highlighted cells changed from the column to their "
        "left; a blank cell means the revision did not have that criterion."
    )
    slug = re.sub(r"[^a-z0-9]+", "-", picked[0].model_name.lower()).strip("-") or "model"
    left, right = st.columns(2)
    left.download_button(
        "Download workbook (Excel)",
        versions.workbook(columns),
        f"{slug}-revisions.xlsx",
        key="download_xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    components.csv_download(
        "Download columns (CSV)",
        columns.table,
        f"{slug}-revisions.csv",
        key="download_csv",
        where=right,
    )


def _diff_tab(revisions: list[Revision]) -> None:
    labels = [r.label for r in revisions]
    left, right = st.columns(2)
    old = left.selectbox("From", labels, index=max(len(labels) - 2, 0), key="diff_from")
    new = right.selectbox("To", labels, index=len(labels) - 1, key="diff_to")
    a, b = (revisions[labels.index(x)] for x in (old, new))
    lines = versions.diff_models(a.model, b.model, b.criterion_notes)
    st.markdown(
        f"**{a.label} → {b.label}**: {b.note or 'no note'} ({b.author}, {stamp(b.created_at)})"
    )
    st.markdown("\n".join(f"- {line}" for line in lines) if lines else "No differences.")


VERDICTS = {"passed": "passed the gate", "override": "overrode the gate", "no_live": "first live"}


def _decisions(store, name: str) -> None:
    """Every go-live decision: who made which revision live, what the gate said, and why."""
    made = store.decisions(name)
    if not made:
        return
    rows = [
        {
            "went live": f"v{d.number}",
            "replacing": f"v{d.live_before}" if d.live_before else "–",
            "gate": VERDICTS.get(d.verdict, d.verdict),
            "reason": d.reason or "–",
            "AUC, candidate − live": (d.figures.get("figures", {}).get("auc", {}) or {}).get(
                "difference"
            ),
            "closed leads compared": d.figures.get("closed_leads"),
            "by": d.author,
            "when": stamp(d.decided_at),
        }
        for d in made[::-1]
    ]
    with st.expander(f"Go-live decisions ({len(made)})", expanded=False):
        components.table(
            pd.DataFrame(rows),
            decimals={"AUC, candidate − live": 3},
            whole=["closed leads compared"],
        )


def _cadence(cadence: Cadence) -> None:
    cols = st.columns(4)
    live = cadence.live
    cols[0].metric("Live revision", live.label if live else "none")
    cols[1].metric("Live since", f"{live.live_since:%d %b %Y}" if live else "–")
    due = f"{cadence.next_due:%d %b %Y}" if cadence.next_due else "–"
    cols[2].metric(
        "Next review due",
        due,
        f"{cadence.overdue_days} days overdue" if cadence.overdue_days else None,
        delta_color="inverse",
    )
    last = cadence.last_review
    cols[3].metric("Last review", f"{last.reviewed_at:%d %b %Y}" if last else "none yet")
    st.caption(
        "Reviews fall due 60 days after the first revision goes live, then 90 days "
        "after each review held."
    )


def _checklist(store: RevisionStore, revisions: list[Revision], cadence: Cadence) -> None:
    live = cadence.live
    if live is None:
        st.info(
            "No revision is live yet, so there is nothing to review. Make one live below "
            "or on the Model page."
        )
        return
    data, as_of = caches.dataset(), st.session_state["as_of"]
    try:
        caches.hits(data, live.model, as_of)
    except ModelError as exc:
        st.error(f"The live revision does not fit the dataset {state.data_label()!r}: {exc}.")
        return
    others = [r for r in revisions if r.number != live.number]
    if not others:
        st.info("Only the live revision exists: save a candidate to compare with it.")
        candidate = None
    else:
        labels = [r.label for r in others]
        pick = st.selectbox(
            "Candidate to compare with the live revision",
            labels,
            index=len(labels) - 1,
            key="review_candidate",
        )
        candidate = others[labels.index(pick)]
    rep_live = caches.report(data, live.model, as_of)
    ratio = replay.ready_to_opportunity(data, rep_live.scores, live.model)
    last = cadence.last_review
    before = last.ready_to_opportunity if last else None
    st.markdown("**1. Sales-ready leads that reached opportunity** (live revision, this data)")
    m = st.columns(2)
    m[0].metric(
        "Now",
        format.percent(ratio),
        None if before is None else f"{(ratio - before) * 100:+.1f} pts vs last review",
    )
    m[1].metric("At the last review", format.percent(before) if before is not None else "–")
    st.markdown("**2. Notes collected from sales per criterion** (since the last review)")
    since = last.reviewed_at if last else None
    notes = versions.notes_frame([r for r in revisions if since is None or r.created_at > since])
    notes = notes[notes["criterion"] != ""]
    if notes.empty:
        st.caption("No criterion notes saved since the last review.")
    else:
        st.dataframe(notes, hide_index=True, width="stretch")
    st.markdown("**3. Replay: live vs candidate** on the same history")
    if candidate is not None:
        names = (f"live {live.label}", f"candidate {candidate.label}")
        compared = caches.comparison(data, live.model, candidate.model, as_of, names=names)
        st.info(compared.verdict, icon=":material/gavel:")
        table = compared.summary.copy()  # cached: relabelled on a copy
        table.index = [f"live {live.label}", f"candidate {candidate.label}", "candidate − live"]
        shares = ["wins in top 10 %", "wins in top 20 %"]
        st.dataframe(
            table.rename(columns=replay.SUMMARY_LABELS)
            .style.format("{:.3f}")
            .format("{:.1%}", subset=shares),
            width="stretch",
        )
        st.caption(
            "Ranking quality of closed leads scored as of the sidebar's decision moment."
            " A candidate worth making live ranks wins higher: more AUC, more lift."
        )
        if compared.newest is not None:
            recent = compared.newest.copy()
            recent.index = table.index
            st.markdown(f"On {compared.newest_leads}")
            st.dataframe(
                recent.rename(columns=replay.SUMMARY_LABELS)
                .style.format("{:.3f}")
                .format("{:.1%}", subset=shares),
                width="stretch",
            )
        st.markdown(
            f"**Gate: {candidate.label} against live {live.label} on recent history** "
            "(what *Make live* would read)"
        )
        review.gate_figures(data, live, candidate, as_of)
    st.markdown("**4. What sales said about the hand-offs** (since the last review)")
    review.feedback_section(store, data, live, as_of, since)
    st.markdown("**5. Shadow run**")
    review.shadow_section(store, data, live, as_of)
    with st.form("record_review", clear_on_submit=True):
        st.text_input("Review note", key="review_note", placeholder="what the room decided and why")
        blocked = identity.why_not("review", store)
        if st.form_submit_button(
            "Record this review", key="record_review_button", disabled=bool(blocked), help=blocked
        ):
            _record(store, live, ratio)


def _record(store: RevisionStore, live: Revision, ratio: float) -> None:
    try:
        store.record_review(
            live.model_name,
            reviewer=identity.author(),
            note=st.session_state["review_note"],
            ready_to_opportunity=None if math.isnan(ratio) else ratio,
        )
    except (ValueError, Forbidden) as exc:
        st.error(f"Not recorded: {exc}.")
        return
    st.rerun()


def _actions(store: RevisionStore, name: str, revisions: list[Revision]) -> None:
    author = identity.author()
    labels = [r.label for r in revisions]
    left, mid = st.columns(2)
    with left:
        pick = st.selectbox("Revision", labels[::-1], key="action_revision")
        revision = revisions[labels.index(pick)]
        blocked = identity.why_not("restore", store)
        st.button(
            f"Restore {pick} as a new revision",
            key="restore_button",
            disabled=bool(blocked),
            help=blocked or "Saves a new revision equal to this one.",
            on_click=_restore,
            args=(store, name, revision.number, revisions[-1].number, author),
        )
        blocked = identity.why_not("make_live", store)
        gate.make_live_button(
            store,
            name,
            revision,
            key="live_button",
            disabled=bool(blocked) or revision.status == "live",
            help=blocked or "Compared with the live revision on recent closed leads first.",
        )
        gate.message()
        _shadow_buttons(store, name, revision, author)
    with mid:
        _import(store, author)


def _restore(store: RevisionStore, name: str, number: int, parent: int, author: str) -> None:
    """Save a copy of revision `number` and pick it, the revision acted on next: set in
    the button's callback, before the picker is drawn, so the picker and the buttons
    beside it name the same revision (its options change with the new revision)."""
    try:
        saved = store.restore(name, number, author=author, parent=parent)
    except (ValueError, Forbidden) as exc:
        st.session_state["revisions_refusal"] = f"Not restored: {exc}."
        return
    st.session_state["revisions_message"] = f"Saved {saved.label}: {saved.note}."
    st.session_state["action_revision"] = saved.label


def _shadow_buttons(store: RevisionStore, name: str, revision: Revision, author: str) -> None:
    """Run the picked candidate in shadow beside the live revision, or stop the run."""
    running = store.shadow(name)
    if running is not None:
        st.caption(f"{running.label} runs in shadow beside the live revision.")
    offered = running is None or running.number != revision.number
    blocked = identity.why_not("shadow", store)
    if offered and st.button(
        f"Run {revision.label} in shadow",
        key="shadow_button",
        disabled=bool(blocked) or revision.status == "live",
        help=blocked
        or "It scores new leads beside the live revision without routing them; the "
        "review compares the two on the leads that close.",
    ):
        store.set_shadow(name, revision.number, author=author)
        st.session_state["revisions_message"] = f"{revision.label} runs in shadow."
        st.rerun()
    if running is not None and st.button(
        f"Stop the shadow run of {running.label}", key="shadow_stop", disabled=bool(blocked)
    ):
        store.set_shadow(name, None, author=author)
        st.session_state["revisions_message"] = f"The shadow run of {running.label} stopped."
        st.rerun()


def _import(store: RevisionStore, author: str) -> None:
    file = st.file_uploader(
        "Import a model JSON as a new draft", type=["json"], key="import_upload"
    )
    if file is None:
        return
    try:
        model = parse_model(file.getvalue())
    except ModelError as exc:
        st.error(f"{file.name} was not imported: {exc}")
        return
    latest = store.latest(model.name)
    target = f"{model.name} {'v' + str(latest.number + 1) if latest else 'v1'}"
    if identity.write_button(
        f"Save {file.name} as {target} (draft)", "import_model", store, key="import_button"
    ):
        saved = services.save_revision(
            store,
            model,
            author=author,
            note=f"Imported from {file.name}",
            parent=latest.number if latest else None,
        )
        st.session_state["revisions_message"] = f"Imported {file.name} as {saved.label}."
        st.rerun()


VIEWS = {
    "Versioned columns": lambda store, name, revisions, cadence: _columns_tab(revisions),
    "Diff": lambda store, name, revisions, cadence: _diff_tab(revisions),
    "Review checklist": lambda store, name, revisions, cadence: _checklist(store, revisions, cadence),
    "Restore, make live, import": lambda store, name, revisions, cadence: _actions(store, name, revisions),
}  # fmt: skip


def main() -> None:
    state.require_router()
    st.title("Revisions")
    target.note()
    store = caches.store()
    if store is None:
        st.error(f"The revision store cannot be opened: {st.session_state['store_error']}")
        return
    st.caption(
        f"Every saved revision is kept, append-only, in `{store.location}` (set "
        "LEADSCORE_DB_URL to share one with your team, e.g. on PostgreSQL)."
    )
    message = st.session_state.pop("revisions_message", None)
    if message:
        st.success(message)
    refusal = st.session_state.pop("revisions_refusal", None)
    if refusal:
        st.error(refusal)
    identity.name_box("who records, restores, imports or makes live")
    author = identity.author()
    names = store.model_names()
    if not names:
        st.info(
            "No revisions yet. Save one from the Model page (*Save as new revision*) or "
            "import a model JSON below."
        )
        _import(store, author)
        return
    current = st.session_state["model"].name
    name = (
        st.selectbox(
            "Model",
            names,
            index=names.index(current) if current in names else 0,
            key="revisions_model",
        )
        if len(names) > 1
        else names[0]
    )
    revisions = store.revisions(name)
    cadence = store.cadence(name)
    _cadence(cadence)
    _decisions(store, name)
    view = st.radio(
        "Show",
        list(VIEWS),
        horizontal=True,
        **state.kept("revisions_view"),
        label_visibility="collapsed",
    )
    VIEWS[view](
        store, name, revisions, cadence
    )  # only the view picked runs (the checklist replays)


main()
