"""The scoring model as editable tables (one row per criterion, one per band) and back.

The Model page edits these tables; `model_from_tables` turns the edited rows into a
validated ScoringModel or raises ModelError naming the criterion and the field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from model.core.spec import ModelError, ScoringModel, criteria_only, parse_model

CRITERIA_COLUMNS = [
    "id", "label", "group", "points", "attribute", "op", "value", "low", "high",
    "events", "max_count", "decay", "note",
]  # fmt: skip
BAND_COLUMNS = ["name", "min_score", "action", "sales_ready"]
OPS = ["equals", "in", "between", "days_since", "is_true", "is_missing", "is_filled", "count"]


def criteria_table(model: ScoringModel) -> pd.DataFrame:
    """One row per criterion; list values as comma-separated text, event types as a list
    (the editor's multiselect)."""
    rows = []
    for c in model.criteria:
        r = c.rule.model_dump(mode="json")
        value = r.get("value")
        if r.get("values") is not None:
            value = ", ".join(str(v) for v in r["values"])
        rows.append(
            {
                "id": c.id,
                "label": c.label,
                "group": c.group,
                "points": c.points,
                "attribute": r.get("attribute"),
                "op": r.get("op"),
                "value": None if value is None else str(value),
                "low": _text(r.get("low")),
                "high": _text(r.get("high")),
                "events": list(r.get("events", [])),
                "max_count": r.get("max_count"),
                "decay": c.decay.describe() if c.decay else None,
                "note": c.note,
            }
        )
    frame = pd.DataFrame(rows, columns=CRITERIA_COLUMNS)
    text = ["attribute", "op", "value", "low", "high", "decay", "note"]
    frame[text] = frame[text].fillna("").astype(object)  # blank cells, not "None"
    frame["points"] = frame["points"].astype("float64")
    frame["max_count"] = frame["max_count"].astype("float64")
    return frame


def bands_table(model: ScoringModel) -> pd.DataFrame:
    return pd.DataFrame([b.model_dump() for b in model.bands], columns=BAND_COLUMNS)


@dataclass(frozen=True)
class Draft:
    """The model the edited tables make, and the criterion rows left out of it because they
    are not complete yet (one sentence each), so that a half-filled row blocks nothing."""

    model: ScoringModel
    left_out: tuple[str, ...] = ()


def draft_from_tables(criteria: pd.DataFrame, bands: pd.DataFrame, **settings: Any) -> Draft:
    """The model from the complete rows; each incomplete or invalid criterion row is left
    out with a sentence saying what it lacks. Band and model-wide errors still raise."""
    kept, left_out = [], []
    for i, row in enumerate(_records(criteria)):
        if not _filled(row):
            continue
        problem = _row_problem(row, i)
        if problem:
            left_out.append(problem)
        else:
            kept.append(row)
    frame = pd.DataFrame(kept, columns=CRITERIA_COLUMNS)
    return Draft(model_from_tables(frame, bands, **settings), tuple(left_out))


def _row_problem(row: dict[str, Any], i: int) -> str | None:
    """Why one criterion row cannot score yet, in the room's words, or None."""
    name = row.get("label") or row.get("id") or f"row {i + 1}"
    lacking = lacking_words(row)
    if lacking is None:
        try:
            criteria_only([_criterion(row, i)])
        except ModelError as exc:
            lacking = str(exc).split(": ", 1)[-1]
    if lacking is None:
        return None
    return f"criterion '{name}' is left out until it is complete: {lacking}"


NEVER = {"never", "none", "no decay", "no", "0"}
HALF_LIFE = re.compile(
    r"half[- ]?life\s*(?:of\s*)?(\d+(?:\.\d+)?)\s*(?:d|days?)?"
    r"|(\d+(?:\.\d+)?)\s*(?:d|days?)\s*half[- ]?life"
)
LINEAR = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(?:(?:per|/|a|every)\s*30\s*(?:d|days?))?")


def parse_decay(text: str, where: str = "criterion") -> dict[str, Any]:
    """A criterion's own decay from the table's words: 'never', 'half-life 7 d' (or
    '7 d half-life'), '20 % per 30 d'; anything else is named with what to write."""
    words = text.strip().lower()
    if words in NEVER:
        return {"mode": "none"}
    if found := HALF_LIFE.fullmatch(words):
        return {"mode": "half_life", "half_life_days": float(found.group(1) or found.group(2))}
    if found := LINEAR.fullmatch(words):
        return {"mode": "linear", "percent_per_30_days": float(found.group(1))}
    raise ModelError(
        f"{where}: decay {text!r} is not one this table reads: write 'never', "
        "'half-life 7 d' or '20 % per 30 d' (blank: the model's decay)"
    )


def lacking_words(row: dict[str, Any]) -> str | None:
    """What a half-filled criterion row (or rule) still needs, before pydantic would say
    it less plainly; the table and the rule builder say it in the same words."""
    op = row.get("op") or ("count" if row.get("events") else None)
    if op is None:
        return "pick what it reads: an attribute and an op, or the events it counts"
    if op == "count":
        return None if _split(row.get("events")) else "pick the event types it counts"
    if not row.get("attribute"):
        return f"pick the attribute it reads with '{op}'"
    if op == "equals" and row.get("value") is None:
        return "type the value the attribute equals"
    if op == "in" and not _split(row.get("value")):
        return "type the values it is in, separated by commas"
    if op in ("between", "days_since") and row.get("low") is None and row.get("high") is None:
        return "give a low bound, a high bound or both"
    return None


def model_from_tables(
    criteria: pd.DataFrame,
    bands: pd.DataFrame,
    *,
    name: str,
    caps: dict[str, float],
    decay: dict[str, Any],
    baseline: float = 0.0,
    target: dict[str, Any] | None = None,
    accounts: dict[str, Any] | None = None,
    applies_to: list[dict[str, Any]] | None = None,
) -> ScoringModel:
    """Build and validate a model from edited tables; blank rows are ignored. `accounts`
    and `applies_to`, set on the Accounts and Models pages, are carried over as they are."""
    crit = [_criterion(row, i) for i, row in enumerate(_records(criteria)) if _filled(row)]
    band_rows = [_band(row) for row in _records(bands) if _filled(row)]
    band_rows.sort(key=lambda b: -b["min_score"] if isinstance(b["min_score"], int) else 0)
    data = {
        "name": name,
        "criteria": crit,
        "baseline": baseline,
        "caps": caps,
        "decay": decay,
        "bands": band_rows,
        **({"target": target} if target else {}),
        **({"accounts": accounts} if accounts else {}),
        **({"applies_to": applies_to} if applies_to else {}),
    }
    return parse_model(data)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _clean(value: Any) -> Any:
    """Blank cells (None, NaN, empty or whitespace text, an empty pick) become None; a
    multiselect cell becomes a list of text."""
    if value is None:
        return None
    if hasattr(value, "__len__") and not isinstance(value, str | bytes | dict):
        return [str(v) for v in value] or None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _filled(row: dict[str, Any]) -> bool:
    return any(v is not None for v in row.values())


def _criterion(row: dict[str, Any], i: int) -> dict[str, Any]:
    cid = row.get("id") or f"criterion_{i + 1}"
    where = f"criterion '{cid}'"
    out: dict[str, Any] = {
        "id": cid,
        "label": row.get("label") or cid,
        "group": row.get("group") or "fit",
        "points": row.get("points") if row.get("points") is not None else 0,
    }
    if row.get("note"):
        out["note"] = row["note"]
    if row.get("decay"):
        out["decay"] = parse_decay(str(row["decay"]), where)
    op = row.get("op") or ("count" if row.get("events") else None)
    if op == "count":
        rule: dict[str, Any] = {"events": _split(row.get("events")), "op": "count"}
        if row.get("max_count") is not None:
            rule["max_count"] = row["max_count"]
    else:
        rule = attribute_rule(row, op, where)
    out["rule"] = rule
    return out


def attribute_rule(row: dict[str, Any], op: str | None, where: str) -> dict[str, Any]:
    """An attribute rule from a table row (attribute, op, value, low, high), as criteria
    and a model's coverage write them."""
    if op is None:
        raise ModelError(f"{where}: op is required (one of {', '.join(OPS)})")
    rule = {"attribute": row.get("attribute") or "", "op": op}
    if op == "equals":
        rule["value"] = _scalar(row.get("value"))
    elif op == "in":
        rule["values"] = [_scalar(v) for v in _split(row.get("value"))]
    elif op in ("between", "days_since"):
        for side in ("low", "high"):
            if row.get(side) is not None:
                rule[side] = _bound(row[side], f"{where}: {side}")
    return rule


COVERAGE_COLUMNS = ["attribute", "op", "value", "low", "high"]
COVERAGE_OPS = ["equals", "in", "between", "is_true", "is_missing", "is_filled"]


def coverage_table(model: ScoringModel) -> pd.DataFrame:
    """The model's applies_to rules, one row each, in the criteria table's columns."""
    rows = []
    for r in model.applies_to:
        d = r.model_dump(mode="json")
        value = ", ".join(str(v) for v in d["values"]) if d.get("values") else d.get("value")
        rows.append({"attribute": d["attribute"], "op": d["op"],
                     "value": None if value is None else str(value),
                     "low": _text(d.get("low")), "high": _text(d.get("high"))})  # fmt: skip
    frame = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    return frame.fillna("").astype(object)


def coverage_rules(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The coverage rows as applies_to rules; blank rows are ignored, a bad one is named."""
    rules = []
    for i, row in enumerate(_records(frame)):
        if _filled(row):
            rules.append(attribute_rule(row, row.get("op"), f"coverage row {i + 1}"))
    return rules


def _band(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in BAND_COLUMNS}
    out["action"] = out["action"] or ""
    out["sales_ready"] = bool(out["sales_ready"])
    score = out["min_score"]
    if isinstance(score, float) and score.is_integer():
        out["min_score"] = int(score)
    return out


def _split(text: Any) -> list[str]:
    """Comma-separated text, or a list from a multiselect cell, as clean parts."""
    if text is None:
        return []
    parts = text if isinstance(text, list | tuple) else str(text).split(",")
    return [str(part).strip() for part in parts if str(part).strip()]


def _scalar(text: Any) -> Any:
    """'5000' -> 5000, '2.5' -> 2.5, 'true' -> True, anything else stays text."""
    if not isinstance(text, str):
        return text
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _bound(text: Any, where: str) -> float | str:
    """A between bound: a number, or a date as YYYY-MM-DD."""
    value = _scalar(text)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        return pd.Timestamp(str(value)).date().isoformat()
    except ValueError:
        raise ModelError(f"{where} must be a number or a date, got {text!r}") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
