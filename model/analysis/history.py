"""Each lead's score history: its score after every event, what each event added, what
decay took between events, the moments it crossed a band boundary, its trend over the
last 7 and 30 days, and the list of leads that crossed the sales-ready line in a period
(the hand-off list a rep acts on).

Built on the handoff timeline, which re-scores a lead after each of its events with the
model's own formula; probe rows just before each event and at the end give the decay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.handoff import CREATED, PROBE, score_timeline
from model.core.dataset import NS_PER_DAY, OUTCOMES, Dataset
from model.core.hits import Hits
from model.core.scoring import band_index
from model.core.spec import Criterion, ScoringModel

TREND_DAYS = (7, 30)
STEADY_POINTS = 5.0  # a move of less than this many points reads "steady"


def end_of_data(data: Dataset) -> int:
    """The latest moment the data knows (a lead created or an event), in ns: 'now'."""
    moments = [data.created_ns.max(initial=0), data.ev_ns.max(initial=0)]
    return int(max(moments))


def trend_word(change: float) -> str:
    """Improving / steady / declining for a change in score points."""
    if np.isnan(change):
        return "–"
    if change >= STEADY_POINTS:
        return "improving"
    if change <= -STEADY_POINTS:
        return "declining"
    return "steady"


@dataclass(frozen=True)
class History:
    """One lead's score over time: one row per moment, and its trends."""

    lead_id: str
    rows: pd.DataFrame
    now: float
    trends: dict[int, float]  # days -> score change over the last that many days


def lead_history(
    data: Dataset, hits: Hits, model: ScoringModel, i: int, end_ns: int | None = None
) -> History:
    """Lead i's score at creation, just before and after each event, and at `end_ns`."""
    end_ns = end_of_data(data) if end_ns is None else end_ns
    run = slice(data.lead_starts[i], data.lead_starts[i + 1])
    moments = np.concatenate([data.ev_ns[run], [end_ns + 1]])  # + 1 ns: after every event
    one = np.full(len(moments), i)
    line = score_timeline(data, hits, model, probes=(one, moments), leads=np.array([i]))
    lead = np.array([i])
    trends = trends_of(data, hits, model, lead, end_ns)
    rows = _table(data, model, line, end_ns)
    now = float(rows["score"].iloc[-1])
    return History(str(data.lead_ids[i]), rows, now, {d: float(v[0]) for d, v in trends.items()})


def scores_at(
    data: Dataset, hits: Hits, model: ScoringModel, leads: np.ndarray, moments: np.ndarray
) -> np.ndarray:
    """Each lead's score at its moment (events before it, decayed up to it)."""
    line = score_timeline(data, hits, model, probes=(leads, moments), leads=np.unique(leads))
    order = np.lexsort((moments, leads))  # stable, as the timeline's own sort
    out = np.empty(len(leads))
    out[order] = line.score[line.kind == PROBE]
    return out


def trends_of(
    data: Dataset, hits: Hits, model: ScoringModel, leads: np.ndarray, end_ns: int
) -> dict[int, np.ndarray]:
    """Score change per lead over the last 7 and 30 days up to `end_ns` (from its creation
    when it is younger)."""
    n = len(leads)
    back = [np.maximum(end_ns - d * NS_PER_DAY, data.created_ns[leads]) for d in TREND_DAYS]
    moments = np.concatenate([np.full(n, end_ns + 1), *back])
    found = scores_at(data, hits, model, np.tile(leads, 1 + len(TREND_DAYS)), moments)
    now = found[:n]
    return {d: now - found[(k + 1) * n : (k + 2) * n] for k, d in enumerate(TREND_DAYS)}


def _table(data: Dataset, model: ScoringModel, line, end_ns: int) -> pd.DataFrame:
    """Rows people read: created, each event (the decay before it and its own change), and
    now. Probe rows (just before each event, and after the last) give the decay."""
    rows: list[dict] = []
    last = before = None
    counts: dict[int, int] = {}
    for kind, t, s in zip(
        line.kind.tolist(), line.time_ns.tolist(), line.score.tolist(), strict=True
    ):
        if kind == PROBE:
            before = s
        elif kind == CREATED:
            rows.append(_row(model, t, "created", "", np.nan, np.nan, s, last))
            last = s
        else:
            decay = before - last if last is not None else np.nan
            moved = _moved(data, model, kind, counts)
            rows.append(_row(model, t, data.event_types[kind], moved, decay, s - before, s, last))
            last = s
    decay = before - last if last is not None else np.nan
    rows.append(_row(model, end_ns, "now (end of data)", "", decay, np.nan, before, last))
    return pd.DataFrame(rows)


def _row(model: ScoringModel, t: int, what: str, moved: str, decay, change, score, last) -> dict:
    names = [b.name for b in model.bands]
    band = names[int(band_index(np.array([score]), model)[0])]
    old = names[int(band_index(np.array([last]), model)[0])] if last is not None else band
    return {
        "when": pd.Timestamp(t),
        "what": what,
        "counts for": moved,
        "decay before it": decay,
        "points it added": change,
        "score": score,
        "band": band,
        "crossed": f"{old} → {band}" if old != band else "",
    }


def _moved(data: Dataset, model: ScoringModel, kind: int, counts: dict[int, int]) -> str:
    """The criteria counting this event type, with their points, or 'at its cap'."""
    seen = counts.get(kind, 0)
    counts[kind] = seen + 1
    event = data.event_types[kind]
    words = []
    for c in model.criteria:
        if not c.on_events or event not in c.rule.events:
            continue
        capped = c.rule.max_count is not None and seen >= c.rule.max_count
        words.append(f"{c.label} ({_capped(model, c) if capped else f'{c.points:+g}'})")
    return ", ".join(words) or "no criterion"


def _capped(model: ScoringModel, criterion: Criterion) -> str:
    """A repeat past the cap adds nothing, unless decay had worn the capped count down."""
    fades = criterion.group == "engagement" and model.decay_of(criterion).mode != "none"
    return "at its cap: renews decayed points" if fades else "at its cap"


def crossings(
    data: Dataset, hits: Hits, model: ScoringModel, start_ns: int, stop_ns: int
) -> pd.DataFrame:
    """Leads whose score rose across the sales-ready line in [start, stop): the first such
    moment per lead, the event that took it over, its score now and trend."""
    line = score_timeline(data, hits, model, probes=(data.ev_lead, data.ev_ns))
    threshold = model.sales_ready_threshold
    alive = line.time_ns >= data.created_ns[line.lead]
    ready = alive & (line.score >= threshold)
    prev = np.r_[False, ready[:-1] & (line.lead[1:] == line.lead[:-1])]
    up = ready & ~prev & (line.time_ns >= start_ns) & (line.time_ns < stop_ns)
    rows = np.flatnonzero(up)
    leads, first = np.unique(line.lead[rows], return_index=True)
    rows = rows[first]
    end_ns = end_of_data(data)
    trends = trends_of(data, hits, model, leads, end_ns) if len(leads) else {}
    now = scores_at(data, hits, model, leads, np.full(len(leads), end_ns + 1))
    names = np.array([b.name for b in model.bands], dtype=object)
    kinds = line.kind[rows]
    what = np.where(kinds >= 0, np.array([*data.event_types, ""], dtype=object)[kinds], "created")
    table = pd.DataFrame(
        {
            "lead": data.lead_ids[leads],
            "crossed at": pd.to_datetime(line.time_ns[rows]),
            "what took it over": what,
            "score then": line.score[rows],
            "score now": now,
            "band now": names[band_index(now, model)] if len(leads) else [],
            **{f"{d}-day trend": [trend_word(v) for v in trends.get(d, [])] for d in TREND_DAYS},
            "days from creation": (line.time_ns[rows] - data.created_ns[leads]) / NS_PER_DAY,
            "outcome": np.array(OUTCOMES, dtype=object)[data.outcome[leads]],
        }
    )
    for column in ("source", "owner", "email"):
        if column in data.leads.columns:
            table[column] = data.leads[column].to_numpy()[leads]
    return table.sort_values("crossed at", kind="stable").reset_index(drop=True)
