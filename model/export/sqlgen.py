"""The scoring model as one SQL SELECT, so the warehouse that holds the CRM data scores it
exactly as the app does.

The query reads a leads table (lead_id, created_at, attributes) and an events table
(lead_id, occurred_at, event_type), and returns lead_id, fit, engagement, score, band and,
with a calibration, confidence. It follows the engine rule for rule: text compared trimmed
and case-blind with placeholders ("Select", "N/A", "-", blank) as missing, events counted
only before the decision moment with their decay weight, counts capped, engagement capped
then floored, fit capped, the total clipped to 0-100, bands from the top.

Every value from the model is a quoted literal and every name a quoted identifier, so a
criterion value such as `O'Brien; DROP TABLE leads` stays data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from model.core import words
from model.core.cells import PLACEHOLDERS, TRIM, TRUTHY
from model.core.dataset import AsOf
from model.core.spec import AttributeRule, Criterion, ScoringModel

NS_PER_SECOND = 10**9


@dataclass(frozen=True)
class Dialect:
    """What differs between warehouses: quoting, text casts and time differences."""

    text_type: str
    double_type: str
    # nanoseconds from timestamp a to timestamp b, as an exact integer where the warehouse
    # has one (DuckDB), else seconds scaled
    ns_between: Callable[[str, str], str]


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


DIALECTS = dict(
    zip(
        words.DIALECTS,
        (
            Dialect("VARCHAR", "DOUBLE", lambda a, b: f"(epoch_ns({b}) - epoch_ns({a}))"),
            Dialect(
                "TEXT",
                "DOUBLE PRECISION",
                lambda a, b: f"(EXTRACT(EPOCH FROM ({b} - {a})) * 1000000000)",
            ),
            Dialect(
                "VARCHAR",
                "DOUBLE PRECISION",
                lambda a, b: (
                    f"(CAST(TIMESTAMPDIFF(SECOND, {a}, {b}) AS DOUBLE PRECISION) * 1000000000)"
                ),
            ),
        ),
        strict=True,
    )
)


class SqlError(ValueError):
    """A model or setting that cannot be written as SQL; the message says why."""


def literal(value: object) -> str:
    """A SQL literal: strings single-quoted with quotes doubled, numbers in full precision
    (fractions in exponent form, which DuckDB reads as a double rather than a decimal)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | np.integer | np.floating):
        x = float(value)
        if not math.isfinite(x):
            raise SqlError(f"{value!r} cannot be written as a SQL number")
        if x.is_integer() and abs(x) < 2**53:
            return str(int(x))
        text = repr(x)  # shortest text that reads back as the same double
        return text if "e" in text else f"{text}e0"  # exponent form: a double, not a decimal
    return "'" + str(value).replace("'", "''") + "'"


def table_name(name: str) -> str:
    """A table name, optionally schema-qualified ("analytics.leads"), each part quoted."""
    parts = name.split(".")
    if not all(p.strip() for p in parts):
        raise SqlError(f"table name {name!r} has an empty part")
    return ".".join(_quote_ident(p.strip()) for p in parts)


def to_sql(
    model: ScoringModel,
    dialect: str = "duckdb",
    leads_table: str = "leads",
    events_table: str = "events",
    as_of: AsOf | str = "created+14d",
    confidence: np.ndarray | None = None,
) -> str:
    """One SELECT scoring every lead of `leads_table` as of the decision moment."""
    d = DIALECTS.get(dialect)
    if d is None:
        raise SqlError(f"dialect must be one of {', '.join(DIALECTS)}, got {dialect!r}")
    as_of = AsOf.parse(as_of) if isinstance(as_of, str) else as_of
    events = [(j, c) for j, c in enumerate(model.criteria) if c.on_events]
    attrs = [c for c in model.criteria if not c.on_events]
    counts = _counts_cte(d, model, events, leads_table, events_table, as_of)
    fit_attr = _sum([_attribute_term(d, c, as_of) for c in attrs if c.group == "fit"])
    eng_attr = _sum([_attribute_term(d, c, as_of) for c in attrs if c.group == "engagement"])
    raw_fit = _sum(
        [f"{literal(c.points)} * COALESCE(c.r{j}, 0)" for j, c in events if c.group == "fit"]
    )
    eng_ev = [(j, c) for j, c in events if c.group == "engagement"]
    decayed = _sum([f"{literal(c.points)} * COALESCE(c.d{j}, 0)" for j, c in eng_ev])
    undecayed = _sum([f"{literal(c.points)} * COALESCE(c.r{j}, 0)" for j, c in eng_ev])
    cap_e, cap_f = literal(model.caps.engagement), literal(model.caps.fit)
    engagement = f"LEAST({decayed} + {eng_attr}, {cap_e})"
    if model.decay.mode != "none" and events:
        floor = literal(min(model.caps.engagement, model.floor))
        engagement = f"GREATEST({engagement}, LEAST({undecayed} + {eng_attr}, {floor}))"
    bands = " ".join(
        f"WHEN score >= {literal(b.min_score)} THEN {literal(b.name)}" for b in model.bands[:-1]
    )
    band = (
        f"CASE {bands} ELSE {literal(model.bands[-1].name)} END"
        if bands
        else literal(model.bands[-1].name)
    )
    conf = f",\n  {_confidence_case(confidence)} AS confidence" if confidence is not None else ""
    lead = f"l.{_quote_ident('lead_id')}"
    join = f"LEFT JOIN counts c ON c.lead_id = {lead}" if events else ""
    return f"""WITH {counts}parts AS (
  SELECT {lead} AS lead_id,
    LEAST({fit_attr} + {raw_fit}, {cap_f}) AS fit,
    {engagement} AS engagement
  FROM {table_name(leads_table)} l
  {join}
), scored AS (
  SELECT lead_id, fit, engagement,
    LEAST(GREATEST({literal(float(model.baseline))} + fit + engagement, 0), 100) AS score
  FROM parts
)
SELECT lead_id, fit, engagement, score,
  {band} AS band{conf}
FROM scored
"""


SUM_RUN = 64  # terms summed in one run; longer sums nest runs, so that a model of 10,000
# criteria stays within a SQL parser's expression depth (DuckDB's is 1,000)


def _sum(terms: list[str]) -> str:
    """The terms added in model order; past SUM_RUN terms, runs of them added, so the
    nesting depth grows with the number of runs, not of terms."""
    if not terms:
        return "0"
    if len(terms) <= SUM_RUN:
        return "(" + " + ".join(terms) + ")"
    return _sum([_sum(terms[i : i + SUM_RUN]) for i in range(0, len(terms), SUM_RUN)])


# ------------------------------------------------------------------------ attributes


def _attribute_term(d: Dialect, c: Criterion, as_of: AsOf) -> str:
    return f"CASE WHEN {condition(d, c.rule, as_of)} THEN {literal(c.points)} ELSE 0 END"


def condition(d: Dialect, rule: AttributeRule, as_of: AsOf | None = None) -> str:
    """The rule as a SQL condition that is never true on a missing value (but is_missing);
    `as_of` is the decision moment `days_since` counts back from."""
    col = f"l.{_quote_ident(rule.attribute)}"
    if rule.op == "days_since":
        return _days_since(d, col, rule, as_of or AsOf())
    text = f"LOWER(TRIM(BOTH {literal(TRIM)} FROM CAST({col} AS {d.text_type})))"
    if rule.op in ("is_missing", "is_filled"):
        missing = f"({col} IS NULL OR {text} IN ({_list(sorted(PLACEHOLDERS))}))"
        return missing if rule.op == "is_missing" else f"NOT {missing}"
    if rule.op == "is_true":
        return f"{text} IN ({_list(sorted(TRUTHY))})"
    if rule.op == "between":
        return _between(d, col, rule)
    wanted = [rule.value] if rule.op == "equals" else list(rule.values or [])
    if wanted and all(isinstance(w, int | float) and not isinstance(w, bool) for w in wanted):
        return f"CAST({col} AS {d.double_type}) IN ({', '.join(literal(float(w)) for w in wanted)})"
    keep = sorted({str(w).strip(TRIM).lower() for w in wanted} - PLACEHOLDERS)
    if not keep:
        return "1 = 0"  # placeholders are missing values: they never equal anything
    return f"{text} IN ({_list(keep)})"


def _between(d: Dialect, col: str, rule: AttributeRule) -> str:
    parts = []
    if isinstance(rule.low, date) or isinstance(rule.high, date):
        if rule.low is not None:
            parts.append(f"CAST({col} AS TIMESTAMP) >= {_timestamp(pd.Timestamp(rule.low))}")
        if rule.high is not None:
            end = pd.Timestamp(rule.high) + pd.Timedelta(days=1)
            parts.append(f"CAST({col} AS TIMESTAMP) < {_timestamp(end)}")
        return "(" + " AND ".join(parts) + ")"
    x = f"CAST({col} AS {d.double_type})"
    if rule.low is not None:
        parts.append(f"{x} >= {literal(rule.low)}")
    if rule.high is not None:
        parts.append(f"{x} <= {literal(rule.high)}")
    return "(" + " AND ".join(parts) + ")"


def _days_since(d: Dialect, col: str, rule: AttributeRule, as_of: AsOf) -> str:
    """Nanoseconds from the date to the decision moment, compared as the engine does."""
    when = f"CAST({col} AS TIMESTAMP)"
    if as_of.kind == "fixed":
        age = d.ns_between(when, _timestamp(as_of.date))
    elif as_of.kind == "now":
        raise SqlError("'days_since' needs a decision moment: export with created+Nd or a date")
    else:
        offset = d.ns_between(_as_timestamp("l", "created_at"), when)
        age = f"({literal(round(as_of.days * 86_400 * NS_PER_SECOND))} - {offset})"
    parts = [f"{col} IS NOT NULL", f"{age} > 0"]
    if rule.low is not None:
        parts.append(f"{age} >= {literal(round(rule.low * 86_400 * NS_PER_SECOND))}")
    if rule.high is not None:
        parts.append(f"{age} < {literal(round(rule.high * 86_400 * NS_PER_SECOND))}")
    return "(" + " AND ".join(parts) + ")"


def _list(values: list[str]) -> str:
    return ", ".join(literal(v) for v in values)


def _timestamp(moment: pd.Timestamp) -> str:
    return f"CAST({literal(moment.strftime('%Y-%m-%d %H:%M:%S'))} AS TIMESTAMP)"


# ------------------------------------------------------------------------ events


def _counts_cte(d, model, events, leads_table, events_table, as_of) -> str:
    """Per lead: decayed (d<j>) and undecayed (r<j>) capped counts of each event criterion,
    over the events strictly before the lead's decision moment."""
    if not events:
        return ""
    lead = _quote_ident("lead_id")
    if as_of.kind == "fixed":
        moment = _timestamp(as_of.date)
        age = d.ns_between(_as_timestamp("e", "occurred_at"), moment)
    else:
        offset = d.ns_between(_as_timestamp("l", "created_at"), _as_timestamp("e", "occurred_at"))
        age = f"({literal(round(as_of.days * 86_400 * NS_PER_SECOND))} - {offset})"
    weight = _weight(model, "a.age_ns")
    columns = []
    for j, c in events:
        types = _list(list(dict.fromkeys(c.rule.events)))
        hit = f"a.event_type IN ({types})"
        decayed = f"COALESCE(SUM(CASE WHEN {hit} THEN {weight} END), 0)"
        raw = f"CAST(COUNT(CASE WHEN {hit} THEN 1 END) AS {d.double_type})"
        if c.rule.max_count is not None:
            cap = literal(c.rule.max_count)
            decayed, raw = f"LEAST({decayed}, {cap})", f"LEAST({raw}, {cap})"
        columns.append(f"{decayed} AS d{j},\n    {raw} AS r{j}")
    body = ",\n    ".join(columns)
    used = _list(list(dict.fromkeys(t for _, c in events for t in c.rule.events)))
    return f"""aged AS (
  SELECT e.{lead} AS lead_id, e.{_quote_ident("event_type")} AS event_type,
    CAST({age} AS {d.double_type}) AS age_ns
  FROM {table_name(events_table)} e
  JOIN {table_name(leads_table)} l ON l.{lead} = e.{lead}
  WHERE e.{_quote_ident("event_type")} IN ({used})
), counts AS (
  SELECT a.lead_id,
    {body}
  FROM aged a
  WHERE a.age_ns > 0
  GROUP BY a.lead_id
), """


def _as_timestamp(alias: str, column: str) -> str:
    """A time column as a timestamp, whatever type the table gave it (a CSV read as text)."""
    return f"CAST({alias}.{_quote_ident(column)} AS TIMESTAMP)"


def _weight(model: ScoringModel, age: str) -> str:
    """An event's decay weight from its age in nanoseconds, as the engine computes it."""
    day_ns = literal(86_400 * NS_PER_SECOND)
    if model.decay.mode == "half_life":
        return f"POWER(2, -{age} / ({literal(model.decay.half_life_days)} * {day_ns}))"
    if model.decay.mode == "linear":
        per_ns = f"({literal(model.decay.percent_per_30_days)} / 100.0 / (30 * {day_ns}))"
        return f"LEAST(GREATEST(1 - {age} * {per_ns}, 0), 1)"
    return "1"


# ------------------------------------------------------------------------ confidence


def _confidence_case(table: np.ndarray) -> str:
    """Confidence as a CASE over whole-score ranges, one branch per run of equal values."""
    if len(table) != 101:
        raise SqlError(f"a calibration table has 101 values (scores 0-100), got {len(table)}")
    branches, start = [], 0
    for s in range(1, 102):
        if s == 101 or table[s] != table[start]:
            if s < 101:
                branches.append(f"WHEN score < {s} THEN {literal(float(table[start]))}")
            else:
                branches.append(f"ELSE {literal(float(table[start]))}")
            start = s
    return "CASE " + " ".join(branches) + " END" if len(branches) > 1 else branches[0][5:]
