"""Calibration page: scores as calibrated win probabilities, the pipeline forecast, and
the points the history suggests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from model import charts, format
from model.analysis import backtest, calibration, forecast, suggest
from model.analysis.calibration import Calibration, CalibrationError, CalibrationReport
from model.core.dataset import OPEN, AsOf, Dataset
from model.core.scoring import score
from model.core.spec import ScoringModel
from ui import caches, components, identity, sidebar, state, target, timing

METHOD_NAMES = {"isotonic": "Isotonic (monotone)", "logistic": "Logistic (Platt)"}
VIEWS = ["Confidence", "Forecast", "Suggested points"]
FORECAST_COLUMNS = {
    "open_leads": "open leads",
    "pipeline_value": "pipeline value",
    "expected": "expected revenue",
    "low": "low (10 %)",
    "high": "high (90 %)",
}


@st.cache_data(max_entries=8, show_spinner="Calibrating out of fold…", hash_funcs=caches.BY_VALUE)
def _calibrate(
    data: Dataset, model: ScoringModel, as_of: AsOf, method: str, folds: int, by_stage: bool
) -> CalibrationReport:
    scores = score(caches.hits(data, model, as_of), model)
    return calibration.calibrate(data, scores, method=method, folds=folds, by_stage=by_stage)


def _suggest(
    data: Dataset, model: ScoringModel, as_of: AsOf, keep: tuple[str, ...], share: float | None
) -> suggest.Suggestion:
    """The suggestion, fitted with a progress bar and kept in the session for the last few
    settings (st.cache_data cannot drive a bar drawn outside the cached function)."""
    key = (data.name, model.to_json(), as_of, keep, share)
    kept: dict = st.session_state.setdefault("suggestions", {})
    if key not in kept:
        bar = st.progress(0.0, text="Fitting the suggested model on older leads…")
        try:
            kept[key] = suggest.suggest(
                data,
                caches.hits(data, model, as_of),
                model,
                keep=frozenset(keep),
                sales_ready_share=share,
                progress=lambda done, total: bar.progress(
                    done / total, text=f"Fitting: {done} of {total}"
                ),
            )
        finally:
            bar.empty()
        for old in list(kept)[:-4]:
            del kept[old]
    return kept[key]


@st.cache_data(
    max_entries=4, show_spinner="Training the gradient-boosted ceiling…", hash_funcs=caches.BY_VALUE
)
def _ceiling(data: Dataset, as_of: AsOf, exclude: tuple[str, ...]) -> dict[str, float]:
    return suggest.ceiling_auc(data, as_of, exclude=frozenset(exclude))


def _metrics(rep: CalibrationReport) -> None:
    """The headline metrics: in time order when dates exist, else on random folds, each
    against the raw score read as a probability on the same leads."""
    head = rep.backtests[0] if rep.backtests else {"metrics": rep.metrics, "baseline": rep.baseline}
    cols = st.columns(3)
    for col, key in zip(cols, ("ece", "brier", "log_loss"), strict=True):
        label, help_text = METRIC_HELP[key]
        value, base = head["metrics"][key], head["baseline"][key]
        col.metric(
            label,
            f"{value:.3f}",
            f"{value - base:+.3f} vs score/100",
            delta_color="inverse",
            help=help_text,
        )


def _backtest_table(rep: CalibrationReport) -> None:
    """The same metrics measured in time order (first) and on random folds, beside the
    raw score read as a probability on the same leads."""
    rows = [
        {
            "measured": "in time order" if b["how"] == "time" else b["measured"],
            "ECE": b["metrics"]["ece"],
            "Brier": b["metrics"]["brier"],
            "log loss": b["metrics"]["log_loss"],
            "Brier of score/100": b["baseline"]["brier"],
            "won": b["won"],
            "lost": b["lost"],
        }
        for b in rep.backtests
    ]
    components.table(
        pd.DataFrame(rows),
        decimals=dict.fromkeys(("ECE", "Brier", "log loss", "Brier of score/100"), 3),
    )
    head = rep.backtests[0] if rep.backtests else None
    if head and head["how"] == "time":
        st.caption(
            f"The cards are in time order: {head['measured']}, as next quarter's "
            "leads will be read; random folds beside it usually look better."
        )
    for b in rep.backtests:
        if min(b["won"], b["lost"]) < backtest.NOISE:
            st.warning(
                f"Measured on {b['won']:,} won and {b['lost']:,} lost leads "
                f"({b['measured']}): under {backtest.NOISE} of either, these figures "
                "are noise."
            )


METRIC_HELP = {
    "ece": (
        "ECE",
        "Expected calibration error: the average gap between the confidence given and the win rate seen, weighted by leads. 0 is perfect.",
    ),
    "brier": (
        "Brier score",
        "Mean squared gap between confidence and outcome (won = 1, lost = 0); lower is better.",
    ),
    "log_loss": (
        "Log loss",
        "How surprised the confidence was by the outcomes; lower is better, and confident mistakes cost most.",
    ),
}


def _confidence_tab(rep: CalibrationReport, leaks: pd.DataFrame) -> None:
    cal = rep.calibration
    st.caption(
        f"Fitted {cal.describe()}; measured on leads each fit never saw: in time "
        f"order when there are dates, and on {st.session_state['cal_folds']} random "
        "folds (the chart)."
    )
    components.leak_warnings(leaks)
    _metrics(rep)
    _backtest_table(rep)
    components.chart(
        charts.figure_reliability(rep.reliability, rep.baseline_reliability), width="stretch"
    )
    st.caption(
        "Each dot (labelled with its lead count) is the closed leads whose confidence fell in one 10 % bin: how often "
        "they were predicted to win (across) against how often they won (up), with 95 %"
        " Wilson intervals. On the dashed diagonal, a confidence of 30 % wins 30 % of "
        "the time; the grey line reads the raw score as a probability."
    )
    for note in rep.stage_notes:
        st.info(note)
    left, right = st.columns([1, 1])
    with left:
        st.markdown("**Score → confidence, to hand to sales**")
        table = calibration.confidence_table(cal)
        components.table(
            table[["scores", "confidence", "closed_leads", "interval"]].rename(
                columns={"closed_leads": "closed leads", "interval": "won, 95 % interval"}
            ),
            height=420,
        )
        st.caption(
            "Each row with the closed leads behind it and the interval of their win "
            "rate; no confidence where no closed lead ever scored."
        )
        components.csv_download(
            "Download the table (CSV)", table, "score-confidence.csv", key="download_confidence"
        )
        st.download_button(
            "Download the calibration (JSON)",
            cal.to_json(),
            "calibration.json",
            "application/json",
            key="download_calibration",
            help="For `leadscore export-sql --calibration`: a confidence column in the warehouse.",
        )
    with right:
        _read_confidence(cal)
        _save_with_revision(cal)


def _read_confidence(cal: Calibration) -> None:
    st.markdown("**Read a confidence**")
    st.session_state.setdefault(
        "read_score", float(st.session_state["model"].sales_ready_threshold)
    )
    value = st.number_input("Score", 0.0, 100.0, step=1.0, key="read_score")
    stage = None
    if cal.stage_tables:
        options = ["(any stage)", *cal.stage_tables]
        pick = st.selectbox("Stage", options, key="read_stage")
        stage = None if pick == options[0] else np.array([pick])
    p = float(cal.confidence(np.array([value]), stage)[0])
    st.metric(
        "Lead confidence",
        format.confidence(p),
        help="Calibrated probability that a lead with this score is won.",
    )
    st.markdown(f"Leads scoring {value:g} close **{format.confidence(p)}** of the time.")


def _save_with_revision(cal: Calibration) -> None:
    store = caches.store()
    parent = st.session_state.get("editor_parent")
    model = st.session_state["model"]
    if store is None or not parent or parent[0] != model.name:
        st.caption("Save the model as a revision (Model page) to keep a calibration with it.")
        return
    revision = store.get(*parent)
    saved = store.calibration(*parent)
    if saved:
        kept = Calibration.from_json(saved[0])
        st.caption(
            f"Saved with {revision.label} by {saved[1]} on {saved[2]:%d %b %Y}: {kept.describe()}."
        )
    if revision.model != model:
        st.caption(
            f"The editor has unsaved changes to {revision.label}: save them as a "
            "revision before keeping a calibration with it."
        )
        return
    if identity.write_button(
        f"Save this calibration with {revision.label}", "calibration", store, key="save_calibration"
    ):
        store.save_calibration(*parent, cal.to_json(), author=identity.author())
        st.rerun()


def _forecast_tab(data: Dataset, model: ScoringModel, cal: Calibration) -> None:
    open_ = data.outcome == OPEN
    if not open_.any() or data.value is None:
        st.info("A forecast needs open leads with a value column.")
        return
    scores = score(caches.hits(data, model, st.session_state["as_of"]), model)
    stage = data.leads["stage"].to_numpy()[open_] if "stage" in data.leads.columns else None
    p = cal.confidence(scores.score[open_], stage)
    groups = {"band": np.array([b.name for b in model.bands])[scores.band[open_]]}
    for name in ("stage", "source"):
        if name in data.leads.columns:
            groups[name] = data.leads[name].to_numpy()[open_]
    result = _forecast(data.value[open_], p, groups)
    cols = st.columns(4)
    cols[0].metric(
        "Expected revenue",
        format.money(result.expected),
        help="Σ value × confidence over open leads: a $10,000 lead at 20 % adds $2,000.",
    )
    cols[1].metric(
        f"{result.level:.0%} interval",
        f"{format.money(result.low)} – {format.money(result.high)}",
        help="Leads win or lose independently; 4,000 seeded simulations.",
    )
    cols[2].metric("Open pipeline value", format.money(result.pipeline_value))
    cols[3].metric(
        "Open leads",
        format.count(result.open_leads),
        f"{result.without_value:,} without a value" if result.without_value else None,
        delta_color="off",
        delta_arrow="off",
    )
    by = st.radio("Break down by", list(result.groups), horizontal=True, key="forecast_by")
    table = result.groups[by]
    components.chart(charts.figure_forecast(table, result.level), width="stretch")
    st.caption(
        "Grey: the value of the open leads; green: the revenue they are expected to "
        "bring at their confidence, with the interval. " + _stage_words(cal, data)
    )
    components.table(
        table.rename(columns=FORECAST_COLUMNS | {"group": by}),
        whole=["open leads"],
        money=[FORECAST_COLUMNS[c] for c in ("pipeline_value", "expected", "low", "high")],
    )
    _target(data, result)


def _stage_words(cal: Calibration, data: Dataset) -> str:
    """Why the forecast moves when 'Per pipeline stage' is switched: say it beside it."""
    if cal.stage_tables:
        return (
            "Confidence is read per pipeline stage: an open lead at a late stage gets the "
            "win rate of closed leads that reached that stage at its score, far above what "
            "its score alone says, so this forecast is higher than one from scores alone."
        )
    if "stage" in data.leads.columns:
        return (
            "Confidence comes from the score alone; 'Per pipeline stage' (Confidence view) "
            "reads each open lead at its stage instead, which raises the forecast where "
            "late-stage leads are many."
        )
    return ""


@st.cache_data(max_entries=8, show_spinner="Simulating the pipeline…")
def _forecast(value: np.ndarray, p: np.ndarray, groups: dict) -> forecast.Forecast:
    return forecast.forecast(value, p, groups)


def _target(data: Dataset, result: forecast.Forecast) -> None:
    st.subheader("What does a target need?")
    st.session_state.setdefault("target", float(round(result.expected * 2, -3)))
    left, right = st.columns(2)
    target = left.number_input("Revenue target ($)", 0.0, step=10_000.0, key="target")
    days = right.number_input("Period (days)", 1, 730, value=90, key="target_days")
    plan = forecast.back_solve(target, days, result, data.created_ns)
    cols = st.columns(4)
    cols[0].metric(
        "Pipeline needed",
        format.money(plan.pipeline_needed),
        f"gap {format.money(plan.pipeline_gap)}",
        delta_color="off",
        delta_arrow="off",
    )
    cols[1].metric("Revenue gap after today's pipeline", format.money(plan.revenue_gap))
    cols[2].metric("New leads needed", format.count(plan.leads_needed))
    cols[3].metric(
        f"Leads the next {days} days bring",
        format.count(plan.leads_in_period),
        help="At the last 13 weeks' inflow.",
    )
    st.caption(
        f"Each $1 of open pipeline is expected to bring ${plan.yield_per_value:.2f}, and "
        f"each lead {format.money(plan.revenue_per_lead)} at today's mix; the pipeline "
        "is assumed to close within the period."
    )


def _suggest_tab(data: Dataset, model: ScoringModel, leaks: pd.DataFrame, as_of) -> None:
    warnings = st.container()  # filled once the suggestion says which flags were kept
    flagged = sorted(set(leaks["column"]) - set(leaks.loc[leaks["action"] == "warning", "column"]))
    left, right = st.columns([2, 1])
    keep = left.multiselect(
        "Keep flagged columns anyway (known when a lead comes in)",
        flagged,
        key="keep_flagged",
        disabled=not flagged,
    )
    share = _share_picker(right)
    try:
        result = _suggest(data, model, as_of, tuple(keep), share)
    except suggest.SuggestError as exc:
        with warnings:
            components.leak_warnings(leaks)
        st.error(f"Cannot suggest points on this data: {exc}.")
        return
    with warnings:
        components.leak_warnings(result.leaks)  # "kept, as you asked" for the ones kept
    _evaluation_figures(data, result, as_of)
    _bands_and_criteria(result)
    if st.button(
        "Copy the suggestion into the editor (unsaved draft)", key="copy_suggestion", type="primary"
    ):
        kept = st.session_state["model"]  # the roll-up and coverage are not the suggestion's
        update = {"accounts": kept.accounts, "applies_to": kept.applies_to}
        state.load_draft(result.model.model_copy(update=update))
        said = (
            "The suggested model (criteria, points, baseline and bands) is in the editor, "
            "unsaved: review it, then save a revision."
        )
        st.session_state["upload_message"] = ("success", said)
        st.switch_page("pages/model.py")


def _share_picker(where) -> float | None:
    """The sales-ready line: where win rates reach twice the average, or a share picked."""
    st.session_state.setdefault("ready_share_on", False)
    where.toggle(
        "Pick the sales-ready share",
        key="ready_share_on",
        help="Off: the line goes where the top leads win at least twice the average "
        "(at least 5 % of leads).",
    )
    if not st.session_state["ready_share_on"]:
        return None
    return where.slider(
        "Share of leads handed to sales", 0.02, 0.6, 0.2, 0.01, key="ready_share", format="%.2f"
    )


def _evaluation_figures(data: Dataset, result: suggest.Suggestion, as_of) -> None:
    head = result.headline
    ceiling = _ceiling_figures(data, result, as_of)
    cols = st.columns(3)
    cols[0].metric(
        "AUC, current points",
        f"{head.current:.3f}",
        help="ROC AUC: the chance a won lead outscores a lost one.",
    )
    cols[1].metric(
        "AUC, suggested model",
        f"{head.suggested:.3f}",
        f"{head.suggested - head.current:+.3f}",
        help="Measured on leads the fit did not see: " + head.description,
    )
    ceiling_help = (
        "A gradient-boosted model on the raw attributes and event counts, leak "
        "columns left out as from the suggestion: about the best any model could "
        "rank these leads."
    )
    if ceiling is None:  # a few seconds of training: only when asked, so the page opens at once
        cols[2].button(
            "Measure the boosted ceiling",
            key="ceiling_button",
            help=ceiling_help,
            on_click=lambda: st.session_state.update(want_ceiling=True),
        )
    else:
        cols[2].metric(
            "AUC, boosted ceiling", f"{ceiling.get(head.how, float('nan')):.3f}", help=ceiling_help
        )
    rows = [
        {
            "measured": "in time order" if e.how == "time" else e.description,
            "current": e.current,
            "suggested": e.suggested,
            "unrounded fit": e.unrounded,
            **({"boosted ceiling": ceiling.get(e.how, float("nan"))} if ceiling else {}),
            "won": e.won,
            "lost": e.lost,
        }
        for e in result.evaluations
    ]
    shown = pd.DataFrame(rows)
    measured = ("current", "suggested", "unrounded fit", "boosted ceiling")
    components.table(shown, decimals=dict.fromkeys([c for c in measured if c in shown], 3))
    if result.headline.how == "time":
        st.caption(
            f"In time order first: {head.description}, as next quarter's leads will be."
            " Random folds beside it usually look better."
        )
    for e in result.evaluations:
        if e.noise:
            st.warning(
                f"Measured on {e.won:,} won and {e.lost:,} lost leads ({e.description}): "
                f"under {backtest.NOISE} of either, these AUCs are noise."
            )


def _ceiling_figures(data, result, as_of) -> dict[str, float] | None:
    if not st.session_state.get("want_ceiling"):
        return None
    exclude = tuple(sorted(suggest.left_out(result.leaks)))
    return _ceiling(data, as_of, exclude)


def _bands_and_criteria(result: suggest.Suggestion) -> None:
    low, high = result.clipped
    st.subheader("Proposed bands")
    bands = result.bands
    components.table(
        pd.DataFrame(
            {
                "band": bands["band"],
                "now from": bands["current_from"],
                "suggested from": bands["suggested_from"],
                "sales-ready": bands["sales_ready"],
                "share of leads": bands["share"],
                "win rate": bands["win_rate"],
                "closed leads": bands["closed_leads"],
            }
        ),
        percent=["share of leads", "win rate"],
    )
    st.caption(
        f"Scores of the suggested model: every lead starts at {result.model.baseline:g} "
        f"points; {format.percent(low)} of leads fall below 0 and {format.percent(high)} "
        "above 100 before the clip. Bands are applied with the points."
    )
    st.subheader("Suggested criteria")
    table = result.table
    components.table(
        pd.DataFrame(
            {
                "criterion": table["label"],
                "group": table["group"],
                "current": table["current"],
                "suggested": table["suggested"],
                "closed leads": table["closed_leads"],
                "win rate": table["win_rate"],
                "95 % interval": [
                    f"{format.percent(lo)} – {format.percent(hi)}"
                    for lo, hi in zip(table["low"], table["high"], strict=True)
                ],
            }
        ),
        percent=["win rate"],
        signed=["current", "suggested"],
        height=480,
    )
    st.caption(
        "Each column cut into ranges or levels, merged where win rates do not differ, "
        "ranges monotone unless the data says otherwise, weighed by a logistic "
        "regression; points are relative to the column's commonest group (0 points)."
    )
    if result.dropped:
        st.caption("Current criteria not in the suggestion: " + "; ".join(result.dropped))


def _fit_controls() -> None:
    """How the confidence is fitted; kept while the Suggested points view hides them."""
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="large")  # wraps
    row.radio(
        "Fit",
        list(METHOD_NAMES),
        format_func=METHOD_NAMES.get,
        **state.kept("cal_method"),
        horizontal=True,
    )
    row.number_input("Folds", 2, 10, **state.kept("cal_folds"), width=140)
    row.toggle(
        "Per pipeline stage",
        **state.kept("cal_by_stage"),
        help="Leads at a later stage close more often at the same score.",
    )


def main() -> None:
    state.require_router()
    st.title("Lead confidence")
    target.note()
    data, model, as_of = caches.dataset(), st.session_state["model"], st.session_state["as_of"]
    caches.fitting_hits(data, model, as_of)  # stops the page when the model does not fit
    st.session_state.setdefault("cal_method", "isotonic")
    st.session_state.setdefault("cal_folds", 5)
    st.session_state.setdefault("cal_by_stage", False)
    view = st.radio(
        "Show", VIEWS, horizontal=True, **state.kept("cal_view"), label_visibility="collapsed"
    )
    if view != "Suggested points":  # how the confidence is fitted: not what suggestions use
        _fit_controls()
    leaks = caches.leakage(data, model, as_of)
    if view == "Suggested points":  # only the view picked runs: each is seconds at 1M leads
        _suggest_tab(data, model, leaks, as_of)
    else:
        try:
            rep = _calibrate(
                data,
                model,
                as_of,
                st.session_state["cal_method"],
                st.session_state["cal_folds"],
                st.session_state["cal_by_stage"],
            )
        except CalibrationError as exc:
            st.error(f"Cannot calibrate on this data: {exc}.")
            return
        if view == "Confidence":
            _confidence_tab(rep, leaks)
        else:
            _forecast_tab(data, model, rep.calibration)
    timing.mark("drawn")
    sidebar.tour_next("Calibration")


main()
