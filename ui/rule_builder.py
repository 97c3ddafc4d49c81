"""'Add a criterion': a short form instead of a 12-column row. The room picks what the rule
reads from the dataset's own attributes, levels and event types (with counts), sees at
once how many leads it hits and how they closed, and adds one complete row."""

from __future__ import annotations

from typing import Any

import streamlit as st

from model import format
from model.analysis import picks
from model.core import tables
from model.core.dataset import AsOf, Dataset
from model.core.kinds import slug
from model.core.spec import ModelError, ScoringModel
from ui import caches, state

READS = {"attribute": "A lead attribute (fit)", "events": "Events (engagement)"}


def draw(data: Dataset, model: ScoringModel, as_of: AsOf) -> None:
    """The button that opens the form, or the form itself."""
    message = st.session_state.pop("builder_message", None)
    if message:
        st.success(message, icon=":material/playlist_add_check:")
    if not st.session_state.get("builder_open"):
        st.button(
            "Add a criterion",
            key="builder_open_button",
            icon=":material/add:",
            on_click=lambda: st.session_state.update(builder_open=True),
        )
        return
    with st.container(border=True):
        st.markdown("**Add a criterion**")
        criterion = _form(data)
        ready = _live_count(data, model, as_of, criterion)
        add, cancel, _ = st.columns([1.4, 1, 4])
        add.button(
            "Add to the model",
            key="builder_add",
            type="primary",
            disabled=not ready,
            on_click=_on_add,
            args=(criterion, model),
            width="stretch",
        )
        cancel.button("Cancel", key="builder_cancel", on_click=_close, width="stretch")


def _form(data: Dataset) -> dict[str, Any]:
    """The widgets, and the criterion they describe (its rule may still be incomplete)."""
    top = st.columns([2, 1.4, 1])
    label = top[0].text_input("Label", key="add_label", placeholder="e.g. Visited pricing")
    reads = top[1].radio("Reads", list(READS), format_func=READS.get, key="add_reads")
    points = top[2].number_input(
        "Points", -100.0, 100.0, 5.0, step=1.0, format="%g", key="add_points"
    )
    rule = _event_rule(data) if reads == "events" else _attribute_rule(data)
    group = "engagement" if reads == "events" else "fit"
    name = label.strip() or _default_label(rule)
    return {"label": name, "group": group, "points": points, "rule": rule}


def _attribute_rule(data: Dataset) -> dict[str, Any]:
    names = picks.candidates(data)
    if not names:
        st.caption("This dataset has no lead attributes a criterion could read.")
        return {}
    left, mid, right = st.columns([1.2, 1.2, 2.4])
    attribute = left.selectbox("Attribute", names, key="add_attribute")
    kind = picks.kind_of(data, attribute)
    op = mid.selectbox(
        "Rule", picks.OPS_BY_KIND[kind], format_func=picks.OP_WORDS.get, key=f"add_op_{kind}"
    )
    rule: dict[str, Any] = {"attribute": attribute, "op": op}
    with right:
        if op in ("in", "equals"):
            levels = picks.labelled(picks.level_counts(data, attribute))
            chosen = st.multiselect(
                "Levels (leads with each)",
                list(levels),
                format_func=levels.get,
                key=f"add_levels_{attribute}",
                max_selections=1 if op == "equals" else None,
            )
            if op == "equals":
                rule["value"] = chosen[0] if chosen else None
            else:
                rule["values"] = chosen
        elif op in ("between", "days_since"):
            rule.update(_range(data, attribute, kind, op))
    return rule


def _range(data: Dataset, attribute: str, kind: str, op: str) -> dict[str, Any]:
    """Low and high bounds; either may be left blank."""
    low_col, high_col = st.columns(2)
    if op == "between" and kind == "date":
        low = low_col.date_input("From", value=None, key=f"add_low_date_{attribute}")
        high = high_col.date_input("To", value=None, key=f"add_high_date_{attribute}")
        return {"low": low.isoformat() if low else None, "high": high.isoformat() if high else None}
    unit = " (days)" if op == "days_since" else ""
    low = low_col.number_input(f"From{unit}", value=None, format="%g", key=f"add_low_{attribute}")
    high = high_col.number_input(
        f"Below{unit}", value=None, format="%g", key=f"add_high_{attribute}"
    )
    return {"low": low, "high": high}


def _event_rule(data: Dataset) -> dict[str, Any]:
    counts = picks.labelled(picks.event_counts(data))
    if not counts:
        st.caption("This dataset has no events to count.")
        return {}
    left, right = st.columns([3, 1])
    events = left.multiselect(
        "Event types (events of each)", list(counts), format_func=counts.get, key="add_events"
    )
    cap = right.number_input("Count at most", min_value=1.0, value=None, format="%g", key="add_max")
    rule: dict[str, Any] = {"events": events, "op": "count"}
    if cap:
        rule["max_count"] = cap
    return rule


def _default_label(rule: dict[str, Any]) -> str:
    if rule.get("events"):
        return "Did " + " or ".join(rule["events"])
    if rule.get("attribute"):
        return f"{rule['attribute']} {picks.OP_WORDS[rule['op']]}"
    return "New criterion"


def _live_count(data: Dataset, model: ScoringModel, as_of: AsOf, criterion: dict) -> bool:
    """How many leads the criterion would hit and their win rate; whether it is complete."""
    rule = {k: v for k, v in criterion["rule"].items() if v not in (None, [])}
    try:
        probe = picks.probe({"id": "probe", **criterion, "rule": rule}, model)
    except ModelError as exc:
        row = {**rule, "value": rule.get("value", rule.get("values"))}
        lacking = tables.lacking_words(row) or str(exc).split(": ", 1)[-1]
        st.caption(f"{lacking[0].upper()}{lacking[1:]}.")
        return False
    found = picks.reach(data, probe, as_of, hits=caches.hits(data, probe, as_of))
    closed = found.won + found.lost
    st.info(
        f"Hits **{found.leads:,}** of {found.all_leads:,} leads "
        f"({format.percent(found.leads / max(found.all_leads, 1))}), {as_of.describe()}. "
        + (
            f"Of the {closed:,} that closed, {format.percent(found.win_rate)} were won, "
            f"against {format.percent(found.base_rate)} of all closed leads."
            if closed
            else "None of them has closed yet, so there is no win rate."
        ),
        icon=":material/filter_alt:",
    )
    return True


def _on_add(criterion: dict[str, Any], model: ScoringModel) -> None:
    """Append the criterion as one complete row of the criteria table."""
    taken = {c.id for c in model.criteria} | state.shown_criterion_ids()
    base = slug(criterion["label"], "_", empty="criterion")
    cid, n = base, 2
    while cid in taken:
        cid, n = f"{base}_{n}", n + 1
    state.add_criterion_row({"id": cid, **criterion})
    st.session_state["builder_message"] = (
        f"Added '{criterion['label']}' ({criterion['points']:+g} points) at the foot of the "
        "criteria table."
    )
    _close()


def _close() -> None:
    st.session_state["builder_open"] = False
    for key in [k for k in st.session_state if str(k).startswith("add_")]:
        del st.session_state[key]
