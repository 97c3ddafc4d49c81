"""Bring your own CRM export: read any CSV / Excel / Parquet, map its columns to the lead
vocabulary, report every problem before anything is used, and keep the mapped dataset as
Parquet so it opens instantly next time.

Nothing here raises on bad data: reading returns a clear DataError, and validation returns
a report whose errors block and whose warnings let the user go on.
"""

from __future__ import annotations

import codecs
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
from model.io import (
    LOST,
    OPEN,
    WON,
    DataError,
    ambiguous_day_month,
    flat_columns,
    row_numbers,
    to_dates,
    to_numbers,
)

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
DELIMITERS = ",;\t|"
MOSTLY_MISSING = 0.95
# day, month and year with separators: "2026-03-01", "01/03/2026" (not "may", not "5191")
DATE_LIKE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"


CREATED_POLICIES = {
    "fallback": "take the first event's date, else the closed date minus the median cycle",
    "leave_out": "leave them out of the dataset",
}


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
    drop: list[str] = field(default_factory=list)
    created_policy: str = "fallback"

    def to_dict(self) -> dict:
        return {"roles": self.roles, "won": self.won, "lost": self.lost,
                "missing": self.missing, "events": self.events, "how": self.how,
                "drop": self.drop, "created_policy": self.created_policy}  # fmt: skip

    def provenance(self) -> pd.DataFrame:
        """Per role: the column and whether it was mapped, guessed from its name or its
        values, or left empty."""
        rows = [{"role": ROLE_WORDS[r], "column": c or "",
                 "how": HOW.get(self.how.get(r, ""), "mapped by you") if c else "empty"}
                for r, c in ((r, self.roles.get(r)) for r in ROLES)]  # fmt: skip
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


def read_any(
    data: bytes | Path,
    name: str,
    *,
    progress: Callable[[float, str], None] | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """A CSV (any common delimiter and encoding, detected), Excel (the first sheet, or
    `sheet`) or Parquet file as a frame of text columns (Parquet and Excel keep their own
    types). Raises DataError, never more."""
    raw = _raw_bytes(data, name)
    suffix = Path(name).suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = flat_columns(pd.read_parquet(io.BytesIO(raw)), name)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            frame = _read_excel(raw, name, sheet)
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


MAX_FILE_BYTES = 2 * 2**30  # a bigger export goes through `leadscore score` in parts


def _raw_bytes(data: bytes | Path, name: str) -> bytes:
    """The file's bytes; devices, folders and files past MAX_FILE_BYTES are refused."""
    if not isinstance(data, Path):
        return data
    try:
        if not data.is_file():
            raise DataError(f"{name}: not a regular file (a folder, device or missing file)")
        if data.stat().st_size > MAX_FILE_BYTES:
            raise DataError(f"{name}: {data.stat().st_size:,} bytes is more than the import "
                            "reads at once; score it with `leadscore score` instead")  # fmt: skip
        return data.read_bytes()
    except (OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read the file ({exc})") from None


MAX_COLUMNS = 5_000


def _longest_line(data: bytes) -> int:
    """Bytes of the longest line (a quoted newline splits a row, which only shortens it)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return int(np.diff(ends, prepend=-1, append=len(data)).max(initial=0))


def _check_workbook(raw: bytes, name: str) -> None:
    """Refuse a workbook whose sheets unpack to more than MAX_SHEET_XML (a zip bomb would
    be read until memory runs out) or declare more columns than MAX_COLUMNS."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            sheets = [i for i in book.infolist() if i.filename.startswith("xl/worksheets/")]
            size = sum(i.file_size for i in sheets)
            head = b"".join(book.open(i).read(4096) for i in sheets)
    except zipfile.BadZipFile:
        raise DataError(f"{name}: not an Excel workbook (.xlsx is a zip file)") from None
    if size > MAX_SHEET_XML:
        raise DataError(f"{name}: its sheets unpack to {size / 2**30:.1f} GB; export it as CSV")
    for ref in re.findall(rb'<dimension ref="[A-Z]+\d+:([A-Z]+)\d+"', head):
        if _column_number(ref.decode()) > MAX_COLUMNS:
            raise DataError(f"{name}: a sheet spans {_column_number(ref.decode()):,} columns; a "
                            f"lead export has at most {MAX_COLUMNS:,}")  # fmt: skip


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def excel_sheets(raw: bytes) -> list[str]:
    """The sheet names of a workbook, in order ([] when it cannot be read)."""
    try:
        return pd.ExcelFile(io.BytesIO(raw)).sheet_names
    except Exception:  # noqa: BLE001 - an unreadable workbook gets its message on reading
        return []


MAX_SHEET_XML = 1 << 30  # uncompressed: ~1M rows of a wide export; a zip bomb is far more


def _read_excel(raw: bytes, name: str, sheet: str | None) -> pd.DataFrame:
    if name.lower().endswith(".xls"):
        raise DataError(f"{name}: an Excel 97-2003 workbook; save it as .xlsx or CSV")
    _check_workbook(raw, name)
    book = pd.ExcelFile(io.BytesIO(raw))
    if sheet is not None and sheet not in book.sheet_names:
        raise DataError(f"{name}: no sheet named {sheet!r} (sheets: {book.sheet_names})")
    return pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=object)


def _read_csv(raw: bytes, name: str, progress) -> pd.DataFrame:
    text, encoding = _decode(raw, name)
    delimiter = _delimiter(text[:65536])
    head = io.StringIO(text[: 1 << 20])
    header = next(csv.reader(head, delimiter=delimiter), [])  # a quoted newline is fine
    if not any(h.strip() for h in header):
        raise DataError(f"{name}: the file is empty")
    if len(header) > MAX_COLUMNS:
        raise DataError(f"{name}: {len(header):,} columns; a lead export has at most "
                        f"{MAX_COLUMNS:,} (is the delimiter right?)")  # fmt: skip
    names = _unique_names(header)
    body = text[head.tell() :] if "\n" in text[: 1 << 20] else ""
    if not body.strip():  # a header and no rows: the columns, empty
        return pd.DataFrame(columns=names, dtype="string")
    data = body.encode("utf-8")
    total, done, batches = max(len(raw), 1), 0, []
    block = max(8 << 20, min(_longest_line(data), 256 << 20) * 2)  # a 20 MB cell fits a block
    try:
        reader = pacsv.open_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=block),
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


SIGNATURES = (
    (b"PK\x03\x04", "a zip file (an Excel workbook? name it .xlsx)"),
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (save it as .xlsx or CSV)"),
)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """Text of a CSV: a byte-order mark says the encoding (Excel's "Unicode Text" is UTF-16
    with one), then strict UTF-8, then charset-normalizer's best guess among the single-byte
    encodings exports use. NUL bytes outside UTF-16 mean a binary file."""
    for magic, what in SIGNATURES:
        if raw.startswith(magic):
            raise DataError(f"{name}: this is {what}, not a CSV")
    encoding = next((enc for bom, enc in BOMS if raw.startswith(bom)), None)
    if encoding is None and raw[:4096].count(b"\x00") > len(raw[:4096]) // 4:
        encoding = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"  # UTF-16 without a BOM
    if encoding is None and b"\x00" in raw[:4096]:
        raise DataError(f"{name}: this looks like a binary file, not a CSV")
    if encoding is None:
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = _single_byte_encoding(raw)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        what = "a binary file" if encoding.startswith("utf-16") else f"{encoding} text"
        raise DataError(f"{name}: this looks like {what}, not a CSV (cannot be read at "
                        f"byte {exc.start:,})") from None  # fmt: skip
    if "\x00" in text:
        raise DataError(f"{name}: this looks like a binary file, not a CSV")
    start = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml")):
        raise DataError(f"{name}: this is a web page or XML, not a CSV export")
    if start.startswith(("{", "[")):
        raise DataError(f"{name}: this is JSON, not a CSV export")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), encoding


def _single_byte_encoding(raw: bytes) -> str:
    """cp1252 / latin-1 / another single-byte code page, as charset-normalizer reads it."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw[: 1 << 20], cp_isolation=SINGLE_BYTE).best()
    return best.encoding if best is not None else "cp1252"


SINGLE_BYTE = ["cp1252", "latin_1", "iso8859_15", "cp1250", "mac_roman", "cp850"]


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

HOW = {"mapped": "mapped by you", "name": "guessed from its name",
       "content": "guessed from its values"}  # fmt: skip
# Roles in the order they are guessed: the outcome before the stage, so a deal-stage
# column holding won and lost words becomes the outcome and not the stage.
GUESS_ORDER = ("lead_id", "outcome", "created_at", "closed_at", "value", "stage", "source")
# Hints that may stand inside a longer name, as whole words ("Lead Created Date", "Opportunity
# Amount"); every other hint must be the whole name.
WORD_HINTS = {
    "lead_id": ("lead id", "record id", "prospect id", "contact id"),
    "created_at": ("created date", "create date", "created on", "created at", "created time",
                   "deal created", "lead created", "created",
                   "creation date", "first contact date", "signup date"),
    "outcome": ("outcome", "deal status", "lead status", "is won"),
    "value": ("amount", "deal value", "opportunity value", "expected revenue"),
    "stage": ("stage", "lifecycle stage"),
    "source": ("source", "origin"),
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
        raise DataError(f"--map names column{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(map(repr, unknown))} that the file does not have "
                        f"(columns: {', '.join(map(str, leads.columns[:20]))})")  # fmt: skip
    mapping = Mapping(drop=[c for c in drop if c in leads.columns])
    taken = set(mapping.drop) | set(attributes_only) | {c for c in mapped.values() if c}
    for role in GUESS_ORDER:
        if role in mapped:
            mapping.roles[role] = mapped[role]
            if mapped[role]:
                mapping.how[role] = "mapped"
            continue
        column, how = _guess_role(leads, role, taken, mapping.notes)
        mapping.roles[role] = column
        if column:
            mapping.how[role] = how
            taken.add(column)
    mapping.roles = {r: mapping.roles.get(r) for r in ROLES}
    if mapping.roles["outcome"]:
        mapping.won, mapping.lost = outcome_words(leads[mapping.roles["outcome"]])
    if events is not None:
        mapping.events = _guess_event_roles(events, events_mapped or {})
    return mapping


def _guess_event_roles(events: pd.DataFrame, mapped: dict[str, str | None]) -> dict:
    roles: dict[str, str | None] = {}
    taken = {c for c in mapped.values() if c}
    for role in EVENT_ROLES:
        if role in mapped:
            roles[role] = mapped[role] or None
            continue
        column = _by_name(events, role if role != "lead_id" else "lead_id", taken)
        roles[role] = column
        if column:
            taken.add(column)
    return roles


def outcome_words(outcome: pd.Series) -> tuple[list[str], list[str]]:
    """The values of an outcome column that the usual words say mean won, and lost."""
    values = _normalised(outcome).dropna().unique()
    return sorted(v for v in values if v in WON), sorted(v for v in values if v in LOST)


def _guess_role(frame, role, taken, notes) -> tuple[str | None, str]:
    """The first column whose name hints at `role` and whose values fit it, else the first
    whose values alone say so (outcome, created date, id)."""
    for column in _name_candidates(frame, role, taken):
        problem = _misfit(frame[column], role)
        if problem is None:
            return column, "name"
        notes.append(f"{column!r} looked like the {ROLE_WORDS[role]} by its name, but "
                     f"{problem}: kept as an attribute")  # fmt: skip
    found = _guess_by_content(frame, role, taken)
    return found, "content"


ROLE_WORDS = {"lead_id": "lead id", "created_at": "created date", "outcome": "outcome",
              "value": "deal value", "stage": "stage", "source": "source",
              "closed_at": "closed date"}  # fmt: skip


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
        return None if values.is_unique and len(values) >= 0.9 * len(sample) else (
            "its values repeat")  # fmt: skip
    if role in ("created_at", "closed_at"):
        if pd.api.types.is_datetime64_any_dtype(s):
            return None
        dated = values.str.contains(DATE_LIKE) & to_dates(values).notna()
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


def _outcome_like(distinct: set[str]) -> bool:
    """Won and lost words among a few values (the rest open: a deal-stage or lifecycle
    column), or only won / lost / open words."""
    if len(distinct) > 40 or not distinct & WON:
        return False
    return bool(distinct & LOST) or distinct <= WON | LOST | OPEN


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
        return bool(values.str.len().min() >= 5 or (len(values) >= 20 and _running(numbers)))
    return True


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
    required: tuple[str, ...] = REQUIRED,
    full: bool = True,
) -> Report:
    """Everything wrong with the mapped data, errors (blocking) first in each column.

    The one validator: the import runs it with `full` (every warning about attributes as
    well); loading a dataset runs the same rules without the attribute warnings."""
    report = Report()
    missing = {m.strip().lower() for m in mapping.missing} | {""}
    roles = {r: c for r, c in mapping.roles.items() if c}
    if leads.empty and full:
        report.add("error", leads_name, "the file has a header but no rows of leads")
        return report
    for note in mapping.notes:  # first: they say why a role may be missing
        report.add("warning", leads_name, note)
    for role in required:
        if role not in roles:
            report.add("error", leads_name, f"no column is mapped as {role!r}")
    for role, column in roles.items():
        if column not in leads.columns:
            report.add("error", leads_name, f"column {column!r} ({role}) is not in the file")
    used = list(roles.values())
    if len(set(used)) != len(used):
        twice = sorted({c for c in used if used.count(c) > 1})
        report.add("error", leads_name, f"one column is mapped to two roles: {twice}")
    if not report.ok:
        return report
    if "lead_id" in roles:
        _check_ids(report, leads, roles["lead_id"], leads_name)
    else:
        report.add("warning", leads_name, "no lead id column: each lead is named by its row "
                   "(row-2, row-3, …), so events cannot be matched to leads")  # fmt: skip
    if full:
        copies = leads.duplicated()
        if copies.any():
            report.add("warning", leads_name, f"{int(copies.sum())} rows are exact copies of "
                       f"an earlier row (rows {row_numbers(copies)}); they are kept as separate "
                       "leads")  # fmt: skip
    if "outcome" in roles:
        _check_outcome(report, leads[roles["outcome"]], mapping, missing,
                       f"{leads_name}, column {roles['outcome']!r}")  # fmt: skip
    for role, what in (("created_at", "dates"), ("closed_at", "dates"), ("value", "numbers")):
        if role in roles:
            level = "error" if mapping.blocks(role) and role != "closed_at" else "warning"
            _check_parsed(report, leads[roles[role]], missing, what, level,
                          f"{leads_name}, column {roles[role]!r}", mapping.how.get(role))  # fmt: skip
    _check_dates(report, leads, mapping, missing, leads_name)
    if full:
        _check_attributes(report, leads, set(used) | set(mapping.drop), missing, leads_name)
    if events is not None:
        _check_events(report, events, mapping, lead_ids(leads, mapping), missing, events_name)
    return report


def blank_created(leads: pd.DataFrame, mapping: Mapping) -> int:
    """How many leads have no created date under `mapping` (0 without the role)."""
    column = mapping.roles.get("created_at")
    if not column or column not in leads.columns:
        return 0
    missing = {m.strip().lower() for m in mapping.missing} | {""}
    return int(_parse(_blank(leads[column], missing), "dates").isna().sum())


def _check_dates(report, leads, mapping: Mapping, missing, name) -> None:
    """Blank created dates (with what happens to them), none at all, dates in the future,
    closed before created."""
    column = mapping.roles.get("created_at")
    if not column:
        report.add("warning", name, "no created date: every lead is scored as it is now, "
                   "with every event counted; as-of policies need dates")  # fmt: skip
        return
    created = _parse(_blank(leads[column], missing), "dates")
    where = f"{name}, column {column!r}"
    if ambiguous_day_month(leads[column]):
        report.add("warning", where, "dates such as 03/04/2025 could be day or month first "
                   "and no value proves which: they are read month first (3 April would be "
                   "read as 4 March); if they are day first, export them as YYYY-MM-DD")  # fmt: skip
    blank = created.isna()
    if blank.all():
        report.add("error" if mapping.blocks("created_at") else "warning", where,
                   "no row has a created date")  # fmt: skip
    elif blank.any():
        report.add("warning", where, f"{_count(blank, 'lead has', 'leads have')} no created "
                   f"date (rows {row_numbers(blank)}); the import will "
                   f"{CREATED_POLICIES[mapping.created_policy]}")  # fmt: skip
    future = created > pd.Timestamp.now() + pd.Timedelta(days=1)
    if future.any():
        report.add("warning", where, f"{_count(future, 'created date is', 'created dates are')}"
                   f" in the future (rows {row_numbers(future)})")  # fmt: skip
    closed_col = mapping.roles.get("closed_at")
    if closed_col and closed_col in leads.columns:
        closed = _parse(_blank(leads[closed_col], missing), "dates")
        early = closed < created
        if early.any():
            report.add("warning", f"{name}, column {closed_col!r}", f"{_count(early, 'lead is', 'leads are')}"
                       f" closed before it was created (rows {row_numbers(early)})")  # fmt: skip


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


def _check_parsed(report, s, missing, what, level, where, how=None) -> None:
    if pd.api.types.is_datetime64_any_dtype(s) or (
        what == "numbers" and pd.api.types.is_numeric_dtype(s)
    ):
        if what == "numbers" and not np.isfinite(s.dropna().astype(float)).all():
            report.add("warning", where, "infinite values are treated as missing")
        return
    text = s.astype("string").str.strip()
    blank = text.isna() | text.str.lower().isin(missing)
    parsed = _parse(s, what)
    bad = parsed.isna() & ~blank
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].drop_duplicates().head(3))
        outcome = "this blocks the import" if level == "error" else "they are treated as missing"
        if how in ("name", "content"):
            outcome += f" (the role was {HOW[how]}: map another column, or none)"
        report.add(level, where, f"{_count(bad, f'value is not a {what[:-1]}', f'values are not {what}')}, e.g. {examples} at "
                   f"rows {row_numbers(bad)}; {outcome}")  # fmt: skip


def _parse(s: pd.Series, what: str) -> pd.Series:
    return to_dates(s) if what == "dates" else to_numbers(s)


def _check_attributes(report, leads, used, missing, name) -> None:
    left_out = excluded_columns(leads, used)
    for column, reason in left_out.items():
        report.add("warning", f"{name}, column {column!r}", f"{reason}: not turned into "
                   "criteria (a column you map or keep is still used)")  # fmt: skip
    for column in leads.columns:
        if column in used or column in left_out:
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


def checked_events(events: pd.DataFrame, source: str = "events") -> pd.DataFrame:
    """Events named lead_id / occurred_at / event_type through the import's validator."""
    mapping = Mapping(events={r: r for r in EVENT_ROLES})
    report = Report()
    ids = events["lead_id"] if "lead_id" in events.columns else pd.Series(dtype="string")
    _check_events(report, events, mapping, ids, {m.lower() for m in mapping.missing}, source)
    if not report.ok:
        raise DataError("; ".join(f"{i.where}: {i.message}" for i in report.errors))
    return apply_events(events, mapping, ids, keep_orphans=True)


def _check_events(report, events, mapping, lead_ids, missing, name) -> None:
    roles = {r: c for r, c in mapping.events.items() if c}
    for role in EVENT_ROLES:
        if role not in roles or roles[role] not in events.columns:
            report.add("error", name, f"no column is mapped as {role!r}")
    if not all(roles.get(r) in events.columns for r in EVENT_ROLES):
        return
    _check_parsed(report, events[roles["occurred_at"]], missing, "dates", "error",
                  f"{name}, column {roles['occurred_at']!r}")  # fmt: skip
    ids = events[roles["lead_id"]].astype("string").str.strip()
    no_id = ids.isna() | (ids == "")
    if no_id.any():
        report.add("error", f"{name}, column {roles['lead_id']!r}",
                   f"{_count(no_id, 'event has', 'events have')} no lead id, at rows {row_numbers(no_id)}")  # fmt: skip
    kind = events[roles["event_type"]].astype("string").str.strip()
    blank = kind.isna() | (kind == "")
    if blank.any():
        report.add("error", f"{name}, column {roles['event_type']!r}",
                   f"{_count(blank, 'event has', 'events have')} no type, at rows {row_numbers(blank)}")  # fmt: skip
    known = set(lead_ids.astype("string").str.strip().dropna())
    orphan = ~ids.isin(known) & ~no_id
    if orphan.any():
        examples = ", ".join(repr(v) for v in ids[orphan].drop_duplicates().head(3))
        report.add("warning", f"{name}, column {roles['lead_id']!r}", f"{_count(orphan, 'event is', 'events are')}"
                   f" for leads not in the leads file (e.g. {examples}); they are "
                   "left out")  # fmt: skip


ID_NAME = re.compile(r"(^|[\s_\-.#])(id|number|no|num|key|uuid|guid|row)$", re.IGNORECASE)
TEXT_NAME = re.compile(
    r"\b(e-?mail|phone|mobile|fax|website|url|address|street|notes?|description|comments?|"
    r"(?:first|last|full|contact|person|lead)\W*name|subject|"
    r"(?:deal|opportunity|organi[sz]ation|account|company)\W*(?:name|title))\b", re.IGNORECASE)  # fmt: skip
FREE_TEXT = (
    ("e-mail addresses", r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"),
    ("web addresses", r"^(?:https?://|www\.)"),
    ("phone numbers", r"^\+?\(?\d[\d().\-]*[\s().\-][\d\s().\-]{5,}$"),
)


ID_BY_NAME = "an id column by its name"  # the reason a column named like an id is left out


def excluded_columns(leads: pd.DataFrame, used: set[str] = frozenset()) -> dict[str, str]:
    """Columns left out of criteria by default, with the reason: ids and running numbers
    (unique per row, or named id / number / key / uuid) and free text (e-mails, names,
    phones, URLs, notes)."""
    out: dict[str, str] = {}
    for column in leads.columns:
        if column in used or column in RESERVED:
            continue
        reason = _exclusion(str(column), leads[column])
        if reason:
            out[column] = reason
    return out


def _exclusion(name: str, s: pd.Series) -> str | None:
    known = s.dropna().head(5000)
    if known.empty or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return None
    if not pd.api.types.is_numeric_dtype(s):
        text = known.astype("string").str.strip()
        text = text[(text != "") & ~text.str.lower().isin(PLACEHOLDERS)]
        if text.empty or text.str.lower().isin(list(BOOLEAN_WORDS)).all():
            return None
        if text.str.contains(FREE_TEXT[2][1], regex=True).mean() >= 0.8 and (
            not text.str.contains(DATE_LIKE).any()
        ):
            return "free text (phone numbers)"
        numbers = to_numbers(text)
        if numbers.notna().mean() < 0.95:
            return _text_exclusion(name, text)
        known = numbers.dropna()
    if ID_NAME.search(name.strip()) and not TEXT_NAME.search(name):
        return ID_BY_NAME
    known = known[np.isfinite(known.to_numpy(np.float64))]
    whole = np.all(np.mod(known.to_numpy(np.float64), 1) == 0)
    unique = known.is_unique and len(known) >= 20 and len(known) >= 0.9 * len(s.head(5000))
    if whole and unique and _running(known):
        return "a running number (unique per row)"
    return None


def _running(x: pd.Series) -> bool:
    """Whole numbers that count up (or down) row by row: an internal row or record number."""
    steps = np.diff(x.to_numpy(np.float64))
    return bool(len(steps) and ((steps > 0).mean() > 0.95 or (steps < 0).mean() > 0.95))


def _text_exclusion(name: str, text: pd.Series) -> str | None:
    if text.str.contains(DATE_LIKE).mean() >= 0.8:
        return None  # dates: not free text (the starter model leaves them to the room)
    if ID_NAME.search(name.strip()) and not TEXT_NAME.search(name):
        return ID_BY_NAME
    for what, pattern in FREE_TEXT:
        if text.str.contains(pattern, regex=True).mean() >= 0.8:
            return f"free text ({what})"
    if TEXT_NAME.search(name):
        return "free text by its name"
    if _id_like(text):
        return "free text or ids (almost every value differs)"
    return None


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

    def meta(self) -> dict:
        """What dataset.json keeps of the import."""
        return {"has_dates": self.has_dates, "created_filled": self.created_filled,
                "created_left_out": self.created_left_out}  # fmt: skip

    def facts(self) -> list[str]:
        """What the report and every page say about the dates."""
        out = []
        if not self.has_dates:
            out.append("no created dates: every lead is scored as it is now, with every "
                       "event counted; as-of policies need dates")  # fmt: skip
        if self.created_filled:
            out.append(f"{self.created_filled:,} leads without a created date took their "
                       "first event's date or the closed date minus the median cycle")  # fmt: skip
        if self.created_left_out:
            out.append(f"{self.created_left_out:,} leads without a created date are left out")
        return out


def build(
    leads: pd.DataFrame,
    mapping: Mapping,
    events: pd.DataFrame | None = None,
    *,
    raw_events: bool | str = False,
) -> Built:
    """Apply the mapping to leads (and events: raw ones are mapped first when `raw_events`)."""
    roles = {r: c for r, c in mapping.roles.items() if c}
    missing = {m.strip().lower() for m in mapping.missing} | {""}
    ids = lead_ids(leads, mapping)
    if raw_events and events is not None:
        events = apply_events(events, mapping, ids, keep_orphans=raw_events == "keep")
    out = pd.DataFrame(index=leads.index)
    out["lead_id"] = ids
    if "outcome" in roles:
        text = _normalised(leads[roles["outcome"]]).fillna("")
        won, lost = {w.lower() for w in mapping.won}, {w.lower() for w in mapping.lost}
        out["outcome"] = np.where(text.isin(won), "won", np.where(text.isin(lost), "lost", "open"))
    for role in ("closed_at", "created_at"):
        if role in roles:
            out[role] = _parse(_blank(leads[roles[role]], missing), "dates")
    if "value" in roles:
        value = _parse(_blank(leads[roles["value"]], missing), "numbers")
        out["value"] = value.where(np.isfinite(value))
    for role in ("stage", "source"):
        if role in roles:
            out[role] = _blank(leads[roles[role]], missing)
    gone = set(roles.values()) | set(mapping.drop)
    for column in leads.columns:
        if column not in gone and column not in out.columns:
            out[column] = typed(_blank(leads[column], missing))
    built = _created(out, events, mapping, has_dates="created_at" in roles)
    first = ["lead_id", "created_at"]
    rest = [c for c in built.leads.columns if c not in first]
    built.leads = built.leads[first + rest].reset_index(drop=True)
    return built


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
    report = validate(leads, mapping, events, leads_name=leads_name, events_name=events_name,
                      required=(), full=False)  # fmt: skip
    if not report.ok:
        raise DataError("; ".join(f"{i.where}: {i.message}" for i in report.errors))
    built = _checked_build(leads, mapping, events, has_dates)
    built.warnings = [
        f"{i.where}: {i.message}"
        for i in report.issues
        if not i.message.startswith("no created date")
    ]  # said by facts()
    return built


def _checked_build(leads, mapping, events, has_dates: bool) -> Built:
    if not has_dates:
        built = build(leads.drop(columns="created_at", errors="ignore"), mapping, events,
                      raw_events="keep")  # fmt: skip
        built.leads["created_at"] = _keep_moment(leads, built.leads)
        return built
    return build(leads, mapping, events, raw_events="keep")


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
    events: pd.DataFrame, mapping: Mapping, lead_ids: pd.Series, *, keep_orphans: bool = False
) -> pd.DataFrame:
    """Events renamed to lead_id, occurred_at, event_type (+ the rest), orphans left out
    (or kept, for loading to count them)."""
    roles = mapping.events
    out = pd.DataFrame({
        "lead_id": events[roles["lead_id"]].astype("string").str.strip(),
        "occurred_at": _parse(events[roles["occurred_at"]], "dates").astype("datetime64[ns]"),
        "event_type": events[roles["event_type"]].astype("string").str.strip(),
    })  # fmt: skip
    for column in events.columns:
        if column not in roles.values() and column not in out.columns:
            out[column] = events[column].astype("string").str.strip()
    if keep_orphans:
        return out.reset_index(drop=True)
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
    finite = to_numbers(distinct)  # thousands and decimal commas read as for the value
    if finite.notna().all():
        x = to_numbers(s)
        whole = bool(np.all(np.mod(finite.to_numpy(), 1) == 0)) and finite.abs().max() < 2**53
        return x.astype("Int64") if whole else x
    if (finite.notna().to_numpy() | _infinite(distinct)).all():  # 'inf' among numbers: missing
        return to_numbers(s)
    return s.astype("string")


def _infinite(text: pd.Series) -> np.ndarray:
    """'inf', '-Infinity', '1e400': numbers no float holds."""
    words = text.str.strip().str.lower().str.lstrip("+-").isin(["inf", "infinity"])
    big = pd.to_numeric(text, errors="coerce").abs() == np.inf
    return words.fillna(False).to_numpy(bool) | big.fillna(False).to_numpy(bool)


BOOLEAN_WORDS = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}


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
    return "\n".join(f"role {r.role}: {repr(r.column) + ' (' + r.how + ')' if r.column else 'empty'}"
                     for r in rows.itertuples())  # fmt: skip


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
        raise DataError(f"leads: no column {on!r} to join accounts on (columns: "
                        f"{', '.join(map(str, leads.columns[:20]))})")  # fmt: skip
    wanted = leads[on].astype("string").str.strip()
    key = key or _account_key(accounts, on, wanted, name)
    if key not in accounts.columns:
        raise DataError(
            f"{name}: no column {key!r} (columns: {', '.join(map(str, accounts.columns[:20]))})"
        )
    ids = accounts[key].astype("string").str.strip()
    dupes = ids.duplicated(keep=False) & ids.notna()
    if dupes.any():
        raise DataError(f"{name}, column {key!r}: {int(ids.duplicated().sum())} accounts appear "
                        f"twice, e.g. {ids[dupes].iloc[0]!r} at rows {row_numbers(dupes)}")  # fmt: skip
    extra = accounts.drop(columns=[key]).set_axis(ids.to_numpy())
    renamed = {c: (c if c not in leads.columns else f"{c} (account)") for c in extra.columns}
    extra = extra.rename(columns=renamed)
    joined = leads.copy()
    for column in extra.columns:
        joined[column] = wanted.map(extra[column]).to_numpy()
    found = wanted.isin(set(ids.dropna()))
    messages = []
    if (~found).any():
        messages.append(f"{name}: {_count(~found, 'lead has', 'leads have')} no account in the "
                        f"file (column {on!r}, rows {row_numbers(~found)}); their account "
                        "columns are empty")  # fmt: skip
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
    facts: dict | None = None,
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
            "mapping": mapping.to_dict(), "rows": len(leads), **(facts or {})}  # fmt: skip
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
    facts: dict | None = None,
) -> Path:
    """Write leads.parquet, events.parquet and dataset.json into a new folder (a name that
    exists gets a number: nothing saved before is overwritten)."""
    root = folder or datasets_folder()
    if root.exists() and not root.is_dir():
        raise DataError(f"{root}: the datasets folder is a file (LEADSCORE_DATA_DIR?); "
                        "nothing was saved")  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower())[:60].strip("-") or "dataset"
    target, k = root / slug, 2
    while target.exists():
        target, k = root / f"{slug}-{k}", k + 1
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a crashed earlier save, never shown to anyone
    write_folder(leads, events, tmp, name=name, mapping=mapping, facts=facts)
    tmp.rename(target)  # appears whole or not at all
    return target


def saved_datasets(root: Path | None = None) -> dict[str, Path]:
    """Name -> folder of every readable dataset kept by the importer (an unreadable one is
    skipped here and named by `unreadable_datasets`)."""
    found: dict[str, Path] = {}
    for folder, meta in _kept(root):
        if isinstance(meta, dict):
            name = meta["name"]
            found[name if name not in found else f"{name} ({folder.name})"] = folder
    return found


def unreadable_datasets(root: Path | None = None) -> list[str]:
    """One line per kept dataset whose dataset.json cannot be read, naming it and why."""
    return [f"{folder}: {meta}; it is skipped" for folder, meta in _kept(root)
            if isinstance(meta, str)]  # fmt: skip


def find_dataset(fingerprint: str, root: Path | None = None) -> Path | None:
    """The kept dataset made from the same file and mapping, if any."""
    for folder, meta in _kept(root):
        if isinstance(meta, dict) and meta.get("fingerprint") == fingerprint:
            return folder
    return None


def _kept(root: Path | None) -> list[tuple[Path, dict | str]]:
    """(folder, meta) of every dataset folder; meta is the reason when it is unreadable."""
    root = root or datasets_folder()
    try:
        metas = sorted(root.glob("*/dataset.json")) if root.is_dir() else []
    except OSError:
        return []
    out: list[tuple[Path, dict | str]] = []
    for path in metas:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            ok = isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"]
            out.append((path.parent, meta if ok else "dataset.json has no name"))
        except (OSError, ValueError) as exc:
            out.append((path.parent, f"dataset.json is unreadable ({type(exc).__name__})"))
    return out


def dataset_meta(folder: Path) -> dict:
    """What the import kept about a dataset folder ({} facts when it has none)."""
    path = folder / "dataset.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        meta = {}
    return {"has_dates": True, **meta} if isinstance(meta, dict) else {"has_dates": True}


# ---------------------------------------------------------------------------- starter model

RESERVED = frozenset({"lead_id", "created_at", "outcome", "closed_at", "value"})


ENGAGEMENT_NAME = re.compile(
    r"visit|view|session|click|open|download|activit|time on|duration|seconds|minutes|"
    r"count|number of|num |# of|page|email|web|event|attend|form|chat|call|meeting|"
    r"administrative|informational|productrelated|bounce|exit|last|recent", re.IGNORECASE)  # fmt: skip
FIT_NAME = re.compile(r"employee|revenue|size|age\b|income|salary|balance|year|founded",
                      re.IGNORECASE)  # fmt: skip
CODE_NAME = re.compile(r"code|type|region|browser|system|os\b|category|class|segment|group|"
                       r"month|day|week|hour|quarter", re.IGNORECASE)  # fmt: skip
MAX_CODE_LEVELS = 25  # an integer column with at most this many codes may be categories


def starter_model(leads: pd.DataFrame, *, name: str = "Starter model", most: int = 12):
    """Zero-point criteria from the data's own columns: one per common level of each text
    column, ranges of each number column, one per true/false column. Counts, durations and
    visits go to engagement, the rest to fit; integer codes of categories (a browser or
    region code) are levels, not ranges; ids, free text, constant and mostly-missing columns
    are skipped. The room fills in points."""
    from model.spec import parse_model

    left_out = excluded_columns(leads)
    criteria: list[dict] = []
    for column in leads.columns:
        if column in RESERVED or column in left_out:
            continue
        criteria.extend(_column_criteria(column, leads[column], most))
    unique_ids(criteria)
    return parse_model({
        "name": name, "criteria": criteria,
        "bands": [{"name": "A", "min_score": 75, "action": "Senior rep calls within 24 h",
                   "sales_ready": True},
                  {"name": "B", "min_score": 50, "action": "SDR qualifies"},
                  {"name": "C", "min_score": 0, "action": "Nurture email"}],
    })  # fmt: skip


def unique_ids(criteria: list[dict]) -> list[dict]:
    """Criterion ids made unique in place ('x', 'x_2', 'x_3'...): labels can slug alike."""
    seen: set[str] = set()
    for c in criteria:
        base, k = c["id"], 2
        while c["id"] in seen:
            c["id"], k = f"{base}_{k}", k + 1
        seen.add(c["id"])
    return criteria


def _column_criteria(column: str, s: pd.Series, most: int) -> list[dict]:
    known = s.dropna()
    if len(known) < max(len(s) * (1 - MOSTLY_MISSING), 1) or known.nunique() < 2:
        return []
    group = _group(column, s)
    if pd.api.types.is_bool_dtype(s):
        return [_criterion(column, "is true", {"op": "is_true"}, group)]
    if pd.api.types.is_numeric_dtype(s):
        x = known.astype(np.float64)
        if category_codes(column, x):
            levels = x.value_counts(normalize=True)
            return [_criterion(column, f"= {v:g}", {"op": "equals", "value": _plain(v)}, group)
                    for v in levels[levels >= 0.01].index[:most]]  # fmt: skip
        return _ranges(column, x, group)
    if pd.api.types.is_datetime64_any_dtype(s):
        return []  # a date rule would need the decision moment: left to the room
    shares = known.astype("string").value_counts(normalize=True)
    return [_criterion(column, f"= {level}", {"op": "equals", "value": str(level)}, group)
            for level in shares[shares >= 0.01].index[:most]]  # fmt: skip


def _group(column: str, s: pd.Series) -> str:
    """Engagement for behaviour (counts, durations, visits, page views, last activity),
    fit for firmographic and demographic columns."""
    if FIT_NAME.search(column):
        return "fit"
    return "engagement" if ENGAGEMENT_NAME.search(column) else "fit"


def category_codes(column: str, x: pd.Series) -> bool:
    """Whole numbers naming categories: few distinct values and a name that says code,
    type, region, browser... (a range of browser codes 2-4 means nothing)."""
    whole = bool(np.all(np.mod(x.to_numpy(), 1) == 0))
    return whole and x.nunique() <= MAX_CODE_LEVELS and bool(CODE_NAME.search(column))


def _plain(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _ranges(column: str, x: pd.Series, group: str = "fit") -> list[dict]:
    edges = np.unique(np.quantile(x, [0, 0.25, 0.5, 0.75, 1]))
    out = []
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        rule = {"op": "between", "low": float(low)}
        if i < len(edges) - 2:
            rule["high"] = float(np.nextafter(high, -np.inf))  # [low, high)
        else:
            rule["high"] = float(high)
        out.append(_criterion(column, f"{low:g} to {high:g}", rule, group))
    return out


def _criterion(column: str, what: str, rule: dict, group: str = "fit") -> dict:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{column}_{what}").strip("_").lower()[:60] or "c"
    return {"id": slug, "label": f"{column} {what}", "group": group, "points": 0,
            "rule": {"attribute": column, **rule}}  # fmt: skip


def _id_like(known: pd.Series) -> bool:
    """Mostly distinct values (ids, emails, free text): no level worth a criterion."""
    distinct = known.nunique()
    return distinct > 20 and distinct > 0.5 * len(known)
