"""The core data model: leads and events prepared for point-in-time scoring, the as-of
policy that says when a lead is scored, and the outcome words and codes every layer reads."""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from model.core.cells import PLACEHOLDERS, TRIM, TRUTHY
from model.core.spec import ModelError
from model.core.words import OUTCOMES

NS_PER_DAY = 86_400 * 10**9
MAX_AS_OF_DAYS = 3_650
SMALL_TEXT = 256  # text values `Column.of` reads in plain Python (the scoring API's batches)
SPLIT_LOOK_UP = 1_000_000  # `index_in` looks up as many values in each of two threads
WON, LOST, OPEN = 0, 1, 2  # per-lead outcome codes (Dataset.outcome), in OUTCOMES' order
# Won and lost words, CRMs' defaults included: Salesforce's "Closed Won" and "Closed -
# Converted", HubSpot's "closedwon", Dynamics' "Qualified" / "Disqualified" lead status,
# Zoho's "Lost Lead" / "Junk Lead", HubSpot's "Open Deal" / "Unqualified" lead status,
# and won / lost as German, French, Spanish, Portuguese and Italian exports write them.
WON_WORDS = frozenset(
    {
        "won",
        "win",
        "closed won",
        "closed-won",
        "closedwon",
        "closed - won",
        "closed - converted",
        "converted",
        "qualified",
        "customer",
        "open deal",
        *("gewonnen", "gagné", "gagnée", "ganado", "ganada", "ganho", "vinto"),
        *TRUTHY,
    }
    - {"t", "1.0"}
)
LOST_WORDS = frozenset(
    {
        "lost",
        "loss",
        "closed lost",
        "closed-lost",
        "closedlost",
        "closed - lost",
        "closed - not converted",
        "not converted",
        "disqualified",
        "unqualified",
        "lost lead",
        "junk lead",
        "no",
        "n",
        "false",
        "0",
        *("verloren", "perdu", "perdue", "perdido", "perdida", "perso"),
    }
)
OPEN_WORDS = frozenset({"open", "", "pending", "in progress", "offen", "ouvert", "abierto"})
# A closed stage named with its reason: Zoho's "Closed-Lost to Competition", an org's own
# "Closed Lost - No Budget" or "Closed Won (renewal)".
CLOSED_WON = re.compile(r"closed\s*[-–:]?\s*(?:won|converted)\b")
CLOSED_LOST = re.compile(r"closed\s*[-–:]?\s*(?:lost|not converted)\b")


def is_won_word(value: str) -> bool:
    """A lower-case outcome value that means won, by the usual words."""
    return value in WON_WORDS or CLOSED_WON.match(value) is not None


def is_lost_word(value: str) -> bool:
    """A lower-case outcome value that means lost, by the usual words."""
    return value in LOST_WORDS or CLOSED_LOST.match(value) is not None


# Columns of the vocabulary that are never criteria (a lead's id, dates, outcome, value).
RESERVED = frozenset({"lead_id", "created_at", "outcome", "closed_at", "value"})
TOUCH_COLUMNS = ("channel", "campaign")  # events that carry one are marketing touches


class DataError(ValueError):
    """A data file that cannot be used as it is; the message names file, column and rows."""


# --------------------------------------------------------------------------- as-of policy


@dataclass(frozen=True)
class AsOf:
    """The decision moment a lead is scored at: `created+Nd` or a fixed date."""

    kind: Literal["created_plus_days", "fixed", "now"] = "created_plus_days"
    days: float = 14
    date: pd.Timestamp | None = None

    @classmethod
    def parse(cls, text: str) -> AsOf:
        """Read 'created+14d' or 'YYYY-MM-DD'."""
        text = text.strip()
        if text.lower() == "now":
            return cls.now()
        match = re.fullmatch(r"created\s*\+\s*(\d+(?:\.\d+)?)\s*d", text)
        if match:
            days = float(match.group(1))
            if days > MAX_AS_OF_DAYS:
                raise ValueError(
                    f"as-of policy {text!r}: at most created+{MAX_AS_OF_DAYS}d "
                    "(ten years after creation)"
                )
            return cls("created_plus_days", days=days)
        try:
            date = pd.Timestamp(text).normalize()
        except (ValueError, OverflowError):
            date = None
        if date is not None and 1900 <= date.year <= 2200:
            return cls("fixed", date=date.as_unit("ns"))
        if date is not None:
            raise ValueError(f"as-of date {text!r} is outside 1900-2200")
        raise ValueError(f"as-of policy must be 'created+Nd' or a date YYYY-MM-DD, got {text!r}")

    @classmethod
    def now(cls) -> AsOf:
        """For data without created dates: each lead as it is in the export, every event
        counted (the import dates every lead at the export moment, after its last event)."""
        return cls("now", days=0.0)

    def __str__(self) -> str:
        if self.kind == "now":
            return "now"
        if self.kind == "fixed":
            return f"{self.date:%Y-%m-%d}"
        return f"created+{self.days:g}d"

    def describe(self) -> str:
        if self.kind == "now":
            return "each lead as it is now (no created dates: every event counted)"
        if self.kind == "fixed":
            return f"every lead as it was on {self.date:%d %b %Y}"
        return f"each lead as it was {self.days:g} days after it was created"

    def decision_ns(self, created_ns: np.ndarray) -> np.ndarray:
        """The decision moment per lead, in int64 nanoseconds."""
        if self.kind == "fixed":
            return np.full(created_ns.shape, self.date.value, dtype=np.int64)
        return created_ns + round(self.days * NS_PER_DAY)


# --------------------------------------------------------------------------- dataset


@dataclass(eq=False)
class Dataset:
    """Leads and their events, prepared once for fast point-in-time scoring.

    Events are sorted by lead and time, `lead_starts[i]:lead_starts[i + 1]` being lead i's,
    so the events before a lead's decision moment are a prefix of its run and stage 1 is
    one pass that writes each lead's counts once, in memory order.
    """

    name: str
    leads: pd.DataFrame
    lead_ids: np.ndarray
    created_ns: np.ndarray
    event_types: tuple[str, ...]
    lead_starts: np.ndarray
    ev_lead: np.ndarray
    ev_ns: np.ndarray
    ev_type: np.ndarray  # index into event_types, per event
    unknown_lead_events: int = 0
    touch_column: str | None = None
    touch_codes: np.ndarray | None = None  # per event (in event order), -1 when blank
    touch_names: tuple[str, ...] = ()
    has_dates: bool = True  # False: no created dates, every lead scored as it is now
    notes: tuple[str, ...] = ()  # what loading found and did (warnings, fallbacks)
    _columns: dict[str, Column] = field(default_factory=dict, repr=False)

    @property
    def n_leads(self) -> int:
        return len(self.lead_ids)

    @property
    def n_events(self) -> int:
        return len(self.ev_lead)

    @functools.cached_property
    def outcome(self) -> np.ndarray:
        """Per-lead outcome code: 0 won, 1 lost, 2 open (also when there is no outcome)."""
        if "outcome" not in self.leads.columns:
            return np.full(self.n_leads, 2, dtype=np.intp)
        text = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow_text(self.leads["outcome"])))
        found = pc.index_in(text, value_set=pa.array(OUTCOMES, pa.large_string()))
        return found.fill_null(2).to_numpy().astype(np.intp)  # Arrow: a tenth of pandas

    @functools.cached_property
    def value(self) -> np.ndarray | None:
        """Per-lead deal value (float64, NaN unknown), or None without a value column."""
        if "value" not in self.leads.columns:
            return None
        return pd.to_numeric(self.leads["value"], errors="coerce").to_numpy(np.float64)

    @functools.cached_property
    def won_value(self) -> np.ndarray | None:
        """Per-lead value when won, else 0: summed per score bin for revenue won."""
        if self.value is None:
            return None
        return np.where(self.outcome == 0, np.nan_to_num(self.value), 0.0)

    @functools.cached_property
    def max_lead_events(self) -> int:
        """The most events any one lead has."""
        return int(np.diff(self.lead_starts).max(initial=0))

    @functools.cached_property
    def type_counts(self) -> np.ndarray:
        """Events per event type (indexed like event_types), counted once per dataset: the
        criteria editor names them on every edit."""
        return code_counts(self.ev_type, len(self.event_types))

    def where_lead(self, lead_id: str) -> int | None:
        """The position of the lead with this id, None when there is none (hashed once per
        dataset: a look-up on every edit would otherwise compare a million ids)."""
        found = int(self._lead_index.get_indexer([lead_id])[0])
        return None if found < 0 else found

    @functools.cached_property
    def _lead_index(self) -> pd.Index:
        return pd.Index(self.lead_ids)

    @property
    def attributes(self) -> list[str]:
        """Lead columns that criteria can use."""
        return [c for c in self.leads.columns if c != "lead_id"]

    def column(self, name: str) -> Column:
        """A lead attribute prepared for vectorised rules (cached)."""
        if name not in self._columns:
            if name not in self.leads.columns or name == "lead_id":
                known = ", ".join(c for c in self.leads.columns if c != "lead_id")
                raise ModelError(f"attribute '{name}' is not a column of the leads ({known})")
            self._columns[name] = Column.of(self.leads[name])
        return self._columns[name]


def prepare(
    leads: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    name: str = "data",
    has_dates: bool = True,
    notes: tuple[str, ...] = (),
    event_lead_rows: np.ndarray | None = None,
) -> Dataset:
    """Index leads and events for stage 1; `leads` needs lead_id and created_at (datetime).
    `event_lead_rows` (each event's lead row, -1 for none) spares looking every event up
    again when the checks did it already."""
    found = _prepare(leads, events, name=name, event_lead_rows=event_lead_rows)
    return dataclasses.replace(found, has_dates=has_dates, notes=notes)


def _prepare(
    leads: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    name: str,
    event_lead_rows: np.ndarray | None = None,
) -> Dataset:
    leads = leads.reset_index(drop=True)
    lead_ids = lead_ids_of(leads)
    created_ns = _own(_to_ns(leads["created_at"]), np.int64)
    if events is None or events.empty:
        empty = np.zeros(0, dtype=np.int64)
        return Dataset(
            name,
            leads,
            lead_ids,
            created_ns,
            (),
            np.zeros(len(leads) + 1, np.int64),
            empty.astype(np.int32),
            empty,
            empty.astype(np.int8),
        )
    from model.core.hits import events_by_lead  # numba: loaded where it is used

    ev_lead = event_lead_rows
    if ev_lead is None:
        ev_lead = index_in(events["lead_id"], leads["lead_id"])
    known = ev_lead >= 0
    ev_ns, ev_lead = _own(_to_ns(events["occurred_at"]), np.int64), _own(ev_lead, np.int32)
    if not known.all():  # events of unknown leads are left out (a copy of each column)
        ev_ns, ev_lead = ev_ns[known], ev_lead[known]
    starts, order, ev_ns = events_by_lead(ev_lead, ev_ns, len(leads))
    ev_lead = np.repeat(np.arange(len(leads), dtype=np.int32), np.diff(starts))
    type_codes, types = text_codes(events["event_type"], known)
    touch = next((c for c in TOUCH_COLUMNS if c in events.columns), None)
    touch_codes, touch_names = None, ()
    if touch is not None:
        touch_codes, touch_names = text_codes(events[touch], known)
        touch_codes = touch_codes[order].astype(np.int32)
    return Dataset(
        name=name,
        leads=leads,
        lead_ids=lead_ids,
        created_ns=created_ns,
        event_types=types,
        lead_starts=starts,
        ev_lead=ev_lead,
        ev_ns=ev_ns,
        ev_type=type_codes[order],
        unknown_lead_events=int((~known).sum()),
        touch_column=touch,
        touch_codes=touch_codes,
        touch_names=touch_names,
    )


def lead_ids_of(leads: pd.DataFrame) -> np.ndarray:
    """Each lead's id as text, in row order: what a Dataset holds as lead_ids."""
    return leads["lead_id"].astype(str).to_numpy()


def _blank(v: object) -> bool:
    """None, pandas' NA or a float NaN: what a text column holds for a missing value."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def index_in(values, keys) -> np.ndarray:
    """Where each value (as text) sits among `keys`, -1 when absent, as int32 (Arrow's own
    width, which the events' lead rows keep: widening 14.5M of them cost two copies):
    hashed by Arrow, a tenth of pandas' Index.get_indexer on text ids, which a load does
    per event. Many values are looked up in two halves at once (Arrow frees the GIL): 2.2
    s became 1.2-1.5 s for 14.5M events among 1M leads."""
    text, known = _arrow_text(values), _arrow_text(keys)
    half = len(text) // 2
    if half < SPLIT_LOOK_UP:
        return _looked_up(text, known)
    with ThreadPoolExecutor(max_workers=2) as pool:
        halves = pool.map(lambda part: _looked_up(part, known), [text[:half], text[half:]])
        return np.concatenate(list(halves))


def _looked_up(text: pa.Array | pa.ChunkedArray, known: pa.Array) -> np.ndarray:
    found = pc.index_in(text, value_set=known)
    return found.fill_null(-1).to_numpy() if found.null_count else found.to_numpy()


def text_codes(values: pd.Series, kept: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """The trimmed text of the `kept` rows as codes into its distinct values, sorted (-1
    for a missing value): what pd.Categorical gives, hashed by Arrow in a tenth of the
    time, which matters for the event type and channel of every event. Only the distinct
    values are trimmed (" Visit" and "Visit" then share a code), not every row's text."""
    codes, levels = _encoded(values)
    codes = codes if kept.all() else codes[kept]
    names = np.asarray(pc.utf8_trim_whitespace(levels).to_pylist(), dtype=object)
    used = np.flatnonzero(code_counts(codes, len(names)))
    kept_names = sorted(set(names[used]))
    position = {n: i for i, n in enumerate(kept_names)}
    remap = np.full(len(names) + 1, -1, dtype=_smallest(len(kept_names)))  # the last slot
    remap[used] = [position[n] for n in names[used]]  # maps -1 (missing) to -1
    return remap[codes], tuple(str(n) for n in kept_names)


def _encoded(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Each row's code (-1 missing) and the distinct texts: a category's own, else hashed
    by Arrow."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = pa.array(values.cat.categories.astype(str), type=pa.large_string())
        return values.cat.codes.to_numpy(), levels
    found = pc.dictionary_encode(_arrow_text(values))
    found = found.combine_chunks() if isinstance(found, pa.ChunkedArray) else found
    return found.indices.fill_null(-1).to_numpy(zero_copy_only=False), found.dictionary


def code_counts(codes: np.ndarray, n: int) -> np.ndarray:
    """How many of `codes` are each of 0..n-1 (-1, missing, is not counted), a million at
    a time: bincount widens its input to 8 bytes a code, 116 MB at once for 14.5M events,
    and new memory is what a first load waits for."""
    counts = np.zeros(n + 1, dtype=np.int64)
    for start in range(0, len(codes), 1 << 20):
        chunk = codes[start : start + (1 << 20)].astype(np.intp) + 1
        counts += np.bincount(chunk, minlength=n + 1)
    return counts[1:]


def _smallest(n: int) -> type:
    """The smallest signed integer type holding codes 0..n-1 and -1, as pd.Categorical's."""
    return next(t for t in (np.int8, np.int16, np.int32) if n < np.iinfo(t).max)


def _arrow_text(x) -> pa.Array | pa.ChunkedArray:
    """Text as an Arrow array; a column already held by Arrow is taken as it is."""
    s = pd.Series(x, copy=False)
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype(str).astype("string[pyarrow]")
    return pa.array(s.array).cast(pa.large_string())


def _lead_starts(ev_lead: np.ndarray, n_leads: int) -> np.ndarray:
    """Where each lead's run starts in events sorted by lead (n_leads + 1 offsets)."""
    starts = np.zeros(n_leads + 1, dtype=np.int64)
    np.cumsum(np.bincount(ev_lead, minlength=n_leads), out=starts[1:])
    return starts


def _to_ns(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").view(np.int64)


def _own(values: np.ndarray, dtype: type) -> np.ndarray:
    """`values` as `dtype` in an array numba may write: pandas and Arrow hand out read-only
    views, and numba compiles a loop again for a read-only array (a second more the first
    time the Thresholds page replays a dataset that came through the checks). Copied only
    when read-only."""
    return np.require(values, dtype=dtype, requirements="W")


@dataclass(frozen=True, eq=False)
class Column:
    """One attribute: numbers (float64, NaN missing), dates (int64 ns), booleans, or text.

    Text is held as category codes with one extra code, `len(categories)`, for missing
    values (blank, NaN or a placeholder such as "Select"), so a rule is a small table of
    hit-or-not per code and one gather per lead.
    """

    kind: Literal["number", "date", "text", "bool"]
    values: np.ndarray
    missing: np.ndarray
    categories: np.ndarray | None = None

    @classmethod
    def of(cls, s: pd.Series) -> Column:
        if pd.api.types.is_bool_dtype(s):
            return cls("bool", s.fillna(False).to_numpy(dtype=bool), s.isna().to_numpy())
        if pd.api.types.is_numeric_dtype(s):
            x = s.to_numpy(dtype=np.float64, na_value=np.nan)
            return cls("number", x, np.isnan(x))
        if pd.api.types.is_datetime64_any_dtype(s):
            ns = _to_ns(s)
            return cls("date", ns, s.isna().to_numpy())
        if len(s) <= SMALL_TEXT:
            values = [None if _blank(v) else v for v in s.to_list()]
            if all(v is None or isinstance(v, str) for v in values):
                return cls._few_texts(values)
        cat = pd.Categorical(s.astype("string").str.strip(TRIM))
        cats = np.asarray(cat.categories, dtype=object)
        n = len(cats)
        placeholder = np.array([str(c).lower() in PLACEHOLDERS for c in cats], dtype=bool)
        slot = np.append(np.where(placeholder, n, np.arange(n)), n).astype(np.int32)
        codes = slot[cat.codes].astype(np.intp)
        return cls("text", codes, codes == n, cats)

    @classmethod
    def _few_texts(cls, values: list[str | None]) -> Column:
        """What `of` makes of a few strings (the scoring API's leads), in plain Python:
        pandas costs about half a millisecond a column, more than scoring a lead."""
        text = [None if v is None else v.strip(TRIM) for v in values]
        cats = np.array(sorted({t for t in text if t is not None}), dtype=object)
        n = len(cats)
        slot = {c: (n if c.lower() in PLACEHOLDERS else i) for i, c in enumerate(cats)}
        codes = np.array([n if t is None else slot[t] for t in text], dtype=np.intp)
        return cls("text", codes, codes == n, cats)

    def level_hits(self, wanted: list[object] | None) -> np.ndarray:
        """Per text code (plus the missing code): equal, case-insensitive and trimmed, to any
        of `wanted`; `None` asks for the missing code only."""
        out = np.zeros(len(self.categories) + 1, dtype=bool)
        if wanted is None:
            out[-1] = True
            return out
        want = {str(w).strip(TRIM).lower() for w in wanted}
        out[:-1] = [str(c).lower() in want for c in self.categories]
        return out


def existing_at(data: Dataset, as_of: AsOf) -> Dataset:
    """The leads that existed at a fixed snapshot (created before it), with their events.

    A lead created after the snapshot date was not there to be scored on that day, so a
    fixed-date replay leaves it out; `created+Nd` policies keep every lead.
    """
    if as_of.kind != "fixed":
        return data
    return subset(data, data.created_ns < as_of.date.value, f"{data.name}@{as_of}")


def subset(data: Dataset, keep: np.ndarray, name: str) -> Dataset:
    """The leads where `keep` is true, with their events (the dataset itself when all)."""
    if keep.all():
        return data
    new_index = np.cumsum(keep) - 1
    ev_keep = keep[data.ev_lead]
    ev_lead = new_index[data.ev_lead[ev_keep]].astype(np.int32)
    return Dataset(
        name=name,
        leads=data.leads[keep].reset_index(drop=True),
        lead_ids=data.lead_ids[keep],
        created_ns=data.created_ns[keep],
        event_types=data.event_types,
        lead_starts=_lead_starts(ev_lead, int(keep.sum())),
        ev_lead=ev_lead,
        ev_ns=data.ev_ns[ev_keep],
        ev_type=data.ev_type[ev_keep],
        unknown_lead_events=data.unknown_lead_events,
        touch_column=data.touch_column,
        touch_codes=None if data.touch_codes is None else data.touch_codes[ev_keep],
        touch_names=data.touch_names,
        has_dates=data.has_dates,
        notes=data.notes,
    )
