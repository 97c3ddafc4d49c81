"""Sources page: an agreed source taxonomy, win rate per source, and credit rules for the
marketing touches before each lead's decision moment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model import charts, format
from model.analysis import attribution
from model.core.scoring import score
from ui import caches, components, identity, state, target


def _taxonomy(data, folder) -> dict[str, str]:
    """The taxonomy editor: raw source values and the category each belongs to."""
    values = attribution.source_values(data)
    saved = attribution.load_taxonomy(folder) or {}
    guess = attribution.guess_taxonomy(list(values.index))
    start = {v: saved.get(v) or guess.get(v) or "" for v in values.index}
    edited = st.data_editor(
        pd.DataFrame(
            {
                "source value": values.index,
                "leads": values.to_numpy(),
                "category": list(start.values()),
            }
        ),
        key=f"taxonomy_editor_{st.session_state.get('taxonomy_version', 0)}",
        hide_index=True,
        width="stretch",
        disabled=["source value", "leads"],
        column_config={
            "leads": st.column_config.NumberColumn("leads", format="localized"),
            "category": st.column_config.TextColumn(
                "category",
                help="Several values may share a category: 'trade show' and 'congress' -> Events.",
            ),
        },
    )
    taxonomy = {
        str(r["source value"]): str(r["category"]).strip()
        for r in edited.to_dict("records")
        if str(r["category"] or "").strip()
    }
    left, right = st.columns([1, 3])
    blocked = identity.why_not("taxonomy", caches.bare_store(), named=False)
    if left.button(
        "Save the taxonomy with the dataset",
        key="save_taxonomy",
        disabled=bool(blocked),
        help=blocked,
    ):
        identity.require("taxonomy")
        path = attribution.save_taxonomy(folder, taxonomy, author=identity.author())
        right.success(f"Saved as {path.name}; earlier versions are kept.")
    elif not saved:
        right.caption("Guessed from the values' words; edit, then save it so everyone uses it.")
    return taxonomy


def main() -> None:
    state.require_router()
    st.title("Sources")
    target.note()
    data, model, as_of = caches.dataset(), st.session_state["model"], st.session_state["as_of"]
    scores = score(caches.fitting_hits(data, model, as_of), model)
    if "source" not in data.leads.columns:
        st.info("This dataset has no source column: map one on the Data page.")
    else:
        st.subheader("Why leads came: the source taxonomy")
        taxonomy = _taxonomy(data, caches.dataset_folder())
        missing = attribution.unmapped(data, taxonomy)
        if missing:
            st.warning(
                "Not in any category yet (shown as their own row, never as 'other'): "
                + ", ".join(repr(v) for v in missing)
            )
        groups = attribution.categories(data, taxonomy)
        table = attribution.group_table(data, scores, groups)
        components.chart(charts.figure_group_win_rate(table), width="stretch")
        st.caption(
            "Win rate of the closed leads of each source category, with 95 % Wilson "
            "intervals (labels: closed leads). Wide bars mean few leads."
        )
        _display(table)
        components.chart(
            charts.figure_score_by_group(attribution.score_by_group(scores, groups)),
            width="stretch",
        )
        st.caption(
            "How each category's leads score. If a category scores high but wins "
            "little (table above), the model favours a source that does not close."
        )
    _credit(data, scores, as_of)


def _credit(data, scores, as_of) -> None:
    st.subheader("How leads reached us: credit for the touches")
    if data.touch_codes is None:
        st.info(
            "The events carry no channel or campaign column, so there are no touches to credit."
        )
        return
    st.caption(
        f"Touches are events with a {data.touch_column!r}, {as_of.describe()}: only "
        "those before the decision moment count."
    )
    rule = st.radio(
        "Credit rule",
        list(attribution.RULES),
        format_func=attribution.RULES.get,
        horizontal=True,
        key="credit_rule",
    )
    _display(attribution.credit_table(data, scores, as_of, rule))
    st.markdown("**Every rule side by side** (leads and wins credited to each channel)")
    side = attribution.all_rules(data, scores, as_of)
    decimals, whole = _digits(side, [c for c in side.columns if side[c].dtype.kind == "f"])
    components.table(side, decimals=decimals, whole=whole)
    st.caption(
        "A lead's credit sums to 1 under every rule, so each column sums to the leads "
        "(or wins) in the data; rules differ only in how they split a lead's credit."
    )


def _display(table: pd.DataFrame) -> None:
    """A category or credit table: leads, closed and won (fractional under split credit,
    else whole counts written 4,387), win rate with its interval, revenue won and the
    average score."""
    decimals, whole = _digits(table, ["leads", "closed", "won"])
    components.table(
        pd.DataFrame(
            {
                "category": table["category"],
                "leads": table["leads"],
                "closed": table["closed"],
                "won": table["won"],
                "win rate": table["win_rate"],
                "95 % interval": [
                    f"{format.percent(lo)} – {format.percent(hi)}"
                    for lo, hi in zip(table["low"], table["high"], strict=True)
                ],
                "revenue won": table["revenue_won"],
                "avg score": table["avg_score"],
            }
        ),
        percent=["win rate"],
        money=["revenue won"],
        decimals={**decimals, "avg score": 1},
        whole=whole,
    )


def _digits(frame: pd.DataFrame, counts: list[str]) -> tuple[dict[str, int], list[str]]:
    """Counts credited in parts (a linear or position-based split) keep one decimal; whole
    ones (a category's leads, first or last touch) are written 4,387."""
    parts = [c for c in counts if (frame[c] != frame[c].round()).any()]
    return dict.fromkeys(parts, 1), [c for c in counts if c not in parts]


main()
