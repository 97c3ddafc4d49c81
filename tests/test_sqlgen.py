"""The model as SQL gives the engine's scores: DuckDB and PostgreSQL, demo and random data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.analysis.calibration import calibrate
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel, parse_model
from model.export import sqlgen
from model.ingest.catalog import load_dataset
from tests import pg

DECAYS = ("none", "half_life", "linear")


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory, demo_data) -> Path:
    folder = tmp_path_factory.mktemp("sql-demo")
    demo_data.leads.to_csv(folder / "leads.csv", index=False)
    demo_data.events.to_csv(folder / "events.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def duck(demo_csv: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB database holding the demo CSVs as tables leads and events, as documented;
    TIMESTAMPDIFF is defined so the ANSI dialect runs on it too."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE leads AS SELECT * FROM read_csv_auto('{demo_csv / 'leads.csv'}')")
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv_auto('{demo_csv / 'events.csv'}')")
    con.execute("CREATE MACRO timestampdiff(unit, a, b) AS datediff('second', a, b)")
    return con


@pytest.fixture(scope="module")
def demo_loaded(demo_csv: Path):
    return load_dataset(demo_csv / "leads.csv", demo_csv / "events.csv")


def with_decay(model: ScoringModel, mode: str) -> ScoringModel:
    return model.model_copy(update={"decay": model.decay.model_copy(update={"mode": mode})})


def assert_same(sql_scores: pd.DataFrame, data, model: ScoringModel, as_of: AsOf) -> None:
    """Scores equal within 1e-9 for every lead, and the same band."""
    engine = score(build_hits(data, model, as_of), model)
    got = sql_scores.set_index("lead_id").loc[data.lead_ids]
    assert len(got) == data.n_leads
    for column in ("fit", "engagement", "score"):
        diff = np.abs(got[column].to_numpy(np.float64) - getattr(engine, column))
        assert diff.max() <= 1e-9, (column, float(diff.max()))
    assert (got["band"].to_numpy() == engine.band_names(model)).all()


@pytest.mark.parametrize("dialect", ["duckdb", "ansi"])
@pytest.mark.parametrize("mode", DECAYS)
@pytest.mark.parametrize("as_of", ["created+14d", "created+2.5d", "2026-03-01"])
def test_sql_on_duckdb_equals_the_engine_on_demo_data(
    duck, demo_loaded, model, dialect, mode, as_of
):
    m, a = with_decay(model, mode), AsOf.parse(as_of)
    sql = sqlgen.to_sql(m, dialect, as_of=a)
    assert_same(duck.execute(sql).df(), demo_loaded, m, a)


def test_a_baseline_and_is_filled_score_the_same_in_sql(duck, demo_loaded, model):
    """A suggested model's baseline and its 'is filled in' rule, in the engine and the SQL."""
    data = model.to_dict()
    data["baseline"] = -37.0
    data["criteria"].append(
        {
            "id": "function_filled",
            "label": "job_function is filled in",
            "group": "fit",
            "points": 55,
            "rule": {"attribute": "job_function", "op": "is_filled"},
        }
    )
    m = parse_model(data)
    sql = sqlgen.to_sql(m, "duckdb", as_of=AsOf.parse("created+14d"))
    assert_same(duck.execute(sql).df(), demo_loaded, m, AsOf.parse("created+14d"))
    engine = score(build_hits(demo_loaded, m, AsOf.parse("created+14d")), m).score
    assert (engine == 0).any()  # the negative baseline reaches the clip


def test_confidence_column_is_the_calibration_table(duck, demo_loaded, model):
    a = AsOf.parse("created+14d")
    scores = score(build_hits(demo_loaded, model, a), model)
    cal = calibrate(demo_loaded, scores).calibration
    sql = sqlgen.to_sql(model, "duckdb", as_of=a, confidence=cal.table)
    got = duck.execute(sql).df().set_index("lead_id").loc[demo_loaded.lead_ids]
    same = got["confidence"].to_numpy() == cal.confidence(scores.score)
    # a score a hair from a whole number may land in the next range after 1e-14 of float
    # summing order; everywhere else the confidence is the table's, exactly
    on_edge = np.abs(scores.score - np.round(scores.score)) < 1e-9
    assert same[~on_edge].all()
    assert same.mean() > 0.99


def test_values_are_data_never_sql(duck, model):
    nasty = "O'Brien; DROP TABLE leads; --"
    data = model.to_dict()
    data["criteria"].append(
        {
            "id": "obrien",
            "label": "x",
            "group": "fit",
            "points": 3,
            "rule": {"attribute": "country", "op": "in", "values": [nasty, 'say "hi"']},
        }
    )
    data["bands"][0]["name"] = "A'); DROP TABLE events; --"
    sql = sqlgen.to_sql(parse_model(data), "duckdb")
    assert "'o''brien; drop table leads; --'" in sql  # compared case-blind, as data
    result = duck.execute(sql).df()
    assert len(result) == duck.execute("SELECT count(*) FROM leads").fetchone()[0]
    assert duck.execute("SELECT count(*) FROM events").fetchone()[0] > 0
    assert "A'); DROP TABLE events; --" in set(result["band"])


def test_identifiers_and_table_names_are_quoted():
    assert sqlgen.table_name('crm.le"ads') == '"crm"."le""ads"'
    with pytest.raises(sqlgen.SqlError, match="empty part"):
        sqlgen.table_name("crm..leads")
    with pytest.raises(sqlgen.SqlError, match="dialect must be one of"):
        sqlgen.to_sql(
            parse_model(
                {"criteria": [], "bands": [{"name": "A", "min_score": 0, "sales_ready": True}]}
            ),
            "oracle",
        )


# ------------------------------------------------------------------ random models and data

OWN_DECAYS = [
    {"mode": "none"},
    {"mode": "half_life", "half_life_days": 2.0},
    {"mode": "linear", "percent_per_30_days": 70.0},
]  # an engagement criterion's own decay, in place of the model's
TEXT_LEVELS = ["Software", "software ", "Retail", "N/A", "Select", "", "O'Brien"]
TYPES = ["visit", "click", "demo"]


@st.composite
def scenarios(draw):
    """Random leads (text, number, bool columns with gaps), events around creation, and a
    random model over them."""
    n = draw(st.integers(5, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), "s")
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i:03d}" for i in range(n)],
            "created_at": created,
            "segment": rng.choice(TEXT_LEVELS, n),
            "size": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 1000, n).astype(float)),
            "flag": rng.random(n) < 0.5,
        }
    )
    m = int(rng.integers(0, 6 * n))
    who = rng.integers(0, n, m)
    occurred = created[who] + pd.to_timedelta(rng.integers(-5 * 86400, 40 * 86400, m), "s")
    events = pd.DataFrame(
        {
            "lead_id": leads["lead_id"].to_numpy()[who],
            "occurred_at": occurred,
            "event_type": rng.choice(TYPES, m),
        }
    )
    criteria = []
    for k in range(draw(st.integers(1, 6))):
        group = draw(st.sampled_from(["fit", "engagement"]))
        points = draw(st.sampled_from([-12.0, -5, 3, 7.5, 10, 20, 35]))
        rule = draw(
            st.sampled_from(
                [
                    {"attribute": "segment", "op": "equals", "value": "software"},
                    {"attribute": "segment", "op": "in", "values": ["Retail", "O'Brien", "N/A"]},
                    {"attribute": "segment", "op": "is_missing"},
                    {"attribute": "size", "op": "between", "low": 100, "high": 600},
                    {"attribute": "size", "op": "between", "low": 500},
                    {"attribute": "size", "op": "is_missing"},
                    {"attribute": "size", "op": "equals", "value": 5},
                    {"attribute": "flag", "op": "is_true"},
                    {
                        "attribute": "created_at",
                        "op": "between",
                        "low": "2026-02-01",
                        "high": "2026-02-28",
                    },
                    {"events": ["visit"], "op": "count"},
                    {"events": ["click", "demo"], "op": "count", "max_count": 2},
                    {"events": ["demo"], "op": "count", "max_count": 1},
                ]
            )
        )
        criterion = {"id": f"c{k}", "label": f"c{k}", "group": group, "points": points}
        criteria.append({**criterion, "rule": rule})
        if group == "engagement" and "events" in rule:
            own = draw(st.sampled_from([None, *OWN_DECAYS]))
            if own is not None:
                criteria[-1]["decay"] = own
    decay = {
        "mode": draw(st.sampled_from(DECAYS)),
        "half_life_days": draw(st.sampled_from([3.0, 30.0])),
        "percent_per_30_days": 40.0,
        "floor_fraction": 0.5,
    }
    model = parse_model(
        {
            "criteria": criteria,
            "decay": decay,
            "caps": {"fit": draw(st.sampled_from([20.0, 50.0])), "engagement": 30.0},
            "bands": [
                {"name": "hot", "min_score": 40, "sales_ready": True},
                {"name": "cold", "min_score": 0},
            ],
        }
    )
    as_of = draw(st.sampled_from(["created+14d", "created+0.5d", "2026-02-15"]))
    return leads, events, model, AsOf.parse(as_of)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenario=scenarios())
def test_random_models_and_data_score_the_same_in_duckdb(scenario, tmp_path):
    leads, events, model, as_of = scenario
    leads.to_csv(tmp_path / "leads.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    data = load_dataset(tmp_path / "leads.csv", tmp_path / "events.csv")
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE leads AS SELECT * FROM read_csv('{tmp_path / 'leads.csv'}', "
        "auto_type_candidates=['BOOLEAN','BIGINT','DOUBLE','TIMESTAMP','VARCHAR'])"
    )
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv_auto('{tmp_path / 'events.csv'}')")
    assert_same(con.execute(sqlgen.to_sql(model, "duckdb", as_of=as_of)).df(), data, model, as_of)


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="module")
def postgres_demo(postgres, demo_data) -> str:
    pg.load_frame(postgres, "leads", demo_data.leads)
    pg.load_frame(postgres, "events", demo_data.events)
    return postgres


@pytest.mark.parametrize("mode", DECAYS)
@pytest.mark.parametrize("as_of", ["created+14d", "2026-03-01"])
def test_sql_on_postgres_equals_the_engine(postgres_demo, demo_dataset, model, mode, as_of):
    postgres = postgres_demo
    m, a = with_decay(model, mode), AsOf.parse(as_of)
    engine = sa.create_engine(postgres, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        got = pd.read_sql_query(sa.text(sqlgen.to_sql(m, "postgres", as_of=a)), conn)
    engine.dispose()
    assert_same(got, demo_dataset, m, a)


def _with_first_touch(leads: pd.DataFrame) -> pd.DataFrame:
    """The demo leads with a date column as CRMs export one (HubSpot's 'First Conversion
    Date', Marketo's 'Acquisition Date'): mostly before the lead came in, some after its
    decision moment (not known then), some blank."""
    rng = np.random.default_rng(5)
    days = rng.integers(-40, 200, len(leads)) + rng.random(len(leads)).round(3)
    touch = leads["created_at"] - pd.to_timedelta(days, unit="D")
    return leads.assign(first_touch=touch.where(rng.random(len(leads)) > 0.1))


DAYS_SINCE = [
    {"id": "touch_recent", "label": "first touch under 30 days", "group": "engagement",
     "points": 7, "rule": {"attribute": "first_touch", "op": "days_since", "high": 30}},
    {"id": "touch_mid", "label": "first touch 30-90 days", "group": "fit", "points": 4,
     "rule": {"attribute": "first_touch", "op": "days_since", "low": 30, "high": 90}},
    {"id": "touch_old", "label": "first touch 90+ days", "group": "fit", "points": -3,
     "rule": {"attribute": "first_touch", "op": "days_since", "low": 90}},
]  # fmt: skip


@pytest.mark.parametrize("as_of", ["created+14d", "created+0.5d", "2026-03-01"])
def test_days_since_a_date_column_scores_the_same_in_sql(tmp_path, demo_data, model, as_of):
    """'Days since' counts back from each lead's decision moment, in the engine and in SQL
    alike; a date after the decision moment never counts."""
    leads = _with_first_touch(demo_data.leads)
    leads.to_csv(tmp_path / "leads.csv", index=False)
    demo_data.events.to_csv(tmp_path / "events.csv", index=False)
    m = parse_model({**model.to_dict(), "criteria": [*model.to_dict()["criteria"], *DAYS_SINCE]})
    a = AsOf.parse(as_of)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE leads AS SELECT * FROM read_csv_auto('{tmp_path / 'leads.csv'}')")
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv_auto('{tmp_path / 'events.csv'}')")
    data = load_dataset(tmp_path / "leads.csv", tmp_path / "events.csv")
    assert_same(con.execute(sqlgen.to_sql(m, "duckdb", as_of=a)).df(), data, m, a)
    hits = build_hits(data, m, a)
    fired = {cid: hits.fired(m.criteria.index(next(c for c in m.criteria if c.id == cid))).sum()
             for cid in ("touch_recent", "touch_mid", "touch_old")}  # fmt: skip
    assert all(n > 100 for n in fired.values())  # every range holds leads


def test_days_since_on_postgres(postgres, demo_data, demo_dataset, model):
    leads = _with_first_touch(demo_data.leads)
    pg.load_frame(postgres, "leads_touch", leads)
    pg.load_frame(postgres, "events_touch", demo_data.events)
    m = parse_model({**model.to_dict(), "criteria": [*model.to_dict()["criteria"], *DAYS_SINCE]})
    a = AsOf.parse("created+14d")
    sql = sqlgen.to_sql(m, "postgres", "leads_touch", "events_touch", as_of=a)
    assert_same(pg.query(postgres, sql), prepare(leads, demo_data.events, name="touch"), m, a)


def test_days_since_without_a_decision_moment_is_refused_in_sql(model):
    m = parse_model({**model.to_dict(), "criteria": DAYS_SINCE})
    with pytest.raises(sqlgen.SqlError, match=r"days_since.*decision moment"):
        sqlgen.to_sql(m, "duckdb", as_of=AsOf.now())


def test_each_criterions_own_decay_scores_the_same_in_sql(duck, demo_loaded, model):
    """A demo request that never fades, email opens with a 3-day half-life, on a model
    that does not decay: the SQL weighs each criterion's events as the engine does."""
    data = model.to_dict()
    data["decay"]["mode"] = "none"
    own = {"demo_request": {"mode": "none"}, "email_open_info": {"mode": "half_life",
           "half_life_days": 3}, "pricing_page_view": {"mode": "linear",
           "percent_per_30_days": 50}}  # fmt: skip
    for c in data["criteria"]:
        if "events" in c["rule"] and c["rule"]["events"][0] in own:
            c["decay"] = own[c["rule"]["events"][0]]
    m, a = parse_model(data), AsOf.parse("created+30d")
    assert_same(duck.execute(sqlgen.to_sql(m, "duckdb", as_of=a)).df(), demo_loaded, m, a)
    one_line = sqlgen.query(m, "duckdb").sql(dialect="duckdb")
    assert "POWER(2e0, -a.age_ns / (3 * 86400000000000))" in one_line
