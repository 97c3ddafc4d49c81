"""The `leadscore` command, run as a user would: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.cli import main
from model.core.spec import DEFAULT_MODEL_PATH, load_model
from tests.conftest import assert_same_dataset


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "model.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else os.environ | env,
    )


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `demo-data` keeps the generated set's prepared copy (never the user's cache)."""
    return tmp_path_factory.mktemp("demo-prepared")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, demo_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("demo")
    done = _run(
        "demo-data",
        *("--out", str(out), "--leads", "800", "--seed", "5"),
        env={"LEADSCORE_CACHE_DIR": str(demo_cache)},
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 800 leads" in done.stderr
    assert "prepared for the app's first start in" in done.stderr
    return out


def test_demo_data_writes_both_files(demo_dir: Path) -> None:
    leads = pd.read_csv(demo_dir / "leads.csv")
    events = pd.read_csv(demo_dir / "events.csv")
    assert len(leads) == 800
    assert {"lead_id", "occurred_at", "event_type"} <= set(events.columns)


def test_demo_data_keeps_its_csvs_as_parquet_too(demo_dir: Path) -> None:
    """The app's first start on a generated set reads the Parquet copies, which hold
    what reading the CSVs gives, so no start parses them again."""
    from model.ingest import demo
    from model.ingest.catalog import dataset_files
    from model.ingest.readers import read_table

    assert demo.keep_parquet(demo_dir) == {}  # kept already: nothing to read or write
    assert dataset_files(demo_dir)[0] == demo_dir / "leads.parquet"
    for stem in ("leads", "events"):
        kept = pd.read_parquet(demo_dir / f"{stem}.parquet")
        read = read_table(demo_dir / f"{stem}.csv", levels=stem == "events")
        times = {c: "datetime64[ns]" for c in read.select_dtypes("datetime").columns}
        pd.testing.assert_frame_equal(kept.astype(times), read.astype(times))  # ms and s


def test_demo_data_prepares_the_set_so_the_apps_first_start_reads_a_copy(
    demo_dir: Path, demo_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks and indexing a first start would do are done by `demo-data`: loading
    the generated folder reads the prepared copy, and it holds what checking gives."""
    from model.ingest import catalog

    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(demo_cache))
    said: list[str] = []
    data = catalog.load_dataset(demo_dir, progress=lambda _f, text: said.append(text))
    assert said == ["Reading the prepared copy kept by the first load…"]
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(demo_cache.parent / "none-kept"))
    checked = catalog.load_dataset(demo_dir)
    assert data.n_leads == 800
    assert_same_dataset(data, checked, load_model(DEFAULT_MODEL_PATH))


def test_score_to_stdout_and_file(demo_dir: Path, tmp_path: Path) -> None:
    args = [
        "score",
        "--model",
        str(DEFAULT_MODEL_PATH),
        "--leads",
        str(demo_dir / "leads.csv"),
        "--events",
        str(demo_dir / "events.csv"),
    ]
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
    assert "leads.csv, column 'created_at': 1 value is not a date" in done.stderr
    assert "Traceback" not in done.stderr


def test_replay_text_and_json(demo_dir: Path, tmp_path: Path) -> None:
    base = [
        "replay",
        "--model",
        str(DEFAULT_MODEL_PATH),
        "--leads",
        str(demo_dir / "leads.csv"),
        "--events",
        str(demo_dir / "events.csv"),
    ]
    done = _run(*base)
    assert done.returncode == 0, done.stderr
    assert "Model A: AUC 0." in done.stdout
    assert "90–100" in done.stdout
    other = json.loads(DEFAULT_MODEL_PATH.read_text())
    other["bands"][1]["min_score"] = 40  # B from 40: the sales-ready threshold stays 75
    b = tmp_path / "b.json"
    b.write_text(json.dumps(other))
    done = _run(*base, "--json", "--compare", str(b), "--bucket", "5")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {"auc", "bands", "buckets", "lift_top10", "compare"} <= set(out)
    assert len(out["buckets"]) == 20
    assert sum(band["leads"] for band in out["bands"]) == 800
    assert out["compare"]["delta_auc"] == 0  # same points and floor: the same ranking
    assert out["compare"]["bands"][1]["leads"] > out["bands"][1]["leads"]


def test_replay_with_a_bad_model_names_it(demo_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"criteria": [], "bands": [{"name": "A", "min_score": 0}], "x": 1}')
    done = _run("replay", "--model", str(bad), "--leads", str(demo_dir / "leads.csv"))
    assert done.returncode == 2
    assert "bad.json: unknown field 'x'" in done.stderr


def test_replay_at_a_fixed_snapshot_leaves_out_later_leads(demo_dir: Path) -> None:
    leads = pd.read_csv(demo_dir / "leads.csv", parse_dates=["created_at"])
    existed = int((leads["created_at"] < pd.Timestamp("2025-06-01")).sum())
    done = _run(
        "replay",
        "--model",
        str(DEFAULT_MODEL_PATH),
        "--leads",
        str(demo_dir / "leads.csv"),
        "--as-of",
        "2025-06-01",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert sum(b["leads"] for b in json.loads(done.stdout)["bands"]) == existed < 800


def test_revisions_commands_save_list_show_live_and_export(tmp_path, capsys, model):
    from model.cli import CONFLICT_EXIT

    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    assert (
        main(["revisions", "save", "--model", str(path), "--author", "Ann", "--note", "first"]) == 0
    )
    data = model.to_dict()
    data["criteria"][15]["points"] = 9
    path.write_text(json.dumps(data))
    save = ["revisions", "save", "--model", str(path), "--author", "Raj", "--note", "pricing"]
    assert main([*save, "--criterion-note", "pricing_visit=reps asked"]) == CONFLICT_EXIT
    assert "Not saved" in capsys.readouterr().err
    assert main([*save, "--parent", "1", "--criterion-note", "pricing_visit=reps asked"]) == 0
    assert main(["revisions", "live", "2", "--author", "Raj"]) == 0
    capsys.readouterr()
    assert main(["revisions", "list"]) == 0
    listing = capsys.readouterr().out
    assert "v1   draft" in listing
    assert "v2   live" in listing
    assert main(["revisions", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["model"] == model.name
    assert [(r["number"], r["status"], r["parent"]) for r in listed["revisions"]] == [
        (1, "draft", None),
        (2, "live", 1),
    ]
    assert listed["revisions"][1]["author"] == "Raj"
    assert main(["revisions", "show", "2"]) == 0
    assert "Pricing page view 6 → 9 (note: reps asked)" in capsys.readouterr().out
    assert main(["revisions", "show", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == model.to_dict()
    xlsx, csv = tmp_path / "revisions.xlsx", tmp_path / "revisions.csv"
    assert main(["revisions", "export", "--xlsx", str(xlsx), "--csv", str(csv)]) == 0
    assert xlsx.stat().st_size > 0
    assert "Pricing page view" in csv.read_text()
    assert main(["revisions", "show", "7"]) == 2
    assert "no revision 7 (it has: v1, v2)" in capsys.readouterr().err


HEAVY = ("sklearn", "numba", "plotly", "scipy")

LIGHT_COMMANDS = [
    ["--help"],
    ["revisions", "list"],
    ["revisions", "list", "--json"],
    ["revisions", "show", "1"],
    ["revisions", "export", "--csv", "{tmp}/columns.csv"],
    ["feedback", "list", "--json"],
    ["export-sql", "--model", str(DEFAULT_MODEL_PATH), "--dialect", "postgres"],
    ["export-sql", "--model", str(DEFAULT_MODEL_PATH), "--dialect", "bigquery"],
    ["export-dbt", "--model", str(DEFAULT_MODEL_PATH), "--out", "{tmp}/dbt"],
    ["roles", "list", "--json"],
    ["roles", "grant", "@acme.com", "viewer", "--author", "it"],
    ["api-keys", "create", "crm", "--author", "it"],
    ["api-keys", "list"],
]


@pytest.mark.parametrize("command", LIGHT_COMMANDS, ids=" ".join)
def test_light_commands_never_load_the_engine(command, tmp_path, revision_store_url):
    """What a command imports, not how long it takes (speed lives in bench/): listing
    revisions or writing SQL never loads numba, scikit-learn, SciPy or plotly."""
    seed = [
        "revisions",
        "save",
        "--model",
        str(DEFAULT_MODEL_PATH),
        "--author",
        "Ann",
        "--note",
        "x",
    ]
    assert main(seed) == 0
    argv = [a.replace("{tmp}", str(tmp_path)) for a in command]
    probe = (
        "import sys, json\n"
        "from model.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"print(json.dumps([code, sorted(m for m in {HEAVY!r} if m in sys.modules)]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False, env={**os.environ, "LEADSCORE_DB_URL": revision_store_url})  # fmt: skip
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0, done.stderr
    assert loaded == []


def test_revisions_on_a_corrupt_store_fail_cleanly(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    bad.write_text("not a database\n" * 100)
    assert main(["revisions", "--db", f"sqlite:///{bad}", "list"]) == 2
    assert "cannot be read as a revision store" in capsys.readouterr().err


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-cli")
    assert main(["demo-data", "--out", str(folder), "--leads", "6000", "--seed", "3"]) == 0
    return folder


def test_calibrate_prints_metrics_against_the_baseline_and_the_table(demo_folder, capsys):
    args = ["calibrate", "--model", str(DEFAULT_MODEL_PATH), "--leads", str(demo_folder)]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ece"] <= out["baseline"]["ece"] / 2
    assert out["brier"] < out["baseline"]["brier"]
    assert [row["scores"] for row in out["table"]][:2] == ["0–4", "5–9"]
    assert {row["column"] for row in out["leakage"]} == {"stage"}
    assert [b["how"] for b in out["backtests"]] == ["time", "random"]
    assert [row["closed_leads"] for row in out["table"]][-1] >= 0  # each row with its evidence
    assert main([*args, "--method", "logistic"]) == 0
    text = capsys.readouterr().out
    assert "baseline score/100" in text
    assert "'stage' separates outcomes almost perfectly" in text


def test_suggest_writes_a_model_and_prints_the_aucs(demo_folder, tmp_path, capsys):
    out_file = tmp_path / "suggested.json"
    args = [
        "suggest",
        "--model",
        str(DEFAULT_MODEL_PATH),
        "--leads",
        str(demo_folder),
        "--out",
        str(out_file),
        "--json",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"auc_current", "auc_suggested", "auc_ceiling", "leakage"}
    assert out["auc_current"] < out["auc_ceiling"]
    suggested = load_model(out_file)
    points = {row["criterion"]: row["suggested"] for row in out["points"]}
    assert {c.id: c.points for c in suggested.criteria} == points


def test_export_sql_runs_as_printed_on_duckdb_with_the_demo_csvs(demo_folder, tmp_path, capsys):
    import duckdb

    from model.core.dataset import AsOf
    from model.core.hits import build_hits
    from model.core.scoring import score
    from model.ingest.catalog import load_dataset

    assert (
        main(
            ["calibrate", "--model", str(DEFAULT_MODEL_PATH), "--leads", str(demo_folder), "--json"]
        )
        == 0
    )
    capsys.readouterr()
    out = tmp_path / "score.sql"
    assert main(["export-sql", "--model", str(DEFAULT_MODEL_PATH), "--out", str(out)]) == 0
    con = duckdb.connect()
    for name in ("leads", "events"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM '{demo_folder / (name + '.csv')}'")
    got = con.execute(out.read_text()).df().set_index("lead_id")
    data = load_dataset(demo_folder / "leads.csv", demo_folder / "events.csv")
    model = load_model(DEFAULT_MODEL_PATH)
    engine = score(build_hits(data, model, AsOf.parse("created+14d")), model)
    assert np.abs(got.loc[data.lead_ids, "score"].to_numpy() - engine.score).max() < 1e-9
    with pytest.raises(SystemExit):  # argparse names the dialects it knows
        main(["export-sql", "--model", str(DEFAULT_MODEL_PATH), "--dialect", "oracle"])
    bad = tmp_path / "cal.json"
    bad.write_text('{"method": "isotonic"}')
    assert main(["export-sql", "--model", str(DEFAULT_MODEL_PATH), "--calibration", str(bad)]) == 2
    assert "not a calibration file" in capsys.readouterr().err


def test_import_maps_a_crm_export_and_starter_model_reads_it(tmp_path, capsys):
    from model.ingest import catalog

    crm = tmp_path / "crm.csv"
    crm.write_text(
        "Ref;Opened;Result;Plan\nA1;2026-01-02;Deal;Pro\nA2;2026-01-03;No deal;Free\n"
        "A3;2026-01-04;;Pro\nA4;2026-01-05;No deal;Select\n"
    )
    out = tmp_path / "ds"
    args = [
        "import",
        "--leads",
        str(crm),
        "--map",
        "lead_id=Ref",
        "--map",
        "created_at=Opened",
        "--map",
        "outcome=Result",
        "--won",
        "Deal",
        "--lost",
        "no deal",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "wrote 4 leads (3 closed: 1 won, 33.3% of closed)" in err
    assert "prepared for the app's first start in" in err  # so the app reads a copy:
    said: list[str] = []
    catalog.load_dataset(out, progress=lambda _f, text: said.append(text))
    assert said == ["Reading the prepared copy kept by the first load…"]
    leads = pd.read_parquet(out / "leads.parquet")
    assert leads["outcome"].tolist() == ["won", "lost", "open", "lost"]
    assert leads["Plan"].isna().tolist() == [False, False, False, True]  # 'Select' is missing
    assert main(args) == 2  # the folder holds a dataset: nothing is overwritten
    assert "already holds a dataset" in capsys.readouterr().err
    starter = tmp_path / "starter.json"
    assert main(["starter-model", "--data", str(out), "--out", str(starter)]) == 0
    assert {c.rule.attribute for c in load_model(starter).criteria} == {"Plan"}


def test_import_exits_2_with_the_report_on_blocking_errors(tmp_path, capsys):
    crm = tmp_path / "crm.csv"
    crm.write_text("id,created,status\n1,2026-01-02,won\n1,soon,lost\n")
    mapped = ["--map", "lead_id=id", "--map", "created_at=created"]
    assert main(["import", "--leads", str(crm), *mapped, "--out", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err
    assert "error: crm.csv, column 'id': 1 duplicate lead ids" in err
    assert "error: crm.csv, column 'created': 1 value is not a date, e.g. 'soon' at rows 3" in err
    assert not (tmp_path / "ds" / "leads.parquet").exists()
    # the same columns only guessed: proposals that never block, each one explained
    assert main(["import", "--leads", str(crm), "--out", str(tmp_path / "ds")]) == 0
    err = capsys.readouterr().err
    assert "'id' looked like the lead id by its name, but its values repeat" in err
    assert "'created' looked like the created date by its name, but holds" in err
    assert "role outcome: 'status' (guessed from its name)" in err


def test_import_says_when_no_prepared_copy_can_be_kept(tmp_path, capsys, monkeypatch):
    """A cache folder that cannot be written costs the app's first start its checks, not
    the import: the dataset is written and the note says why no copy was kept."""
    from model.ingest import catalog

    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(blocker / "prepared"))
    crm = tmp_path / "crm.csv"
    crm.write_text("Record ID,Create Date,Lead Status\n1,2026-01-02,Won\n2,2026-01-03,Lost\n")
    assert main(["import", "--leads", str(crm), "--out", str(tmp_path / "ds")]) == 0
    err = capsys.readouterr().err
    assert "wrote 2 leads" in err
    assert f"note: no prepared copy could be kept in {blocker / 'prepared'}" in err
    assert catalog.load_dataset(tmp_path / "ds").n_leads == 2
    assert blocker.read_text() == "not a folder"


def test_score_never_overwrites_an_input_or_an_existing_file(demo_dir: Path, tmp_path: Path):
    leads = tmp_path / "leads.csv"
    leads.write_bytes((demo_dir / "leads.csv").read_bytes())
    before = leads.read_bytes()
    base = ["score", "--model", str(DEFAULT_MODEL_PATH), "--leads", str(leads)]
    done = _run(*base, "--out", str(leads))
    assert done.returncode == 2
    assert "is an input of this command" in done.stderr
    assert leads.read_bytes() == before
    out = tmp_path / "scores.csv"
    out.write_text("keep me")
    done = _run(*base, "--out", str(out))
    assert done.returncode == 2
    assert "exists; pass --force to replace it" in done.stderr
    assert out.read_text() == "keep me"
    assert _run(*base, "--out", str(out), "--force").returncode == 0
    assert out.read_text().startswith("lead_id,")


def test_revisions_live_passes_the_gate_or_exits_4_with_the_figures(
    demo_folder, tmp_path, capsys, revision_store_url, model
):
    """With v1 live, a candidate with its fit points upside down is refused (exit 4, the
    figures on stdout); --override records the reason with the figures; the way back to
    the better model passes. Every decision is kept, none updated."""
    from model.cli import GATE_EXIT
    from model.store.revisions import RevisionStore

    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    save = ["revisions", "save", "--model", str(path), "--author", "Ann", "--note", "n"]
    assert main(save) == 0
    assert main(["revisions", "live", "1", "--author", "Ann"]) == 0  # nothing live: no gate
    worse = model.to_dict()
    for c in worse["criteria"]:
        c["points"] = -c["points"] if c["group"] == "fit" else c["points"]
    path.write_text(json.dumps(worse))
    assert main([*save, "--parent", "1"]) == 0
    capsys.readouterr()
    assert main(["revisions", "live", "2", "--author", "Raj"]) == 2  # no history given
    assert "pass --leads" in capsys.readouterr().err
    gate = ["revisions", "live", "2", "--author", "Raj", "--leads", str(demo_folder)]
    assert main([*gate, "--since", "2026-01-01"]) == GATE_EXIT
    out = capsys.readouterr()
    figures = json.loads(out.out)
    assert figures["passed"] is False
    assert figures["figures"]["auc"]["high"] < 0
    assert "Not made live: it ranks the closed leads worse" in out.err
    store = RevisionStore(revision_store_url)
    assert store.live(model.name).number == 1
    compare = ["compare", "--live", "--candidate", "2", "--leads", str(demo_folder), "--json"]
    assert main([*compare, "--since", "2026-01-01"]) == GATE_EXIT
    assert json.loads(capsys.readouterr().out)["figures"] == figures["figures"]  # the same
    assert main([*gate, "--since", "2026-01-01", "--override", "pilot in one region"]) == 0
    assert store.live(model.name).number == 2
    path.write_text(model.to_json())
    assert main([*save, "--parent", "2"]) == 0
    assert main(["revisions", "live", "3", "--author", "Ann", "--leads", str(demo_folder)]) == 0
    decisions = store.decisions(model.name)
    assert [(d.number, d.verdict, d.live_before) for d in decisions] == [
        (1, "no_live", None),  # a first go-live is recorded as the app records it
        (2, "override", 1),
        (3, "passed", 2),
    ]
    assert decisions[1].reason == "pilot in one region"
    assert decisions[1].figures["figures"]["auc"]["high"] < 0
    assert decisions[1].author == "Raj"


def test_score_with_a_shadow_revision_keeps_both_scores_per_lead(
    demo_folder, tmp_path, capsys, model
):
    """v1 live, v2 (pricing worth more) in shadow: `score --shadow 2` writes both scores
    with their revision numbers, the shadow's equal to scoring v2 alone."""
    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    save = ["revisions", "save", "--model", str(path), "--author", "Ann", "--note", "n"]
    assert main(save) == 0
    assert main(["revisions", "live", "1", "--author", "Ann"]) == 0
    changed = model.to_dict()
    changed["criteria"][15]["points"] += 10
    other = tmp_path / "v2.json"
    other.write_text(json.dumps(changed))
    again = ["revisions", "save", "--model", str(other), "--author", "Raj", "--note", "m"]
    assert main([*again, "--parent", "1"]) == 0
    assert main(["revisions", "shadow", "1", "--author", "Raj"]) == 2  # live: not a candidate
    assert "only a candidate runs in shadow" in capsys.readouterr().err
    assert main(["revisions", "shadow", "2", "--author", "Raj"]) == 0
    capsys.readouterr()
    base = ["score", "--model", str(path), "--leads", str(demo_folder)]
    out, alone = tmp_path / "both.csv", tmp_path / "v2-scores.csv"
    assert main([*base, "--shadow", "2", "--out", str(out)]) == 0
    assert (
        main(["score", "--model", str(other), "--leads", str(demo_folder), "--out", str(alone)])
        == 0
    )
    both, v2 = pd.read_csv(out), pd.read_csv(alone)
    assert list(both.columns[-4:]) == ["revision", "shadow_revision", "shadow_score", "shadow_band"]
    assert set(both["revision"]) == {1}
    assert set(both["shadow_revision"]) == {2}
    np.testing.assert_allclose(both["shadow_score"], v2["score"])
    assert (both["shadow_band"] == v2["band"]).all()
    assert (both["shadow_score"] >= both["score"]).all()
    assert (both["shadow_score"] > both["score"]).any()
    assert main(["revisions", "shadow", "--stop", "--author", "Raj"]) == 0
    assert "shadow run stopped" in capsys.readouterr().out


def test_feedback_import_and_list_from_the_command(tmp_path, capsys, revision_store_url):
    """A Salesforce lead export with its Lead Status words: imported whole, listed as JSON;
    a file with one unknown status adds nothing and names the row."""
    seed = ["revisions", "save", "--model", str(DEFAULT_MODEL_PATH), "--author", "A", "--note", "x"]
    assert main(seed) == 0
    export = tmp_path / "sf.csv"
    export.write_bytes(
        "Lead ID,Lead Status,Rejection Reason,Lead Owner\r\n"
        "00Q1,Working - Contacted,,Zoë Rep\r\n00Q2,Closed - Not Converted,Student,Zoë Rep\r\n".encode(
            "cp1252"
        )
    )
    assert main(["feedback", "import", str(export), "--author", "Ops"]) == 0
    assert "2 verdicts added" in capsys.readouterr().out
    assert main(["feedback", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["lead_id"], r["verdict"], r["reason"], r["author"]) for r in rows] == [
        ("00Q1", "accepted", "", "Zoë Rep"),
        ("00Q2", "rejected", "Student", "Zoë Rep"),
    ]
    export.write_text("Lead ID,Lead Status\n00Q3,Working - Contacted\n00Q4,Nurture\n")
    assert main(["feedback", "import", str(export), "--author", "Ops"]) == 2
    assert "verdict 'Nurture' in rows 3" in capsys.readouterr().err
    assert main(["feedback", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_warm_up_prepares_the_app_demo_so_its_first_page_reads_a_copy(tmp_path, monkeypatch):
    """`make run` runs `leadscore warm-up` at install: the demo set generated and kept as
    Parquet and as a prepared copy, which the app's load then reads; run again, it keeps
    what it made (the same files, not written anew)."""
    from model.ingest import catalog

    monkeypatch.setenv("LEADSCORE_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(tmp_path / "prepared"))
    done = subprocess.run(
        [sys.executable, "-m", "model.cli", "warm-up"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "ready: 20,000 demo leads" in done.stderr
    assert "Compiling the scoring engine's loops" in done.stderr
    made = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "demo").iterdir()}
    assert set(made) == {"leads.csv", "events.csv", "leads.parquet", "events.parquet"}
    said: list[str] = []
    data = catalog.load_dataset(tmp_path / "demo", progress=lambda _f, text: said.append(text))
    assert data.n_leads == 20_000
    assert said == ["Reading the prepared copy kept by the first load…"]
    again = subprocess.run(
        [sys.executable, "-m", "model.cli", "warm-up"], capture_output=True, text=True, check=False
    )
    assert again.returncode == 0, again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "demo").iterdir()} == made


def test_warm_up_names_the_folder_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    done = _run("warm-up", "--demo-dir", str(blocker / "demo"))
    assert done.returncode == 2
    assert f"leadscore warm-up: error: cannot prepare the demo set in {blocker / 'demo'}" in (
        done.stderr
    )
    assert blocker.read_text() == "not a folder"
