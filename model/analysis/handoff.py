"""Handoff simulation: replay each lead's score after every event and find when it first
reaches the sales-ready threshold, as a team would see it live.

Rows are the events of each lead plus one row at its creation (and any moments asked
for), in lead and time order. One compiled pass walks each lead's rows and carries its
counts per criterion from row to row, so the cost grows with the events and the memory
with the rows alone (no rows-by-criteria matrix: at 1M leads and 14.5M events that was
gigabytes and most of a minute).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numba
import numpy as np
import pandas as pd

from model.core.dataset import NS_PER_DAY, OPEN, WON, Dataset
from model.core.hits import Hits, workers
from model.core.scoring import attribute_points, formula, lead_score, points_by_group
from model.core.spec import ScoringModel

NEVER = np.iinfo(np.int64).min
CREATED, PROBE = -1, -2  # row kinds beside the event type codes
_KEEP, _HALF_LIFE, _LINEAR = 0, 1, 2  # how a criterion's counts fade between rows
_CHUNKS = 8  # lead ranges replayed by the two workers (the compiled pass frees the GIL)


@dataclass(frozen=True, eq=False)
class Timeline:
    """Every (lead, moment) row and the lead's score just after it; `kind` is the event
    type code, CREATED, or PROBE (a moment asked for, scored with decay up to it). A
    timeline for hand-offs alone has no `lead` or `kind`: its lead's rows say whose."""

    lead: np.ndarray | None
    time_ns: np.ndarray
    score: np.ndarray
    kind: np.ndarray | None = None
    lead_rows: np.ndarray | None = None  # lead i's rows: lead_rows[i]:lead_rows[i + 1]


def score_timeline(
    data: Dataset,
    hits: Hits,
    model: ScoringModel,
    *,
    probes: tuple[np.ndarray, np.ndarray] | None = None,
    leads: np.ndarray | None = None,
    moments_only: bool = False,
) -> Timeline:
    """The score of each lead at its creation and just after each of its events, plus at
    each (lead, moment) of `probes` (before an event at the same moment); `leads` limits
    the rows to those leads (one lead's history without replaying everyone).
    `moments_only`: each row's moment and score alone, which is all hand-offs read (at 1M
    leads, 124 MB fewer to write)."""
    leads = np.arange(data.n_leads) if leads is None else np.unique(leads).astype(np.int64)
    p_lead, p_t = _sorted_probes(probes, leads)
    p_lo = np.searchsorted(p_lead, leads, "left")
    p_hi = np.searchsorted(p_lead, leads, "right")
    per_lead = np.zeros(data.n_leads, np.int64)  # events, creation, probes; 0 if not replayed
    per_lead[leads] = data.lead_starts[leads + 1] - data.lead_starts[leads] + 1 + p_hi - p_lo
    lead_rows = np.concatenate([[0], np.cumsum(per_lead)]).astype(np.int64)
    row_start = np.append(lead_rows[leads], lead_rows[-1])  # by position in `leads`
    ev = [k for k, c in enumerate(model.criteria) if c.on_events]
    fit_attr, eng_attr = attribute_points(hits, model)
    fit_pts, eng_pts = (pts[ev] for pts in points_by_group(model))
    n = int(row_start[-1])
    labelled = 0 if moments_only else n  # rows given their lead and kind
    line = Timeline(
        np.empty(labelled, np.int32),
        np.empty(n, np.int64),
        np.empty(n),
        np.empty(labelled, np.int32),
        lead_rows,
    )
    shared = (
        data.lead_starts, data.ev_ns, data.ev_type, data.created_ns, p_t,
        _type_hits(data, model, ev), *_fading(model, ev),
        np.array([model.criteria[k].rule.max_count or np.inf for k in ev], dtype=np.float64),
        fit_pts, eng_pts, fit_attr, eng_attr, *formula(model),
        line.lead, line.time_ns, line.kind, line.score,
    )  # fmt: skip
    cuts = np.linspace(0, len(leads), _CHUNKS + 1).astype(np.intp)

    def chunk(c: int) -> None:
        part = slice(cuts[c], cuts[c + 1])
        whole = slice(cuts[c], cuts[c + 1] + 1)
        _replay(leads[part], row_start[whole], p_lo[part], p_hi[part], *shared)

    list(workers(len(leads)).map(chunk, range(_CHUNKS)))
    return replace(line, lead=None, kind=None) if moments_only else line


def _sorted_probes(
    probes: tuple[np.ndarray, np.ndarray] | None, leads: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Probes by lead and moment (stable: callers read them back in that order)."""
    if probes is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    p_lead, p_t = (np.asarray(a, dtype=np.int64) for a in probes)
    if not np.isin(p_lead, leads).all():
        raise ValueError("every probe's lead must be among the leads replayed")
    order = np.lexsort((p_t, p_lead))
    return p_lead[order], p_t[order]


def _type_hits(data: Dataset, model: ScoringModel, ev: list[int]) -> np.ndarray:
    """hit[type, j]: does an event of this type count for the j-th event criterion?"""
    types = {name: i for i, name in enumerate(data.event_types)}
    hit = np.zeros((len(data.event_types), len(ev)), dtype=np.bool_)
    for j, k in enumerate(ev):
        hit[[types[e] for e in model.criteria[k].rule.events if e in types], j] = True
    return hit


def _fading(model: ScoringModel, ev: list[int]) -> tuple[np.ndarray, ...]:
    """Per event criterion: how it fades (_KEEP, _HALF_LIFE, _LINEAR) and its rate (the
    half-life in days, or the share lost per day); and the distinct half-lives with each
    criterion's place among them, so a gap is turned into a factor once per half-life
    rather than once per criterion (ten criteria share one half-life in the default)."""
    mode = np.full(len(ev), _KEEP, dtype=np.int8)
    rate = np.zeros(len(ev))
    for j, k in enumerate(ev):
        decay = model.decay_of(model.criteria[k])
        if decay.mode == "half_life":
            mode[j], rate[j] = _HALF_LIFE, decay.half_life_days
        elif decay.mode == "linear":
            mode[j], rate[j] = _LINEAR, decay.percent_per_30_days / 100.0 / 30.0
    halves, half_of = np.unique(rate[mode == _HALF_LIFE], return_inverse=True)
    slot = np.full(len(ev), -1, dtype=np.int64)
    slot[mode == _HALF_LIFE] = half_of
    return mode, rate, halves.astype(np.float64), slot


@numba.njit(nogil=True, cache=True)
def _replay(
    leads, row_start, p_lo, p_hi, lead_starts, ev_ns, ev_type, created_ns, p_t,
    hit, mode, rate, halves, slot, cap, fit_pts, eng_pts, fit_attr, eng_attr,
    fit_cap, eng_cap, floor_cap, floor, baseline, out_lead, out_t, out_kind, out_score,
):  # fmt: skip  # pragma: no cover
    """Each lead's rows in (time, probe < event < creation) order, and its score after
    each: counts carried from row to row, half-lives multiplied in per gap, linear fading
    summed over the lead's earlier events, then stage 2's own formula (lead_score)."""
    n_col = hit.shape[1]
    factor = np.ones(len(halves))  # this gap's decay per distinct half-life
    raw = np.zeros(n_col)
    held = np.zeros(n_col)  # decayed counts, for the criteria that keep or halve them
    for li in range(len(leads)):
        i = leads[li]
        raw[:] = 0.0
        held[:] = 0.0
        first_ev, e, e_end = lead_starts[i], lead_starts[i], lead_starts[i + 1]
        p, p_end = p_lo[li], p_hi[li]
        creating = True
        prev_t = 0
        for r in range(row_start[li], row_start[li + 1]):
            take_probe = p < p_end and (e == e_end or p_t[p] <= ev_ns[e])
            take_probe = take_probe and (not creating or p_t[p] <= created_ns[i])
            if take_probe:
                t, kind = p_t[p], PROBE
                p += 1
            elif e < e_end and (not creating or ev_ns[e] <= created_ns[i]):
                t, kind = ev_ns[e], ev_type[e]
                e += 1
            else:
                t, kind = created_ns[i], CREATED
                creating = False
            gap_days = (t - prev_t) / NS_PER_DAY if r > row_start[li] else 0.0
            prev_t = t
            for h in range(len(halves)):  # exp2 of -0.0 is 1.0: no gap, nothing fades
                factor[h] = np.exp2(-gap_days / halves[h]) if gap_days != 0.0 else 1.0
            for j in range(n_col):
                if mode[j] == _HALF_LIFE:
                    held[j] *= factor[slot[j]]
                if kind >= 0 and hit[kind, j]:
                    raw[j] += 1.0
                    held[j] += 1.0
            f, d, u = fit_attr[i], eng_attr[i], eng_attr[i]
            for j in range(n_col):
                decayed = (
                    held[j]
                    if mode[j] != _LINEAR
                    else _linear(j, t, first_ev, e, ev_ns, ev_type, hit, rate[j])
                )
                counted = min(raw[j], cap[j])
                f += counted * fit_pts[j]
                u += counted * eng_pts[j]
                d += min(decayed, cap[j]) * eng_pts[j]
            out_t[r] = t
            if len(out_lead):
                out_lead[r], out_kind[r] = i, kind
            out_score[r] = lead_score(f, d, u, fit_cap, eng_cap, floor_cap, floor, baseline)[2]


@numba.njit(nogil=True, cache=True)
def _linear(j, t, first_ev, e, ev_ns, ev_type, hit, per_day):  # pragma: no cover
    """Criterion j's linearly fading count at moment t: the lead's events so far, each
    weighted 1 - per_day * its age, newest first until the weights reach 0."""
    total = 0.0
    for k in range(e - 1, first_ev - 1, -1):
        weight = min(max(1.0 - per_day * ((t - ev_ns[k]) / NS_PER_DAY), 0.0), 1.0)
        if weight <= 0.0:
            break
        if hit[ev_type[k], j]:
            total += weight
    return total


@dataclass(frozen=True)
class Handoffs:
    """First moment each lead reached the threshold (NEVER if it did not), and summaries."""

    at_ns: np.ndarray
    per_week: pd.DataFrame
    median_days: float
    handed_off: int
    win_rate: float


def simulate(data: Dataset, hits: Hits, model: ScoringModel, threshold: float) -> Handoffs:
    """Hand each lead to sales the first time its live score reaches `threshold`."""
    return handoffs(data, score_timeline(data, hits, model, moments_only=True), threshold)


def handoffs(data: Dataset, line: Timeline, threshold: float) -> Handoffs:
    """First crossing of `threshold` per lead on a timeline (reuse it across thresholds):
    each lead's rows read until one is live and at the threshold, in one compiled pass
    (at 1M leads a moved line took 0.2 s of whole-array masks and a sort per threshold)."""
    first = np.full(data.n_leads, NEVER, dtype=np.int64)
    _first_at(line.lead_rows, line.time_ns, line.score, data.created_ns, float(threshold), first)
    return summarise(data, first)


@numba.njit(nogil=True, cache=True)
def _first_at(lead_rows, time_ns, score, created_ns, threshold, first):  # pragma: no cover
    """first[i]: the moment of lead i's first row at or after its creation scoring at
    least `threshold` (left as it is when there is none)."""
    for i in range(len(lead_rows) - 1):
        for r in range(lead_rows[i], lead_rows[i + 1]):
            if time_ns[r] >= created_ns[i] and score[r] >= threshold:
                first[i] = time_ns[r]
                break


def summarise(data: Dataset, at_ns: np.ndarray) -> Handoffs:
    """Hand-offs per week, median days from creation and win rate of handed-off leads."""
    done = at_ns != NEVER
    week_ns = 7 * NS_PER_DAY
    start = data.created_ns.min() if data.n_leads else 0
    counts = np.zeros(0, dtype=np.int64)
    if done.any():  # one bin per week from the first lead to the last lead or hand-off
        last = max(data.created_ns.max(), at_ns[done].max())
        counts = np.bincount(
            (at_ns[done] - start) // week_ns, minlength=(last - start) // week_ns + 1
        )
    weeks = pd.to_datetime(start + np.arange(len(counts)) * week_ns)
    days = (at_ns[done] - data.created_ns[done]) / NS_PER_DAY
    closed = done & (data.outcome != OPEN)
    won = done & (data.outcome == WON)
    return Handoffs(
        at_ns=at_ns,
        per_week=pd.DataFrame({"week": weeks, "handoffs": counts}),
        median_days=float(np.median(days)) if len(days) else float("nan"),
        handed_off=int(done.sum()),
        win_rate=float(won.sum() / closed.sum()) if closed.any() else float("nan"),
    )
