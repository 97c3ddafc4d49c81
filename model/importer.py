"""Bring your own CRM export: read any CSV / Excel / Parquet, map its columns to the lead
vocabulary, report every problem before anything is used, and keep the mapped dataset as
Parquet so it opens instantly next time.

Nothing here raises on bad data: reading returns a clear DataError, and validation returns
a report whose errors block and whose warnings let the user go on.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from platformdirs import user_data_path

from model.features import PLACEHOLDERS
from model.io import LOST, OPEN, WON, DataError, row_numbers, to_dates, to_numbers

ROLES = ("lead_id", "created_at", "outcome", "value", "stage", "source", "closed_at")
EVENT_ROLES = ("lead_id", "occurred_at", "event_type")
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
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"
MOSTLY_MISSING = 0.95
# day, month and year with separators: "2026-03-01", "01/03/2026" (not "may", not "5191")
DATE_LIKE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"


@dataclass
class Mapping:
    """Which column plays which role, which outcome values mean what, what counts as missing."""

    roles: dict[str, str | None] = field(default_factory=dict)
    won: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=lambda: sorted(PLACEHOLDERS - {""}))
    events: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"roles": self.roles, "won": self.won, "lost": self.lost,
                "missing": self.missing, "events": self.events}  # fmt: skip


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


def read_any(
    data: bytes | Path,
    name: str,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """A CSV (any common delimiter and encoding, detected), Excel or Parquet file as a frame
    of text columns (Parquet and Excel keep their own types). Raises DataError, never more."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    suffix = Path(name).suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(io.BytesIO(raw))
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(io.BytesIO(raw), dtype=object)
        else:
            frame = _read_csv(raw, name, progress)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: cannot read the file ({first})") from None
    frame.columns = _unique_names(frame.columns)
    if frame.empty and not len(frame.columns):
        raise DataError(f"{name}: the file has no columns")
    return frame


def _read_csv(raw: bytes, name: str, progress) -> pd.DataFrame:
    text, encoding = _decode(raw, name)
    delimiter = _delimiter(text[:65536])
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter), [])
    if not header:
        raise DataError(f"{name}: the file is empty")
    names = _unique_names(header)
    total, done, batches = max(len(raw), 1), 0, []
    try:
        reader = pacsv.open_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
        for batch in reader:
            batches.append(batch)
            done += batch.get_total_buffer_size()
            if progress:
                progress(min(done / total, 0.99), f"read {sum(b.num_rows for b in batches):,} rows")
    except pa.ArrowInvalid as exc:
        raise DataError(f"{name}: not a well-formed {_delimiter_name(delimiter)}-separated "
                        f"file ({str(exc).splitlines()[0]})") from None  # fmt: skip
    table = pa.Table.from_batches(batches, schema=reader.schema)
    if progress:
        progress(1.0, f"read {table.num_rows:,} rows ({encoding}, {_delimiter_name(delimiter)})")
    return table.to_pandas()


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if b"\x00" in raw[:4096]:
        raise DataError(f"{name}: this looks like a binary file, not a CSV")
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding).replace("\r\n", "\n").replace("\r", "\n"), encoding
        except UnicodeDecodeError:
            continue
    raise DataError(f"{name}: unknown text encoding")  # latin-1 decodes anything


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(DELIMITERS, key=first.count)


def _delimiter_name(d: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(d, repr(d))


def _unique_names(columns) -> list[str]:
    """Stripped, non-empty and unique column names ('col 3', 'name (2)')."""
    out: list[str] = []
    for i, c in enumerate(columns):
        base = str(c).strip().lstrip("\ufeff") or f"column {i + 1}"
        name, k = base, 2
        while name in out:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return out


# ---------------------------------------------------------------------------- guessing


def guess_mapping(leads: pd.DataFrame, events: pd.DataFrame | None = None) -> Mapping:
    """Roles guessed from column names (and, for dates and ids, contents); outcome values
    sorted into won / lost by the usual words."""
    roles: dict[str, str | None] = {}
    taken: set[str] = set()
    for role in ROLES:
        roles[role] = _guess_column(leads, role, taken) or _guess_by_content(leads, role, taken)
        if roles[role]:
            taken.add(roles[role])
    mapping = Mapping(roles=roles)
    if roles["outcome"]:
        mapping.won, mapping.lost = outcome_words(leads[roles["outcome"]])
    if events is not None:
        taken = set()
        for role in EVENT_ROLES:
            column = _guess_column(events, "lead_id" if role == "lead_id" else role, taken)
            mapping.events[role] = column
            if column:
                taken.add(column)
    return mapping


def outcome_words(outcome: pd.Series) -> tuple[list[str], list[str]]:
    """The values of an outcome column that the usual words say mean won, and lost."""
    values = _normalised(outcome).dropna().unique()
    return sorted(v for v in values if v in WON), sorted(v for v in values if v in LOST)


def _guess_column(frame: pd.DataFrame, role: str, taken: set[str]) -> str | None:
    hints = NAME_HINTS[role]
    free = [c for c in frame.columns if c not in taken]
    for hint in hints:
        for c in free:
            if _key(c) == _key(hint):
                return c
    for c in free:  # a hint inside the name: "Lead Created Date", "Opportunity Amount"
        if any(len(h) > 3 and _key(h) in _key(c) for h in hints):
            return c
    return None


def _guess_by_content(frame: pd.DataFrame, role: str, taken: set[str]) -> str | None:
    """When no name gives it away: outcome is a column of won / lost words, the created
    date the first column of dates, the id the first column of distinct values."""
    sample = frame.head(2000)
    for c in (c for c in frame.columns if c not in taken):
        values = _normalised(sample[c]).dropna()
        values = values[values != ""]
        if values.empty:
            continue
        if role == "outcome":
            distinct = set(values.unique())
            if len(distinct) <= 6 and distinct & WON and distinct <= WON | LOST | OPEN:
                return c
        elif role == "created_at" and values.str.contains(DATE_LIKE).all():
            if _parse(values, "dates").notna().mean() >= 0.9:
                return c
        elif role == "lead_id" and values.is_unique and len(values) == len(sample):
            return c
    return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _normalised(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower()


# ---------------------------------------------------------------------------- validation


def validate(
    leads: pd.DataFrame,
    mapping: Mapping,
    events: pd.DataFrame | None = None,
    *,
    leads_name: str = "leads",
    events_name: str = "events",
) -> Report:
    """Everything wrong with the mapped data, errors (blocking) first in each column."""
    report = Report()
    missing = {m.strip().lower() for m in mapping.missing} | {""}
    roles = {r: c for r, c in mapping.roles.items() if c}
    for role in REQUIRED:
        if role not in roles:
            report.add("error", leads_name, f"no column is mapped as {role!r}")
        elif roles[role] not in leads.columns:
            report.add("error", leads_name, f"column {roles[role]!r} ({role}) is not in the file")
    used = [c for c in roles.values()]
    if len(set(used)) != len(used):
        report.add("error", leads_name, "one column is mapped to two roles")
    if not report.ok:
        return report
    if "lead_id" in roles:
        _check_ids(report, leads, roles["lead_id"], leads_name)
    else:
        report.add("warning", leads_name, "no lead id column: each lead is named by its row "
                   "(row-2, row-3, …), so events cannot be matched to leads")  # fmt: skip
    copies = leads.duplicated()
    if copies.any():
        report.add("warning", leads_name, f"{int(copies.sum())} rows are exact copies of an "
                   f"earlier row (rows {row_numbers(copies)}); they are kept as separate leads")  # fmt: skip
    _check_outcome(report, leads[roles["outcome"]], mapping, missing,
                   f"{leads_name}, column {roles['outcome']!r}")  # fmt: skip
    for role, level in (("created_at", "error"), ("closed_at", "warning")):
        if role in roles:
            _check_parsed(report, leads[roles[role]], missing, "dates", level,
                          f"{leads_name}, column {roles[role]!r}")  # fmt: skip
    if "created_at" not in roles:
        report.add("warning", leads_name, "no created date: the leads are scored as they are "
                   "now; as-of policies that need dates are disabled")  # fmt: skip
    if "value" in roles:
        _check_parsed(report, leads[roles["value"]], missing, "numbers", "error",
                      f"{leads_name}, column {roles['value']!r}")  # fmt: skip
    _check_attributes(report, leads, set(used), missing, leads_name)
    if events is not None:
        _check_events(report, events, mapping, lead_ids(leads, mapping), missing, events_name)
    return report


def _check_ids(report: Report, leads: pd.DataFrame, column: str, name: str) -> None:
    ids = leads[column].astype("string").str.strip()
    blank = ids.isna() | (ids == "")
    if blank.any():
        report.add("error", f"{name}, column {column!r}", f"{_count(blank, 'row has', 'rows have')} no "
                   f"lead id, at rows {row_numbers(blank)}")  # fmt: skip
    dupes = ids.duplicated(keep=False) & ~blank
    if dupes.any():
        examples = ", ".join(repr(v) for v in ids[dupes].drop_duplicates().head(3))
        report.add("error", f"{name}, column {column!r}", f"{int(ids[~blank].duplicated().sum())}"
                   f" duplicate lead ids, e.g. {examples} at rows {row_numbers(dupes)}")  # fmt: skip


def _check_outcome(report, s: pd.Series, mapping: Mapping, missing: set[str], where) -> None:
    text = _normalised(s).fillna("")
    won, lost = {w.lower() for w in mapping.won}, {w.lower() for w in mapping.lost}
    if not won:
        report.add("error", where, "say which outcome values mean won")
    overlap = won & lost
    if overlap:
        report.add("error", where, f"values mean both won and lost: {sorted(overlap)}")
    known = won | lost | missing | OPEN
    unknown = ~text.isin(known)
    if unknown.any():
        values = ", ".join(repr(v) for v in s[unknown].astype(str).drop_duplicates().head(6))
        report.add("warning", where, f"{int(unknown.sum())} rows have outcome values that are "
                   f"neither won nor lost: {values} (rows {row_numbers(unknown)}); they count as "
                   "open unless you map them")  # fmt: skip


def _check_parsed(report, s, missing, what, level, where) -> None:
    text = s.astype("string").str.strip()
    blank = text.isna() | text.str.lower().isin(missing)
    parsed = _parse(s, what)
    bad = parsed.isna() & ~blank
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].drop_duplicates().head(3))
        outcome = "blocks the import" if level == "error" else "they are treated as missing"
        report.add(level, where, f"{_count(bad, f'value is not a {what[:-1]}', f'values are not {what}')}, e.g. {examples} at "
                   f"rows {row_numbers(bad)}; this {outcome}")  # fmt: skip


def _parse(s: pd.Series, what: str) -> pd.Series:
    return to_dates(s) if what == "dates" else to_numbers(s)


def _check_attributes(report, leads, used, missing, name) -> None:
    for column in leads.columns:
        if column in used:
            continue
        text = leads[column].astype("string").str.strip()
        placeholder = text.str.lower().isin(missing - {""}) & text.notna()
        gone = text.isna() | (text == "") | placeholder
        where = f"{name}, column {column!r}"
        if placeholder.any():
            values = ", ".join(repr(v) for v in text[placeholder].drop_duplicates().head(3))
            report.add("warning", where, f"{int(placeholder.sum())} placeholder values ({values})"
                       " are treated as missing")  # fmt: skip
        if len(leads) and gone.mean() >= MOSTLY_MISSING:
            report.add("warning", where, f"{gone.mean():.0%} missing: little to score on")
        elif len(leads) and (kept := text[~gone]).eq(kept.iloc[0]).all():
            report.add("warning", where, f"the same value ({text[~gone].iloc[0]!r}) in every "
                       "row: it cannot tell leads apart")  # fmt: skip


def _check_events(report, events, mapping, lead_ids, missing, name) -> None:
    roles = {r: c for r, c in mapping.events.items() if c}
    for role in EVENT_ROLES:
        if role not in roles or roles[role] not in events.columns:
            report.add("error", name, f"no column is mapped as {role!r}")
    if not all(r in roles for r in EVENT_ROLES):
        return
    _check_parsed(report, events[roles["occurred_at"]], missing, "dates", "error",
                  f"{name}, column {roles['occurred_at']!r}")  # fmt: skip
    kind = events[roles["event_type"]].astype("string").str.strip()
    blank = kind.isna() | (kind == "")
    if blank.any():
        report.add("error", f"{name}, column {roles['event_type']!r}",
                   f"{_count(blank, 'event has', 'events have')} no type, at rows {row_numbers(blank)}")  # fmt: skip
    known = set(lead_ids.astype("string").str.strip().dropna())
    ids = events[roles["lead_id"]].astype("string").str.strip()
    orphan = ~ids.isin(known)
    if orphan.any():
        examples = ", ".join(repr(v) for v in ids[orphan].drop_duplicates().head(3))
        report.add("warning", f"{name}, column {roles['lead_id']!r}", f"{_count(orphan, 'event is', 'events are')}"
                   f" for leads not in the leads file (e.g. {examples}); they are "
                   "left out")  # fmt: skip


def _count(mask: pd.Series, one: str, many: str) -> str:
    """'1 value is' / '3 values are': the count of a mask with the words it needs."""
    n = int(mask.sum())
    return f"{n:,} {one if n == 1 else many}"


# ---------------------------------------------------------------------------- applying


def apply_mapping(leads: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """The leads in the app's vocabulary: mapped roles renamed and parsed, outcome as
    won / lost / open, placeholders missing, the other columns typed as attributes."""
    roles = {r: c for r, c in mapping.roles.items() if c}
    missing = {m.strip().lower() for m in mapping.missing} | {""}
    out = pd.DataFrame(index=leads.index)
    out["lead_id"] = lead_ids(leads, mapping)
    if "created_at" in roles:
        out["created_at"] = _parse(_blank(leads[roles["created_at"]], missing), "dates")
    else:
        out["created_at"] = pd.Timestamp("2000-01-01")  # no dates: every lead scored as is
    text = _normalised(leads[roles["outcome"]]).fillna("")
    won, lost = {w.lower() for w in mapping.won}, {w.lower() for w in mapping.lost}
    out["outcome"] = np.where(text.isin(won), "won", np.where(text.isin(lost), "lost", "open"))
    if "closed_at" in roles:
        out["closed_at"] = _parse(_blank(leads[roles["closed_at"]], missing), "dates")
    if "value" in roles:
        out["value"] = _parse(_blank(leads[roles["value"]], missing), "numbers")
    for role in ("stage", "source"):
        if role in roles:
            out[role] = _blank(leads[roles[role]], missing)
    for column in leads.columns:
        if column not in roles.values() and column not in out.columns:
            out[column] = typed(_blank(leads[column], missing))
    out["created_at"] = out["created_at"].astype("datetime64[ns]")
    return out.reset_index(drop=True)


def apply_events(events: pd.DataFrame, mapping: Mapping, lead_ids: pd.Series) -> pd.DataFrame:
    """Events renamed to lead_id, occurred_at, event_type (+ the rest), orphans left out."""
    roles = mapping.events
    out = pd.DataFrame({
        "lead_id": events[roles["lead_id"]].astype("string").str.strip(),
        "occurred_at": _parse(events[roles["occurred_at"]], "dates").astype("datetime64[ns]"),
        "event_type": events[roles["event_type"]].astype("string").str.strip(),
    })  # fmt: skip
    for column in events.columns:
        if column not in roles.values() and column not in out.columns:
            out[column] = events[column].astype("string").str.strip()
    return out[out["lead_id"].isin(set(lead_ids))].reset_index(drop=True)


def lead_ids(leads: pd.DataFrame, mapping: Mapping) -> pd.Series:
    """The mapped id column as trimmed text, or row names ('row-2', …) without one."""
    column = mapping.roles.get("lead_id")
    if column:
        return leads[column].astype("string").str.strip()
    return pd.Series([f"row-{i + 2}" for i in range(len(leads))], index=leads.index,
                     dtype="string")  # fmt: skip


def _blank(s: pd.Series, missing: set[str]) -> pd.Series:
    """Placeholders and blanks as missing values."""
    if s.dtype != object and not pd.api.types.is_string_dtype(s):
        return s
    text = s.astype("string").str.strip()
    return text.mask(text.isna() | text.str.lower().isin(missing))


def typed(s: pd.Series) -> pd.Series:
    """An attribute as numbers, true/false or text, whichever all its values are (decided on
    the distinct values, so a million rows of a few levels cost a few checks)."""
    if s.dtype != object and not pd.api.types.is_string_dtype(s):
        return s
    distinct = pd.Series(s.dropna().unique()).astype("string")
    if distinct.empty:
        return s.astype("string")
    lower = distinct.str.lower()
    if lower.isin(list(BOOLEAN_WORDS)).all():
        return s.astype("string").str.lower().map(BOOLEAN_WORDS).astype("boolean")
    plain = distinct.str.replace(",", "", regex=False)
    if pd.to_numeric(plain, errors="coerce").notna().all():
        return pd.to_numeric(s.astype("string").str.replace(",", "", regex=False))
    return s.astype("string")


BOOLEAN_WORDS = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}


# ---------------------------------------------------------------------------- storing


def datasets_folder() -> Path:
    """Where mapped datasets are kept (LEADSCORE_DATA_DIR overrides the user data folder)."""
    return Path(os.environ.get("LEADSCORE_DATA_DIR") or user_data_path("leadscore") / "datasets")


def write_folder(
    leads: pd.DataFrame,
    events: pd.DataFrame | None,
    folder: Path,
    *,
    name: str,
    mapping: Mapping,
) -> Path:
    """Write the mapped dataset into `folder` (created; existing dataset files there are
    refused, never overwritten)."""
    folder.mkdir(parents=True, exist_ok=True)
    taken = [p.name for p in folder.iterdir() if p.name in DATASET_FILES]
    if taken:
        raise DataError(f"{folder}: already holds a dataset ({', '.join(taken)}); pick an "
                        "empty folder, nothing is overwritten")  # fmt: skip
    leads.to_parquet(folder / "leads.parquet", index=False)
    if events is not None:
        events.to_parquet(folder / "events.parquet", index=False)
    meta = {"name": name, "has_dates": bool(mapping.roles.get("created_at")),
            "mapping": mapping.to_dict(), "rows": len(leads)}  # fmt: skip
    (folder / "dataset.json").write_text(json.dumps(meta, indent=2))
    return folder


DATASET_FILES = ("leads.parquet", "events.parquet", "dataset.json")


def save_dataset(
    leads: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    name: str,
    mapping: Mapping,
    folder: Path | None = None,
) -> Path:
    """Write leads.parquet, events.parquet and dataset.json into a new folder (a name that
    exists gets a number: nothing saved before is overwritten)."""
    root = folder or datasets_folder()
    root.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "dataset"
    target, k = root / slug, 2
    while target.exists():
        target, k = root / f"{slug}-{k}", k + 1
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a crashed earlier save, never shown to anyone
    write_folder(leads, events, tmp, name=name, mapping=mapping)
    tmp.rename(target)  # appears whole or not at all
    return target


def saved_datasets(root: Path | None = None) -> dict[str, Path]:
    """Name -> folder of every dataset kept by the importer."""
    root = root or datasets_folder()
    found: dict[str, Path] = {}
    for meta in sorted(root.glob("*/dataset.json")) if root.exists() else []:
        try:
            name = json.loads(meta.read_text())["name"]
        except (OSError, ValueError, KeyError):
            continue
        found[name if name not in found else f"{name} ({meta.parent.name})"] = meta.parent
    return found


def dataset_meta(folder: Path) -> dict:
    path = folder / "dataset.json"
    return json.loads(path.read_text()) if path.exists() else {"has_dates": True}


# ---------------------------------------------------------------------------- starter model

RESERVED = frozenset({"lead_id", "created_at", "outcome", "closed_at", "value"})


def starter_model(leads: pd.DataFrame, *, name: str = "Starter model", most: int = 12):
    """Zero-point criteria from the data's own columns: one per common level of each text
    column, one per quartile range of each number column, one per true/false column; id
    columns, constant and mostly-missing columns are skipped. The room fills in points."""
    from model.spec import parse_model

    criteria: list[dict] = []
    for column in leads.columns:
        if column in RESERVED:
            continue
        s = leads[column]
        known = s.dropna()
        if len(known) < max(len(s) * (1 - MOSTLY_MISSING), 1) or known.nunique() < 2:
            continue
        if pd.api.types.is_bool_dtype(s):
            criteria.append(_criterion(column, "is true", {"op": "is_true"}))
        elif pd.api.types.is_numeric_dtype(s):
            criteria.extend(_ranges(column, known.astype(np.float64)))
        elif not pd.api.types.is_datetime64_any_dtype(s) and not _id_like(known):
            shares = known.astype("string").value_counts(normalize=True)
            for level in shares[shares >= 0.01].index[:most]:
                criteria.append(_criterion(column, f"= {level}", {"op": "equals",
                                                                   "value": str(level)}))  # fmt: skip
    ids: set[str] = set()
    for c in criteria:
        base, k = c["id"], 2
        while c["id"] in ids:
            c["id"], k = f"{base}_{k}", k + 1
        ids.add(c["id"])
    return parse_model({
        "name": name, "criteria": criteria,
        "bands": [{"name": "A", "min_score": 75, "action": "Senior rep calls within 24 h",
                   "sales_ready": True},
                  {"name": "B", "min_score": 50, "action": "SDR qualifies"},
                  {"name": "C", "min_score": 0, "action": "Nurture email"}],
    })  # fmt: skip


def _ranges(column: str, x: pd.Series) -> list[dict]:
    edges = np.unique(np.quantile(x, [0, 0.25, 0.5, 0.75, 1]))
    out = []
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        rule = {"op": "between", "low": float(low)}
        if i < len(edges) - 2:
            rule["high"] = float(np.nextafter(high, -np.inf))  # [low, high)
        else:
            rule["high"] = float(high)
        out.append(_criterion(column, f"{low:g} to {high:g}", rule))
    return out


def _criterion(column: str, what: str, rule: dict) -> dict:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{column}_{what}").strip("_").lower()[:60] or "c"
    return {"id": slug, "label": f"{column} {what}", "group": "fit", "points": 0,
            "rule": {"attribute": column, **rule}}  # fmt: skip


def _id_like(known: pd.Series) -> bool:
    """Mostly distinct values (ids, emails, free text): no level worth a criterion."""
    distinct = known.nunique()
    return distinct > 20 and distinct > 0.5 * len(known)
