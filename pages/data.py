"""Data page: bring a CRM export, map its columns, read the validation report, use it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from model import services
from model.core import kinds, words
from model.core.dataset import DataError
from model.ingest import catalog, importer, readers, starter
from model.store.access import Forbidden
from ui import caches, components, identity, state

NONE = "(none)"
ROLE_LABELS = {
    "lead_id": "Lead id", "created_at": "Created date", "outcome": "Outcome (won / lost)",
    "value": "Deal value", "stage": "Stage", "source": "Source", "closed_at": "Closed date",
}  # fmt: skip
EVENT_LABELS = {"lead_id": "Lead id", "occurred_at": "When", "event_type": "Event type"}
TYPES = ["csv", "txt", "tsv", "xlsx", "xls", "parquet"]


def _read(key: str, sheet: str | None = None) -> pd.DataFrame | None:
    """The uploaded file under `key` as a frame (read once per upload and sheet), or None;
    a file that cannot be read shows why."""
    file = st.session_state.get(key)
    if file is None:
        return None
    cache = st.session_state.setdefault("_read_cache", {})
    token = (file.file_id, sheet)
    if token not in cache:
        bar = st.progress(0.0, f"Reading {file.name}…")
        notes: list[str] = []
        try:
            frame = readers.read_any(
                file.getvalue(),
                file.name,
                sheet=sheet,
                progress=lambda f, text: bar.progress(f, text),
                notes=notes,
            )
            cache[token] = (frame, notes)
        except DataError as exc:
            cache[token] = exc
        bar.empty()
    found = cache[token]
    if isinstance(found, DataError):
        st.error(str(found))
        return None
    frame, notes = found
    for line in notes:
        st.info(f"{line}.", icon=":material/content_cut:")
    return frame


def _sheet() -> str | None:
    """The sheet picker for a workbook with several sheets (the first is the default)."""
    file = st.session_state.get("leads_upload")
    if file is None or not file.name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        return None
    names = st.session_state.setdefault("_sheet_names", {})
    if file.file_id not in names:  # the workbook is opened once per upload, not per rerun
        names[file.file_id] = readers.excel_sheets(file.getvalue())
    sheets = names[file.file_id]
    if len(sheets) < 2:
        return None
    if st.session_state.get("leads_sheet") not in sheets:
        st.session_state["leads_sheet"] = sheets[0]
    st.selectbox("Sheet", sheets, key="leads_sheet", help="This workbook has several sheets.")
    return st.session_state["leads_sheet"]


def _with_accounts(leads: pd.DataFrame) -> tuple[pd.DataFrame, frozenset[str]]:
    """Leads with the uploaded accounts file joined on the picked column."""
    accounts = _read("accounts_upload")
    if accounts is None:
        return leads, frozenset()
    options = [NONE, *leads.columns]
    if st.session_state.get("accounts_on") not in options:
        guess = next((c for c in leads.columns if "account" in str(c).lower()), NONE)
        st.session_state["accounts_on"] = guess
    st.selectbox("Join accounts on (the leads' account column)", options, key="accounts_on")
    on = _picked("accounts_on")
    if on is None:
        st.info("Pick the leads' column that names the account to join the accounts file.")
        return leads, frozenset()
    try:
        joined = importer.join_accounts(
            leads, accounts, on=on, name=st.session_state["accounts_upload"].name
        )
    except DataError as exc:
        st.error(str(exc))
        return leads, frozenset()
    for line in joined.messages:
        st.warning(line)
    st.caption(
        f"Joined {len(joined.columns)} account columns onto each lead: "
        + ", ".join(sorted(joined.columns))
    )
    return joined.leads, joined.columns


def _validated(
    leads: pd.DataFrame, events: pd.DataFrame | None, mapping: importer.Mapping, token: str
) -> tuple[importer.Report, tuple[importer.Cells, importer.Cells | None]]:
    """The report on these files under this mapping, worked out once: naming the dataset or
    ticking a box does not check a million rows again; the build takes up its cells."""
    notes = (*mapping.notes, *mapping.event_notes)
    key = (token, json.dumps(mapping.to_dict(), sort_keys=True), notes)
    last = st.session_state.get("_validated")
    if last and last[0] == key:
        return last[1], last[2]
    cells = _cells(leads, events, mapping)
    report = importer.validate(
        leads,
        mapping,
        events,
        leads_name=st.session_state["leads_upload"].name,
        events_name=getattr(st.session_state.get("events_upload"), "name", "events"),
        cells=cells[0],
        event_cells=cells[1],
    )
    st.session_state["_validated"] = (key, report, cells)
    return report, cells


def _cells(
    leads: pd.DataFrame, events: pd.DataFrame | None, mapping: importer.Mapping
) -> tuple[importer.Cells, importer.Cells | None]:
    """What was read of these files (trimmed, blanks missing, parsed), kept across reruns
    for as long as the upload and the missing words stay."""
    missing = importer.missing_words(mapping)
    before = st.session_state.get("_cells", (None, None))
    cells = (
        importer.Cells.of(leads, missing, before[0]),
        None if events is None else importer.Cells.of(events, missing, before[1]),
    )
    st.session_state["_cells"] = cells
    return cells


def _user_roles() -> set[str]:
    return st.session_state.setdefault("_user_roles", set())


def _mark(role: str) -> None:
    """A role the user picked: it wins over every guess from now on."""
    _user_roles().add(role)


def _guess(leads, events, token: str, account_columns: frozenset[str]) -> importer.Mapping:
    """Guesses around what the user picked; the widgets the user did not touch follow them
    (set before the widgets are drawn, so Streamlit keeps them)."""
    if st.session_state.get("_mapped_for") != token:
        st.session_state["_user_roles"] = set()
        st.session_state["missing_values"] = ", ".join(importer.Mapping().missing)
        st.session_state["drop_columns"] = []
        st.session_state.setdefault("created_policy", "fallback")
        st.session_state.pop("_outcome_for", None)
    drop = tuple(c for c in st.session_state.get("drop_columns", []) if c in leads.columns)
    mapped = {r: _picked(f"map_{r}") for r in _user_roles()}
    guess = importer.guess_mapping(
        leads, events, mapped=mapped, drop=drop, attributes_only=account_columns
    )
    for role in words.ROLES:
        if role not in _user_roles():
            st.session_state[f"map_{role}"] = guess.roles.get(role) or NONE
    if st.session_state.get("_mapped_for") != token:
        for role in words.EVENT_ROLES:
            st.session_state[f"map_event_{role}"] = guess.events.get(role) or NONE
    if st.session_state.get("_outcome_for") != guess.roles.get("outcome"):
        st.session_state["won_values"], st.session_state["lost_values"] = guess.won, guess.lost
        st.session_state["_outcome_for"] = guess.roles.get("outcome")
    st.session_state["_mapped_for"] = token
    return guess


def _mapping_widgets(leads, events, guess: importer.Mapping) -> importer.Mapping:
    st.subheader("2. Map the columns")
    st.caption(
        "Proposed from the column names and confirmed by their values; what you pick "
        "wins. Everything not mapped becomes an attribute that criteria can use."
    )
    options = [NONE, *leads.columns]
    cols = st.columns(4)
    for i, role in enumerate(words.ROLES):
        cols[i % 4].selectbox(
            ROLE_LABELS[role], options, key=f"map_{role}", on_change=_mark, args=(role,)
        )
    mapping = guess
    mapping.roles = {r: _picked(f"map_{r}") for r in words.ROLES}
    for role in _user_roles():
        mapping.how[role] = "mapped"
    if mapping.roles["outcome"]:
        values = (
            leads[mapping.roles["outcome"]]
            .astype("string")
            .str.strip()
            .str.lower()
            .dropna()
            .value_counts()
            .index[:60]
            .tolist()
        )
        keep = set(values)
        for key in ("won_values", "lost_values"):
            st.session_state[key] = [v for v in st.session_state.get(key, []) if v in keep]
        left, right = st.columns(2)
        left.multiselect("Outcome values meaning won", values, key="won_values")
        right.multiselect(
            "Outcome values meaning lost",
            values,
            key="lost_values",
            help="Every other value counts as open.",
        )
        mapping.won, mapping.lost = st.session_state["won_values"], st.session_state["lost_values"]
    st.text_input(
        "Values that mean missing (comma-separated)",
        key="missing_values",
        help="Placeholders such as 'Select', 'N/A' or '-' are treated as empty.",
    )
    mapping.missing = [
        v.strip().lower() for v in st.session_state["missing_values"].split(",") if v.strip()
    ]
    left_out = kinds.excluded_columns(leads, {c for c in mapping.roles.values() if c})
    st.multiselect(
        "Leave out columns",
        list(leads.columns),
        key="drop_columns",
        help="Left out of the dataset entirely. Ids and free text ("
        + (", ".join(left_out) or "none found")
        + ") are kept in the dataset but never turned into criteria.",
    )
    mapping.drop = list(st.session_state["drop_columns"])
    blank = importer.blank_created(leads, mapping, _cells(leads, events, mapping)[0])
    if blank:
        st.radio(
            f"{blank:,} leads have no created date",
            list(words.CREATED_POLICIES),
            key="created_policy",
            format_func=words.CREATED_POLICIES.get,
            horizontal=True,
        )
    mapping.created_policy = st.session_state["created_policy"]
    if events is not None:
        st.markdown("**Events file**")
        ecols = st.columns(3)
        for col, role in zip(ecols, words.EVENT_ROLES, strict=True):
            col.selectbox(EVENT_LABELS[role], [NONE, *events.columns], key=f"map_event_{role}")
        mapping.events = {r: _picked(f"map_event_{r}") for r in words.EVENT_ROLES}
    return mapping


def _picked(key: str) -> str | None:
    value = st.session_state.get(key, NONE)
    return None if value == NONE else value


def _report(report: importer.Report, mapping: importer.Mapping) -> None:
    st.subheader("3. Validation report")
    st.dataframe(
        mapping.provenance(),
        hide_index=True,
        width="stretch",
        column_config={"role": "Role", "column": "Column", "how": "How"},
    )
    st.caption(
        "Per role, the column that plays it and how it was chosen. Only what you "
        "mapped can block the import; a guess never does."
    )
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


def _fingerprint(leads: pd.DataFrame, events, mapping: importer.Mapping) -> str:
    """The same file mapped the same way: the upload is not saved a second time."""
    h = hashlib.sha256(pd.util.hash_pandas_object(leads, index=False).to_numpy().tobytes())
    if events is not None:
        h.update(pd.util.hash_pandas_object(events, index=False).to_numpy().tobytes())
    h.update(json.dumps(mapping.to_dict(), sort_keys=True, default=str).encode())
    return h.hexdigest()


def _on_use(
    leads: pd.DataFrame,
    events,
    mapping: importer.Mapping,
    report: importer.Report,
    with_starter: bool,
    cells: tuple[importer.Cells, importer.Cells | None],
) -> None:
    """Save the mapped dataset (or open the one kept from the same file and mapping), pick
    it in the sidebar, and maybe load its starter model."""
    wanted = st.session_state["dataset_name"].strip() or "Imported leads"
    name = catalog.free_name(wanted)
    try:
        identity.require("save_dataset")
        done = services.import_dataset(
            leads,
            mapping,
            events,
            name=name,
            report=report,
            fingerprint=_fingerprint(leads, events, mapping),
            author=identity.author(),
            cells=cells,
        )
    except (DataError, OSError, Forbidden) as exc:
        st.session_state["data_error"] = f"Not saved: {exc}"
        return
    built, folder, kept = done.built, done.folder, done.kept
    taken = [n for n, f in catalog.saved_datasets().items() if f == folder]
    st.session_state["dataset"] = taken[0] if taken else name
    if with_starter:
        model = starter.starter_model(
            built.leads, events=built.events, name=f"Starter model ({name})"
        )
        state.load_into_editor(model)
    said = f"{importer.closing_line(built.leads)} as {st.session_state['dataset']!r} in {folder}"
    if name != wanted and not kept:
        said += f" (a dataset named {wanted!r} is kept already, from another file or mapping)"
    if kept:
        said = (
            f"This file, mapped this way, is kept already: opened {st.session_state['dataset']!r}"
            f" ({folder}); nothing was saved again"
        )
    facts = "".join(f" {f[0].upper()}{f[1:]}." for f in built.facts())
    st.session_state["data_message"] = (
        ("" if kept else "Saved ")
        + said
        + "; it is now the sidebar's dataset"
        + (", and its starter model is in the editor." if with_starter else ".")
        + facts
    )


def _starter_for_picked() -> None:
    """The starter model of the dataset picked in the sidebar, at any time, not only while
    uploading it."""
    if state.data_label() == state.DEMO_LABEL:
        return
    components.starter_button(caches.dataset(), key="starter_for_picked")


def _uploads() -> None:
    st.subheader("1. Upload")
    left, middle, right = st.columns(3)
    left.file_uploader(
        "Leads file",
        type=TYPES,
        key="leads_upload",
        help="CSV with any delimiter and encoding (UTF-16 included), Excel or Parquet",
    )
    middle.file_uploader("Events file (optional)", type=TYPES, key="events_upload")
    right.file_uploader(
        "Accounts file (optional)",
        type=TYPES,
        key="accounts_upload",
        help="Companies or accounts exported separately; their columns are joined onto each lead.",
    )


def _kept(item: tuple[str, Path]) -> str:
    """A kept dataset's name, and who saved it when that is known."""
    by = catalog.dataset_meta(item[1]).get("saved_by")
    return f"{item[0]} (saved by {by})" if by else item[0]


def main() -> None:
    state.require_router()
    st.title("Your data")
    message = st.session_state.pop("data_message", None)
    if message:
        st.success(message)
    problem = st.session_state.pop("data_error", None)
    if problem:
        st.error(problem)
    st.caption(
        "Upload a CRM export of leads with a won / lost column (CSV with any delimiter "
        "and common encodings, Excel or Parquet), and optionally an activity log and "
        "an accounts file. Nothing is used until the report below says it can be."
    )
    _uploads()
    sheet = _sheet()
    leads = _read("leads_upload", sheet)
    events = _read("events_upload")
    saved = catalog.saved_datasets()
    if saved:
        st.caption(
            "Kept datasets (pick one in the sidebar): " + ", ".join(map(_kept, saved.items()))
        )
    _starter_for_picked()
    for problem in catalog.unreadable_datasets():
        st.warning(problem)
    if leads is None:
        for kept in ("_validated", "_cells"):  # they hold the last upload's rows
            st.session_state.pop(kept, None)
        return
    leads, account_columns = _with_accounts(leads)
    st.caption(f"{len(leads):,} rows × {len(leads.columns)} columns.")
    token = "|".join(
        str(getattr(st.session_state.get(k), "file_id", ""))
        for k in ("leads_upload", "events_upload", "accounts_upload")
    )
    token += f"|{sheet}|{st.session_state.get('accounts_on')}"
    guess = _guess(leads, events, token, account_columns)
    mapping = _mapping_widgets(leads, events, guess)
    report, cells = _validated(leads, events, mapping, token)
    _report(report, mapping)
    st.subheader("4. Use it")
    st.session_state.setdefault(
        "dataset_name", st.session_state["leads_upload"].name.rsplit(".", 1)[0]
    )
    st.text_input("Dataset name", key="dataset_name", max_chars=120)
    wanted = st.session_state["dataset_name"].strip()
    if wanted and wanted in saved:
        st.caption(
            f"A kept dataset is named {wanted!r} already. The same file mapped the same way "
            f"opens it again; otherwise this one is kept beside it as "
            f"{catalog.free_name(wanted)!r}, unless you name it."
        )
    st.checkbox(
        "Also load a zero-point starter model built from its columns", key="starter", value=True
    )
    blocked = identity.why_not("save_dataset", caches.bare_store(), named=False)
    st.button(
        "Use this dataset",
        key="use_dataset",
        type="primary",
        disabled=not report.ok or bool(blocked),
        on_click=_on_use,
        args=(leads, events, mapping, report, st.session_state["starter"], cells),
        help=blocked or (None if report.ok else "Fix the errors above first."),
    )
    if report.ok:
        built = importer.build(leads.head(200), mapping)
        preview = built.leads.head(20)
        if not built.has_dates:  # a stand-in moment, not a date anyone entered
            preview = preview.drop(columns="created_at")
        st.dataframe(preview, hide_index=True, width="stretch")
        st.caption(
            "The first rows as the app will read them."
            + ("" if built.has_dates else " No created dates: every lead is scored as it is now.")
        )


main()
