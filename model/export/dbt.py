"""The scoring model as a dbt model, for a team whose warehouse is built with dbt: the
scoring SELECT over `ref('leads')` and `ref('events')` (or a source), a properties file
with the tests the scores must pass, and the calibration as a seed table it joins.

dbt reads model files through Jinja, so every `{` the SQL holds (a criterion value, a band
name) is written as a Jinja expression printing it: nothing from the model is ever run
as a template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlglot import exp

from model.core.dataset import AsOf
from model.core.spec import ScoringModel
from model.export import sqlgen

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class DbtFiles:
    """What `write` wrote, relative to the project folder."""

    model: Path
    properties: Path
    tests: tuple[Path, ...]
    seed: Path | None


def _check_name(kind: str, name: str) -> str:
    if not NAME.fullmatch(name):
        raise sqlgen.SqlError(f"{kind} {name!r} must be letters, digits and _ (a dbt name)")
    return name


def relation(table: str, source: str | None) -> str:
    """How the model names an input: `{{ ref('leads') }}`, or `{{ source('crm', 'leads') }}`
    with a source name."""
    _check_name("table", table)
    if source is None:
        return f"{{{{ ref('{table}') }}}}"
    return f"{{{{ source('{_check_name('source', source)}', '{table}') }}}}"


def _jinja_safe(sql: str) -> str:
    """SQL text that Jinja prints as it is: each `{` printed by an expression."""
    return sql.replace("{", "{{ '{' }}")


def model_sql(
    model: ScoringModel,
    *,
    dialect: str = "duckdb",
    as_of: AsOf | str = "created+14d",
    leads: str = "leads",
    events: str = "events",
    source: str | None = None,
    seed: str | None = None,
) -> str:
    """The dbt model file: a table of lead_id, fit, engagement, score, band, and with a
    `seed` the confidence looked up by whole score."""
    as_of = AsOf.parse(as_of) if isinstance(as_of, str) else as_of
    marks = {"__leadscore_leads__": relation(leads, source)}
    marks["__leadscore_events__"] = relation(events, source)
    tree = sqlgen.query(model, dialect, *marks, as_of=as_of)
    if seed is not None:
        marks["__leadscore_seed__"] = relation(seed, None)
        tree = _with_confidence(tree, "__leadscore_seed__")
    sql = sqlgen.render(tree, dialect)
    quoted = {sqlgen.table_name(mark, dialect): ref for mark, ref in marks.items()}
    pattern = re.compile("|".join(re.escape(q) for q in quoted))
    pieces, at = [], 0
    for found in pattern.finditer(sql):
        pieces += [_jinja_safe(sql[at : found.start()]), quoted[found.group()]]
        at = found.end()
    pieces.append(_jinja_safe(sql[at:]))
    comment = (
        f"-- Lead scores from the scoring model {model.name!r}, {as_of.describe()}.\n"
        "-- Written by `leadscore export-dbt`: edit the model in Lead Scoring Studio, not here.\n"
    )
    return _jinja_safe(comment) + "{{ config(materialized='table') }}\n" + "".join(pieces)


def _with_confidence(tree: exp.Select, seed: str) -> exp.Select:
    """The scores joined to the seed table by whole score (0-100), as the app reads it."""
    score = exp.Column(this=exp.to_identifier("score"), table=exp.to_identifier("s"))
    zero, hundred = exp.Literal.number(0), exp.Literal.number(100)
    clipped = exp.Greatest(this=score, expressions=[zero], ignore_nulls=True)
    whole = exp.Floor(this=exp.Least(this=clipped, expressions=[hundred], ignore_nulls=True))
    on = exp.EQ(
        this=exp.Column(this=exp.to_identifier("score"), table=exp.to_identifier("cal")),
        expression=exp.cast(whole, exp.DataType.Type.INT),
    )
    star = exp.Column(this=exp.Star(), table=exp.to_identifier("s"))
    confidence = exp.Column(this=exp.to_identifier("confidence"), table=exp.to_identifier("cal"))
    return (
        exp.Select(expressions=[star, confidence])
        .from_(tree.subquery("s"))
        .join(exp.alias_(sqlgen.table(seed), "cal"), on=on, join_type="left")
    )


def properties_yml(model: ScoringModel, name: str, *, seed: str | None) -> str:
    """The model's properties and tests: unique lead ids, scores within 0-100, only the
    model's band names, confidence within 0-1. JSON is YAML, so every value is quoted."""
    columns = [
        {"name": "lead_id", "data_tests": ["unique", "not_null"]},
        {"name": "fit", "data_tests": ["not_null"]},
        {"name": "engagement", "data_tests": ["not_null"]},
        {"name": "score", "data_tests": ["not_null", _between(0, 100)]},
        {"name": "band", "data_tests": ["not_null"]},  # its levels: bands_test_sql
    ]
    if seed is not None:
        columns.append({"name": "confidence", "data_tests": ["not_null", _between(0, 1)]})
    doc = {
        "version": 2,
        "models": [
            {
                "name": name,
                "description": _jinja_safe(f"Lead scores from the scoring model {model.name!r}."),
                "columns": columns,
            }
        ],
    }
    if seed is not None:
        doc["seeds"] = [
            {
                "name": seed,
                "description": "Calibrated lead confidence (0-1) per whole score 0-100.",
                "config": {"column_types": {"score": "integer", "confidence": "double"}},
            }
        ]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _between(low: float, high: float) -> dict:
    return {"leadscore_between": {"arguments": {"low": low, "high": high}}}


BETWEEN_TEST = """{% test leadscore_between(model, column_name, low, high) %}
-- rows whose value lies outside [low, high] (a written-by-leadscore generic test)
select * from {{ model }}
where {{ column_name }} < {{ low }} or {{ column_name }} > {{ high }}
{% endtest %}
"""


def bands_test_sql(model: ScoringModel, name: str, dialect: str) -> str:
    """A singular dbt test: the rows whose band is not one of the model's. Written by
    sqlglot like the model, so a band name with quotes stays a literal (dbt's
    accepted_values test puts values in quotes as they are)."""
    band = exp.Column(this=exp.to_identifier("band"))
    names = [exp.Literal.string(b.name) for b in model.bands]
    outside = exp.Not(this=exp.In(this=band, expressions=names))
    tree = exp.Select(expressions=[exp.Star()]).from_(sqlgen.table("__leadscore_model__"))
    sql = sqlgen.render(tree.where(outside), dialect)
    mark = sqlgen.table_name("__leadscore_model__", dialect)
    before, after = sql.split(mark)
    return (
        "-- rows whose band is not one of the scoring model's (leadscore export-dbt)\n"
        + _jinja_safe(before)
        + relation(name, None)
        + _jinja_safe(after)
    )


def seed_csv(table: np.ndarray) -> str:
    """The calibration table as a seed: one row per whole score 0-100."""
    if len(table) != 101:
        raise sqlgen.SqlError(
            f"a calibration table has 101 values (scores 0-100), got {len(table)}"
        )
    return "score,confidence\n" + "".join(f"{s},{float(p)!r}\n" for s, p in enumerate(table))


def write(
    model: ScoringModel,
    out: Path,
    *,
    name: str = "lead_scores",
    dialect: str = "duckdb",
    as_of: AsOf | str = "created+14d",
    source: str | None = None,
    confidence: np.ndarray | None = None,
) -> DbtFiles:
    """Write the dbt model, its properties and tests, and the seed into the project folder
    `out` (models/, tests/generic/, seeds/); files of other names are left alone."""
    _check_name("model name", name)
    seed = f"{name}_confidence" if confidence is not None else None
    files = DbtFiles(
        model=Path("models") / f"{name}.sql",
        properties=Path("models") / f"{name}.yml",
        tests=(
            Path("tests") / "generic" / "leadscore_between.sql",
            Path("tests") / f"{name}_bands.sql",
        ),
        seed=Path("seeds") / f"{seed}.csv" if seed else None,
    )
    texts = {
        files.model: model_sql(model, dialect=dialect, as_of=as_of, source=source, seed=seed),
        files.properties: properties_yml(model, name, seed=seed),
        files.tests[0]: BETWEEN_TEST,
        files.tests[1]: bands_test_sql(model, name, dialect),
    }
    if files.seed is not None and confidence is not None:
        texts[files.seed] = seed_csv(confidence)
    for path, text in texts.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
    return files
