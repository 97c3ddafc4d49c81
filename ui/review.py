"""The parts of the 60/90-day review checklist built on the gate, sales feedback and the
shadow run: each says what it compares, on which leads, and what it found."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from model import format, services
from model.analysis import challenge, feedback
from model.core.dataset import Dataset
from model.core.scoring import score
from model.store.revisions import Revision, RevisionStore
from ui import caches, components


def figures_table(found: challenge.Challenge, names: tuple[str, str]) -> None:
    """The gate's figures with their paired intervals, columns named after the revisions."""
    table = found.table().rename(columns={"live": names[0], "candidate": names[1]})
    components.table(figures_styler(table))


COUNTS = [challenge.FIGURES["ready_leads"], challenge.FIGURES["nurtured_wins"]]


def figures_styler(table: pd.DataFrame) -> pd.io.formats.style.Styler:
    """Counts as whole numbers, the AUC and the win rate with three decimals: the rows
    of one table hold both."""
    numbers = [c for c in table.columns if c != "figure"]
    counts = table.index[table["figure"].isin(COUNTS)]
    rates = table.index[~table["figure"].isin(COUNTS)]
    return (
        table.style.format("{:,.0f}", subset=pd.IndexSlice[counts, numbers], na_rep="–")
        .format("{:.3f}", subset=pd.IndexSlice[rates, numbers], na_rep="–")
        .hide(axis="index")
    )


def gate_figures(data: Dataset, live: Revision, candidate: Revision, as_of) -> None:
    """What the gate would say about the candidate now, on the last 90 days."""
    since = challenge.default_since(data)
    found = caches.challenge(data, live.model, candidate.model, as_of, since)
    period = f"created since {since:%d %b %Y}" if since is not None else "closed"
    verdict = "would pass the gate" if found.passed else "would be refused by the gate"
    st.markdown(
        f"On the {format.count(found.leads)} leads {period} whose outcome is known, "
        f"candidate {candidate.label} **{verdict}**"
        + (f": {'; '.join(found.refusals)}." if found.refusals else ".")
    )
    figures_table(found, (f"live {live.label}", f"candidate {candidate.label}"))
    if not found.enough:
        st.caption("Too few leads have closed in the period for these figures to mean much.")


def feedback_section(
    store: RevisionStore, data: Dataset, live: Revision, as_of, since: datetime | None
) -> None:
    """Acceptance of the hand-offs since the last review, by band and by criterion."""
    rows = [f for f in store.feedback(live.model_name) if since is None or f.entered_at > since]
    if not rows:
        st.caption(
            "No verdicts from sales since the last review: enter or import them on the "
            "Feedback page."
        )
        return
    hits = caches.hits(data, live.model, as_of)
    found = feedback.acceptance(data, hits, score(hits, live.model), live.model, rows)
    m = st.columns(3)
    m[0].metric("Leads judged by sales", format.count(found.judged))
    m[1].metric("Accepted", format.percent(found.rate))
    m[2].metric("Verdicts on leads not in this data", format.count(found.unmatched))
    worst = found.by_criterion.dropna(subset=["rejected − accepted"])
    top = worst[worst["rejected − accepted"] > 0].head(3)
    left, right = st.columns(2)
    with left:
        components.table(found.by_band, percent=["acceptance"])
    with right:
        components.table(found.reasons if not found.reasons.empty else pd.DataFrame())
    if len(top):
        st.caption(
            "Criteria fired far more often on rejected leads than on accepted ones: "
            + "; ".join(
                f"{r['criterion']} ({r['in rejected']:.0%} of rejected, "
                f"{r['in accepted']:.0%} of accepted)"
                for r in top.to_dict("records")
            )
            + ". Candidates for fewer points."
        )


def shadow_section(store: RevisionStore, data: Dataset, live: Revision, as_of) -> None:
    """How the shadow revision and the live one ranked the leads that have closed since
    the shadow run began, and both scores per lead as a download."""
    run = store.shadow_run(live.model_name)
    if run is None:
        st.caption(
            "No candidate runs in shadow. Start one under *Restore, make live, import*: it "
            "scores new leads beside the live revision without routing them."
        )
        return
    shadow, began = run
    since = pd.Timestamp(began).tz_convert(None).normalize()
    created = int((data.created_ns >= since.value).sum()) if data.has_dates else 0
    found = caches.challenge(data, live.model, shadow.model, as_of, since)
    st.markdown(
        f"{shadow.label} has run in shadow since {since:%d %b %Y}: {format.count(created)} "
        f"leads created since, {format.count(found.leads)} of them closed."
    )
    if found.leads:
        figures_table(found, (f"live {live.label}", f"shadow {shadow.label}"))
        if not found.enough:
            st.caption("Too few have closed for the difference to mean much yet.")
    else:
        st.info("None of the leads scored in shadow has closed yet: come back later.")
    if created:
        newer = data.created_ns >= since.value
        frame = services.score_dataset(data, live.model, as_of)
        frame = services.with_shadow(frame, data, store, live.model, shadow.number, as_of)
        st.download_button(
            "Download live and shadow scores (CSV)",
            frame[newer].to_csv(index=False),
            f"shadow-v{shadow.number}-scores.csv",
            "text/csv",
            key="shadow_download",
        )
