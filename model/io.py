"""Read leads and events files (CSV or Parquet) into a prepared Dataset, with clear errors.

Every problem names the file, the column and the rows (counted as in a spreadsheet: the
header is row 1), and nothing is dropped silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.features import Dataset, prepare

# Won and lost words, CRMs' defaults included: Salesforce's "Closed Won" and "Closed -
# Converted", HubSpot's "closedwon", Dynamics' "Qualified" / "Disqualified" lead status,
# Zoho's "Lost Lead" / "Junk Lead", HubSpot's "Open Deal" / "Unqualified" lead status.
WON = frozenset({"won", "win", "closed won", "closed-won", "closedwon", "closed - won",
                 "closed - converted", "converted", "qualified", "customer", "open deal",
                 "yes", "y", "true", "1"})  # fmt: skip
LOST = frozenset({"lost", "loss", "closed lost", "closed-lost", "closedlost", "closed - lost",
                  "closed - not converted", "not converted", "disqualified", "unqualified",
                  "lost lead", "junk lead", "no", "n", "false", "0"})  # fmt: skip
OPEN = frozenset({"open", "", "pending", "in progress"})
LEAD_COLUMNS = ("lead_id", "created_at")
EVENT_COLUMNS = ("lead_id", "occurred_at", "event_type")


class DataError(ValueError):
    """A data file that cannot be used as it is; the message names file, column and rows."""


def read_table(path: str | Path, *, id_columns: tuple[str, ...] = ("lead_id",)) -> pd.DataFrame:
    """Read a CSV or Parquet file; id columns are kept as text (leading zeros survive)."""
    path = Path(path)
    try:
        if not path.exists():
            raise DataError(f"{path}: file not found")
        if not path.is_file():
            raise DataError(f"{path}: not a regular file (a folder or a device)")
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = flat_columns(pd.read_parquet(path), str(path))
        else:
            frame = pd.read_csv(path, engine="pyarrow", dtype=dict.fromkeys(id_columns, "string"))
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        raise unreadable(path, exc) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in id_columns:
        if col in frame.columns:
            frame[col] = frame[col].astype("string").str.strip()
    return frame


def load_dataset(
    leads_path: str | Path, events_path: str | Path | None = None, *, name: str | None = None
) -> Dataset:
    """Read, check and prepare leads (and events) for scoring. `leads_path` may be a dataset
    folder holding leads.parquet or leads.csv (and events.parquet or events.csv). The checks
    are the import's own (one validator), so whatever the import wrote loads."""
    from model import importer

    meta: dict = {"has_dates": True}
    if Path(leads_path).is_dir():
        meta = importer.dataset_meta(Path(leads_path))
        leads_path, found = dataset_files(Path(leads_path))
        events_path = events_path or found
    leads = read_table(leads_path)
    events = None if events_path is None else read_table(events_path)
    built = importer.checked(leads, events, leads_name=str(leads_path),
                             events_name=str(events_path), has_dates=meta.get("has_dates", True))  # fmt: skip
    notes = [*built.facts(), *_kept_facts(meta), *built.warnings]
    return prepare(built.leads, built.events, name=name or Path(leads_path).parent.name,
                   has_dates=built.has_dates, notes=tuple(dict.fromkeys(notes)))  # fmt: skip


def _kept_facts(meta: dict) -> list[str]:
    """What the import did that loading cannot see again (leads it left out)."""
    n = int(meta.get("created_left_out") or 0)
    return [f"{n:,} leads without a created date were left out at import"] if n else []


def dataset_files(folder: Path) -> tuple[Path, Path | None]:
    """The leads and events files of a dataset folder (Parquet preferred over CSV)."""

    def pick(stem: str) -> Path | None:
        return next((folder / f"{stem}{ext}" for ext in (".parquet", ".csv")
                     if (folder / f"{stem}{ext}").exists()), None)  # fmt: skip

    leads = pick("leads")
    if leads is None:
        raise DataError(f"{folder}: no leads.parquet or leads.csv in this folder")
    return leads, pick("events")


def check_leads(frame: pd.DataFrame, *, source: str = "leads") -> pd.DataFrame:
    """Leads in the app's vocabulary, checked and parsed by the import's validator."""
    from model import importer

    return importer.checked(frame, leads_name=source).leads


def check_events(frame: pd.DataFrame, *, source: str = "events") -> pd.DataFrame:
    """Events with lead_id, occurred_at and event_type, checked by the import's validator."""
    from model import importer

    return importer.checked_events(frame, source)


def to_dates(s: pd.Series) -> pd.Series:
    """Dates as datetime64[ns], tz-naive (offsets converted to UTC); text that is not a
    date (or out of range) is NaT. ISO text takes the fast path; other layouts ("03/01/2026",
    "1 Mar 2026") value by value, day first when a first number past 12 proves it."""
    if pd.api.types.is_datetime64_any_dtype(s):
        s = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        return s.astype("datetime64[ns]")
    text = s.astype("string").str.strip()
    parsed = _utc_naive(pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True))
    rest = parsed.isna() & text.notna() & (text != "")
    if rest.any():
        other = text.where(rest)
        day_first = _day_first(other.dropna())
        other = pd.to_datetime(other, errors="coerce", format="mixed", dayfirst=day_first, utc=True)
        other = _utc_naive(other)
        parsed = parsed.mask(rest, other)
    return parsed


def _utc_naive(parsed: pd.Series) -> pd.Series:
    """UTC instants as tz-naive datetime64[ns]; years outside 1677-2262 are NaT."""
    naive = parsed.dt.tz_convert(None)
    ok = (naive >= pd.Timestamp.min) & (naive <= pd.Timestamp.max)
    return naive.where(ok).astype("datetime64[ns]")


def _day_first(text: pd.Series) -> bool:
    """dd/mm/yyyy when some first number is past 12 and no second one is."""
    parts = text.head(20_000).str.extract(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}")
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    return bool((first > 12).any() and not (second > 12).any())


def ambiguous_day_month(s: pd.Series) -> bool:
    """Dates such as 03/04/2025 where no value proves the order (no number past 12 on
    either side): they are read month first, and the report says so."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return False
    text = s.astype("string").str.strip().dropna().head(20_000)
    parts = text.str.extract(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}")
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    differ = (first != second) & first.notna()
    return bool(differ.any() and not (first > 12).any() and not (second > 12).any())


def to_numbers(s: pd.Series) -> pd.Series:
    """Numbers as float64 ('1,200' and '$300' allowed); other text is NaN."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(np.float64)
    text = s.astype("string").str.strip().str.replace(r"[$€£\s]", "", regex=True)
    if _decimal_comma(text):  # "1.234,56" and "12,5": dots group thousands, a comma decimals
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    x = pd.to_numeric(text, errors="coerce").astype(np.float64)
    return x.where(np.isfinite(x))  # 'inf' is no amount: not a number


EU_NUMBER = r"^[-+]?\d{1,3}(?:\.\d{3})*,\d+$|^[-+]?\d+,\d{1,2}$|^[-+]?\d+,\d{4,}$"
US_NUMBER = r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[-+]?\d*\.\d+$"


def _decimal_comma(text: pd.Series) -> bool:
    """A column written with a decimal comma: some value can only be read that way
    ("1.234,56", "12,5") and none only the other way ("1,234.56", "0.5")."""
    sample = text.dropna().head(20_000)
    if not sample.str.contains(",", regex=False).any():
        return False
    eu = sample.str.contains(EU_NUMBER, regex=True)
    us = sample.str.contains(US_NUMBER, regex=True) & ~sample.str.fullmatch(r"[-+]?\d{1,3}\.\d{3}")
    return bool(eu.any() and not us.any())


def parse_dates(s: pd.Series, column: str, source: str, *, required: bool = False) -> pd.Series:
    """Parse a date column; unparseable values (and blanks when required) are errors."""
    parsed = to_dates(s)
    if not pd.api.types.is_datetime64_any_dtype(s):
        _refuse_unparsed(s.astype("string").str.strip(), parsed, column, source, "dates")
    if required and parsed.isna().any():
        raise DataError(
            f"{source}: column '{column}' is empty at rows {row_numbers(parsed.isna())}"
        )
    return parsed


def parse_outcome(s: pd.Series, source: str) -> pd.Series:
    """Map outcome values to won / lost / open; anything else is an error naming it."""
    text = s.astype("string").str.strip().str.lower().fillna("")
    out = pd.Series(np.where(text.isin(WON), "won", np.where(text.isin(LOST), "lost", "open")))
    unknown = ~(text.isin(WON) | text.isin(LOST) | text.isin(OPEN))
    if unknown.any():
        values = ", ".join(repr(v) for v in s[unknown].astype(str).drop_duplicates().head(5))
        raise DataError(
            f"{source}: column 'outcome' has values that are not won, lost or open: {values}"
            f" at rows {row_numbers(unknown)}"
        )
    return out.set_axis(s.index)


def parse_numbers(s: pd.Series, column: str, source: str) -> pd.Series:
    """Parse a numeric column ('1,200', '$300' allowed); other text is an error."""
    parsed = to_numbers(s)
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        _refuse_unparsed(s.astype("string").str.strip(), parsed, column, source, "numbers")
    return parsed


def _refuse_unparsed(
    text: pd.Series, parsed: pd.Series, column: str, source: str, what: str
) -> None:
    """Raise naming the rows whose non-blank text did not parse as `what`."""
    bad = parsed.isna() & text.notna() & (text != "")
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].drop_duplicates().head(3))
        raise DataError(
            f"{source}: column '{column}' has {int(bad.sum())} values that are not {what}, "
            f"e.g. {examples} at rows {row_numbers(bad)}"
        )


def _require(frame: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns[:12]))
        raise DataError(
            f"{source}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)} (found: {have})"
        )


def _no_blank_ids(frame: pd.DataFrame, column: str, source: str) -> None:
    blank = frame[column].isna() | (frame[column] == "")
    if blank.any():
        raise DataError(f"{source}: column '{column}' is empty at rows {row_numbers(blank)}")


def row_numbers(mask: pd.Series, limit: int = 5) -> str:
    """Spreadsheet row numbers (header = row 1) of the first few True values; a frame read in
    parts keeps each row's original position as its index."""
    hit = mask.to_numpy(dtype=bool)
    rows = (mask.index.to_numpy()[hit] + 2).tolist()  # the index is the row's position
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def flat_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Parquet list, struct and map columns as JSON text: a level of a criterion is one
    value, and the rest of the pipeline hashes values."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        sample = frame[column].dropna().head(100)
        if sample.map(lambda v: isinstance(v, list | tuple | dict | np.ndarray)).any():
            frame[column] = frame[column].map(_as_text, na_action="ignore").astype("string")
    return frame


def _as_text(value) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    try:
        return json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def unreadable(path: Path, exc: Exception) -> DataError:
    """The one message for a file a reader failed on (both engines' readers use it)."""
    if isinstance(exc, UnicodeDecodeError):
        return DataError(f"{path}: not UTF-8 text (a binary file, or another encoding: "
                         "`leadscore import` reads any)")  # fmt: skip
    return DataError(f"{path}: cannot read the file ({_first_line(exc)})")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
