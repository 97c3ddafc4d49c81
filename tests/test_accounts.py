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
