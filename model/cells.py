"""Text cells that a spreadsheet would run as formulas, made inert for CSV and Excel.

OWASP's CSV-injection rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms) gets a leading apostrophe, so Excel, LibreOffice and
Google Sheets show it as text. Numbers stay numbers, and so does text that is a plain
number ("-5", "+6"), which no spreadsheet runs.
"""

from __future__ import annotations

import re

import pandas as pd

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
    return (f"CASE WHEN regexp_matches({column}, '^[=+\\-@\\t\\r\uff1d\uff0b\uff0d\uff20]') "
            f"AND NOT regexp_matches({column}, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)"
            f"([eE][+-]?[0-9]+)?$') THEN '''' || {column} ELSE {column} END")  # fmt: skip
