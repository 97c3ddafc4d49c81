"""The Spark SQL export run by Apache Spark (local mode) gives the engine's scores: demo data
over every decay and decision moment, and random models and data (one Spark session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from model.core.dataset import AsOf
from model.export import sqlgen
from model.ingest.catalog import load_dataset
from tests.test_sqlgen import assert_same, scenarios, with_decay


def as_table(spark, frame: pd.DataFrame, name: str, folder: Path) -> None:
    """`frame` as a Spark table `name`, through Parquet as a lake holds it: gaps as NULL
    (not NaN, which Spark orders above every number), times in microseconds."""
    path = folder / f"{name}.parquet"
    frame.to_parquet(path, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    spark.read.parquet(str(path)).createOrReplaceTempView(name)


def spark_scores(spark, sql: str) -> pd.DataFrame:
    return pd.DataFrame([row.asDict() for row in spark.sql(sql).collect()])


@pytest.fixture(scope="module")
def spark_demo(spark, demo_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark-demo")
    as_table(spark, demo_data.leads, "leads", folder)
    as_table(spark, demo_data.events, "events", folder)
    return spark


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "as_of"),
    [("half_life", "created+14d"), ("linear", "2026-03-01"), ("none", "created+2.5d")],
)
def test_spark_sql_on_spark_equals_the_engine(spark_demo, demo_dataset, model, mode, as_of):
    m, a = with_decay(model, mode), AsOf.parse(as_of)
    assert_same(spark_scores(spark_demo, sqlgen.to_sql(m, "spark", as_of=a)), demo_dataset, m, a)


@pytest.mark.slow
def test_databricks_sql_on_spark_equals_the_engine(spark_demo, demo_dataset, model):
    a = AsOf.parse("created+14d")
    sql = sqlgen.to_sql(model, "databricks", as_of=a)
    assert_same(spark_scores(spark_demo, sql), demo_dataset, model, a)


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenario=scenarios())
def test_random_models_and_data_score_the_same_on_spark(spark, scenario, tmp_path):
    leads, events, model, as_of = scenario
    leads.to_csv(tmp_path / "leads.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    data = load_dataset(tmp_path / "leads.csv", tmp_path / "events.csv")
    as_table(spark, leads, "rand_leads", tmp_path)
    as_table(spark, events, "rand_events", tmp_path)
    sql = sqlgen.to_sql(model, "spark", "rand_leads", "rand_events", as_of=as_of)
    assert_same(spark_scores(spark, sql), data, model, as_of)
