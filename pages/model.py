"""Model page: edit criteria, caps, decay and bands; see the effect on the data at once."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from model import charts, format, services
from model.analysis import picks, summaries, verdicts
from model.analysis.calibration import Calibration
from model.core import scoring, tables, words
from model.core.kinds import slug
from model.core.spec import ModelError, ScoringModel, default_model, parse_model
from model.store import columns as versions
from ui import (
    caches,
    components,
    revision_panel,
    rule_builder,
    sidebar,
    state,
    target,
    timing,
)

DECAY_MODES = {"none": "No decay", "half_life": "Half-life", "linear": "Linear"}


def _on_upload() -> None:
    """Load an uploaded model JSON into the editor, or say exactly what is wrong with it."""
    file = st.session_state.get("model_upload")
    if file is None:
        return
    try:
        state.load_into_editor(parse_model(file.getvalue()))
        st.session_state["upload_message"] = ("success", f"Loaded {file.name}.")
    except ModelError as exc:
        st.session_state["upload_message"] = ("error", f"{file.name} was not loaded: {exc}")


def _reset_button() -> None:
    """Reset to the default model, asked twice when it would throw edits away."""
    if not st.session_state.get("confirm_reset"):
        st.button(
            "Reset to the default model",
            key="reset",
            width="stretch",
            on_click=lambda: st.session_state.update(confirm_reset=True),
        )
        return
    st.warning("Reset throws away the model in the editor, edits included (Undo brings it back).")
    yes, no = st.columns(2)
    yes.button("Reset", key="reset_confirmed", type="primary", on_click=_on_reset, width="stretch")
    no.button(
        "Keep it",
        key="reset_cancelled",
        width="stretch",
        on_click=lambda: st.session_state.update(confirm_reset=False),
    )


def _on_reset() -> None:
    state.load_into_editor(default_model())
    st.session_state["confirm_reset"] = False
    st.session_state["upload_message"] = ("success", "Back to the default model.")


def _rows(key: str, table, base: ScoringModel) -> pd.DataFrame:
    """What an editor starts from: the rows it showed before a page switch (edits, even
    invalid ones, included), else the model's own table."""
    kept = st.session_state.get("editor_rows", {})
    return kept[key] if key in kept else table(base)


def _criteria_editor(data) -> pd.DataFrame:
    """The criteria table; attributes and event types are picked from the data's own."""
    base = st.session_state["editor_base"]
    used = {c.rule.attribute for c in base.criteria if not c.on_events}
    used_events = [t for c in base.criteria if c.on_events for t in c.rule.events]
    attributes, events = data.attributes, picks.event_counts(data)
    return st.data_editor(
        _rows("criteria_rows", tables.criteria_table, base),
        height=460,
        key=f"criteria_editor_{st.session_state['editor_version']}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_order=["label", *(c for c in tables.CRITERIA_COLUMNS if c != "label")],
        column_config={
            "id": st.column_config.TextColumn("id", required=True, width="small"),
            "label": st.column_config.TextColumn("label", width="medium", pinned=True),
            "group": st.column_config.SelectboxColumn(
                "group", options=["fit", "engagement"], required=True
            ),
            "points": st.column_config.NumberColumn("points", step=1, format="%g"),
            "attribute": st.column_config.SelectboxColumn(
                "attribute", options=sorted(set(attributes) | used)
            ),
            "op": st.column_config.SelectboxColumn("op", options=tables.OPS),
            "value": st.column_config.TextColumn(
                "value", help="equals: one value; in: values separated by commas"
            ),
            "low": st.column_config.TextColumn("low", help="between: a number or YYYY-MM-DD"),
            "high": st.column_config.TextColumn("high", help="between: a number or YYYY-MM-DD"),
            "events": st.column_config.MultiselectColumn(
                "events",
                options=list(dict.fromkeys([*events, *used_events])),
                format_func=lambda t: f"{t} ({events[t]:,})" if t in events else f"{t} (none)",
                help="count: the event types it counts (events of each in this data)",
            ),
            "max_count": st.column_config.NumberColumn(
                "max count", min_value=0, help="count at most this many (after decay)"
            ),
            "decay": st.column_config.TextColumn(
                "decay",
                help="an engagement count's own fading, in place of the model's: 'never', "
                "'half-life 7 d' or '20 % per 30 d'; blank: the model's decay",
            ),
            "note": st.column_config.TextColumn("note", help="why these points (sales feedback)"),
        },
    )


def _settings_and_bands() -> tuple[pd.DataFrame, dict, dict]:
    caps_col, decay_col, bands_col = st.columns([1, 1.3, 2])
    with caps_col:
        st.markdown("**Baseline and caps**")
        st.number_input(
            "Baseline points",
            -1000.0,
            1000.0,
            step=1.0,
            format="%g",
            **state.kept("baseline"),
            help="Points every lead starts with, before the criteria.",
        )
        st.number_input("Fit cap", 0.0, 100.0, step=5.0, format="%g", **state.kept("cap_fit"))
        st.number_input(
            "Engagement cap", 0.0, 100.0, step=5.0, format="%g", **state.kept("cap_engagement")
        )
        st.text_input("Model name", **state.kept("model_name"))
    with decay_col:
        st.markdown("**Decay of engagement**")
        st.selectbox(
            "Mode", list(DECAY_MODES), format_func=DECAY_MODES.get, **state.kept("decay_mode")
        )
        mode = st.session_state["decay_mode"]
        if mode == "half_life":
            st.number_input(
                "Half-life (days)",
                1.0,
                3650.0,
                step=5.0,
                format="%g",
                **state.kept("half_life_days"),
            )
        elif mode == "linear":
            st.number_input(
                "Percent lost per 30 days", 1.0, 100.0, **state.kept("percent_per_30_days")
            )
        st.number_input(
            "Floor (share of the sales-ready threshold)",
            0.0,
            1.0,
            step=0.05,
            **state.kept("floor_fraction"),
            disabled=mode == "none",
            help="Decay never takes engagement below this share of the threshold.",
        )
    with bands_col:
        st.markdown("**Bands** (highest first; sales-ready bands are handed to sales)")
        bands = st.data_editor(
            _rows("band_rows", tables.bands_table, st.session_state["editor_base"]),
            key=f"bands_editor_{st.session_state['editor_version']}",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "name": st.column_config.TextColumn("band", required=True, width="small"),
                "min_score": st.column_config.NumberColumn(
                    "from score", min_value=0, max_value=100, step=1, width="small"
                ),
                "action": st.column_config.TextColumn("routing action", width="medium"),
                "sales_ready": st.column_config.CheckboxColumn("sales-ready"),
            },
        )
    caps = {"fit": st.session_state["cap_fit"], "engagement": st.session_state["cap_engagement"]}
    decay = {
        "mode": st.session_state["decay_mode"],
        "half_life_days": st.session_state["half_life_days"],
        "percent_per_30_days": st.session_state["percent_per_30_days"],
        "floor_fraction": st.session_state["floor_fraction"],
    }
    return bands, caps, decay


def main() -> None:
    state.require_router()
    state.rebase_editor()
    st.title("Scoring model")
    sidebar.welcome(caches.dataset())
    if sidebar.read_only():
        _read_only(st.session_state["model"])
        _previewed(st.session_state["model"])
    else:
        st.session_state["model_page_drawn"] = False  # the fragment runs with the page
        try:
            _workbench()
        finally:
            st.session_state["model_page_drawn"] = True
        model, valid = st.session_state["model"], st.session_state["editor_valid"]
        at = revision_panel.standing_of(model)
        revision_panel.draw(at, valid)
        st.session_state["panel_outline"] = _outline(at, valid)
        _files()
        _sql_export(model)
    sidebar.tour_next("Model")


@components.fragment
def _workbench() -> None:
    """The editors and the preview they drive. An edit reruns this alone (not the
    sidebar, the revision panel or the SQL), unless it changes what those show: then the
    whole page, so nothing on it is ever out of date."""
    timing.mark("editors")
    valid, history = _editors(caches.dataset(), st.session_state["as_of"])
    st.session_state["editor_valid"] = valid
    model = st.session_state["model"]
    st.session_state.setdefault("model_box", {})["model"] = model
    at = revision_panel.standing_of(model)
    with history:
        revision_panel.standing(at)
        _history_buttons()
    redrawing_all = not st.session_state.get("model_page_drawn")
    if not redrawing_all and st.session_state.get("panel_outline") != _outline(at, valid):
        st.rerun(scope="app")
    timing.mark("preview")
    _previewed(model, controls=_points_stepper)
    timing.mark("drawn")


def _outline(at: revision_panel.Standing, valid: bool) -> tuple:
    """What the parts outside the fragment show of the model in force; with the SQL shown,
    the whole model (the SQL is built from it)."""
    shown_sql = at.model if st.session_state.get("show_sql") else None
    return (*revision_panel.outline(at, valid), shown_sql)


def _previewed(model: ScoringModel, controls: Callable[[], None] | None = None) -> None:
    """The preview of `model` on the picked data (read against the target just edited),
    or why there is none; `controls` are drawn under its heading."""
    data = caches.dataset()
    try:
        hits = caches.hits(data, model, st.session_state["as_of"])
    except ModelError as exc:
        st.warning(
            f"No preview: the model does not fit the dataset {state.data_label()!r} "
            f"({exc}). Fix the criteria above, or start from the dataset's own columns."
        )
        components.starter_button(data, key="starter_for_dataset")
        return
    for line in services.model_warnings(data, model):
        st.warning(f"{line[0].upper()}{line[1:]}: it scores nothing.", icon=":material/spellcheck:")
    _preview(data, hits, model, controls)


def _points_stepper() -> None:
    """One criterion's points with − and + above the figures they move: a step reaches
    the server at once, where the table holds a typed edit 150 ms before sending it. The
    step is written into the criteria table, which shows it too."""
    rows = st.session_state["editor_shown"]["criteria_rows"]
    rows = rows[rows["id"].notna() & rows["points"].notna()].drop_duplicates("id")
    if rows.empty:
        return
    ids = rows["id"].astype(str)
    points = dict(zip(ids, rows["points"].astype(float), strict=True))
    labels = dict(zip(ids, rows["label"].fillna("").astype(str), strict=True))
    if st.session_state.get("step_criterion") not in points:
        st.session_state.pop("step_criterion", None)  # deleted or renamed in the table
    pick, step = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox(
        "Step one criterion's points",
        list(points),
        format_func=lambda i: labels[i] or i,
        help="Pick a criterion and press − or + (or type its points and Enter): the "
        "figures below and the criteria table change at once.",
        **state.kept("step_criterion"),
    )
    # The box follows the table only when they differ: a step's own rerun setting the box
    # again would undo a press made while that rerun ran.
    if st.session_state.get("step_points") != points[chosen]:
        st.session_state["step_points"] = points[chosen]
    step.number_input("Points", step=1.0, format="%g", key="step_points", on_change=_on_step)


def _on_step() -> None:
    """Write a step into the criteria table (a cleared box changes nothing)."""
    value = st.session_state.get("step_points")
    if value is not None:
        state.set_points(st.session_state["step_criterion"], value)


def _set_elsewhere() -> dict:
    """What the editors here do not hold, kept as it is: the account roll-up (Accounts
    page) and the leads the model covers (Models page)."""
    base = st.session_state["editor_base"]
    return {
        "accounts": base.accounts.model_dump(mode="json") if base.accounts else None,
        "applies_to": [r.model_dump(mode="json") for r in base.applies_to],
    }


def _read_only(model: ScoringModel) -> None:
    """The read-only screen: the model as a plain table, no editing controls."""
    st.dataframe(
        pd.DataFrame(
            {
                "criterion": [c.label for c in model.criteria],
                "group": [c.group for c in model.criteria],
                "points": [c.points for c in model.criteria],
                "rule": [versions.describe_rule(c.rule) for c in model.criteria],
            }
        ),
        hide_index=True,
        width="stretch",
        height=420,
        column_config={"points": st.column_config.NumberColumn(format="%+g")},
    )
    bands = ", ".join(f"{b.name} from {b.min_score} ({b.action})" for b in model.bands)
    st.caption(
        f"Bands: {bands}. Baseline {model.baseline:g} points. Caps: fit {model.caps.fit:g}, engagement "
        f"{model.caps.engagement:g}. Turn 'Read-only' off in the sidebar to edit."
    )


def _history_buttons() -> None:
    """Undo, redo and discard, above the tables they act on; Ctrl/Cmd+Z and
    Ctrl/Cmd+Shift+Z press the first two (Streamlit's button shortcuts)."""
    step, of = state.steps()
    origin = st.session_state.get("editor_origin", (None, None))[0]
    row = st.container(horizontal=True, vertical_alignment="center")  # wraps on a narrow screen
    row.button(
        "Undo",
        key="undo",
        on_click=state.undo,
        disabled=step <= 1,
        icon=":material/undo:",
        shortcut="Mod+Z",
    )
    row.button(
        "Redo",
        key="redo",
        on_click=state.redo,
        disabled=step >= of,
        icon=":material/redo:",
        shortcut="Mod+Shift+Z",
    )
    row.button(
        "Discard my edits",
        key="discard",
        on_click=state.discard,
        disabled=origin is None or origin == st.session_state["model"],
        help="Back to the model as it was loaded (a revision, a file or the default).",
    )
    if of > 1:
        row.caption(f"Step {step} of {of} valid versions of the model in this session.")


def _editors(data, as_of):
    """The criteria, settings and bands editors; the edited model becomes the one in force
    when it is valid. Returns whether it was, and the place above the tables for the
    standing line and the history buttons (drawn once this edit is in the history)."""
    st.caption(
        "Edit points, rules, caps, decay and bands. On every edit the preview below scores "
        f"all {data.n_leads:,} leads, {as_of.describe()}."
    )
    history = st.container()
    rule_builder.draw(data, st.session_state["model"], as_of)
    criteria = _criteria_editor(data)
    bands, caps, decay = _settings_and_bands()
    goal = target.editor(data)
    st.session_state["editor_shown"] = {"criteria_rows": criteria, "band_rows": bands}
    try:
        draft = tables.draft_from_tables(
            criteria,
            bands,
            name=st.session_state["model_name"] or "Scoring model",
            caps=caps,
            decay=decay,
            baseline=st.session_state.get("baseline", 0.0),
            target=goal,
            **_set_elsewhere(),
        )
        caches.hits(data, draft.model, as_of)  # rules on unknown columns fail here
        st.session_state["model"] = draft.model
        state.remember(draft.model)
        valid = not draft.left_out
    except ModelError as exc:
        st.error(f"Not applied: {exc}. The preview below still shows the last valid model.")
        draft, valid = None, False
    for line in draft.left_out if draft else ():
        st.warning(
            f"{line[0].upper()}{line[1:]}. The other edits apply; saving waits until this "
            "row is complete or deleted.",
            icon=":material/edit_note:",
        )
    return valid, history


def _preview(data, hits, model: ScoringModel, controls: Callable[[], None] | None) -> None:
    """Score every lead with the model in force and show what it does."""
    scores = scoring.score(hits, model)
    view = summaries.preview(data, scores, model)

    st.subheader("Preview on the current data")
    if controls:
        controls()
    st.info(
        verdicts.preview(
            view.sales_ready, data.n_leads, view.sales_ready_win_rate, view.other_win_rate
        ),
        icon=":material/gavel:",
    )
    m = st.columns(4)
    m[0].metric("Leads scored", format.count(data.n_leads))
    m[1].metric(
        f"Sales-ready (≥ {model.sales_ready_threshold})",
        format.count(view.sales_ready),
        f"{format.percent(view.sales_ready / max(data.n_leads, 1))} of leads",
        delta_color="off",
        delta_arrow="off",
    )
    m[2].metric("Win rate, sales-ready", format.percent(view.sales_ready_win_rate))
    m[3].metric("Win rate, the rest", format.percent(view.other_win_rate))
    components.vega_chart(*charts.score_histogram_spec(view.histogram, model, width=5))
    st.caption(
        "Leads per 5-point score bucket, stacked by outcome (won, lost, still open); dashed "
        "lines are band boundaries, the solid one the sales-ready threshold. A good model "
        "puts the green to the right."
    )
    components.band_table(
        view.bands,
        columns=[
            "band",
            "range",
            "action",
            "leads",
            "share",
            "won",
            "lost",
            "open",
            "win_rate",
            "revenue_won",
        ],
    )
    st.caption(
        f"{hits.events_used:,} events counted; {hits.events_excluded:,} were at or after their "
        "lead's decision moment and left out. Win rates use closed leads only."
    )
    components.lead_lookup(data, hits, model, scores)


def _sql_export(model: ScoringModel) -> None:
    """The model as SQL for the team's warehouse: pick the dialect, copy or download. Built
    only while shown (a toggle, not an expander, whose body runs hidden too), and then on
    every edit, so what is shown is the model in force."""
    if not st.toggle("Score in your warehouse: the model as SQL", **state.kept("show_sql")):
        return
    from model.export import sqlgen  # sqlglot: 0.2 s the first page need not wait for

    with st.container(border=True):
        left, mid, right = st.columns(3)
        dialect = left.selectbox(
            "Dialect", words.DIALECTS, format_func=words.DIALECT_NAMES.get, key="sql_dialect"
        )
        leads = mid.text_input("Leads table", "leads", key="sql_leads_table")
        events = right.text_input("Events table", "events", key="sql_events_table")
        confidence = _saved_confidence(model)
        try:
            sql = sqlgen.to_sql(
                model, dialect, leads, events, st.session_state["as_of"], confidence=confidence
            )
        except sqlgen.SqlError as exc:
            st.error(f"No SQL: {exc}")
            return
        st.caption(
            "One SELECT returning lead_id, fit, engagement, score and band"
            + (
                " and confidence (the calibration saved with this revision)"
                if confidence is not None
                else ""
            )
            + f", {st.session_state['as_of'].describe()}. It gives the scores shown "
            "here; the tables need the demo data's columns (lead_id, created_at and the "
            "attributes; lead_id, occurred_at, event_type)."
        )
        st.code(sql, language="sql")
        st.download_button(
            "Download SQL", sql, f"score-{dialect}.sql", "text/plain", key="download_sql"
        )


def _saved_confidence(model: ScoringModel):
    """The calibration table saved with the revision in the editor, when it is unchanged."""
    store, parent = caches.store(), st.session_state.get("editor_parent")
    if store is None or not parent or parent[0] != model.name:
        return None
    if store.get(*parent).model != model:
        return None
    saved = store.calibration(*parent)
    return Calibration.from_json(saved[0]).table if saved else None


def _model_json():
    """The model in force as JSON, read when the button is pressed (edits since the sidebar
    was drawn ran in the editors' fragment alone). A callable Streamlit runs off the
    script's thread, so it reads the box the fragment fills, not the session."""
    box = st.session_state["model_box"]
    return lambda: box["model"].to_json()


def _files() -> None:
    """The model file in the sidebar: download the model in force, upload one, or reset to
    the default."""
    model = st.session_state["model"]
    with st.sidebar:
        st.divider()
        st.markdown("**Model file**")
        st.download_button(
            "Download model JSON",
            _model_json(),
            f"{slug(model.name, '-', empty='model')}.json",
            "application/json",
            width="stretch",
        )
        st.file_uploader(
            "Upload a model JSON", type=["json"], key="model_upload", on_change=_on_upload
        )
        message = st.session_state.pop("upload_message", None)
        if message:
            (st.success if message[0] == "success" else st.error)(message[1])
        _reset_button()


main()
