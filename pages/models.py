"""Models page: every scoring model of the workspace side by side (the revision in use, the
leads it covers, how it ranks them, what it hands to sales), the leads two models claim
and the leads none covers, which leads the model in force covers, and a new model."""

from __future__ import annotations

import streamlit as st

from model.analysis import portfolio
from model.core import tables
from model.core.spec import ModelError, parse_model
from ui import caches, components, sidebar, state, target


def main() -> None:
    state.require_router()
    st.title("Models")
    target.note()
    data, as_of = caches.dataset(whole=True), st.session_state["as_of"]
    st.caption(
        "One model per product line, region or segment: each covers the leads its rules "
        "name, keeps its own revisions, live revision and reviews, and every page reads its "
        "leads only. Pick the model to work on in the sidebar."
    )
    entries = _entries()
    try:
        table, found = caches.models_overview(data, entries, as_of)
    except ModelError as exc:
        st.error(f"No overview on this dataset: {exc}.")
        return
    _summary(data.n_leads, found, len(entries))
    table.insert(2, "next review", [_next_review(e.name) for e in entries])
    table = table[[c for c in table.columns if c != "applies to"] + ["applies to"]]  # long: last
    components.table(
        table, percent=["sales-ready win rate"], decimals={"AUC": 3}, key="models_overview"
    )
    st.caption(
        "Per model: the revision in use (live, else the newest; *editor* when unsaved), the "
        "leads its rules cover, how well it ranks those that closed (AUC) and what it hands "
        "to sales, with how those closed, and when its next 60/90-day review falls due."
    )
    _overlaps(found)
    if not sidebar.read_only():
        _coverage(data)
        _new_model()


def _entries() -> list[portfolio.Entry]:
    """The store's models at their live revision (else the newest), the editor's model as
    it is on screen when it is unsaved."""
    found, editor = caches.store(), st.session_state["model"]
    entries = []
    for name in found.model_names() if found else []:
        revision = found.live(name) or found.latest(name)
        entries.append(
            portfolio.Entry(name, f"{revision.label} ({revision.status})", revision.model)
        )
    for i, e in enumerate(entries):
        if e.name == editor.name and e.model != editor:
            entries[i] = portfolio.Entry(e.name, "editor (unsaved edits)", editor)
    if editor.name not in {e.name for e in entries}:
        entries.append(portfolio.Entry(editor.name, "editor (not saved yet)", editor))
    return entries


def _next_review(name: str) -> str:
    """When the model's next review falls due, or why there is none yet."""
    found = caches.store()
    cadence = found.cadence(name) if found else None
    if cadence is None or cadence.next_due is None:
        return "not live yet"
    late = f" ({cadence.overdue_days} days overdue)" if cadence.overdue_days else ""
    return f"{cadence.next_due:%d %b %Y}{late}"


def _summary(n_leads: int, found: portfolio.Overlaps, n_models: int) -> None:
    both, none = len(found.leads("overlap")), found.uncovered
    said = (
        f"{n_models} model{'s' if n_models != 1 else ''} cover{'' if n_models != 1 else 's'} "
        f"{n_leads - none:,} of {n_leads:,} leads; {both:,} are "
        f"claimed by two models or more and {none:,} by none."
    )
    (st.warning if both or none else st.info)(said)


def _overlaps(found: portfolio.Overlaps) -> None:
    st.markdown("**Overlaps**")
    if found.pairs.empty:
        st.caption("No two models claim the same lead.")
    else:
        components.table(found.pairs, key="models_pairs")
        st.caption("Leads both models of a pair claim: each would route them its own way.")
    left, right = st.columns(2)
    for column, kind, label in (
        (left, "overlap", "Download the leads two models claim (CSV)"),
        (right, "uncovered", "Download the leads no model covers (CSV)"),
    ):
        leads = found.leads(kind)
        components.csv_download(
            label,
            leads,
            f"leads-{kind}.csv",
            key=f"download_{kind}",
            where=column,
            disabled=leads.empty,
        )


def _coverage(data) -> None:
    """Which leads the model in force covers: rules in the criteria's language, all holding."""
    model = st.session_state["model"]
    st.markdown(f"**Which leads {model.name!r} covers** (every rule holds; none: all leads)")
    edited = st.data_editor(
        tables.coverage_table(model),
        key=f"coverage_editor_{model.name}_{st.session_state['editor_version']}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "attribute": st.column_config.SelectboxColumn("attribute", options=data.attributes),
            "op": st.column_config.SelectboxColumn("op", options=tables.COVERAGE_OPS),
            "value": st.column_config.TextColumn("value", help="in: values separated by commas"),
        },
    )
    if st.button("Apply the coverage", key="coverage_apply"):
        try:
            rules = tables.coverage_rules(edited)
            updated = parse_model({**model.to_dict(), "applies_to": rules})
            portfolio.covers(data, updated)  # a column this dataset lacks is named here
        except ModelError as exc:
            st.error(f"Coverage not changed: {exc}")
            return
        state.load_draft(updated)
        st.rerun()


def _new_model() -> None:
    """A new model beside the others: the editor's criteria under a new name, unsaved."""
    st.markdown("**Start a new model**")
    left, right = st.columns([2, 1])
    name = left.text_input("Name of the new model", key="new_model_name", placeholder="EMEA")
    if right.button("Start it from the model in force", key="new_model_button", disabled=not name):
        found = caches.store()
        if found and name.strip() in found.model_names():
            st.error(f"A model named {name.strip()!r} exists: pick it in the sidebar.")
            return
        model = st.session_state["model"]
        state.load_into_editor(model.model_copy(update={"name": name.strip()}))
        st.session_state["models_message"] = name.strip()
        st.rerun()
    if said := st.session_state.pop("models_message", None):
        st.success(
            f"{said!r} is in the editor with the criteria you had: set which leads it covers "
            "above, then save it on the Model page as its first revision."
        )


main()
