"""Data page: bring a CRM export, map its columns, read the validation report, use it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model import importer
from model.io import DataError
from pages import shared

NONE = "(none)"
ROLE_LABELS = {
    "lead_id": "Lead id", "created_at": "Created date", "outcome": "Outcome (won / lost)",
    "value": "Deal value", "stage": "Stage", "source": "Source", "closed_at": "Closed date",
}  # fmt: skip
EVENT_LABELS = {"lead_id": "Lead id", "occurred_at": "When", "event_type": "Event type"}


def _read(key: str) -> pd.DataFrame | None:
    """The uploaded file under `key` as a frame (read once per upload), or None; a file that
    cannot be read shows why."""
    file = st.session_state.get(key)
    if file is None:
        return None
    cache = st.session_state.setdefault("_read_cache", {})
    if file.file_id not in cache:
        bar = st.progress(0.0, f"Reading {file.name}…")
        try:
            cache[file.file_id] = importer.read_any(
                file.getvalue(), file.name, progress=lambda f, text: bar.progress(f, text)
            )
        except DataError as exc:
            cache[file.file_id] = exc
        bar.empty()
    found = cache[file.file_id]
    if isinstance(found, DataError):
        st.error(str(found))
        return None
    return found


def _reset_mapping(leads: pd.DataFrame, events: pd.DataFrame | None, token: str) -> None:
    """Pre-fill the mapping widgets with guesses when a new file arrives."""
    if st.session_state.get("_mapped_for") == token:
        return
    guess = importer.guess_mapping(leads, events)
    for role in importer.ROLES:
        st.session_state[f"map_{role}"] = guess.roles.get(role) or NONE
    for role in importer.EVENT_ROLES:
        st.session_state[f"map_event_{role}"] = guess.events.get(role) or NONE
    st.session_state["won_values"] = guess.won
    st.session_state["lost_values"] = guess.lost
    st.session_state["missing_values"] = ", ".join(importer.Mapping().missing)
    st.session_state["_mapped_for"] = token


def _mapping_widgets(leads: pd.DataFrame, events: pd.DataFrame | None) -> importer.Mapping:
    st.subheader("2. Map the columns")
    st.caption("Guessed from the column names; everything not mapped becomes an attribute "
               "that criteria can use (wide columns such as total visits included).")  # fmt: skip
    options = [NONE, *leads.columns]
    cols = st.columns(4)
    for i, role in enumerate(importer.ROLES):
        cols[i % 4].selectbox(ROLE_LABELS[role], options, key=f"map_{role}")
    roles = {r: _picked(f"map_{r}") for r in importer.ROLES}
    mapping = importer.Mapping(roles=roles)
    if roles["outcome"]:
        values = (leads[roles["outcome"]].astype("string").str.strip().str.lower()
                  .dropna().value_counts().index[:60].tolist())  # fmt: skip
        keep = set(values)
        for key in ("won_values", "lost_values"):
            st.session_state[key] = [v for v in st.session_state.get(key, []) if v in keep]
        left, right = st.columns(2)
        left.multiselect("Outcome values meaning won", values, key="won_values")
        right.multiselect("Outcome values meaning lost", values, key="lost_values",
                          help="Every other value counts as open.")  # fmt: skip
        mapping.won, mapping.lost = st.session_state["won_values"], st.session_state["lost_values"]
    st.text_input("Values that mean missing (comma-separated)", key="missing_values",
                  help="Placeholders such as 'Select', 'N/A' or '-' are treated as empty.")  # fmt: skip
    mapping.missing = [v.strip().lower() for v in st.session_state["missing_values"].split(",")
                       if v.strip()]  # fmt: skip
    if events is not None:
        st.markdown("**Events file**")
        ecols = st.columns(3)
        for col, role in zip(ecols, importer.EVENT_ROLES, strict=True):
            col.selectbox(EVENT_LABELS[role], [NONE, *events.columns], key=f"map_event_{role}")
        mapping.events = {r: _picked(f"map_event_{r}") for r in importer.EVENT_ROLES}
    return mapping


def _picked(key: str) -> str | None:
    value = st.session_state.get(key, NONE)
    return None if value == NONE else value


def _report(report: importer.Report) -> None:
    st.subheader("3. Validation report")
    if not report.issues:
        st.success("No problems found.")
        return
    for issue in report.errors:
        st.error(f"**{issue.where}**: {issue.message}")
    warnings = [i for i in report.issues if i.level == "warning"]
    if warnings:
        with st.expander(f"{len(warnings)} warnings (you can go on)", expanded=not report.errors):
            for issue in warnings:
                st.warning(f"**{issue.where}**: {issue.message}")


def _on_use(leads: pd.DataFrame, events, mapping: importer.Mapping, starter: bool) -> None:
    """Save the mapped dataset, pick it in the sidebar, and maybe load its starter model."""
    mapped = importer.apply_mapping(leads, mapping)
    mapped_events = None
    if events is not None:
        mapped_events = importer.apply_events(events, mapping, mapped["lead_id"])
    name = st.session_state["dataset_name"].strip() or "Imported leads"
    folder = importer.save_dataset(mapped, mapped_events, name=name, mapping=mapping)
    saved = importer.dataset_meta(folder)["name"]
    taken = [n for n, f in importer.saved_datasets().items() if f == folder]
    st.session_state["dataset"] = taken[0] if taken else saved
    if starter:
        shared.load_into_editor(importer.starter_model(mapped, name=f"Starter model ({name})"))
    won = int((mapped["outcome"] == "won").sum())
    st.session_state["data_message"] = (
        f"Saved {len(mapped):,} leads ({won:,} won) as {st.session_state['dataset']!r} in "
        f"{folder}; it is now the sidebar's dataset"
        + (", and its starter model is in the editor." if starter else ".")
    )


def main() -> None:
    shared.require_router()
    st.title("Your data")
    message = st.session_state.pop("data_message", None)
    if message:
        st.success(message)
    st.caption("Upload a CRM export of leads with a won / lost column (CSV with any delimiter "
               "and common encodings, Excel or Parquet), and optionally an activity log. "
               "Nothing is used until the report below says it can be.")  # fmt: skip
    st.subheader("1. Upload")
    left, right = st.columns(2)
    types = ["csv", "txt", "tsv", "xlsx", "xls", "parquet"]
    left.file_uploader("Leads file", type=types, key="leads_upload")
    right.file_uploader("Events file (optional)", type=types, key="events_upload")
    leads = _read("leads_upload")
    events = _read("events_upload")
    saved = importer.saved_datasets()
    if saved:
        st.caption("Kept datasets (pick one in the sidebar): " + ", ".join(saved))
    if leads is None:
        return
    st.caption(f"{len(leads):,} rows × {len(leads.columns)} columns.")
    token = st.session_state["leads_upload"].file_id + str(
        getattr(st.session_state.get("events_upload"), "file_id", "")
    )
    _reset_mapping(leads, events, token)
    mapping = _mapping_widgets(leads, events)
    report = importer.validate(leads, mapping, events,
                               leads_name=st.session_state["leads_upload"].name)  # fmt: skip
    _report(report)
    st.subheader("4. Use it")
    st.session_state.setdefault(
        "dataset_name", st.session_state["leads_upload"].name.rsplit(".", 1)[0]
    )
    st.text_input("Dataset name", key="dataset_name")
    st.checkbox("Also load a zero-point starter model built from its columns", key="starter",
                value=True)  # fmt: skip
    st.button("Use this dataset", key="use_dataset", type="primary", disabled=not report.ok,
              on_click=_on_use, args=(leads, events, mapping, st.session_state["starter"]),
              help=None if report.ok else "Fix the errors above first.")  # fmt: skip
    if report.ok:
        st.dataframe(importer.apply_mapping(leads.head(200), mapping).head(20),
                     hide_index=True, width="stretch")  # fmt: skip
        st.caption("The first rows as the app will read them.")


main()
