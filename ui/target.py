"""The target picker on the Model page, and the line every page shows saying what the
figures are measured against."""

from __future__ import annotations

import streamlit as st

from model.core.dataset import Dataset
from model.core.target import default_order, stages, unordered
from ui import state

CHOICES = {
    "won": "Won deals",
    "stage": "Reaching a pipeline stage (known weeks earlier)",
}


def editor(data: Dataset) -> dict | None:
    """Won deals, or a stage with its order (from the data, editable); the target for the
    draft, None for won."""
    model = st.session_state["model"]
    if st.session_state.get("target_outcome") == "stage" and stages(data):
        _prefill(data)  # before the label, which names the stage
    with st.expander(f"**Tuned against:** {_picked_words()}"):
        outcome = st.radio(
            "Tune the model against",
            list(CHOICES),
            format_func=CHOICES.get,
            **state.kept("target_outcome"),
            horizontal=True,
        )
        if outcome == "won":
            return None
        if not stages(data):
            st.warning(
                f"The dataset {state.data_label()!r} has no stage column, so the model stays "
                "tuned against won deals. Map a stage column at import to use one."
            )
            return None
        _prefill(data)
        st.text_area(
            "Stage order, earliest first (one per line)",
            **state.kept("target_order"),
            help="Taken from the data's stage column; stages that only say a lead ended "
            "(closed lost, disqualified) are left out. Edit the order to match your funnel.",
        )
        order = _order()
        stage = st.selectbox("Stage to reach", order, **state.kept("target_stage"))
        missing = unordered(data, model.target) if model.target.outcome == "stage" else []
        if missing:
            st.caption(
                f"Stages in the data not in the order (they count as not reached): "
                f"{', '.join(missing[:8])}."
            )
        st.caption(
            f"A lead counts as a win once it reached {stage!r} or a stage after it (or won); "
            "as lost when it closed without; open otherwise. Every page reads this."
        )
        return {"outcome": "stage", "stage": stage, "stage_order": order}


def _order() -> list[str]:
    return [s.strip() for s in st.session_state.get("target_order", "").splitlines() if s.strip()]


def _prefill(data: Dataset) -> None:
    """The data's stage order and the opportunity stage, when none is picked yet."""
    if not (st.session_state.get("target_order") or "").strip():
        st.session_state["target_order"] = "\n".join(default_order(data))
    if st.session_state.get("target_stage") not in _order():
        st.session_state["target_stage"] = _suggested(_order())


def _picked_words() -> str:
    """The target as picked in the widgets (the model in force follows on this run)."""
    stage = st.session_state.get("target_stage")
    if st.session_state.get("target_outcome") == "stage" and stage:
        return f"reaching {stage!r} or later"
    return "won deals"


def _suggested(order: list[str]) -> str | None:
    """The opportunity stage when there is one, else the middle of the funnel."""
    return next(
        (s for s in order if "opportunit" in s.lower()), order[len(order) // 2] if order else None
    )


def note() -> None:
    """Which outcome the page's win rates are of: the model's target, on every page."""
    goal = st.session_state["model"].target
    if goal.outcome == "won":
        st.caption(":material/flag: Tuned against won deals (set on the Model page).")
        return
    st.caption(
        f":material/flag: Tuned against {goal.describe()}: here a lead is *won* once it "
        f"reached {goal.stage!r} or later."
    )
