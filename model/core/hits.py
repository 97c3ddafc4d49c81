"""Stage 1: leads + events + as-of policy -> criterion hits, point in time.

The hit matrix depends on criterion *rules*, decay and the as-of policy, never on points,
so a points or threshold edit re-runs only stage 2 (`model.scoring`). It is compact:

* attribute criteria are packed as bits into a few 16-bit codes per lead (16 criteria
  to a code), so stage 2 turns them into points with one table lookup per code;
* each event criterion is one float64 column of decayed, capped counts (float64 keeps
  band boundaries exact; float32 moves about 1 lead in 1M across a boundary), in a
  row-major matrix so that each lead's counts are written once and read together.

Events at or after a lead's decision moment never count; events before `created_at` do.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from model.core.cells import PLACEHOLDERS, TRIM, TRUTHY
from model.core.dataset import NS_PER_DAY, AsOf, Column, Dataset
from model.core.spec import AttributeRule, CriterionDecay, Decay, ModelError, ScoringModel

# The compiled stage 1 and stage 2 loops release the GIL: two threads use both cores.
POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hits")
_CHUNKS = 8  # lead ranges stage 1 counts: more than the workers, to even out their loads
SMALL = 4_096  # leads: fewer are evaluated in the calling thread (a pool hand-off costs more)


class _InThread(Executor):
    """Runs each job at once in the calling thread (Executor.map builds on submit)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        done: Future = Future()
        done.set_result(fn(*args, **kwargs))
        return done


def workers(n_leads: int) -> Executor:
    """The pool, or the calling thread for fewer than SMALL leads (the scoring API's)."""
    return POOL if n_leads >= SMALL else _IN_THREAD


_IN_THREAD = _InThread()
BITS_PER_CODE = 16
# Undecayed counts are whole numbers: uint16 holds them when no lead has this many
# events (and caps are whole), at a quarter of the memory stage 1 writes and stage 2 reads.
RAW16_LIMIT = 2**16


# --------------------------------------------------------------------------- hits


@dataclass(frozen=True, eq=False)
class Hits:
    """The compact hit matrix H of one model's rules on one dataset, as of one policy.

    Row `codes[w]` packs the attribute criteria `code_criteria[w]` as bits (bit j set = the
    j-th of them fired). `counts[i, j]` is lead i's decayed, capped count of event
    criterion `event_criteria[j]`; `raw_counts` the same without decay (used by the floor),
    uint16 when they are whole numbers below 2**16 (`_raw_dtype`), and `counts` itself
    when the model has no decay. Both are row-major: stage 2 reads a lead's row at once.
    """

    rules_key: str
    as_of: AsOf
    criterion_ids: tuple[str, ...]
    codes: np.ndarray  # uint16, one row per 16 attribute criteria
    code_criteria: tuple[tuple[int, ...], ...]
    event_criteria: tuple[int, ...]
    counts: np.ndarray
    raw_counts: np.ndarray
    decision_ns: np.ndarray
    events_used: int
    events_excluded: int  # events at or after their lead's decision moment

    @property
    def n_leads(self) -> int:
        return len(self.decision_ns)

    @property
    def nbytes(self) -> int:
        """Memory held by this matrix (the raw counts are the decayed ones without decay)."""
        raw = 0 if self.raw_counts is self.counts else self.raw_counts.nbytes
        return self.codes.nbytes + self.counts.nbytes + raw + self.decision_ns.nbytes

    def fired(self, k: int, leads: slice | int = slice(None)) -> np.ndarray:
        """Did criterion k fire (count > 0 for event rules), for all leads or the ones asked?"""
        for word, members in zip(self.codes, self.code_criteria, strict=True):
            if k in members:
                return (word[leads] >> members.index(k)) & 1 == 1
        return self.raw_counts[leads, self.event_criteria.index(k)] > 0


def unknown_event_types(data: Dataset, model: ScoringModel) -> list[str]:
    """One line per event criterion counting event types no event in the data has (a typo
    such as 'careers_page_vew' scores nothing, silently)."""
    if not data.n_events:
        return []
    known = set(data.event_types)
    out = []
    for c in model.criteria:
        missing = [t for t in getattr(c.rule, "events", []) if t not in known]
        if missing:
            near = [_nearest(t, known) for t in missing]
            hint = "; ".join(f"did you mean {n!r}?" for n in near if n)
            out.append(
                f"criterion {c.id!r} counts {', '.join(map(repr, missing))}, which no "
                f"event in the data has{': ' + hint if hint else ''}"
            )
    return out


def unknown_levels(data: Dataset, model: ScoringModel) -> list[str]:
    """One line per criterion asking a text attribute for levels no lead has ('Sofware'
    for 'Software'): such a level never matches, and nothing else would say so. Levels are
    compared as the rules compare them: trimmed, case-insensitive; placeholders are blanks."""
    out = []
    for c in model.criteria:
        rule = c.rule
        if c.on_events or rule.op not in ("equals", "in") or rule.attribute not in data.leads:
            continue
        col = data.column(rule.attribute)
        if col.kind != "text":
            continue
        known = {
            str(v).strip(TRIM).lower(): str(v)
            for v in col.categories
            if str(v).strip(TRIM).lower() not in PLACEHOLDERS
        }
        wanted = [rule.value] if rule.op == "equals" else list(rule.values or [])
        missing = [str(w) for w in wanted if str(w).strip(TRIM).lower() not in known]
        if missing:
            near = [_nearest(m.strip(TRIM).lower(), set(known)) for m in missing]
            hint = "; ".join(f"did you mean {known[n]!r}?" for n in near if n)
            out.append(
                f"criterion {c.id!r} asks for {rule.attribute} "
                f"{', '.join(map(repr, missing))}, which no lead has"
                f"{': ' + hint if hint else ''}"
            )
    return out


def _nearest(word: str, known: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.75)
    return found[0] if found else None


def build_hits(data: Dataset, model: ScoringModel, as_of: AsOf) -> Hits:
    """Stage 1: evaluate every rule as of each lead's decision moment."""
    decision_ns = as_of.decision_ns(data.created_ns)
    attr = [k for k, c in enumerate(model.criteria) if not c.on_events]
    words = [attr[i : i + BITS_PER_CODE] for i in range(0, len(attr), BITS_PER_CODE)]
    codes = np.empty((len(words), data.n_leads), dtype=np.uint16)
    pool = workers(data.n_leads)
    packed = [
        pool.submit(_pack, data, model, w, codes[i], decision_ns) for i, w in enumerate(words)
    ]
    ev = tuple(k for k, c in enumerate(model.criteria) if c.on_events)
    counts, raw, used, excluded = _event_counts(data, model, decision_ns, ev)
    for job in packed:
        job.result()
    return Hits(
        rules_key=model.rules_key(),
        as_of=as_of,
        criterion_ids=tuple(c.id for c in model.criteria),
        codes=codes,
        code_criteria=tuple(tuple(w) for w in words),
        event_criteria=ev,
        counts=counts,
        raw_counts=raw,
        decision_ns=decision_ns,
        events_used=used,
        events_excluded=excluded,
    )


def _event_counts(
    data: Dataset, model: ScoringModel, decision_ns: np.ndarray, ev: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Decayed and undecayed counts of the event criteria `ev` (one row per lead), and how
    many events were counted and how many fell at or after their decision moment."""
    counts = np.empty((data.n_leads, len(ev)))
    caps = np.array([model.criteria[k].rule.max_count or np.inf for k in ev], dtype=np.float64)
    raw = counts
    if model.decays:
        raw = np.empty_like(counts, dtype=_raw_dtype(data, caps))
    col_starts, cols = _columns_by_type(data, model, ev)
    decays = [model.decay_of(model.criteria[k]) for k in ev]
    modes = np.array([_DECAY_MODES[d.mode] for d in decays], dtype=np.int64)
    factors = np.array([_decay_factor(d) for d in decays], dtype=np.float64)
    # Chunks of about equal event counts, so that a worker done with the attribute codes
    # takes a share of the counting.
    cuts = np.searchsorted(data.lead_starts, np.linspace(0, data.n_events, _CHUNKS + 1))
    cuts[0], cuts[-1] = 0, data.n_leads

    def chunk(c: int) -> tuple[int, int]:
        return _count_leads(
            cuts[c],
            cuts[c + 1],
            data.lead_starts,
            data.ev_type,
            data.ev_ns,
            decision_ns,
            col_starts,
            cols,
            caps,
            modes,
            factors,
            counts,
            raw,
            raw is not counts,
        )

    done = workers(data.n_leads).map(chunk, range(_CHUNKS))
    used, excluded = np.sum(list(done), axis=0, dtype=np.int64)
    return counts, raw, int(used), int(excluded)


def _raw_dtype(data: Dataset, caps: np.ndarray) -> type:
    """uint16 for undecayed counts that are whole numbers below 2**16: no lead has that
    many events and every cap is whole (a cap of 2.5 makes 2.5); else float64."""
    whole_caps = bool(np.all(caps == np.floor(caps)))  # inf counts as whole
    return np.uint16 if whole_caps and data.max_lead_events < RAW16_LIMIT else np.float64


def _columns_by_type(
    data: Dataset, model: ScoringModel, ev: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Which event-criterion columns each event type counts towards, as offsets into a
    flat list: type t adds to columns cols[col_starts[t]:col_starts[t + 1]]."""
    per_type: list[list[int]] = [[] for _ in data.event_types]
    for j, k in enumerate(ev):
        for event_type in dict.fromkeys(model.criteria[k].rule.events):
            if event_type in data.event_types:
                per_type[data.event_types.index(event_type)].append(j)
    col_starts = np.cumsum([0] + [len(p) for p in per_type]).astype(np.int64)
    return col_starts, np.array([j for p in per_type for j in p], dtype=np.int64)


def _pack(
    data: Dataset, model: ScoringModel, members: list[int], code: np.ndarray, decision_ns
) -> None:
    """Write the code: bit j = criterion members[j] fired; one gather per text attribute."""
    code[:] = 0
    text_tables: dict[str, np.ndarray] = {}
    for bit, k in enumerate(members):
        criterion = model.criteria[k]
        try:
            col = data.column(criterion.rule.attribute)
            if col.kind == "text":
                hits = _text_hits(col, criterion.rule).astype(np.uint16) << np.uint16(bit)
                table = text_tables.setdefault(criterion.rule.attribute, np.zeros_like(hits))
                table |= hits
            else:
                _or_bit(code, attribute_mask(data, criterion.rule, decision_ns), bit)
        except ModelError as exc:
            raise ModelError(f"criterion '{criterion.id}': {exc}") from exc
    for attribute, table in text_tables.items():
        _or_table(code, table, data.column(attribute).values)


def events_by_lead(
    ev_lead: np.ndarray, ev_ns: np.ndarray, n_leads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events sorted by lead, then time, ties kept in file order (the order
    np.lexsort((ev_ns, ev_lead)) gives, in a twentieth of its time at 15M events): where
    each lead's run starts (n_leads + 1 offsets), the order, and the times in that order,
    which a load would otherwise gather again from all over memory."""
    starts, order, times = _by_lead(ev_lead, ev_ns, n_leads)
    _by_time(starts, order, times)
    return starts, order, times


@numba.njit(nogil=True, cache=True)
def _by_lead(ev_lead, ev_ns, n_leads):  # pragma: no cover
    """Place each event, and its time, in its lead's run (a counting sort): the runs are
    then sorted among times held side by side, not looked up all over memory."""
    starts = np.zeros(n_leads + 1, dtype=np.int64)
    for lead in ev_lead:
        starts[lead + 1] += 1
    starts = np.cumsum(starts)
    fill = starts[:-1].copy()
    order = np.empty(len(ev_lead), dtype=np.int64)
    times = np.empty(len(ev_lead), dtype=np.int64)
    for i in range(len(ev_lead)):
        at = fill[ev_lead[i]]
        order[at], times[at] = i, ev_ns[i]
        fill[ev_lead[i]] += 1
    return starts, order, times


@numba.njit(nogil=True, cache=True)
def _by_time(starts, order, times):  # pragma: no cover
    """Sort each lead's run by time, stably: by insertion when short, as most are, by
    merge sort when long."""
    for lead in range(len(starts) - 1):
        a, b = starts[lead], starts[lead + 1]
        if b - a > 32:
            by = np.argsort(times[a:b], kind="mergesort")
            order[a:b] = order[a:b][by]
            times[a:b] = times[a:b][by]
            continue
        for j in range(a + 1, b):
            k, t, m = order[j], times[j], j - 1
            while m >= a and times[m] > t:
                order[m + 1], times[m + 1] = order[m], times[m]
                m -= 1
            order[m + 1], times[m + 1] = k, t


def set_up_numba() -> None:
    """Load one compiled loop from numba's disk cache, so that numba's own set-up (0.3 s,
    which the first compiled loop a process runs pays, whichever it is) is done."""
    _or_bit(np.zeros(1, np.uint16), np.zeros(1, np.bool_), 0)


# In place and in one pass each: the numpy forms made two or three 1M-lead temporaries
# per criterion, a third of stage 1's attribute work.
@numba.njit(nogil=True, cache=True)
def _or_bit(code, mask, bit):  # pragma: no cover
    """Set bit `bit` of the code where the mask is true."""
    one = np.uint16(1 << bit)
    for i in range(len(code)):
        if mask[i]:
            code[i] |= one


@numba.njit(nogil=True, cache=True)
def _or_table(code, table, values):  # pragma: no cover
    """OR in a text attribute's bits: table[level] holds every bit that level sets."""
    for i in range(len(code)):
        code[i] |= table[values[i]]


def _text_hits(col: Column, rule: AttributeRule) -> np.ndarray:
    if rule.op == "is_missing":
        return col.level_hits(None)
    if rule.op == "is_filled":
        return ~col.level_hits(None)
    if rule.op == "is_true":
        return col.level_hits(sorted(TRUTHY))
    if rule.op == "between":
        raise ModelError(
            f"'between' needs a number or date attribute, but '{rule.attribute}' holds text"
        )
    return col.level_hits([rule.value] if rule.op == "equals" else list(rule.values or []))


def attribute_mask(
    data: Dataset, rule: AttributeRule, decision_ns: np.ndarray | None = None
) -> np.ndarray:
    """Per-lead boolean of one attribute rule; missing values never match (but is_missing).
    `decision_ns` (each lead's decision moment) is what `days_since` counts back from."""
    col = data.column(rule.attribute)
    if rule.op == "days_since":
        return _days_since(col, rule, decision_ns)
    if col.kind == "text":
        return _text_hits(col, rule)[col.values]
    if rule.op == "is_missing":
        return col.missing.copy()
    if rule.op == "is_filled":
        return ~col.missing
    if rule.op == "is_true":
        return (col.values != 0) & ~col.missing
    if rule.op == "between":
        return _between(col, rule)
    wanted = [rule.value] if rule.op == "equals" else list(rule.values or [])
    if col.kind == "bool":
        want = {str(w).strip(TRIM).lower() in TRUTHY for w in wanted}
        return np.isin(col.values, list(want)) & ~col.missing
    try:
        nums = [float(w) for w in wanted]
    except (TypeError, ValueError):
        raise ModelError(
            f"'{rule.attribute}' holds {col.kind}s, so '{rule.op}' needs {col.kind} values, "
            f"got {wanted!r}"
        ) from None
    if col.kind == "date":
        return np.isin(col.values, [pd.Timestamp(w).value for w in wanted]) & ~col.missing
    return np.isin(col.values, nums)


def _days_since(col: Column, rule: AttributeRule, decision_ns: np.ndarray | None) -> np.ndarray:
    """The date lies before the decision moment, `low` days or more and fewer than `high`
    days before it; counted in whole nanoseconds, as the SQL export counts them."""
    if col.kind != "date":
        raise ModelError(f"'days_since' needs a date attribute, but '{rule.attribute}' holds "
                         f"{col.kind}s")  # fmt: skip
    if decision_ns is None:
        raise ModelError("'days_since' needs each lead's decision moment")
    age = decision_ns - col.values
    out = ~col.missing & (age > 0)
    if rule.low is not None:
        out &= age >= round(rule.low * NS_PER_DAY)
    if rule.high is not None:
        out &= age < round(rule.high * NS_PER_DAY)
    return out


def _between(col: Column, rule: AttributeRule) -> np.ndarray:
    """Inclusive range on a number or date column."""
    if col.kind == "bool":
        raise ModelError(
            f"'between' needs a number or date attribute, but '{rule.attribute}' holds text"
        )
    low, high = rule.low, rule.high
    if col.kind == "date":
        low = None if low is None else pd.Timestamp(low).value
        high = None if high is None else (pd.Timestamp(high) + pd.Timedelta(days=1)).value - 1
    out = ~col.missing
    if low is not None:
        out &= col.values >= low
    if high is not None:
        out &= col.values <= high
    return out


_DECAY_MODES = {"none": 0, "half_life": 1, "linear": 2}


def _decay_factor(decay: Decay | CriterionDecay) -> float:
    """Per-nanosecond-of-age factor: weight = 2**(age*f) for half-life, 1 + age*f for linear."""
    if decay.mode == "half_life":
        return -1.0 / (decay.half_life_days * NS_PER_DAY)
    if decay.mode == "linear":
        return -decay.percent_per_30_days / 100.0 / (30.0 * NS_PER_DAY)
    return 0.0


@numba.njit(nogil=True, cache=True)
def _count_leads(
    lo,
    hi,
    starts,
    ev_type,
    ev_ns,
    decision,
    col_starts,
    cols,
    caps,
    modes,
    factors,
    out,
    raw,
    count_raw,
):  # pragma: no cover
    """Leads lo..hi in one pass: each event before its lead's decision moment adds its
    decay weight (the column's own: modes[c], factors[c]) to the lead's row of `out` (and
    1 to `raw`) for every column its type counts towards; then the caps. Each row is written once, while it is in cache: a
    column-wise count zero-filled, counted and capped the matrix in three passes.
    Returns (events counted, events at or after the decision moment). Releases the GIL."""
    used = 0
    excluded = 0
    n_cols = out.shape[1]
    for i in range(lo, hi):
        for c in range(n_cols):
            out[i, c] = 0.0
            if count_raw:
                raw[i, c] = 0
        e, end, limit = starts[i], starts[i + 1], decision[i]
        while e < end and ev_ns[e] < limit:
            t = ev_type[e]
            if col_starts[t] < col_starts[t + 1]:
                age = limit - ev_ns[e]
                for k in range(col_starts[t], col_starts[t + 1]):
                    c = cols[k]
                    if modes[c] == 1:
                        w = np.exp2(age * factors[c])
                    elif modes[c] == 2:
                        w = min(max(1.0 + age * factors[c], 0.0), 1.0)
                    else:
                        w = 1.0
                    out[i, c] += w
                    if count_raw:
                        raw[i, c] += 1
                used += 1
            e += 1
        excluded += end - e
        for c in range(n_cols):
            out[i, c] = min(out[i, c], caps[c])
            if count_raw:
                raw[i, c] = min(raw[i, c], caps[c])
    return used, excluded
