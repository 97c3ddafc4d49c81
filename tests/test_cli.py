"""The `leadscore` command, run as a user would: a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from model.spec import DEFAULT_MODEL_PATH


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "model.cli", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    done = _run("demo-data", "--out", str(out), "--leads", "800", "--seed", "5")
    assert done.returncode == 0, done.stderr
    assert "wrote 800 leads" in done.stderr
    return out


def test_demo_data_writes_both_files(demo_dir: Path) -> None:
    leads = pd.read_csv(demo_dir / "leads.csv")
    events = pd.read_csv(demo_dir / "events.csv")
    assert len(leads) == 800
    assert {"lead_id", "occurred_at", "event_type"} <= set(events.columns)


def test_score_to_stdout_and_file(demo_dir: Path, tmp_path: Path) -> None:
    args = ["score", "--model", str(DEFAULT_MODEL_PATH), "--leads", str(demo_dir / "leads.csv"),
            "--events", str(demo_dir / "events.csv")]  # fmt: skip
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "lead_id,fit,engagement,score,band"
    assert len(lines) == 801
    out = tmp_path / "scores.csv"
    done = _run(*args, "--as-of", "2026-01-01", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert frame["score"].between(0, 100).all()
    assert set(frame["band"]) <= {"A", "B", "C"}
    assert "as it was on 01 Jan 2026" in done.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--as-of", "someday"], "as-of policy must be 'created+Nd' or a date"),
        (["--model", "missing.json"], "missing.json: cannot read model file"),
    ],
)
def test_errors_exit_non_zero_with_one_line(demo_dir: Path, extra: list[str], message: str) -> None:
    args = ["score", "--model", str(DEFAULT_MODEL_PATH), "--leads", str(demo_dir / "leads.csv")]
    done = _run(*args, *extra)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_leads_file_error_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "leads.csv"
    bad.write_text("lead_id,created_at\n1,not a date\n")
    done = _run("score", "--model", str(DEFAULT_MODEL_PATH), "--leads", str(bad))
    assert done.returncode == 2
    assert "leads.csv: column 'created_at'" in done.stderr
    assert "Traceback" not in done.stderr
