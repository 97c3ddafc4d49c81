"""Which lead columns can be criteria: ids, running numbers and free text are left out
(with the reason), integer codes of categories are levels. Read by the starter model, the
import's report and suggested points alike."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from model.core.cells import BOOLEAN_WORDS, DATE_LIKE, PLACEHOLDERS, to_numbers
from model.core.dataset import RESERVED

ID_NAME = re.compile(r"(^|[\s_\-.#])(id|number|no|num|key|uuid|guid|row)$", re.IGNORECASE)
TEXT_NAME = re.compile(
    r"\b(e-?mail|phone|mobile|fax|website|url|address|street|notes?|description|comments?|"
    r"(?:first|last|full|contact|person|lead)[\W_]*name|subject|"
    r"(?:deal|opportunity|organi[sz]ation|account|company)[\W_]*(?:name|title))\b",
    re.IGNORECASE,
)
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
    if whole and unique and running_number(known):
        return "a running number (unique per row)"
    return None


def running_number(x: pd.Series) -> bool:
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


CODE_NAME = re.compile(
    r"code|type|region|browser|system|os\b|category|class|segment|group|"
    r"month|day|week|hour|quarter",
    re.IGNORECASE,
)
MAX_CODE_LEVELS = 25  # an integer column with at most this many codes may be categories


def category_codes(column: str, x: pd.Series) -> bool:
    """Whole numbers naming categories: few distinct values and a name that says code,
    type, region, browser... (a range of browser codes 2-4 means nothing)."""
    whole = bool(np.all(np.mod(x.to_numpy(), 1) == 0))
    return whole and x.nunique() <= MAX_CODE_LEVELS and bool(CODE_NAME.search(column))


def unique_ids(criteria: list[dict]) -> list[dict]:
    """Criterion ids made unique in place ('x', 'x_2', 'x_3'...): labels can slug alike."""
    seen: set[str] = set()
    for c in criteria:
        base, k = c["id"], 2
        while c["id"] in seen:
            c["id"], k = f"{base}_{k}", k + 1
        seen.add(c["id"])
    return criteria


def _id_like(known: pd.Series) -> bool:
    """Mostly distinct values (ids, emails, free text): no level worth a criterion."""
    distinct = known.nunique()
    return distinct > 20 and distinct > 0.5 * len(known)


def slug(text: str, sep: str = "_", *, empty: str = "c") -> str:
    """Lower-case letters and digits joined by `sep`, at most 60 characters: ids and names."""
    return re.sub(r"[^a-z0-9]+", sep, text.lower())[:60].strip(sep) or empty
