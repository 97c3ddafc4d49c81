"""'Make live' through the gate, wherever the page offers it: the candidate is compared
with the live revision on the recent closed leads of the dataset in the sidebar; when the
gate refuses, the figures are shown and only a reason typed by the person overrides it."""

from __future__ import annotations

import streamlit as st

from model import services
from model.analysis import challenge
from model.core.spec import ModelError
from model.store.access import Forbidden
from model.store.revisions import Revision, RevisionStore
from ui import caches, components, identity, review


def make_live_button(
    store: RevisionStore, name: str, revision: Revision, *, key: str, disabled: bool, help: str
) -> None:
    """The button, and what the gate said the last time it was pressed."""
    st.button(
        f"Make {revision.label} live",
        key=key,
        disabled=disabled,
        help=help,
        on_click=_try,
        args=(store, name, revision.number, None, key),
    )
    refused = st.session_state.get(f"{key}_refused")
    if refused and refused[0] == revision.number:
        _refusal(store, name, revision, refused[1], key)


def _try(store: RevisionStore, name: str, number: int, override: str | None, key: str) -> None:
    """Run the gate (a callback: the page drawn next shows the outcome)."""
    data, as_of = caches.dataset(), st.session_state["as_of"]
    author = identity.author()
    since = challenge.default_since(data)
    try:
        revision, found = services.gated_make_live(
            store, data, name, number, author=author, as_of=as_of, since=since, override=override
        )
    except services.GateRefused as refused:
        st.session_state[f"{key}_refused"] = (number, refused.challenge)
        return
    except (ModelError, Forbidden, ValueError) as exc:
        st.session_state["gate_message"] = ("error", f"Not made live: {exc}.")
        return
    st.session_state.pop(f"{key}_refused", None)
    said = f"{revision.model_name} {revision.label} is live"
    if found is None:
        said += " (nothing was live before it, so there was nothing to compare with)."
    elif override:
        said += f", overriding the gate: {override}"
    else:
        auc = found.figures["auc"]
        said += (
            f": it passed the gate on {found.leads:,} closed leads (AUC {auc.candidate:.3f} "
            f"against {auc.live:.3f})."
        )
        if not found.enough:
            said += " Too few leads have closed in the period for the figures to mean much."
    st.session_state["gate_message"] = ("success", said)


def message() -> None:
    """What the last go-live did, once."""
    said = st.session_state.pop("gate_message", None)
    if said:
        (st.success if said[0] == "success" else st.error)(said[1])


def _refusal(store, name: str, revision: Revision, found, key: str) -> None:
    since = f"since {found.since:%d %b %Y}" if found.since is not None else "in all"
    st.error(
        f"The gate refused {revision.label}: " + "; ".join(found.refusals) + f" (on the "
        f"{found.leads:,} leads created {since} whose outcome is known).",
        icon=":material/block:",
    )
    components.table(review.figures_styler(found.table()))
    reason = st.text_input(
        "Reason to make it live anyway (kept with the decision)", key=f"{key}_reason"
    )
    st.button(
        f"Make {revision.label} live anyway",
        key=f"{key}_override",
        type="primary",
        disabled=not reason.strip(),
        on_click=_try,
        args=(store, name, revision.number, reason.strip(), key),
    )
