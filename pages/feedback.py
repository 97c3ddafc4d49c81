"""Feedback page: reps' verdicts on handed-off leads, entered here or imported from a CSV,
kept append-only, and what they say about the model (acceptance by band and criterion)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model import format, services
from model.analysis import feedback
from model.core.dataset import DataError
from model.core.feedback import VERDICTS, Feedback
from model.core.scoring import score
from model.store.access import Forbidden
from model.store.revisions import RevisionStore, stamp
from ui import caches, components, identity, state, target


def _judged_model(store: RevisionStore, name: str):
    """The live revision when there is one (it made the hand-offs), else the draft."""
    live = store.live(name)
    return (live.model, f"live {live.label}") if live else (st.session_state["model"], "draft")


def _enter(store: RevisionStore, name: str, data, reasons: list[str]) -> None:
    """One verdict typed in by a rep."""
    with st.form("feedback_form", clear_on_submit=True):
        left, mid, right = st.columns([2, 1, 2])
        lead = left.text_input("Lead id", key="feedback_lead")
        verdict = mid.radio("Verdict", VERDICTS, key="feedback_verdict", horizontal=True)
        reason = right.selectbox("Reason (needed to reject)", ["", *reasons], key="feedback_reason")
        note = st.text_input("Note", key="feedback_note", placeholder="what the rep found")
        blocked = identity.why_not("feedback", store)
        if st.form_submit_button(
            "Add this verdict", key="feedback_add", disabled=bool(blocked), help=blocked
        ):
            _add(store, name, data, Feedback(lead.strip(), verdict, reason, note))


def _add(store: RevisionStore, name: str, data, row: Feedback) -> None:
    if row.lead_id and row.lead_id not in set(data.lead_ids):
        st.error(f"No lead with id {row.lead_id!r} in the dataset {state.data_label()!r}.")
        return
    try:
        store.add_feedback(name, [row], author=identity.author())
    except (ValueError, Forbidden) as exc:
        st.error(f"Not added: {exc}.")
        return
    st.session_state["feedback_message"] = f"Added: lead {row.lead_id} {row.verdict}."
    st.rerun()


def _import(store: RevisionStore, name: str, reasons: list[str]) -> None:
    """A feedback export (CSV or Excel): all its rows, or none with the reason why."""
    left, right = st.columns([3, 1])
    upload = left.file_uploader(
        "Import verdicts (CSV or Excel: lead id, verdict, reason, note, rep, date)",
        type=["csv", "txt", "xlsx"],
        key="feedback_upload",
    )
    right.download_button(
        "Template (CSV)",
        feedback.template(reasons),
        "feedback-template.csv",
        "text/csv",
        key="feedback_template",
    )
    if upload is None or st.session_state.get("feedback_imported") == upload.file_id:
        return
    try:
        added = services.import_feedback(
            store, name, upload.getvalue(), upload.name, author=identity.author()
        )
    except (DataError, ValueError, Forbidden) as exc:
        st.error(f"Nothing imported: {exc}.")
        return
    st.session_state["feedback_imported"] = upload.file_id
    st.session_state["feedback_message"] = (
        f"Imported {format.count(added)} verdicts from {upload.name}."
    )
    st.rerun()


def _reasons(store: RevisionStore, name: str, reasons: list[str]) -> None:
    """The reason list the team edits; verdicts already given keep their words."""
    with st.expander("Reasons a rep picks from"):
        text = st.text_area("One reason per line", "\n".join(reasons), key="feedback_reasons")
        if st.button("Save the reason list", key="feedback_reasons_save"):
            try:
                store.set_feedback_reasons(name, text.splitlines(), author=identity.author())
            except (ValueError, Forbidden) as exc:
                st.error(f"Not saved: {exc}.")
                return
            st.rerun()


def figures(found: feedback.Acceptance, judged_by: str) -> None:
    """Acceptance overall, by band, by criterion, and the reasons given."""
    cols = st.columns(3)
    cols[0].metric("Leads judged", format.count(found.judged))
    cols[1].metric("Accepted by sales", format.percent(found.rate))
    cols[2].metric("Verdicts on unknown leads", format.count(found.unmatched))
    st.caption(
        f"Bands and criteria of the {judged_by} revision, as of the sidebar's decision "
        "moment; the newest verdict per lead counts."
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Acceptance by band**")
        components.table(found.by_band, percent=["acceptance"])
    with right:
        st.markdown("**Reasons for rejecting**")
        if found.reasons.empty:
            st.caption("No lead rejected yet.")
        else:
            components.table(found.reasons)
    st.markdown("**Criteria most present in rejected leads**")
    components.table(
        found.by_criterion,
        percent=["acceptance", "in rejected", "in accepted"],
        signed=["points"],
        decimals={"rejected − accepted": 2},
    )
    st.caption(
        "'in rejected' is the share of rejected leads the criterion fired on, 'in accepted' "
        "the same for accepted ones: a criterion far more present in rejections is a "
        f"candidate for fewer points. Acceptance shows from {feedback.MIN_JUDGED} judged leads."
    )


def _history(rows: list[Feedback]) -> None:
    frame = pd.DataFrame(
        {
            "lead": [r.lead_id for r in rows],
            "verdict": [r.verdict for r in rows],
            "reason": [r.reason for r in rows],
            "note": [r.note for r in rows],
            "by": [r.author for r in rows],
            "given": [stamp(r.given_at) for r in rows],
            "entered": [stamp(r.entered_at) for r in rows],
            "live revision": [f"v{r.live_number}" if r.live_number else "–" for r in rows],
        }
    )[::-1]
    with st.expander(f"Every verdict entered ({format.count(len(rows))}, newest first)"):
        components.table(frame)
        st.download_button(
            "Download verdicts (CSV)",
            frame.to_csv(index=False),
            "feedback.csv",
            "text/csv",
            key="feedback_download",
        )
        st.caption("Verdicts are never changed or deleted: a rep who reconsiders adds a new one.")


def main() -> None:
    state.require_router()
    st.title("Sales feedback")
    target.note()
    store = caches.store()
    if store is None:
        st.error(f"The revision store cannot be opened: {st.session_state.get('store_error')}.")
        return
    data, as_of = caches.dataset(), st.session_state["as_of"]
    name = st.session_state["model"].name
    reasons = store.feedback_reasons(name)
    st.caption(
        f"What reps said about the leads model {name!r} handed them: accepted, or rejected "
        "with a reason. The earliest sign a model is wrong, weeks before deals close."
    )
    if message := st.session_state.pop("feedback_message", None):
        st.success(message)
    identity.name_box("who enters or imports verdicts")
    _enter(store, name, data, reasons)
    _import(store, name, reasons)
    _reasons(store, name, reasons)
    rows = store.feedback(name)
    if not rows:
        st.info("No verdicts yet: enter one above or import a CSV.")
        return
    model, judged_by = _judged_model(store, name)
    hits = caches.fitting_hits(data, model, as_of)
    figures(feedback.acceptance(data, hits, score(hits, model), model, rows), judged_by)
    _history(rows)


main()
