"""Bring your own CRM export: map its columns to the lead vocabulary and report every
problem before anything is used (the one validator: whatever the import accepts, every
command and page accepts).

Nothing here raises on bad data: reading returns a clear DataError, and validation returns
a report whose errors block and whose warnings let the user go on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from model.core.cells import (
    BOOLEAN_WORDS,
    DATE_LIKE,
    EXCEL_DAY,
    NOT_AMOUNT,
    PLACEHOLDERS,
    ambiguous_day_month,
    arrow_text,
    could_be,
    currencies_in,
    may_need_trim,
    plain_numbers,
    to_dates,
    to_numbers,
)
from model.core.dataset import OPEN_WORDS, DataError, index_in, is_lost_word, is_won_word
from model.core.kinds import excluded_columns, running_number
from model.core.words import CREATED_POLICIES, EVENT_ROLES, ROLES
from model.ingest.readers import row_numbers

REQUIRED = ("outcome",)
NAME_HINTS = {
    "lead_id": ("lead_id", "leadid", "lead id", "id", "mql_id", "contact_id", "record id",
                "lead number", "prospect id"),
    "created_at": ("created_at", "created", "create date", "created date", "createdate",
                   "first_contact_date", "date", "lead date", "signup date"),
    "outcome": ("outcome", "status", "result", "won", "converted", "y", "deal status",
                "is_won", "conversion"),
    "value": ("value", "amount", "deal value", "deal_value", "revenue", "opportunity amount",
              "declared_monthly_revenue"),
    "stage": ("stage", "lead stage", "lead_stage", "pipeline stage", "deal stage"),
    "source": ("source", "lead source", "lead_source", "origin", "lead origin", "utm_source"),
    "closed_at": ("closed_at", "closed", "close date", "closed date", "won_date", "closedate"),
    "occurred_at": ("occurred_at", "timestamp", "date", "time", "activity date", "event time"),
    "event_type": ("event_type", "event", "activity", "activity type", "type", "action"),
}  # fmt: skip
MOSTLY_MISSING = 0.95


@dataclass
class Mapping:
    """Which column plays which role (and how we know), which outcome values mean what,
    what counts as missing, which columns are left out, what to do with blank created dates."""

    roles: dict[str, str | None] = field(default_factory=dict)
    won: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=lambda: sorted(PLACEHOLDERS - {""}))
    events: dict[str, str | None] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)  # role -> "mapped" / "name" / "content"
    notes: list[str] = field(default_factory=list)  # guesses the values did not confirm
    event_notes: list[str] = field(default_factory=list)  # the same, of the events file
    drop: list[str] = field(default_factory=list)
    created_policy: str = "fallback"

    def to_dict(self) -> dict:
        return {
            "roles": self.roles,
            "won": self.won,
            "lost": self.lost,
            "missing": self.missing,
            "events": self.events,
            "how": self.how,
            "drop": self.drop,
            "created_policy": self.created_policy,
        }

    def provenance(self) -> pd.DataFrame:
        """Per role: the column and whether it was mapped, guessed from its name or its
        values, or left empty."""
        rows = [
            {
                "role": ROLE_WORDS[r],
                "column": c or "",
                "how": HOW.get(self.how.get(r, ""), "mapped by you") if c else "empty",
            }
            for r, c in ((r, self.roles.get(r)) for r in ROLES)
        ]
        return pd.DataFrame(rows, columns=["role", "column", "how"])

    def blocks(self, role: str) -> bool:
        """Only a role the user mapped can block the import; a guess never does."""
        return self.how.get(role, "mapped") == "mapped"


@dataclass(frozen=True)
class Issue:
    """One finding of the validation report."""

    level: str  # "error" blocks, "warning" lets the user go on
    where: str  # file and column
    message: str


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, level: str, where: str, message: str) -> None:
        self.issues.append(Issue(level, where, message))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(i) for i in self.issues], columns=["level", "where", "message"])

    def text(self) -> str:
        if not self.issues:
            return "validation: no problems found"
        return "\n".join(f"{i.level}: {i.where}: {i.message}" for i in self.issues)


# ---------------------------------------------------------------------------- reading


# ---------------------------------------------------------------------------- guessing

HOW = {
    "mapped": "mapped by you",
    "name": "guessed from its name",
    "content": "guessed from its values",
}
# Roles in the order they are guessed: the outcome before the stage, so a deal-stage
# column holding won and lost words becomes the outcome and not the stage.
GUESS_ORDER = ("lead_id", "outcome", "created_at", "closed_at", "value", "stage", "source")
# Hints that may stand inside a longer name, as whole words ("Lead Created Date", "Opportunity
# Amount"); every other hint must be the whole name. A few are German, as German-language
# accounts of Pipedrive and HubSpot name their columns ("Deal - Wert", "Deal - Quelle").
WORD_HINTS = {
    "lead_id": ("lead id", "record id", "prospect id", "contact id"),
    "created_at": ("created date", "create date", "created on", "created at", "created time",
                   "deal created", "lead created", "created",
                   "creation date", "first contact date", "signup date", "erstellt",
                   "erstelldatum"),
    "outcome": ("outcome", "deal status", "lead status", "is won"),
    "value": ("amount", "deal value", "opportunity value", "expected revenue", "est revenue",
              "estimated revenue", "wert", "betrag"),
    "stage": ("stage", "lifecycle stage"),
    "source": ("source", "origin", "quelle"),
    "closed_at": ("close date", "closed date", "closing date", "won date", "closed on",
                  "won time", "close time",
                  "converted date", "became a customer date"),
    "occurred_at": ("timestamp", "activity date", "event time", "occurred at", "date"),
    "event_type": ("event type", "activity type", "event", "activity"),
}  # fmt: skip
FEW_LEVELS = 60  # a stage or source column has at most this many distinct values


def guess_mapping(
    leads: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    mapped: dict[str, str | None] | None = None,
    events_mapped: dict[str, str | None] | None = None,
    drop: tuple[str, ...] = (),
    attributes_only: frozenset[str] = frozenset(),
) -> Mapping:
    """Roles proposed from column names and confirmed by the values, or from the values
    alone; outcome values sorted into won / lost by the usual words.

    What the user `mapped` wins: those columns are released from every guess (a role mapped
    to None stays empty). A name whose column's values do not fit its role is noted and
    kept as an attribute; a guess never blocks the import, only what the user mapped can.
    """
    mapped = {r: (c or None) for r, c in (mapped or {}).items()}
    unknown = sorted({c for c in mapped.values() if c and c not in leads.columns})
    if unknown:
        raise DataError(
            f"--map names column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))} that the file does not have "
            f"(columns: {', '.join(map(str, leads.columns[:20]))})"
        )
    mapping = Mapping(drop=[c for c in drop if c in leads.columns])
    taken = set(mapping.drop) | set(attributes_only) | {c for c in mapped.values() if c}
    for role in GUESS_ORDER:
        if role in mapped:
            mapping.roles[role] = mapped[role]
            if mapped[role]:
                mapping.how[role] = "mapped"
            continue
        guess = _guess_outcome if role == "outcome" else partial(_guess_role, role=role)
        column, how = guess(leads, taken=taken, notes=mapping.notes)
        mapping.roles[role] = column
        if column:
            mapping.how[role] = how
            taken.add(column)
    mapping.roles = {r: mapping.roles.get(r) for r in ROLES}
    if mapping.roles["outcome"]:
        mapping.won, mapping.lost = outcome_words(leads[mapping.roles["outcome"]])
    if events is not None:
        ids = leads[mapping.roles["lead_id"]] if mapping.roles["lead_id"] else None
        notes = mapping.event_notes
        mapping.events = _guess_event_roles(events, events_mapped or {}, ids, notes)
    return mapping


def _guess_event_roles(events, mapped, lead_ids: pd.Series | None, notes) -> dict:
    """Event roles by name, the lead column confirmed by the leads' ids and the date by
    its values (a named column that holds no dates is still taken, for the validator to
    say which values are not dates): a Salesforce task export names its own id 'Id' and
    the lead 'WhoId'."""
    roles: dict[str, str | None] = {}
    taken = {c for c in mapped.values() if c}
    for role in EVENT_ROLES:
        if role in mapped:
            roles[role] = mapped[role] or None
            continue
        if role == "lead_id":
            column = _event_lead_column(events, taken, lead_ids, notes)
        elif role == "occurred_at":
            named = _name_candidates(events, "occurred_at", taken)
            fits = [c for c in named if _misfit(events[c], "created_at") is None]
            column = (fits or named or [_guess_by_content(events, "created_at", taken)])[0]
        else:
            column = _by_name(events, role, taken)
        roles[role] = column
        if column:
            taken.add(column)
    return roles


def _event_lead_column(events, taken, lead_ids: pd.Series | None, notes) -> str | None:
    """The column named as the lead's id, unless under half its values are lead ids and
    another column's are: then that one, with a note."""
    named = _by_name(events, "lead_id", taken)
    if lead_ids is None:
        return named
    ids = lead_ids.astype("string")
    ids = ids.str.strip() if may_need_trim(ids) else ids
    sample = events.head(2000)

    def share(column: str) -> float:
        """The share of the column's first values that are lead ids: the leads are looked
        up in the few sampled values (a million ids are never hashed on a rerun)."""
        values = _filled(sample[column])
        if not len(values):
            return 0.0
        found = ids[ids.isin(values.unique())].unique()
        return float(values.isin(found).mean())

    if named is not None and share(named) >= 0.5:
        return named
    shares = {c: share(c) for c in events.columns if c not in taken and c != named}
    best = max(shares, key=shares.get, default=None)
    if best is None or shares[best] < 0.5:
        return named
    notes.append(
        f"column {best!r} holds the leads' ids ({shares[best]:.0%} of its values"
        + (f"; {named!r}, named like a lead id, holds other ids)" if named else ")")
        + ", and is taken as each event's lead"
    )
    return best


def outcome_words(outcome: pd.Series) -> tuple[list[str], list[str]]:
    """The values of an outcome column that the usual words say mean won, and lost."""
    values = _normalised(outcome).dropna().unique()
    return sorted(filter(is_won_word, values)), sorted(filter(is_lost_word, values))


def _guess_role(frame, role, taken, notes) -> tuple[str | None, str]:
    """The first column whose name hints at `role` and whose values fit it, else the first
    whose values alone say so (outcome, created date, id)."""
    for column in _name_candidates(frame, role, taken):
        problem = _misfit(frame[column], role)
        if problem is None:
            return column, "name"
        notes.append(
            f"{column!r} looked like the {ROLE_WORDS[role]} by its name, but "
            f"{problem}: kept as an attribute"
        )
    found = _guess_by_content(frame, role, taken)
    return found, "content"


def _guess_outcome(frame, taken, notes) -> tuple[str | None, str]:
    """The outcome as _guess_role finds it, unless that is a yes / no column ("Is Closed
    Won", "Converted") and another tells open leads from lost ones (HubSpot's "Deal
    Stage"): a no there is an open deal as much as a lost one."""
    column, how = _guess_role(frame, "outcome", taken, notes)
    if column is None or not _yes_no(frame[column]):
        return column, how
    for other in (c for c in frame.columns if c not in taken and c != column):
        if _tells_open(frame[other]):
            notes.append(
                f"{column!r} holds only yes / no, which cannot tell an open lead from a "
                f"lost one; {other!r} can, and is taken as the outcome"
            )
            return other, "content"
    return column, how


YES_NO = frozenset({*BOOLEAN_WORDS, "t", "f", "1", "0"})


def _yes_no(s: pd.Series) -> bool:
    distinct = set(_filled(s.head(5000)).str.lower().unique())
    return pd.api.types.is_bool_dtype(s) or distinct <= YES_NO


def _tells_open(s: pd.Series) -> bool:
    """Won and lost words that are not yes / no ('Closed Won', 'Closed Lost') beside
    values that are neither (a deal's open stages); a 'housing' of yes / no / unknown
    is no outcome."""
    distinct = set(_filled(s.head(5000)).str.lower().unique()) - YES_NO
    if len(distinct) > 40 or not any(map(is_won_word, distinct)):
        return False
    lost = any(map(is_lost_word, distinct))
    return lost and any(not (is_won_word(v) or is_lost_word(v)) for v in distinct)


ROLE_WORDS = {
    "lead_id": "lead id",
    "created_at": "created date",
    "outcome": "outcome",
    "value": "deal value",
    "stage": "stage",
    "source": "source",
    "closed_at": "closed date",
}


def _name_candidates(frame: pd.DataFrame, role: str, taken: set[str]) -> list[str]:
    """Columns whose whole name is a hint, then those holding a word hint."""
    free = [c for c in frame.columns if c not in taken]
    exact = [c for h in NAME_HINTS[role] for c in free if _key(c) == _key(h)]
    words = [c for c in free if c not in exact and any(_has_words(c, h) for h in WORD_HINTS[role])]
    return list(dict.fromkeys(exact + words))


def _by_name(frame: pd.DataFrame, role: str, taken: set[str]) -> str | None:
    found = _name_candidates(frame, role, taken)
    return found[0] if found else None


def _has_words(name: str, hint: str) -> bool:
    """`hint` stands in `name` as whole words: 'Lead Created Date' holds 'created date',
    'Opt in to updates' does not hold 'date'."""
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name)).lower()
    words = " " + re.sub(r"[^a-z0-9]+", " ", words).strip() + " "
    return f" {hint} " in words


def _filled(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return text[text.notna() & ~text.str.lower().isin(PLACEHOLDERS)]


def _misfit(s: pd.Series, role: str) -> str | None:
    """Why the values of `s` cannot play `role` (None when they can)."""
    sample = s.head(5000)
    values = _filled(sample)
    if values.empty:
        return "is empty" if role in ("lead_id", "created_at", "outcome") else None
    distinct = values.str.lower().unique()
    shown = _shown(distinct)
    if role == "lead_id":
        return _not_ids(values, len(sample))
    if role in ("created_at", "closed_at"):
        if pd.api.types.is_datetime64_any_dtype(s):
            return None
        shaped = values.str.contains(DATE_LIKE) | values.str.fullmatch(EXCEL_DAY)
        dated = shaped & to_dates(values).notna()
        return None if dated.mean() >= 0.9 else f"holds {shown}, not dates"
    if role == "value":
        numbers = to_numbers(values)
        if numbers.notna().mean() < 0.9:
            return f"holds {shown}, not amounts"
        return None if numbers.nunique() > 2 else f"holds only {shown}"
    if role == "outcome":
        return None if _outcome_like(set(distinct)) else f"holds {shown}, no won / lost words"
    if role in ("stage", "source"):
        few = len(distinct) <= FEW_LEVELS and len(distinct) <= max(0.5 * len(values), 2)
        return None if few else f"holds {len(distinct):,} different values"
    return None


def _not_ids(values: pd.Series, rows: int) -> str | None:
    """Why the filled `values` of `rows` rows name no lead each (None when they do): a
    report with a row per activity or per deal repeats its leads' ids."""
    again = values.duplicated(keep=False)
    if again.any():
        first = values[again].iloc[0]
        ids = values[again].nunique()
        return (
            f"its values repeat ({ids:,} {'id is' if ids == 1 else 'ids are'} on more than "
            f"one row, e.g. {first!r}: a report with a row per activity or per deal counts "
            "such a lead once per row)"
        )
    return (
        None if len(values) >= 0.9 * rows else f"{1 - len(values) / rows:.0%} of its rows are blank"
    )


def _outcome_like(distinct: set[str]) -> bool:
    """Won and lost words among a few values (the rest open: a deal-stage or lifecycle
    column), or only won / lost / open words."""
    won = {v for v in distinct if is_won_word(v)}
    lost = {v for v in distinct if is_lost_word(v)}
    if len(distinct) > 40 or not won:
        return False
    return bool(lost) or distinct <= won | lost | OPEN_WORDS


def _shown(distinct) -> str:
    values = [repr(str(v)) for v in list(distinct)[:3]]
    return "/".join(values) + (" …" if len(distinct) > 3 else "")


def _guess_by_content(frame: pd.DataFrame, role: str, taken: set[str]) -> str | None:
    """When no name gives it away: outcome is a column of won / lost words, the created
    date the first column of dates, the id the first column of distinct values."""
    if role not in ("outcome", "created_at", "lead_id"):
        return None
    sample = frame.head(2000)
    hinted: set[str] = set()  # an id is never a column whose name says another role
    if role == "lead_id":
        hinted = {c for r in ROLES if r != role for c in _name_candidates(frame, r, taken)}
    found = None
    for c in (c for c in frame.columns if c not in taken and c not in hinted):
        values = _filled(sample[c])
        if values.empty:
            continue
        if role == "outcome" and not _misfit(sample[c], "outcome"):
            found = c  # the last such column: an exported target usually ends the row
            continue
        dated = role == "created_at" and values.str.contains(DATE_LIKE).all()
        if dated and _parse(values, "dates").notna().mean() >= 0.9:
            return c
        if role == "lead_id" and _id_values(values, sample[c]) and len(values) == len(sample):
            return c
    return found


def _id_values(values: pd.Series, raw: pd.Series) -> bool:
    """Values that name leads: distinct (case aside), not dates or won / lost words, and
    numbers only as long codes or a running number (3 rows of visits 1, 2, 3 are no ids)."""
    lower = values.str.lower()
    if len(values) < 2 or not lower.is_unique or pd.api.types.is_float_dtype(raw):
        return False
    if values.str.contains(DATE_LIKE).mean() > 0.5 or _outcome_like(set(lower)):
        return False
    numbers = to_numbers(values)
    if numbers.notna().all():
        return bool(values.str.len().min() >= 5 or (len(values) >= 20 and running_number(numbers)))
    return True


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _normalised(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower()


# ---------------------------------------------------------------------------- reading cells


class Cells:
    """One export's columns read once and shared by the report and the build: trimmed,
    with blanks and placeholders missing, parsed as dates or numbers (each of these is a
    pass over every row, about 50 ms a column at a million rows)."""

    def __init__(self, frame: pd.DataFrame, missing: set[str]) -> None:
        self.frame, self.missing = frame, frozenset(missing)
        self._memo: dict[tuple, pd.Series] = {}
        self.lead_rows: np.ndarray | None = None  # events: each one's lead row (-1: none)

    @classmethod
    def of(cls, frame: pd.DataFrame, missing: set[str], given: Cells | None) -> Cells:
        """`given` when it reads this very frame with the same missing words; for other
        words, its trimmed text kept; else anew."""
        if given is None or given.frame is not frame:
            return cls(frame, missing)
        if given.missing == frozenset(missing):
            return given
        fresh = cls(frame, missing)  # other missing words: the trimmed text still holds
        fresh._memo = {k: v for k, v in given._memo.items() if k[0] in ("trimmed", "lowered")}
        return fresh

    def _kept(self, key: tuple, work) -> pd.Series:
        if key not in self._memo:
            self._memo[key] = work()
        return self._memo[key]

    def trimmed(self, column: str) -> pd.Series:
        """The column as trimmed text."""
        return self._kept(("trimmed", column), lambda: _trimmed(self.frame[column]))

    def lowered(self, column: str) -> pd.Series:
        """Trimmed lower-case text, blanks as "": how outcome words are compared."""
        return self._kept(("lowered", column), lambda: self.trimmed(column).str.lower().fillna(""))

    def cleaned(self, column: str) -> pd.Series:
        """Trimmed text with blanks and placeholders missing (other types as they are)."""
        return self.as_text(column) if _is_text(self.frame[column]) else self.frame[column]

    def parsed(self, column: str, what: str) -> pd.Series:
        """The cleaned column as "dates" or "numbers" (NaT / NaN where it is not one)."""
        return self._kept((what, column), lambda: _parse(self.cleaned(column), what))

    def as_text(self, column: str) -> pd.Series:
        """Any column as cleaned text, numbers and dates written out as the report shows."""
        return self._kept(
            ("text", column), lambda: _without_missing(self.trimmed(column), self.missing)
        )


def _without_missing(text: pd.Series, words: frozenset[str]) -> pd.Series:
    """Trimmed text with blanks and `words` (lower case) missing; a column with neither is
    returned as it is, not copied."""
    found = _words_in(text, words)
    return text.mask(text.isna() | found) if found.any() else text


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s)


def _trimmed(s: pd.Series) -> pd.Series:
    """The column as text without surrounding white space; a column with none to take
    away is returned as it is. At a million rows every copy of a column costs: new memory
    is slow to come by on some servers (on the VM we measure on, memory it has not used
    before costs 2-5 s a gigabyte)."""
    if isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(s):
        return _trimmed_levels(s)
    text = s.astype("string")
    return text.str.strip() if may_need_trim(text) else text


def _trimmed_levels(s: pd.Series) -> pd.Series:
    """A categorical text column trimmed through its levels, not its rows (levels that
    trim alike merge): what `_trimmed` gives, as a category."""
    levels = s.cat.categories.astype("string")
    if not may_need_trim(pd.Series(levels)):
        return s
    trimmed = levels.str.strip()
    kept = pd.Index(trimmed.unique())
    remap = np.append(kept.get_indexer(trimmed), -1)  # the last slot keeps -1 missing
    codes = remap[s.cat.codes.to_numpy()]
    return pd.Series(pd.Categorical.from_codes(codes, kept), index=s.index, name=s.name)


def _words_in(text: pd.Series, words: frozenset[str]) -> np.ndarray:
    """Where a value, lower-cased, is one of the (lower-case) `words`: Arrow lowers each
    value's ASCII letters and looks it up (three times as fast as a case-blind pattern).
    Python's lower() turns only one other letter into ASCII, the Kelvin sign into k: words
    with a k, or not plain ASCII, are looked up as pandas lowers."""
    if any(not w.isascii() or "k" in w for w in words):
        return text.str.lower().isin(sorted(words)).fillna(False).to_numpy(dtype=bool)
    values = arrow_text(text)
    where = np.flatnonzero(could_be(values, words))  # only these are lowered and looked up
    found = np.zeros(len(values), bool)
    if len(where):
        lowered = pc.ascii_lower(values.take(pa.array(where)))
        hits = pc.is_in(lowered, value_set=pa.array(sorted(words), pa.string()))
        found[where] = hits.to_numpy(zero_copy_only=False)
    return found


# ---------------------------------------------------------------------------- validation


def validate(
    leads: pd.DataFrame,
    mapping: Mapping,
    events: pd.DataFrame | None = None,
    *,
    leads_name: str = "leads",
    events_name: str = "events",
    required: tuple[str, ...] = REQUIRED,
    full: bool = True,
    cells: Cells | None = None,
    event_cells: Cells | None = None,
) -> Report:
    """Everything wrong with the mapped data, errors (blocking) first in each column.

    The one validator: the import runs it with `full` (every warning about attributes as
    well); loading a dataset runs the same rules without the attribute warnings. `cells`
    (and `event_cells`) keep what it read, for the build to take up."""
    report = Report()
    missing = missing_words(mapping)
    cells = Cells.of(leads, missing, cells)
    roles = {r: c for r, c in mapping.roles.items() if c}
    if leads.empty and full:
        report.add("error", leads_name, "the file has a header but no rows of leads")
        return report
    for note in mapping.notes:  # first: they say why a role may be missing
        report.add("warning", leads_name, note)
    if events is not None:
        for note in mapping.event_notes:
            report.add("warning", events_name, note)
    for role in required:
        if role not in roles:
            hint = _outcome_hint(leads, set(roles.values())) if role == "outcome" else ""
            report.add("error", leads_name, f"no column is mapped as {role!r}{hint}")
    for role, column in roles.items():
        if column not in leads.columns:
            report.add("error", leads_name, f"column {column!r} ({role}) is not in the file")
    used = list(roles.values())
    if len(set(used)) != len(used):
        twice = sorted({c for c in used if used.count(c) > 1})
        report.add("error", leads_name, f"one column is mapped to two roles: {twice}")
    if not report.ok:
        return report
    distinct = False  # every row has its own lead id: no row can copy another
    if "lead_id" in roles:
        distinct = _check_ids(report, cells, roles["lead_id"], leads_name)
    else:
        report.add(
            "warning",
            leads_name,
            "no lead id column: each lead is named by its row "
            "(row-2, row-3, …), so events cannot be matched to leads",
        )
    if full and not distinct:
        copies = leads.duplicated()
        if copies.any():
            report.add(
                "warning",
                leads_name,
                f"{int(copies.sum())} rows are exact copies of "
                f"an earlier row (rows {row_numbers(copies)}); they are kept as separate "
                "leads",
            )
    if "outcome" in roles:
        _check_outcome(
            report,
            cells,
            roles["outcome"],
            mapping,
            missing,
            f"{leads_name}, column {roles['outcome']!r}",
        )
    for role, what in (("created_at", "dates"), ("closed_at", "dates"), ("value", "numbers")):
        if role in roles:
            level = "error" if mapping.blocks(role) and role != "closed_at" else "warning"
            _check_parsed(
                report,
                cells,
                roles[role],
                what,
                level,
                f"{leads_name}, column {roles[role]!r}",
                mapping.how.get(role),
            )
    if "value" in roles:
        _check_currencies(report, cells, roles["value"], f"{leads_name}, column {roles['value']!r}")
    _check_dates(report, cells, mapping, leads_name)
    if full:
        _check_attributes(report, cells, set(used) | set(mapping.drop), leads_name)
    if events is not None:
        ids = lead_ids(leads, mapping, cells)
        event_cells = Cells.of(events, missing, event_cells)
        _check_events(report, event_cells, mapping, ids, events_name)
    return report


def _outcome_hint(leads: pd.DataFrame, taken: set[str]) -> str:
    """Where the outcome may be when no column holds the usual won / lost words: the
    columns of a few text values (a German export's 'Lebenszyklusphase': 'Kunde', …)."""
    few = []
    for column in (c for c in leads.columns if c not in taken):
        values = _filled(leads[column].head(5000))
        distinct = values.unique()
        if 2 <= len(distinct) <= 12 and to_numbers(values).isna().mean() > 0.5:
            few.append(f"{column!r} ({_shown(distinct)})")
    if not few:
        return ": no column holds won and lost words; map the one that says how a lead ended"
    return (
        ": no column holds the usual won and lost words. Map the one that says how a lead "
        f"ended, and which of its values mean won; columns of a few values: {', '.join(few[:4])}"
    )


def missing_words(mapping: Mapping) -> set[str]:
    """What counts as missing under `mapping`: its placeholders, lower-cased, and blanks."""
    return {m.strip().lower() for m in mapping.missing} | {""}


def blank_created(leads: pd.DataFrame, mapping: Mapping, cells: Cells | None = None) -> int:
    """How many leads have no created date under `mapping` (0 without the role)."""
    column = mapping.roles.get("created_at")
    if not column or column not in leads.columns:
        return 0
    cells = Cells.of(leads, missing_words(mapping), cells)
    return int(cells.parsed(column, "dates").isna().sum())


def _check_dates(report, cells: Cells, mapping: Mapping, name) -> None:
    """Blank created dates (with what happens to them), none at all, dates in the future,
    closed before created."""
    column = mapping.roles.get("created_at")
    if not column:
        report.add(
            "warning",
            name,
            "no created date: every lead is scored as it is now, "
            "with every event counted; as-of policies need dates",
        )
        return
    leads = cells.frame
    created = cells.parsed(column, "dates")
    where = f"{name}, column {column!r}"
    if ambiguous_day_month(leads[column]):
        report.add(
            "warning",
            where,
            "dates such as 03/04/2025 could be day or month first "
            "and no value proves which: they are read month first (3 April would be "
            "read as 4 March); if they are day first, export them as YYYY-MM-DD",
        )
    blank = created.isna()
    if blank.all():
        report.add(
            "error" if mapping.blocks("created_at") else "warning",
            where,
            "no row has a created date",
        )
    elif blank.any():
        report.add(
            "warning",
            where,
            f"{_count(blank, 'lead has', 'leads have')} no created "
            f"date (rows {row_numbers(blank)}); the import will "
            f"{CREATED_POLICIES[mapping.created_policy]}",
        )
    future = created > pd.Timestamp.now() + pd.Timedelta(days=1)
    if future.any():
        report.add(
            "warning",
            where,
            f"{_count(future, 'created date is', 'created dates are')}"
            f" in the future (rows {row_numbers(future)})",
        )
    closed_col = mapping.roles.get("closed_at")
    if closed_col and closed_col in leads.columns:
        closed = cells.parsed(closed_col, "dates")
        early = closed < created
        if early.any():
            report.add(
                "warning",
                f"{name}, column {closed_col!r}",
                f"{_count(early, 'lead is', 'leads are')}"
                f" closed before it was created (rows {row_numbers(early)})",
            )


def _check_ids(report: Report, cells: Cells, column: str, name: str) -> bool:
    """Blank and repeated lead ids (errors); True when every row has an id of its own."""
    ids = cells.trimmed(column)
    blank = ids.isna() | (ids == "")
    if not blank.any() and _all_distinct(arrow_text(ids)):
        return True
    if blank.any():
        report.add(
            "error",
            f"{name}, column {column!r}",
            f"{_count(blank, 'row has', 'rows have')} no lead id, at rows {row_numbers(blank)}",
        )
    dupes = ids.duplicated(keep=False) & ~blank
    if dupes.any():
        examples = ", ".join(repr(v) for v in ids[dupes].drop_duplicates().head(3))
        report.add(
            "error",
            f"{name}, column {column!r}",
            f"{int(ids[~blank].duplicated().sum())}"
            f" duplicate lead ids, e.g. {examples} at rows {row_numbers(dupes)}",
        )
    return False


def _all_distinct(ids: pa.Array | pa.ChunkedArray) -> bool:
    """Whether no id repeats: proved by order when the export is sorted by id (most are;
    a million ids in 3 ms), else by Arrow's distinct values (0.1-0.5 s, a hash of each)."""
    if len(ids) < 2:
        return True
    after, before = ids[1:], ids[:-1]
    for step in (pc.greater, pc.less):
        if pc.all(step(after, before)).as_py():
            return True
    return len(pc.unique(ids)) == len(ids)


def _check_outcome(report, cells: Cells, column: str, mapping: Mapping, missing, where) -> None:
    s, text = cells.frame[column], cells.lowered(column)
    won, lost = {w.lower() for w in mapping.won}, {w.lower() for w in mapping.lost}
    if not won:
        report.add("error", where, "say which outcome values mean won")
    overlap = won & lost
    if overlap:
        report.add("error", where, f"values mean both won and lost: {sorted(overlap)}")
    known = won | lost | missing | OPEN_WORDS
    unknown = ~text.isin(known)
    if unknown.any():
        values = ", ".join(repr(v) for v in s[unknown].astype(str).drop_duplicates().head(6))
        report.add(
            "warning",
            where,
            f"{int(unknown.sum())} rows have outcome values that are "
            f"neither won nor lost: {values} (rows {row_numbers(unknown)}); they count as "
            "open unless you map them",
        )


def _check_parsed(report, cells: Cells, column: str, what, level, where, how=None) -> None:
    s = cells.frame[column]
    if pd.api.types.is_datetime64_any_dtype(s) or (
        what == "numbers" and pd.api.types.is_numeric_dtype(s)
    ):
        if what == "numbers" and not np.isfinite(s.dropna().astype(float)).all():
            report.add("warning", where, "infinite values are treated as missing")
        return
    text = cells.as_text(column)  # as written: '5', not 5, for a column of numbers
    bad = cells.parsed(column, what).isna() & text.notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].drop_duplicates().head(3))
        outcome = "this blocks the import" if level == "error" else "they are treated as missing"
        if how in ("name", "content"):
            outcome += f" (the role was {HOW[how]}: map another column, or none)"
        report.add(
            level,
            where,
            f"{_count(bad, f'value is not a {what[:-1]}', f'values are not {what}')}, e.g. {examples} at "
            f"rows {row_numbers(bad)}; {outcome}",
        )


def _check_currencies(report, cells: Cells, column: str, where: str) -> None:
    """Amounts in several currencies ('USD 5,900.00' beside 'EUR 3,000.00') would be
    added up as one."""
    s = cells.frame[column]
    if pd.api.types.is_numeric_dtype(s):
        return
    codes = currencies_in(cells.cleaned(column))
    if len(codes) > 1:
        report.add(
            "warning",
            where,
            f"amounts in {len(codes)} currencies ({', '.join(codes)}): revenue figures add "
            "them up as one; convert them to one currency first, or import each apart",
        )


def _parse(s: pd.Series, what: str) -> pd.Series:
    """Text read as "dates" or "numbers"."""
    return to_dates(s) if what == "dates" else to_numbers(s)


def _check_attributes(report, cells: Cells, used, name) -> None:
    leads = cells.frame
    left_out = excluded_columns(leads, used)
    for column, reason in left_out.items():
        report.add(
            "warning",
            f"{name}, column {column!r}",
            f"{reason}: not turned into criteria (a column you map or keep is still used)",
        )
    empty: dict[str, str] = {}
    constant: dict[str, str] = {}
    for column in leads.columns:
        if column in used or column in left_out:
            continue
        kept = cells.as_text(column)
        gone = kept.isna()
        where = f"{name}, column {column!r}"
        if gone.any():
            text = cells.trimmed(column)[gone]
            placeholder = text[text.notna() & (text != "")]
            if len(placeholder):
                values = ", ".join(repr(v) for v in placeholder.drop_duplicates().head(3))
                report.add(
                    "warning",
                    where,
                    f"{len(placeholder)} placeholder values ({values}) are treated as missing",
                )
        if len(leads) and gone.mean() >= MOSTLY_MISSING:
            empty[column] = f"{gone.mean():.0%} missing: little to score on"
        elif len(leads) and (same := _only_value(kept)) is not None:
            constant[column] = f"the same value ({same!r}) in every row: it cannot tell leads apart"
    _say_per_column(report, name, empty, "are 95% missing or more, little to score on")
    _say_per_column(
        report, name, constant, "hold one value in every row, which cannot tell leads apart"
    )


def _say_per_column(report: Report, name: str, said: dict[str, str], together: str) -> None:
    """A warning per column, or one for them all when there are more than three (an
    'all properties' export has hundreds of empty columns)."""
    if len(said) <= 3:
        for column, text in said.items():
            report.add("warning", f"{name}, column {column!r}", text)
        return
    shown = ", ".join(map(repr, list(said)[:5]))
    more = f" and {len(said) - 5} more" if len(said) > 5 else ""
    report.add("warning", name, f"{len(said)} columns {together}: {shown}{more}")


def _only_value(text: pd.Series) -> str | None:
    """The one value every non-missing row holds, or None when they differ (one pass of
    Arrow's equality, a tenth of a min and a max over a million strings)."""
    first = text.first_valid_index()
    if first is None:
        return None
    value = text.loc[first]
    return value if pc.all(pc.equal(arrow_text(text), value)).as_py() else None


def checked_events(events: pd.DataFrame, source: str = "events") -> pd.DataFrame:
    """Events named lead_id / occurred_at / event_type through the import's validator."""
    mapping = Mapping(events={r: r for r in EVENT_ROLES})
    report = Report()
    ids = events["lead_id"] if "lead_id" in events.columns else pd.Series(dtype="string")
    cells = Cells(events, {m.lower() for m in mapping.missing})
    _check_events(report, cells, mapping, ids, source)
    if not report.ok:
        raise DataError("; ".join(f"{i.where}: {i.message}" for i in report.errors))
    return apply_events(events, mapping, ids, keep_orphans=True, cells=cells)


def _check_events(report, cells: Cells, mapping, lead_ids, name) -> None:
    events = cells.frame
    roles = {r: c for r, c in mapping.events.items() if c}
    for role in EVENT_ROLES:
        if role not in roles or roles[role] not in events.columns:
            report.add("error", name, f"no column is mapped as {role!r}")
    if not all(roles.get(r) in events.columns for r in EVENT_ROLES):
        return
    _check_parsed(
        report,
        cells,
        roles["occurred_at"],
        "dates",
        "error",
        f"{name}, column {roles['occurred_at']!r}",
    )
    _check_dated(report, cells, roles["occurred_at"], name)
    ids = cells.trimmed(roles["lead_id"])
    no_id = ids.isna() | (ids == "")
    if no_id.any():
        report.add(
            "error",
            f"{name}, column {roles['lead_id']!r}",
            f"{_count(no_id, 'event has', 'events have')} no lead id, at rows {row_numbers(no_id)}",
        )
    kind = cells.trimmed(roles["event_type"])
    blank = kind.isna() | (kind == "")
    if blank.any():
        report.add(
            "error",
            f"{name}, column {roles['event_type']!r}",
            f"{_count(blank, 'event has', 'events have')} no type, at rows {row_numbers(blank)}",
        )
    known = lead_ids.astype("string").str.strip()
    where = index_in(ids.fillna(""), known.dropna())
    if known.notna().all():  # each event's lead row, for preparing the dataset
        cells.lead_rows = where
    orphan = pd.Series(where < 0, index=ids.index) & ~no_id
    if orphan.any() and orphan.sum() == (~no_id).sum():
        examples = ", ".join(repr(v) for v in ids[orphan].drop_duplicates().head(3))
        report.add(
            "error",
            f"{name}, column {roles['lead_id']!r}",
            f"no event is for a lead of the leads file (its values look like {examples}): "
            "map the events' column that holds the leads' ids",
        )
    elif orphan.any():
        examples = ", ".join(repr(v) for v in ids[orphan].drop_duplicates().head(3))
        report.add(
            "warning",
            f"{name}, column {roles['lead_id']!r}",
            f"{_count(orphan, 'event is', 'events are')}"
            f" for leads not in the leads file (e.g. {examples}); they are "
            "left out",
        )


def _check_dated(report: Report, cells: Cells, column: str, name: str) -> None:
    """Events without a date are an error, as events without a lead or a type are: a
    replay cannot tell whether one happened before a decision, and counting it always
    would leak."""
    undated = cells.parsed(column, "dates").isna()
    if not pd.api.types.is_datetime64_any_dtype(cells.frame[column]):
        undated &= cells.as_text(column).isna()  # the others are named as not dates
    if undated.any():
        report.add(
            "error",
            f"{name}, column {column!r}",
            f"{_count(undated, 'event has', 'events have')} no date, at rows "
            f"{row_numbers(undated)}",
        )


def _count(mask: pd.Series, one: str, many: str) -> str:
    """'1 value is' / '3 values are': the count of a mask with the words it needs."""
    n = int(mask.sum())
    return f"{n:,} {one if n == 1 else many}"


# ---------------------------------------------------------------------------- applying


def apply_mapping(
    leads: pd.DataFrame, mapping: Mapping, events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The leads in the app's vocabulary: mapped roles renamed and parsed, outcome as
    won / lost / open, placeholders missing, dropped columns gone, the other columns typed
    as attributes. `events` (already applied) give blank created dates their fallback."""
    return build(leads, mapping, events).leads


@dataclass
class Built:
    """A mapped dataset and what the import did to get it, for the report and dataset.json."""

    leads: pd.DataFrame
    events: pd.DataFrame | None
    has_dates: bool
    created_filled: int = 0
    created_left_out: int = 0
    warnings: list[str] = field(default_factory=list)
    event_lead_rows: np.ndarray | None = None  # each event's row in `leads`, when known

    def meta(self) -> dict:
        """What dataset.json keeps of the import."""
        return {
            "has_dates": self.has_dates,
            "created_filled": self.created_filled,
            "created_left_out": self.created_left_out,
        }

    def facts(self) -> list[str]:
        """What the report and every page say about the dates."""
        out = []
        if not self.has_dates:
            out.append(
                "no created dates: every lead is scored as it is now, with every "
                "event counted; as-of policies need dates"
            )
        if self.created_filled:
            out.append(
                f"{self.created_filled:,} leads without a created date took their "
                "first event's date or the closed date minus the median cycle"
            )
        if self.created_left_out:
            out.append(f"{self.created_left_out:,} leads without a created date are left out")
        return out


def build(
    leads: pd.DataFrame,
    mapping: Mapping,
    events: pd.DataFrame | None = None,
    *,
    raw_events: bool | str = False,
    cells: Cells | None = None,
    event_cells: Cells | None = None,
) -> Built:
    """Apply the mapping to leads (and events: raw ones are mapped first when `raw_events`),
    taking up what the report read when it hands over its `cells`."""
    roles = {r: c for r, c in mapping.roles.items() if c}
    cells = Cells.of(leads, missing_words(mapping), cells)
    ids = lead_ids(leads, mapping, cells)
    if raw_events and events is not None:
        keep = raw_events == "keep"
        events = apply_events(events, mapping, ids, keep_orphans=keep, cells=event_cells)
    out = pd.DataFrame(index=leads.index)
    out["lead_id"] = ids
    if "outcome" in roles:
        text = cells.lowered(roles["outcome"])
        won, lost = {w.lower() for w in mapping.won}, {w.lower() for w in mapping.lost}
        out["outcome"] = _outcomes(text.isin(won).to_numpy(), text.isin(lost).to_numpy(), out.index)
    for role in ("closed_at", "created_at"):
        if role in roles:
            out[role] = cells.parsed(roles[role], "dates")
    if "value" in roles:
        value = cells.parsed(roles["value"], "numbers")
        out["value"] = value.where(np.isfinite(value))
    for role in ("stage", "source"):
        if role in roles:
            out[role] = cells.cleaned(roles[role])
    gone = set(roles.values()) | set(mapping.drop)
    for column in leads.columns:
        if column not in gone and column not in out.columns:
            out[column] = typed(cells.cleaned(column))
    built = _created(out, events, mapping, has_dates="created_at" in roles)
    first = ["lead_id", "created_at"]
    rest = [c for c in built.leads.columns if c not in first]
    built.leads = built.leads[first + rest].reset_index(drop=True)
    return built


def _outcomes(won: np.ndarray, lost: np.ndarray, index: pd.Index) -> pd.Series:
    """'won', 'lost' or 'open' for each row, written by Arrow from codes: a million rows in
    30 ms, where numpy's text arrays took 0.3 s."""
    codes = np.where(won, 2, np.where(lost, 1, 0)).astype(np.int8)
    words = pc.take(pa.array(["open", "lost", "won"]), pa.array(codes))
    return pd.Series(pd.array(words, dtype="str"), index=index)


def checked(
    leads: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    leads_name: str = "leads",
    events_name: str = "events",
    has_dates: bool = True,
) -> Built:
    """Leads (and events) whose columns already speak the app's vocabulary (a dataset the
    import wrote, or a file named so), through the import's own validator and mapping:
    whatever the import accepts loads. Errors raise one DataError naming file, column and
    rows; no column is renamed, so criteria keep their attributes."""
    roles = {r: r for r in ROLES if r in leads.columns}
    if not has_dates:
        roles.pop("created_at", None)
    mapping = Mapping(roles=roles, how=dict.fromkeys(roles, "mapped"))
    if "outcome" in roles:  # the vocabulary's own words always count: a dataset whose won
        # leads were all left out at import (no created date) still loads
        won, lost = outcome_words(leads["outcome"])
        mapping.won, mapping.lost = sorted({*won, "won"}), sorted({*lost, "lost"})
    if events is not None:
        mapping.events = {r: r for r in EVENT_ROLES}
    cells = Cells(leads, missing_words(mapping))
    event_cells = None if events is None else Cells(events, cells.missing)
    report = validate(
        leads,
        mapping,
        events,
        leads_name=leads_name,
        events_name=events_name,
        required=(),
        full=False,
        cells=cells,
        event_cells=event_cells,
    )
    if not report.ok:
        raise DataError("; ".join(f"{i.where}: {i.message}" for i in report.errors))
    built = _checked_build(leads, mapping, events, has_dates, cells, event_cells)
    built.warnings = [
        f"{i.where}: {i.message}"
        for i in report.issues
        if not i.message.startswith("no created date")
    ]  # said by facts()
    if event_cells is not None and not built.created_left_out:  # the rows are the same
        built.event_lead_rows = event_cells.lead_rows
    return built


def _checked_build(leads, mapping, events, has_dates: bool, cells, event_cells) -> Built:
    if not has_dates:
        dateless = leads.drop(columns="created_at", errors="ignore")
        built = build(dateless, mapping, events, raw_events="keep", event_cells=event_cells)
        built.leads["created_at"] = _keep_moment(leads, built.leads)
        return built
    return build(leads, mapping, events, raw_events="keep", cells=cells, event_cells=event_cells)


def _keep_moment(leads: pd.DataFrame, out: pd.DataFrame) -> pd.Series:
    """A dateless dataset keeps the export moment the import gave it."""
    if "created_at" in leads.columns:
        return pd.Series(to_dates(leads["created_at"]).to_numpy(), index=out.index)
    return out["created_at"]


def _created(out: pd.DataFrame, events, mapping: Mapping, *, has_dates: bool) -> Built:
    """Fill or leave out blank created dates; without any, every lead is created at the
    moment of the export (just after the last event), so as-of 'created + 0 days' counts
    every event."""
    if not has_dates:
        last = events["occurred_at"].max() if events is not None and len(events) else pd.NaT
        moment = (
            (last + pd.Timedelta(seconds=1)) if pd.notna(last) else pd.Timestamp.now().normalize()
        )
        out["created_at"] = pd.Series(moment, index=out.index).astype("datetime64[ns]")
        return Built(out, events, has_dates=False)
    created = out["created_at"].astype("datetime64[ns]")
    blank = created.isna()
    if blank.any() and mapping.created_policy == "fallback":
        created = created.fillna(_fallback_created(out, events, blank))
    left = created.isna()
    out["created_at"] = created
    filled = int(blank.sum() - left.sum())
    if left.any():
        out = out[~left]
        if events is not None:
            events = events[events["lead_id"].isin(set(out["lead_id"]))].reset_index(drop=True)
    return Built(out, events, True, created_filled=filled, created_left_out=int(left.sum()))


def _fallback_created(out: pd.DataFrame, events, blank: pd.Series) -> pd.Series:
    """For leads without a created date: their first event, else the closed date minus the
    median time from created to closed (NaT when neither is known)."""
    fill = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if events is not None and len(events):
        first = events.groupby("lead_id", sort=False)["occurred_at"].min()
        fill = out["lead_id"].map(first).astype("datetime64[ns]")
    if "closed_at" in out.columns:
        closed = out["closed_at"].astype("datetime64[ns]")
        cycle = (closed - out["created_at"])[~blank].median()
        if pd.notna(cycle):
            fill = fill.fillna(closed - cycle)
    return fill


def apply_events(
    events: pd.DataFrame,
    mapping: Mapping,
    lead_ids: pd.Series,
    *,
    keep_orphans: bool = False,
    cells: Cells | None = None,
) -> pd.DataFrame:
    """Events renamed to lead_id, occurred_at, event_type (+ the rest), orphans left out
    (or kept, for loading to count them); `cells` are what the report read of them."""
    roles = mapping.events
    cells = Cells.of(events, cells.missing if cells else missing_words(mapping), cells)
    out = pd.DataFrame(
        {
            "lead_id": cells.trimmed(roles["lead_id"]),
            "occurred_at": cells.parsed(roles["occurred_at"], "dates").astype("datetime64[ns]"),
            "event_type": cells.trimmed(roles["event_type"]),
        }
    )
    for column in events.columns:
        if column not in roles.values() and column not in out.columns:
            out[column] = cells.trimmed(column)
    if keep_orphans:
        return out.reset_index(drop=True)
    return out[out["lead_id"].isin(set(lead_ids))].reset_index(drop=True)


def lead_ids(leads: pd.DataFrame, mapping: Mapping, cells: Cells | None = None) -> pd.Series:
    """The mapped id column as trimmed text, or row names ('row-2', …) without one."""
    column = mapping.roles.get("lead_id")
    if column:
        return cells.trimmed(column) if cells else _trimmed(leads[column])
    return pd.Series([f"row-{i + 2}" for i in range(len(leads))], index=leads.index, dtype="string")


def typed(s: pd.Series) -> pd.Series:
    """An attribute as numbers, true/false, dates or text, whichever all its values are
    (decided on the distinct values, so a million rows of a few levels cost a few checks).
    Digits written with leading zeros (an Account ID 001000005, a ZIP code 02134) are
    codes, not quantities: they stay text, as written."""
    if s.dtype != object and not pd.api.types.is_string_dtype(s):
        return s
    if _plainly_text(s.head(1000).dropna().head(200).astype("string")):  # any sample proves
        return s.astype("string")
    plain = plain_numbers(s)  # one Arrow pass: a column of plain numbers needs no distinct
    if plain is not None and (read := _quantities_or_codes(s, plain)) is not None:
        return read
    distinct = pd.Series(s.unique()).dropna().reset_index(drop=True).astype("string")
    if distinct.empty:
        return s.astype("string")
    digits = distinct.str.strip()
    if digits.str.fullmatch(r"\d+").all() and digits.str.match(r"0\d").any():
        return s.astype("string").str.strip()
    lower = distinct.str.lower()
    if lower.isin(list(BOOLEAN_WORDS)).all():
        words = s.astype("string").str.lower()
        true = words.isin([w for w, v in BOOLEAN_WORDS.items() if v]).astype("boolean")
        return true.mask(words.isna())
    finite = to_numbers(distinct)  # thousands and decimal commas read as for the value
    if finite.notna().all():
        x = to_numbers(s)
        whole = bool(np.all(np.mod(finite.to_numpy(), 1) == 0)) and finite.abs().max() < 2**53
        return x.astype("Int64") if whole else x
    if (finite.notna().to_numpy() | _infinite(distinct)).all():  # 'inf' among numbers: missing
        return to_numbers(s)
    if _all_dates(distinct):
        return to_dates(s)  # a date attribute: "days since" rules count back from the decision
    return s.astype("string")


def _quantities_or_codes(s: pd.Series, x: pd.Series) -> pd.Series | None:
    """A column of plain numbers `x` read from `s`: text as written when every value is
    digits and some start with a zero (codes), else whole numbers or floats, as `typed`
    decides on the distinct values; None when some value did not become a number (a blank,
    an 'inf'), which the distinct values decide."""
    if x.isna().sum() != s.isna().sum() or x.isna().all():
        return None
    text = pc.utf8_trim_whitespace(arrow_text(s))
    if (
        pc.any(pc.match_substring_regex(text, r"^0[0-9]")).as_py()
        and pc.all(pc.match_substring_regex(text, r"^[0-9]+$"), skip_nulls=True).as_py()
    ):
        return s.astype("string").str.strip()
    values = x.to_numpy()  # NaN where missing: neither whole nor large, so no copy without
    whole = bool(np.all(np.isnan(values) | (np.mod(values, 1) == 0)))
    return x.astype("Int64") if whole and np.nanmax(np.abs(values)) < 2**53 else x


def _plainly_text(sample: pd.Series) -> bool:
    """Some value of the sample can be no true/false word, number or date, so the column
    is text whatever the rest holds: a million company names cost no look at their values.
    A number is anything that reads as one without its dots and commas, which takes in
    every number to_numbers reads, with either decimal mark."""
    words = sample.str.strip().str.lower().isin(list(BOOLEAN_WORDS)).fillna(False)
    bare = sample.str.replace(NOT_AMOUNT, "", regex=True).str.replace(r"[.,]", "", regex=True)
    numbers = pd.to_numeric(bare, errors="coerce").notna().to_numpy(bool) | _infinite(sample)
    dates = sample.str.match(DATE_LIKE).fillna(False).to_numpy(bool)
    return bool((~(words.to_numpy(bool) | numbers | dates)).any())


def _all_dates(distinct: pd.Series) -> bool:
    """Text whose every value is a date ('2026-03-01', '01/03/2026 14:05'), tried on a
    sample first so that other text columns cost one regex pass."""
    if not distinct.head(200).str.match(DATE_LIKE).all():
        return False
    return bool(distinct.str.match(DATE_LIKE).all() and to_dates(distinct).notna().all())


def _infinite(text: pd.Series) -> np.ndarray:
    """'inf', '-Infinity', '1e400': numbers no float holds."""
    words = text.str.strip().str.lower().str.lstrip("+-").isin(["inf", "infinity"])
    big = pd.to_numeric(text, errors="coerce").abs() == np.inf
    return words.fillna(False).to_numpy(bool) | big.fillna(False).to_numpy(bool)


def closing_line(leads: pd.DataFrame) -> str:
    """'1,200 leads (300 closed: 84 won, 28.0 % of closed)': the win rate people read is of
    closed leads, never of all leads with the open ones."""
    won = int((leads["outcome"] == "won").sum()) if "outcome" in leads.columns else 0
    lost = int((leads["outcome"] == "lost").sum()) if "outcome" in leads.columns else 0
    closed = won + lost
    rate = f"{won / closed:.1%} of closed" if closed else "none closed yet"
    return f"{len(leads):,} leads ({closed:,} closed: {won:,} won, {rate})"


def provenance_text(mapping: Mapping) -> str:
    """Per role, one line: the column and how it was chosen."""
    rows = mapping.provenance()
    lines = [
        f"role {r.role}: {repr(r.column) + ' (' + r.how + ')' if r.column else 'empty'}"
        for r in rows.itertuples()
    ]
    for role, column in mapping.events.items():
        lines.append(f"events' {EVENT_ROLE_WORDS[role]}: {repr(column) if column else 'empty'}")
    return "\n".join(lines)


EVENT_ROLE_WORDS = {"lead_id": "lead id", "occurred_at": "date", "event_type": "type"}


# ---------------------------------------------------------------------------- accounts


@dataclass
class Joined:
    """Leads with their account's columns, which columns came from the accounts file, and
    what the join found (leads whose account is missing)."""

    leads: pd.DataFrame
    columns: frozenset[str]
    messages: list[str]


def join_accounts(
    leads: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    on: str,
    key: str | None = None,
    name: str = "accounts",
) -> Joined:
    """Join each lead's account attributes (CRMs export opportunities and accounts, or
    contacts and companies, as two files). `key` is the accounts' own column for `on`:
    by default the column of the same name, else the first whose values cover the leads'."""
    if on not in leads.columns:
        raise DataError(
            f"leads: no column {on!r} to join accounts on (columns: "
            f"{', '.join(map(str, leads.columns[:20]))})"
        )
    wanted = leads[on].astype("string").str.strip()
    key = key or _account_key(accounts, on, wanted, name)
    if key not in accounts.columns:
        raise DataError(
            f"{name}: no column {key!r} (columns: {', '.join(map(str, accounts.columns[:20]))})"
        )
    ids = accounts[key].astype("string").str.strip()
    dupes = ids.duplicated(keep=False) & ids.notna()
    if dupes.any():
        raise DataError(
            f"{name}, column {key!r}: {int(ids.duplicated().sum())} accounts appear "
            f"twice, e.g. {ids[dupes].iloc[0]!r} at rows {row_numbers(dupes)}"
        )
    extra = accounts.drop(columns=[key]).set_axis(ids.to_numpy())
    renamed = {c: (c if c not in leads.columns else f"{c} (account)") for c in extra.columns}
    extra = extra.rename(columns=renamed)
    joined = leads.copy()
    for column in extra.columns:
        joined[column] = wanted.map(extra[column]).to_numpy()
    found = wanted.isin(set(ids.dropna()))
    messages = []
    if (~found).any():
        messages.append(
            f"{name}: {_count(~found, 'lead has', 'leads have')} no account in the "
            f"file (column {on!r}, rows {row_numbers(~found)}); their account "
            "columns are empty"
        )
    return Joined(joined, frozenset(extra.columns), messages)


def _account_key(accounts: pd.DataFrame, on: str, wanted: pd.Series, name: str) -> str:
    if on in accounts.columns:
        return on
    known = set(wanted.dropna())
    for column in accounts.columns:
        values = accounts[column].astype("string").str.strip()
        if values.is_unique and known and len(known & set(values.dropna())) >= 0.5 * len(known):
            return column
    raise DataError(f"{name}: no column matches the leads' {on!r}; name it: --on {on}=COLUMN")
