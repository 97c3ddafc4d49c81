"""Accounts scored from their people: every roll-up rule against a pandas groupby
reference on random data, role weights and coverage, account outcomes, and a real CRM
shape (Salesforce opportunities joined to their accounts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.analysis import accounts
from model.cli import main
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ModelError, default_model, parse_model
from model.ingest.catalog import load_dataset

EXPORTS = Path(__file__).parent / "data" / "exports"
KEYS = ["Acme", " acme ", "ACME", "Globex", "Initech", "Select", "", None, "Umbrella"]
ROLES = ["Decision maker", "champion", "Influencer", "User", None]


def people(n: int, seed: int) -> pd.DataFrame:
    """Leads of a few accounts, keys written as CRMs do (case, spaces, placeholders)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "lead_id": [f"P{i:04d}" for i in range(n)],
            "created_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), "D"),
            "company": rng.choice(np.array(KEYS, dtype=object), n),
            "buying_role": rng.choice(np.array(ROLES, dtype=object), n),
            "outcome": rng.choice(["won", "lost", "open"], n, p=[0.2, 0.5, 0.3]),
        }
    )


def reference(frame: pd.DataFrame, lead_score: np.ndarray, rollup: dict) -> pd.DataFrame:
    """Obviously-correct roll-up with pandas groupby, account by account."""
    key = frame["company"].astype("string").str.strip().str.lower()
    missing = key.isna() | key.isin(["", "select"])
    weights = {k.strip().lower(): v for k, v in rollup.get("role_weights", {}).items()}
    role = frame["buying_role"].astype("string").str.strip().str.lower()
    w = role.map(weights).astype(float).fillna(1.0).to_numpy()
    df = pd.DataFrame({"key": key, "s": lead_score, "w": w, "role": role, "o": frame["outcome"]})
    df = df[~missing.to_numpy()]
    rows = {}
    for k, g in df.groupby("key"):
        ws = g["w"] * g["s"]
        engaged = g["s"] >= rollup.get("engaged_at", 50)
        rule = rollup.get("rollup", "sum_capped")
        if rule == "sum_capped":
            total = min(ws.sum(), rollup.get("cap", 100))
        elif rule == "max":
            total = max(ws.max(), 0.0)
        elif rule == "top_k_mean":
            total = ws.nlargest(rollup.get("k", 3)).sum() / rollup.get("k", 3)
        else:
            total = (g["w"] * engaged).sum()
        required = [r.lower() for r in rollup.get("required_roles", [])]
        covered = sum(bool((engaged & (g["role"] == r)).any()) for r in required)
        outcome = (
            "won" if (g["o"] == "won").any() else "open" if (g["o"] == "open").any() else "lost"
        )
        rows[k] = {
            "score": total,
            "people": len(g),
            "engaged": (g["w"] * engaged).sum(),
            "coverage": covered / len(required) if required else np.nan,
            "outcome": outcome,
        }
    columns = ["score", "people", "engaged", "coverage", "outcome"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).sort_index()


ROLLUPS = [
    {"rollup": "sum_capped", "cap": 120},
    {"rollup": "max"},
    {"rollup": "top_k_mean", "k": 2},
    {"rollup": "engaged_people", "engaged_at": 40},
    {"rollup": "sum_capped", "role": "buying_role",
     "role_weights": {"decision maker": 2.0, "User": 0.5},
     "required_roles": ["Decision maker", "Champion"]},
]  # fmt: skip


def with_accounts(rollup: dict, **extra: object):
    data = default_model().to_dict()
    data["accounts"] = {"key": "company", **rollup, **extra}
    return parse_model(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), pick=st.integers(0, 4))
def test_every_rollup_equals_a_pandas_groupby(seed: int, n: int, pick: int) -> None:
    frame = people(n, seed)
    data = prepare(frame, None, name="people")
    lead_score = np.random.default_rng(seed + 1).uniform(0, 100, n).round(1)
    model = with_accounts(ROLLUPS[pick])
    got = accounts.roll_up(data, lead_score, model)
    expected = reference(frame, lead_score, ROLLUPS[pick])
    names = [str(x).lower() for x in got.names]
    assert names == expected.index.tolist()  # " acme ", "ACME", "Acme": one account
    np.testing.assert_allclose(got.score, expected["score"].astype(float), atol=1e-9)
    assert got.people.tolist() == expected["people"].tolist()
    np.testing.assert_allclose(got.engaged, expected["engaged"].astype(float), atol=1e-9)
    np.testing.assert_allclose(got.coverage, expected["coverage"].astype(float), equal_nan=True)
    assert np.array(["won", "lost", "open"])[got.outcome].tolist() == expected["outcome"].tolist()
    placeholder = frame["company"].isna() | frame["company"].isin(["", "Select"])
    assert ((got.lead_account == accounts.NO_ACCOUNT) == placeholder.to_numpy()).all()


def test_account_bands_and_the_table_read_as_a_sales_manager_reads_them() -> None:
    frame = people(60, seed=3)
    data = prepare(frame, None, name="people")
    lead_score = np.linspace(10, 95, 60)
    model = with_accounts(ROLLUPS[0])
    got = accounts.roll_up(data, lead_score, model)
    table = accounts.account_frame(got, model)
    assert table["score"].is_monotonic_decreasing
    assert set(table["band"]) <= {"Hot account", "Warm account", "Cold account"}
    hot = table["score"] >= 60
    assert (table.loc[hot, "band"] == "Hot account").all()
    bands = accounts.account_bands(got, model)
    assert bands["accounts"].sum() == got.n_accounts == 4  # Acme, Globex, Initech, Umbrella
    assert (bands["won"] <= bands["closed"]).all()


def test_rollup_settings_are_checked_by_name() -> None:
    with pytest.raises(ModelError, match="role weights and required roles need the role attribute"):
        with_accounts({"role_weights": {"champion": 2}})
    with pytest.raises(ModelError, match="lowest band must start at 0"):
        with_accounts({"bands": [{"name": "Hot", "min_score": 50, "sales_ready": True}]})
    frame = people(10, seed=1)
    with pytest.raises(ModelError, match="account key: attribute 'firm' is not a column"):
        accounts.roll_up(prepare(frame, None), np.zeros(10), with_accounts({}, key="firm"))
    assert "accounts" not in default_model().to_dict()  # a model without keeps its JSON


def test_salesforce_opportunities_roll_up_to_their_accounts(tmp_path: Path, capsys) -> None:
    """400 opportunities joined to 120 accounts by Account ID: each account's score is its
    opportunities' as-of scores rolled up, and an account is won once any of them is."""
    folder = tmp_path / "opp"
    argv = ["import", "--leads", str(EXPORTS / "opportunities.csv"), "--accounts",
            str(EXPORTS / "accounts.csv"), "--on", "Account ID", "--out", str(folder)]  # fmt: skip
    assert main(argv) == 0
    assert main(["starter-model", "--data", str(folder), "--out", str(tmp_path / "m.json")]) == 0
    capsys.readouterr()
    data = load_dataset(folder)
    model = parse_model(
        {
            **parse_model((tmp_path / "m.json").read_text()).to_dict(),
            "accounts": {"key": "Account ID", "rollup": "top_k_mean", "k": 3},
        }
    )
    lead_score = score(build_hits(data, model, AsOf()), model).score
    got = accounts.roll_up(data, lead_score, model)
    assert got.n_accounts == data.leads["Account ID"].nunique() == 120
    assert got.people.sum() == 400
    per = pd.DataFrame({"a": got.lead_account, "won": data.outcome == 0}).groupby("a")["won"]
    assert ((got.outcome == 0) == per.any().to_numpy()).all()
    assert 0 < accounts.account_auc(got) < 1


# ------------------------------------------------------------------ the roll-up in SQL


@pytest.fixture(scope="module")
def demo_people(demo_data):
    """The demo leads in 4,000 accounts, keys written with stray case and spaces, some
    blank or 'Select', and a buying-group role each."""
    rng = np.random.default_rng(11)
    n = len(demo_data.leads)
    company = np.array([f"Company {k}" for k in rng.integers(0, 4000, n)], dtype=object)
    shout, pad = rng.random(n) < 0.1, rng.random(n) < 0.1
    company[shout] = [c.upper() for c in company[shout]]
    company[pad] = [f"  {c} " for c in company[pad]]
    company[rng.random(n) < 0.05] = "Select"
    company[rng.random(n) < 0.05] = None
    role = rng.choice(np.array(ROLES, dtype=object), n)
    return demo_data.leads.assign(company=company, buying_role=role)


def _sql_equals_engine(got: pd.DataFrame, data, model) -> None:
    lead_score = score(build_hits(data, model, AsOf.parse("created+14d")), model).score
    engine = accounts.roll_up(data, lead_score, model)
    names = pd.Series(engine.names).map(lambda x: str(x).strip().lower())
    got = got.set_index("account_key").loc[names]
    np.testing.assert_allclose(got["account_score"].to_numpy(float), engine.score, atol=1e-9)
    assert got["people"].tolist() == engine.people.tolist()
    np.testing.assert_allclose(got["engaged_people"].to_numpy(float), engine.engaged, atol=1e-9)
    bands = [model.accounts.bands[b].name for b in engine.band]
    assert got["account_band"].tolist() == bands
    if model.accounts.required_roles:
        np.testing.assert_allclose(got["role_coverage"].to_numpy(float), engine.coverage)


@pytest.mark.parametrize(
    "rollup", ROLLUPS, ids=[r["rollup"] + str(i) for i, r in enumerate(ROLLUPS)]
)
def test_the_account_rollup_in_sql_equals_the_engine_on_duckdb(demo_people, demo_data, rollup):
    import duckdb

    from model.export import sqlgen

    model = with_accounts(rollup)
    con = duckdb.connect()
    con.register("l0", demo_people)
    con.register("e0", demo_data.events)
    con.execute("CREATE TABLE leads AS SELECT * FROM l0")
    con.execute("CREATE TABLE events AS SELECT * FROM e0")
    got = con.execute(sqlgen.to_sql_accounts(model, "duckdb")).df()
    _sql_equals_engine(got, prepare(demo_people, demo_data.events, name="people"), model)


def test_the_account_rollup_in_sql_equals_the_engine_on_postgres(postgres, demo_people, demo_data):
    from model.export import sqlgen
    from tests import pg

    pg.load_frame(postgres, "leads_people", demo_people)
    pg.load_frame(postgres, "events_people", demo_data.events)
    data = prepare(demo_people, demo_data.events, name="people")
    for rollup in (ROLLUPS[2], ROLLUPS[4]):
        model = with_accounts(rollup)
        sql = sqlgen.to_sql_accounts(model, "postgres", "leads_people", "events_people")
        _sql_equals_engine(pg.query(postgres, sql), data, model)


def test_a_model_without_a_rollup_has_no_account_sql(model):
    from model.export import sqlgen

    with pytest.raises(sqlgen.SqlError, match="no account roll-up"):
        sqlgen.to_sql_accounts(model, "duckdb")


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery", "databricks", "redshift", "trino",
                                     "sqlserver", "ansi"])  # fmt: skip
def test_the_account_rollup_parses_back_in_every_dialect(dialect):
    import sqlglot

    from model.export import sqlgen

    sql = sqlgen.to_sql_accounts(with_accounts(ROLLUPS[4]), dialect)
    read = sqlgen.SQLGLOT_NAME.get(dialect, dialect)
    (tree,) = sqlglot.parse(sql, read=read)
    assert tree.find(sqlglot.exp.Window) is not None  # the rank in the account
    assert "decision maker" in {s.this for s in tree.find_all(sqlglot.exp.Literal) if s.is_string}


@pytest.mark.slow
def test_the_account_rollup_in_spark_sql_equals_the_engine(spark, demo_people, demo_data, tmp_path):
    from model.export import sqlgen
    from tests.test_spark import as_table, spark_scores

    as_table(spark, demo_people, "people_leads", tmp_path)
    as_table(spark, demo_data.events, "people_events", tmp_path)
    model = with_accounts(ROLLUPS[2])
    sql = sqlgen.to_sql_accounts(model, "spark", "people_leads", "people_events")
    data = prepare(demo_people, demo_data.events, name="people")
    _sql_equals_engine(spark_scores(spark, sql), data, model)


def test_export_sql_writes_the_account_rollup(tmp_path, capsys):
    model = with_accounts(ROLLUPS[1])
    path = tmp_path / "m.json"
    path.write_text(model.to_json())
    assert main(["export-sql", "--model", str(path), "--accounts", "--dialect", "bigquery"]) == 0
    sql = capsys.readouterr().out
    assert "account_score" in sql
    assert "ROW_NUMBER() OVER (PARTITION BY account_key" in sql.replace("\n", " ")
    plain = tmp_path / "plain.json"
    plain.write_text(default_model().to_json())
    assert main(["export-sql", "--model", str(plain), "--accounts"]) == 2
    assert "no account roll-up" in capsys.readouterr().err


@pytest.mark.parametrize("pick", [0, 2, 4])
def test_one_leads_account_alone_equals_its_row_in_the_full_rollup(pick) -> None:
    """A lead's explanation rolls up its own account only: the same figures as the row of
    the full roll-up, for keys written with stray case and spaces, and for number keys."""
    frame = people(120, seed=5)
    data = prepare(frame, None, name="people")
    lead_score = np.random.default_rng(6).uniform(0, 100, 120)
    model = with_accounts(ROLLUPS[pick])
    full = accounts.roll_up(data, lead_score, model)
    for lead in range(0, 120, 7):
        one = accounts.one_account(data, lead_score, model, lead)
        row = full.lead_account[lead]
        if row == accounts.NO_ACCOUNT:
            assert one is None
            continue
        assert one.names.tolist() == [full.names[row]]
        for field in ("score", "people", "engaged", "band", "outcome"):
            assert getattr(one, field)[0] == pytest.approx(getattr(full, field)[row]), field
        np.testing.assert_equal(one.coverage[0], full.coverage[row])
    numbers = prepare(frame.assign(company=np.arange(120) % 9 * 1000 + 7), None, name="n")
    full = accounts.roll_up(numbers, lead_score, model)
    one = accounts.one_account(numbers, lead_score, model, 3)
    assert one.names.tolist() == ["3007"] == [full.names[full.lead_account[3]]]
    assert one.score[0] == pytest.approx(full.score[full.lead_account[3]])
