"""Every warehouse dialect from one SQL tree: each one's SQL parses back as one statement,
scores the demo data as the engine does once sqlglot transpiles it to DuckDB, and keeps
every hostile value data, never SQL."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import sqlglot
from sqlglot import exp

from model.analysis.calibration import calibrate
from model.core import words
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import default_model, parse_model
from model.export import sqlgen
from tests.test_sqlgen import DAYS_SINCE, _with_first_touch

WAREHOUSES = [d for d in words.DIALECTS if d != "ansi"]  # ansi is run as-is in test_sqlgen


def sqlglot_name(dialect: str) -> str:
    return sqlgen.SQLGLOT_NAME.get(dialect, dialect)


@pytest.fixture(scope="module")
def touched(demo_data):
    """6,000 demo leads with a date column, their events, a DuckDB holding both, and a
    model using every kind of rule: levels, ranges, missing, counts, days since."""
    leads = _with_first_touch(demo_data.leads).head(6000)
    events = demo_data.events[demo_data.events["lead_id"].isin(leads["lead_id"])]
    con = duckdb.connect()
    con.register("l0", leads)
    con.register("e0", events)
    con.execute("CREATE TABLE leads AS SELECT * FROM l0")
    con.execute("CREATE TABLE events AS SELECT * FROM e0")
    model = default_model().to_dict()
    model["criteria"] += DAYS_SINCE
    return prepare(leads, events, name="touched"), con, parse_model(model)


def as_duckdb(sql: str, dialect: str) -> str:
    """The dialect's SQL transpiled to DuckDB by sqlglot, with two of the transpiler's
    readings put right: type modifiers dropped (DuckDB reads no VARCHAR(MAX), which
    Redshift and SQL Server need), and SQL Server's FLOAT read as the 64-bit double it is
    there (sqlglot carries it over as DuckDB's 32-bit FLOAT)."""
    tree = sqlglot.parse_one(sql, read=sqlglot_name(dialect))
    for node in tree.find_all(exp.DataType):
        node.set("expressions", None)
        if dialect == "sqlserver" and node.this == exp.DataType.Type.FLOAT:
            node.set("this", exp.DataType.Type.DOUBLE)
    return tree.sql(dialect="duckdb")


@pytest.mark.parametrize("dialect", WAREHOUSES)
@pytest.mark.parametrize("as_of", ["created+14d", "2026-03-01"])
def test_every_dialect_scores_as_the_engine_once_transpiled_to_duckdb(touched, dialect, as_of):
    data, con, model = touched
    a = AsOf.parse(as_of)
    engine = score(build_hits(data, model, a), model)
    cal = calibrate(data, engine).calibration
    sql = sqlgen.to_sql(model, dialect, as_of=a, confidence=cal.table)
    assert len(sqlglot.parse(sql, read=sqlglot_name(dialect))) == 1
    got = con.execute(as_duckdb(sql, dialect)).df().set_index("lead_id").loc[data.lead_ids]
    for column in ("fit", "engagement", "score"):
        diff = np.abs(got[column].to_numpy(np.float64) - getattr(engine, column))
        assert diff.max() <= 1e-9, (dialect, column, float(diff.max()))
    assert (got["band"].to_numpy() == engine.band_names(model)).all()
    on_edge = np.abs(engine.score - np.round(engine.score)) < 1e-9
    same = got["confidence"].to_numpy() == cal.confidence(engine.score)
    assert same[~on_edge].all()


def test_each_dialect_writes_its_own_time_difference_and_names():
    """What differs between warehouses is sqlglot's to write, per dialect, not ours."""
    model = parse_model(
        {
            "criteria": [
                {"id": "v", "label": "v", "group": "engagement", "points": 5,
                 "rule": {"events": ["visit"], "op": "count"}},
            ],
            "bands": [{"name": "A", "min_score": 0, "sales_ready": True}],
        }
    )  # fmt: skip
    expected = {
        "duckdb": ('"leads"', "EPOCH_NS("),
        "postgres": ('"leads"', "EXTRACT(EPOCH FROM"),
        "snowflake": ('"leads"', "DATEDIFF(NANOSECOND"),
        "bigquery": ("`leads`", "DATETIME_DIFF("),
        "databricks": ("`leads`", "UNIX_MICROS("),
        "spark": ("`leads`", "UNIX_MICROS("),
        "redshift": ('"leads"', "DATEDIFF(MICROSECOND"),
        "trino": ('"leads"', "TO_UNIXTIME("),
        "sqlserver": ("[leads]", "DATEDIFF_BIG(MICROSECOND"),
        "ansi": ('"leads"', "TIMESTAMPDIFF(SECOND"),
    }
    assert set(expected) == set(words.DIALECTS)
    for dialect, (name, diff) in expected.items():
        sql = sqlgen.to_sql(model, dialect)
        assert f"FROM {name} AS l" in sql.replace("\n", " ") or f"JOIN {name} AS l" in sql
        assert diff in sql.upper(), dialect


NASTY = [
    "O'Brien; DROP TABLE leads; --",
    'say "hi" /* not a comment */',
    "back`tick` and \\ backslash \\' quote",
    "naïve café — 東京 🚀",
    "semi;colon\nnew line -- comment",
]


@pytest.mark.parametrize("dialect", words.DIALECTS)
def test_hostile_values_band_names_and_table_names_stay_data_in_every_dialect(dialect, model):
    """Each hostile string reads back from the dialect's SQL as the literal or identifier
    it was, in one statement, whatever quotes, comments or escapes it holds."""
    data = model.to_dict()
    data["criteria"].append(
        {"id": "nasty", "label": "x", "group": "fit", "points": 3,
         "rule": {"attribute": "country", "op": "in", "values": NASTY}}
    )  # fmt: skip
    data["bands"][0]["name"] = NASTY[0]
    data["bands"][1]["name"] = NASTY[2]
    table = 'crm.le"a`d]s; DROP TABLE x'
    sql = sqlgen.to_sql(parse_model(data), dialect, leads_table=table, events_table=NASTY[1])
    trees = sqlglot.parse(sql, read=sqlglot_name(dialect))
    assert len(trees) == 1
    strings = {s.this for s in trees[0].find_all(exp.Literal) if s.is_string}
    assert {v.strip(" ").lower() for v in NASTY} <= strings  # compared case-blind, as data
    assert {NASTY[0], NASTY[2]} <= strings
    tables = {(t.db, t.name) for t in trees[0].find_all(exp.Table)}
    assert ("crm", 'le"a`d]s; DROP TABLE x') in tables
    assert ("", NASTY[1]) in tables


def test_hostile_values_run_as_data_on_duckdb(touched, model):
    """The same strings through DuckDB itself: the query runs and matches nothing odd."""
    _, con, _ = touched
    data = model.to_dict()
    data["criteria"].append(
        {"id": "nasty", "label": "x", "group": "fit", "points": 3,
         "rule": {"attribute": "country", "op": "in", "values": NASTY}}
    )  # fmt: skip
    data["bands"][0]["name"] = NASTY[2]
    result = con.execute(sqlgen.to_sql(parse_model(data), "duckdb")).df()
    assert len(result) == 6000
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 0
    assert NASTY[2] in set(result["band"])


def test_an_unknown_dialect_names_those_there_are(model):
    with pytest.raises(sqlgen.SqlError, match="dialect must be one of duckdb, postgres, snow"):
        sqlgen.to_sql(model, "oracle")


def test_a_dotted_column_is_refused_for_bigquery_and_scored_elsewhere(model):
    """The UCI bank set's 'cons.price.idx': BigQuery reads a dotted name as a path and
    allows none in a column, so its export says what to rename; the others quote it."""
    data = model.to_dict()
    data["criteria"].append(
        {"id": "cpi", "label": "CPI", "group": "fit", "points": 2,
         "rule": {"attribute": "cons.price.idx", "op": "between", "high": 93.0}}
    )  # fmt: skip
    dotted = parse_model(data)
    with pytest.raises(sqlgen.SqlError, match=r"'cons\.price\.idx'.*e\.g\. 'cons_price_idx'"):
        sqlgen.to_sql(dotted, "bigquery")
    for dialect in ("spark", "snowflake", "duckdb"):
        (tree,) = sqlglot.parse(sqlgen.to_sql(dotted, dialect), read=sqlglot_name(dialect))
        assert "cons.price.idx" in {c.name for c in tree.find_all(exp.Column)}
