"""`leadscore export-dbt` writes a dbt model that dbt itself builds (dbt-duckdb) on the demo
data: the seed, the scores, and the tests it writes, all passing, with the engine's scores,
bands and confidence, and a band name made of Jinja left as data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from model.analysis.calibration import Calibration, calibrate
from model.cli import main
from model.core.dataset import AsOf
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import parse_model
from tests.test_sqlgen import assert_same

JINJA = "O'Brien {{ run_query('drop table leads') }} {% endraw %} {# x"

PROJECT = """name: leadscore_check
version: "1.0"
config-version: 2
profile: leadscore_check
"""

PROFILE = """leadscore_check:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {path}
      threads: 1
"""


def dbt_command() -> Path:
    found = Path(sys.executable).parent / "dbt"
    if not found.exists():
        reason = "dbt is not installed (pip install -e '.[dev,warehouse]'; make test does)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must build the dbt model: {reason}")
        pytest.skip(reason)
    return found


@pytest.fixture
def project(tmp_path: Path, demo_data) -> Path:
    """A dbt project on a DuckDB file whose leads and events models read the demo data."""
    (tmp_path / "models").mkdir()
    demo_data.leads.to_parquet(tmp_path / "leads.parquet", index=False)
    demo_data.events.to_parquet(tmp_path / "events.parquet", index=False)
    for name in ("leads", "events"):
        (tmp_path / "models" / f"{name}.sql").write_text(
            f"{{{{ config(materialized='view') }}}}\n"
            f"select * from read_parquet('{tmp_path / (name + '.parquet')}')\n"
        )
    (tmp_path / "dbt_project.yml").write_text(PROJECT)
    (tmp_path / "profiles.yml").write_text(PROFILE.format(path=tmp_path / "warehouse.duckdb"))
    return tmp_path


@pytest.mark.slow
def test_dbt_builds_the_exported_model_and_its_tests_pass(project, demo_dataset, model, capsys):
    data = model.to_dict()
    data["bands"][1]["name"] = JINJA
    hostile = parse_model(data)
    (project / "model.json").write_text(hostile.to_json())
    a = AsOf.parse("created+14d")
    engine = score(build_hits(demo_dataset, hostile, a), hostile)
    cal = calibrate(demo_dataset, engine).calibration
    (project / "cal.json").write_text(cal.to_json())
    argv = ["export-dbt", "--model", str(project / "model.json"), "--out", str(project)]
    assert main([*argv, "--calibration", str(project / "cal.json")]) == 0
    written = capsys.readouterr().out.split()
    assert [Path(p).relative_to(project).as_posix() for p in written] == [
        "models/lead_scores.sql",
        "models/lead_scores.yml",
        "tests/generic/leadscore_between.sql",
        "tests/lead_scores_bands.sql",
        "seeds/lead_scores_confidence.csv",
    ]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [str(dbt_command()), "build", "--project-dir", str(project), "--profiles-dir",
         str(project)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "ERROR=0" in done.stdout
    passed = int(done.stdout.split("PASS=")[-1].split()[0])
    assert passed >= 13  # 1 seed, 3 models, 9 tests or more
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as con:
        got = con.execute("SELECT * FROM lead_scores").df()
    assert_same(got, demo_dataset, hostile, a)
    assert JINJA in set(got["band"])
    saved = Calibration.from_json((project / "cal.json").read_text())
    expected = saved.confidence(got["score"].to_numpy(np.float64))  # at the SQL's own score
    assert (got["confidence"].to_numpy() == expected).all()
    assert got["confidence"].nunique() > 5


def test_a_dbt_name_that_is_not_a_name_is_refused(tmp_path, capsys):
    model = Path(__file__).parents[1] / "data" / "default_model.json"
    args = ["export-dbt", "--model", str(model), "--out", str(tmp_path), "--name", "lead scores"]
    assert main(args) != 0
    assert "model name 'lead scores' must be letters, digits and _" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()
