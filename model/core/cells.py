"""What one cell of an export means and how it is written back: placeholder and truthy
words, numbers and dates as CRMs and spreadsheets write them, and text a spreadsheet would
run as a formula made inert (OWASP's CSV-injection rule: a cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return, or their full-width forms, gets a leading apostrophe;
text that is a plain number such as "-5" stays as it is)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

PLACEHOLDERS: frozenset[str] = frozenset(
    {"", "select", "n/a", "-", "--", "null", "none", "nan", "-none-", "--none--"}
)
# Yes/No words an export writes for a true/false column (a column of them is typed bool).
BOOLEAN_WORDS = {
    **dict.fromkeys(("true", "yes", "y"), True),
    **dict.fromkeys(("false", "no", "n"), False),
}
TRUTHY: frozenset[str] = frozenset({w for w, v in BOOLEAN_WORDS.items() if v} | {"t", "1", "1.0"})
# What text comparisons trim: ASCII white space and the no-break space exports are full of.
# The SQL export trims exactly these (SQL's TRIM alone takes only spaces).
TRIM = " \t\n\r\f\v\xa0"
# English month names as exports write them ("Aug", "Sept.", "August").
MONTH_NAME = (
    r"\b(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# day, month and year with separators: "2026-03-01", "01/03/2026", or with the month's
# name as Zoho and Excel write them: "Aug 12, 2025 05:36 PM", "12-Aug-2025", "5 March
# 2025" (not "may", not "5191", not "Mar 2025")
DATE_LIKE = (
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|{MONTH_NAME}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}[-\s]{MONTH_NAME}[-\s,]+\d{{2,4}}"
)


TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def inert(value: object) -> object:
    """One cell: text that would start a formula, prefixed with an apostrophe."""
    text = isinstance(value, str) and value.startswith(TRIGGERS)
    return "'" + value if text and not PLAIN_NUMBER.fullmatch(value) else value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell made inert (header included); numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(inert, na_action="ignore")
    out.columns = [inert(c) if isinstance(c, str) else c for c in out.columns]
    return out


def duckdb_inert(column: str) -> str:
    """The same rule as a DuckDB expression over a text column (for the SQL engine)."""
    return (
        f"CASE WHEN regexp_matches({column}, '^[=+\\-@\\t\\r\uff1d\uff0b\uff0d\uff20]') "
        f"AND NOT regexp_matches({column}, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)"
        f"([eE][+-]?[0-9]+)?$') THEN '''' || {column} ELSE {column} END"
    )


# Excel's serial days from 1950 to 2100: a date cell read as its number. Other numbers
# (a year, Unix seconds, an amount) are no dates.
EXCEL_DAYS = (18_264, 73_051)
EXCEL_DAY = r"\d{5}(?:\.\d+)?"  # a serial day written as text: '45678', '45678.5'
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def to_dates(s: pd.Series) -> pd.Series:
    """Dates as datetime64[ns], tz-naive (offsets converted to UTC); text that is not a
    date (or out of range) is NaT. A column of plain ISO text is cast by Arrow; other
    layouts ("03/01/2026", "1 Mar 2026", offsets) go through pandas, day first when a first
    number past 12 proves it. Numbers, and text that is one, are Excel's serial days (a
    workbook's date cells that lost their format: 45678 is 2025-01-21)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        s = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        return s.astype("datetime64[ns]")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return excel_days(s)
    text = s.astype("string")
    text = text.str.strip() if may_need_trim(text) else text  # trimmed text is not copied
    plain = _plain_dates(text)
    if plain is not None:
        return plain
    parsed = _dates_in_text(text)
    rest = text[parsed.isna() & text.notna()]  # only what no layout read: rarely any
    serial = rest[rest.str.fullmatch(EXCEL_DAY).fillna(False)]
    return parsed.fillna(excel_days(serial)) if len(serial) else parsed


def excel_days(s: pd.Series) -> pd.Series:
    """Numbers as Excel's serial days (the fraction is the time of day); NaT outside
    EXCEL_DAYS."""
    x = pd.to_numeric(s, errors="coerce").astype("float64")
    x = x.where((x >= EXCEL_DAYS[0]) & (x < EXCEL_DAYS[1]))
    return (EXCEL_EPOCH + pd.to_timedelta(x.round(5), unit="D")).astype("datetime64[ns]")


def _dates_in_text(text: pd.Series) -> pd.Series:
    """The general reading of trimmed text: ISO with or without offsets, then the rest."""
    parsed = _utc_naive(pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True))
    rest = parsed.isna() & text.notna() & (text != "")
    if rest.any():
        other = text.where(rest)
        day_first = _day_first(other.dropna())
        other = pd.to_datetime(other, errors="coerce", format="mixed", dayfirst=day_first, utc=True)
        other = _utc_naive(other)
        parsed = parsed.mask(rest, other)
    return parsed


def _plain_dates(text: pd.Series) -> pd.Series | None:
    """A column whose every value is an ISO date or date-time without an offset (or blank),
    read by Arrow's cast in one pass (three times pandas' ISO reading); None when any value
    is written otherwise, out of range or not a date, for the general reading."""
    values = arrow_text(text)
    blank = pc.equal(values, "")
    if pc.any(blank).as_py():  # blanks are missing: a copy only when there are some
        values = pc.if_else(blank, pa.scalar(None, pa.string()), values)
    try:
        stamps = pc.cast(values, pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(stamps.to_numpy(zero_copy_only=False), index=text.index, name=text.name)


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
    """Numbers as float64 ('1,200' and '$300' allowed); other text is NaN. A column of
    plain numbers takes Arrow's one pass, proven equal to the general reading."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(np.float64)
    plain = plain_numbers(s)
    return plain if plain is not None else _numbers_in_text(s)


# Currency codes written beside an amount ("USD 5,900.00", "1.234,56 EUR": exports of
# multi-currency accounts, and spreadsheets formatted with a currency's code), read as the
# amount alone; a column holding several is said by the import (currencies_in).
CURRENCY_CODES = [
    "USD",
    "EUR",
    "GBP",
    "CHF",
    "JPY",
    "CNY",
    "CAD",
    "AUD",
    "NZD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "BRL",
    "MXN",
    "INR",
    "HKD",
    "SGD",
    "ZAR",
    "AED",
    "SAR",
    "ILS",
    "TRY",
    "KRW",
    "RON",
    "BGN",
]
CURRENCY_CODE = r"^(?:{0})\s*|\s*(?:{0})$".format("|".join(CURRENCY_CODES))
# what the general reading takes out of an amount: currency signs and codes, spaces, and
# the Swiss apostrophe between thousands ("1'234.50")
NOT_AMOUNT = rf"{CURRENCY_CODE}|[$€£\s]|(?<=\d)['’](?=\d{{3}})"


def currencies_in(s: pd.Series) -> list[str]:
    """The currency codes written in a column of amounts, most common first (a column
    without a capital letter, most of them, is told so by one Arrow pass)."""
    if not _capital_at_an_edge(arrow_text(s)):
        return []
    text = s.dropna().astype("string").str.strip()
    codes = text.str.extract(rf"^({'|'.join(CURRENCY_CODES)})\b|\b({'|'.join(CURRENCY_CODES)})$")
    found = codes[0].fillna(codes[1]).dropna()
    return found.value_counts().index.tolist()


def _capital_at_an_edge(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether some value starts or ends with a capital letter, where a currency code
    stands: read from Arrow's offsets and bytes (a million amounts in a few ms)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    return any(_some_edge(chunk, lambda b: (b >= 0x41) & (b <= 0x5A)) for chunk in chunks)


def _numbers_in_text(s: pd.Series) -> pd.Series:
    """The general reading: currency signs and codes, spaces, thousands (commas, dots or
    Swiss apostrophes) and decimal commas."""
    text = s.astype("string").str.strip().str.replace(NOT_AMOUNT, "", regex=True)
    if _decimal_comma(text):  # "1.234,56" and "12,5": dots group thousands, a comma decimals
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    x = pd.to_numeric(text, errors="coerce").astype(np.float64)
    return x.where(np.isfinite(x))  # 'inf' is no amount: not a number


ARROW_NUMBER = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"  # RE2: \d is 0-9


def _all_plain(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every value is a plain number or blank, white space around it allowed."""
    text = pc.utf8_trim_whitespace(text)
    plain = pc.or_(pc.match_substring_regex(text, ARROW_NUMBER), pc.equal(text, ""))
    return pc.all(plain, skip_nulls=True, min_count=0).as_py()


def plain_numbers(s: pd.Series) -> pd.Series | None:
    """A column whose every value is a plain number ('12', '-0.5', '1e3') or blank, read by
    Arrow in one pass (a million rows in tens of milliseconds, where the general reading
    below takes a second); None for anything else: currency, grouping, decimal commas."""
    text = arrow_text(s)
    if not _all_plain(text.slice(0, 1000)):  # most text columns show it at once
        return None
    if may_need_trim(text):
        text = pc.utf8_trim_whitespace(text)
    blank = pc.equal(text, "")
    if (cast := _cast_number_bytes(text, blank)) is not None:
        return pd.Series(cast, index=s.index, name=s.name)
    plain = pc.match_substring_regex(text, ARROW_NUMBER)
    if not pc.all(pc.or_(plain, blank), skip_nulls=True, min_count=0).as_py():
        return None
    if pc.any(blank).as_py():  # blanks are missing: cast only the numbers (a copy)
        text = pc.if_else(plain, text, None)
    x = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    x = np.where(np.isfinite(x), x, np.nan)  # 'inf' is no amount; '1e999' overflows to it
    return pd.Series(x, index=s.index, name=s.name)


NUMBER_BYTES = np.zeros(256, bool)
NUMBER_BYTES[[*b"0123456789+-.eE"]] = True


def _cast_number_bytes(text: pa.Array | pa.ChunkedArray, blank: pa.Array) -> np.ndarray | None:
    """The numbers of trimmed text written with digits, signs, dots and e's alone, when
    Arrow's cast reads every one (it takes exactly the plain numbers of ARROW_NUMBER, and
    refuses '1.2.3', '1e', '--1'): a byte look-up instead of a pattern per value, four
    times as fast. None when a value has another byte or the cast refuses one."""
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    for chunk in chunks:
        if chunk.type not in (pa.string(), pa.large_string()):
            return None
        start, stop, data = _bytes_of(chunk)
        if len(chunk) and not NUMBER_BYTES[data[start[0] : stop[-1]]].all():
            return None
    if pc.any(blank).as_py():
        text = pc.if_else(blank, pa.scalar(None, text.type), text)
    try:
        x = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.where(np.isfinite(x), x, np.nan)  # '1e999' overflows to inf: no amount


def may_need_trim(text: pd.Series | pa.Array | pa.ChunkedArray) -> bool:
    """Whether some value starts or ends with a byte that is not printable ASCII: every
    value that trimming would change (white space of any script) does. Read from Arrow's
    offsets and bytes, a million values in 7 ms without copying them."""
    values = arrow_text(text) if isinstance(text, pd.Series) else text
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    return any(_edge_bytes(chunk) for chunk in chunks)


def arrow_text(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow text: the array itself when pandas holds it in Arrow already."""
    return pa.array(s.astype("string[pyarrow]").array)


def _bytes_of(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each value of an Arrow text chunk starts and stops in its bytes, and the
    bytes: numpy views of its buffers, nothing copied."""
    _, offsets, data = chunk.buffers()
    wide = np.int64 if chunk.type == pa.large_string() else np.int32
    ends = np.frombuffer(offsets, wide)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return ends[:-1], ends[1:], data


def _edge_bytes(chunk: pa.Array) -> bool:
    """Whether some value of one Arrow chunk starts or ends outside printable ASCII."""
    return _some_edge(chunk, lambda b: (b < 0x21) | (b > 0x7E))


def _some_edge(chunk: pa.Array, test: Callable[[np.ndarray], np.ndarray]) -> bool:
    """Whether the first or last byte of some value of one Arrow text chunk passes `test`
    (a chunk of another layout: True, so the caller looks at it the slow way)."""
    if chunk.type not in (pa.string(), pa.large_string()):
        return True
    if len(chunk) == 0:
        return False
    start, stop, data = _bytes_of(chunk)
    full = stop > start
    edges = np.concatenate([data[start[full]], data[stop[full] - 1]])
    return bool(test(edges).any())


def could_be(values: pa.Array | pa.ChunkedArray, words: frozenset[str]) -> np.ndarray:
    """Where a value could be one of the (lower-case ASCII) `words` in any case, told from
    its length and first byte alone: the few values worth lowering and looking up (a
    column of numbers or names has none)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    longest = max(map(len, words), default=-1)
    firsts = np.zeros(256, bool)
    for w in filter(None, words):
        firsts[[ord(w[0]), ord(w[0].upper())]] = True
    out = []
    for chunk in chunks:
        if chunk.type not in (pa.string(), pa.large_string()):
            out.append(np.ones(len(chunk), bool))
            continue
        start, stop, data = _bytes_of(chunk)
        size = stop - start
        first = data[np.minimum(start, max(len(data) - 1, 0))] if len(data) else size * 0
        out.append(((size == 0) & ("" in words)) | ((size <= longest) & (size > 0) & firsts[first]))
    return np.concatenate(out) if out else np.zeros(0, bool)


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
