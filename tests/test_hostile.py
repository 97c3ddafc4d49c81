"""Hostile and broken input: a clear message naming what and where, never a traceback, a
process abort or an input overwritten (issue: nothing crashes, nothing is lost)."""

from __future__ import annotations

import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.cli import main
from model.core.spec import default_model
from model.store.revisions import RevisionStore, StoreError

ROOT = Path(__file__).resolve().parent.parent


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "'notaurl' is not a database URL"),
        ("mysql://u@localhost/db", "this database's driver is not installed"),
        ("oracle://u@localhost/db", "this database's driver is not installed"),
        ("sqlite:///tmp/x\x00y.db", "holds a NUL character"),
    ],
)
def test_a_bad_store_url_is_named_not_a_traceback(capsys, url, message):
    with pytest.raises(StoreError, match=message):
        RevisionStore(url)
    code, _, err = _cli(capsys, "revisions", "--db", url, "list")
    assert code == 2
    assert message in err


def test_one_corrupt_revision_row_leaves_the_rest_listed(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = RevisionStore(url)
    model = default_model()
    store.save(model, author="Ann", note="first", parent=None)
    store.save(model, author="Bo", note="second", parent=1)
    with sqlite3.connect(tmp_path / "r.db") as raw:
        raw.execute("UPDATE leadscore_revisions SET model_json = '{broken' WHERE number = 1")
    code, out, err = _cli(capsys, "revisions", "--db", url, "list")
    assert code == 0
    assert "v2" in out
    assert "Bo" in out
    assert "revision 1 of 'B2B inbound' cannot be read: model JSON is not valid JSON" in err
    fresh = RevisionStore(url)
    assert [r.number for r in fresh.revisions(model.name)] == [2]
    assert fresh.live(model.name) is None  # the app's start reads this: no exception


def test_a_read_only_store_can_be_listed_and_refuses_writes(capsys, tmp_path, monkeypatch):
    """A store on a read-only mount (here: nobody may write it, as os.access reports for
    such a mount; these tests run as root, whom file modes do not stop)."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    writer = RevisionStore(url)
    writer.save(default_model(), author="Ann", note="n", parent=None)
    writer.engine.dispose()  # its last connection closes: SQLite checkpoints the log now,
    before = (tmp_path / "r.db").read_bytes()  # not whenever it is collected
    real = os.access
    monkeypatch.setattr(
        "model.store.revisions.os.access",
        lambda p, mode: False if mode == os.W_OK else real(p, mode),
    )
    code, out, _ = _cli(capsys, "revisions", "--db", url, "list")
    assert code == 0
    assert "Ann" in out
    store = RevisionStore(url)
    assert store.read_only
    with pytest.raises(StoreError, match="is read-only"):
        store.save(default_model(), author="Bo", note="x", parent=1)
    assert (tmp_path / "r.db").read_bytes() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("note", "bad\x00note", "note holds a NUL character"),
        ("author", "x" * 201, "author is 201 characters; the store keeps at most 200"),
        ("author", "A\x00nn", "author holds a NUL character"),
    ],
)
def test_text_the_store_cannot_keep_is_refused_alike_on_every_database(
    tmp_path, field, value, message
):
    store = RevisionStore(f"sqlite:///{tmp_path / 'r.db'}")
    args = {"author": "Ann", "note": "n", field: value}
    with pytest.raises(ValueError, match=message):
        store.save(default_model(), parent=None, **args)
    assert store.model_names() == []


def test_save_on_top_of_latest_retries_and_conflicts_say_how_to_go_on(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    model = tmp_path / "m.json"
    model.write_text(default_model().to_json())
    base = [
        "revisions",
        "--db",
        url,
        "save",
        "--model",
        str(model),
        "--author",
        "Ann",
        "--note",
        "n",
    ]
    assert _cli(capsys, *base)[0] == 0
    assert _cli(capsys, *base, "--parent", "latest")[0] == 0
    code, _, err = _cli(capsys, *base, "--parent", "1")
    assert code == 3
    assert "Run the save again (or pass --parent latest)" in err
    code, out, _ = _cli(capsys, *base, "--parent", "latest")
    assert code == 0
    assert "v3" in out


# ------------------------------------------------------------------ the corpus

CORPUS = Path(__file__).parent / "data" / "hostile"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
LEADS = "lead_id,created_at,outcome,industry,visits\n1,2025-01-02,won,Software,3\n2,2025-01-05,lost,Retail,1\n"
EVENTS = "lead_id,occurred_at,event_type\n1,2025-01-03,visit\n2,2025-01-06,visit\n"


def _entries(kind: str) -> list[dict]:
    return [e for e in MANIFEST if e["kind"] == kind]


def _said(code: int, err: str, entry: dict) -> None:
    """Accepted when it should be; otherwise the message holds the expected words."""
    if entry["expect"] == "ok":
        assert code == 0, err
    else:
        assert entry["expect"] in err, err
    assert "Traceback" not in err


def test_the_corpus_is_large_and_every_file_is_listed():
    files = {p.name for p in CORPUS.iterdir()} - {"manifest.json", "make_hostile.py"}
    assert len(MANIFEST) >= 80
    assert files == {e["file"] for e in MANIFEST}


@pytest.mark.parametrize("entry", _entries("leads"), ids=lambda e: e["file"])
def test_hostile_leads_files_through_the_command(capsys, tmp_path, entry):
    path = CORPUS / entry["file"]
    before = path.read_bytes()
    code, _, err = _cli(capsys, "import", "--leads", str(path), "--out", str(tmp_path / "ds"))
    assert code in (0, 2)
    _said(code, err, entry)
    if code == 0:
        model = tmp_path / "starter.json"
        assert (
            _cli(capsys, "starter-model", "--data", str(tmp_path / "ds"), "--out", str(model))[0]
            == 0
        )
        assert _cli(capsys, "score", "--model", str(model), "--leads", str(tmp_path / "ds"))[0] == 0
        code, _, _ = _cli(
            capsys, "replay", "--model", str(model), "--leads", str(tmp_path / "ds"), "--json"
        )
        assert code == 0
    assert path.read_bytes() == before  # no input is ever written


@pytest.mark.parametrize("entry", _entries("events"), ids=lambda e: e["file"])
def test_hostile_events_files_through_the_command(capsys, tmp_path, entry):
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS)
    code, _, err = _cli(
        capsys,
        "import",
        "--leads",
        str(leads),
        "--events",
        str(CORPUS / entry["file"]),
        "--out",
        str(tmp_path / "ds"),
    )
    assert code in (0, 2)
    _said(code, err, entry)


@pytest.mark.parametrize("entry", _entries("model"), ids=lambda e: e["file"])
def test_hostile_model_files_through_the_command(capsys, tmp_path, entry):
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "events.csv").write_text(EVENTS)
    out = tmp_path / "scores.csv"
    code, _, err = _cli(
        capsys,
        "score",
        "--model",
        str(CORPUS / entry["file"]),
        "--leads",
        str(tmp_path / "leads.csv"),
        "--events",
        str(tmp_path / "events.csv"),
        "--out",
        str(out),
    )
    _said(code, err, entry)
    if code == 0:
        scores = pd.read_csv(out)
        assert scores["score"].between(0, 100).all()


@pytest.mark.parametrize("entry", _entries("calibration"), ids=lambda e: e["file"])
def test_hostile_calibration_files_through_the_export(capsys, tmp_path, entry):
    code, out, err = _cli(
        capsys,
        "export-sql",
        "--model",
        str(CORPUS / "formula_label.json"),
        "--calibration",
        str(CORPUS / entry["file"]),
    )
    _said(code, err, entry)
    if code == 0:
        assert "AS confidence" in out


def test_hostile_files_on_the_data_and_model_pages(open_app):
    """Every leads file uploaded on the Data page and every model file on the Model page,
    one session: a message or a report, never an exception."""
    at = open_app("pages/data.py")
    for entry in _entries("leads"):
        data = (CORPUS / entry["file"]).read_bytes()
        at.file_uploader(key="leads_upload").set_value((entry["file"], data, "text/csv")).run()
        assert not at.exception, entry["file"]
        shown = " ".join(e.value for e in [*at.error, *at.warning, *at.success, *at.info])
        if entry["expect"] != "ok":
            assert entry["expect"] in shown, entry["file"]
    at.switch_page("pages/model.py").run()
    for entry in _entries("model"):
        data = (CORPUS / entry["file"]).read_bytes()
        at.file_uploader(key="model_upload").set_value(
            (entry["file"], data, "application/json")
        ).run()
        assert not at.exception, entry["file"]
        if entry["expect"] != "ok" and "is not a column" not in entry["expect"]:
            assert any(entry["expect"] in e.value for e in at.error), entry["file"]


# ------------------------------------------------------------------ bounded memory

LIMIT = 3 * 2**30


def _bounded(*args: str) -> subprocess.CompletedProcess:
    """The command in a child process whose address space is capped: an unbounded read
    dies there (and the test fails), never the machine."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "model.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap,
        cwd=ROOT,
    )


def _zip_bomb(path: Path) -> None:
    """A workbook whose one sheet unpacks to 1.1 GB of blank XML (about 1 MB on disk)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1 << 20)
            for _ in range(1100):
                sheet.write(block)


@pytest.mark.slow
def test_the_heaviest_inputs_are_refused_within_bounded_memory(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _zip_bomb(bomb)
    for args in (
        ["import", "--leads", str(bomb), "--out", str(tmp_path / "a")],
        ["import", "--leads", str(CORPUS / "wide_dimension.xlsx"), "--out", str(tmp_path / "b")],
        ["import", "--leads", "/dev/zero", "--out", str(tmp_path / "c")],
        ["score", "--model", str(CORPUS / "formula_label.json"), "--leads", "/dev/zero"],
    ):
        done = _bounded(*args)
        assert done.returncode == 2, (args, done.stderr[-800:])
        assert "Traceback" not in done.stderr
    assert (
        "unpack to 1.1 GB"
        in _bounded("import", "--leads", str(bomb), "--out", str(tmp_path / "d")).stderr
    )


# ------------------------------------------------------------------ one bad file, one page


def test_kept_datasets_that_cannot_be_read_are_named_and_the_rest_stay_usable(
    open_app, tmp_path, monkeypatch
):
    from model.ingest import catalog

    root = tmp_path / "datasets"
    monkeypatch.setenv("LEADSCORE_DATA_DIR", str(root))
    for name, meta in (("list", "[1]"), ("badname", '{"name": ["x"]}'), ("nojson", "{broken")):
        (root / name).mkdir(parents=True)
        (root / name / "dataset.json").write_text(meta)
    corrupt = root / "corrupt"
    corrupt.mkdir()
    (corrupt / "dataset.json").write_text('{"name": "Corrupt", "has_dates": true}')
    (corrupt / "leads.parquet").write_bytes(b"PAR1 not parquet")
    assert list(catalog.saved_datasets()) == ["Corrupt"]
    assert len(catalog.unreadable_datasets()) == 3
    at = open_app("pages/data.py")
    assert sum("it is skipped" in w.value for w in at.warning) == 3
    at.selectbox(key="dataset").set_value("Corrupt").run()
    at.switch_page("pages/replay.py").run()
    assert not at.exception
    assert any("'Corrupt' cannot be read" in e.value for e in at.error)
    at.selectbox(key="dataset").set_value("Demo data (B2B inbound)").run()
    assert not at.exception
    assert not at.error


def test_a_data_folder_that_is_a_file_refuses_the_save_and_loses_nothing(
    open_app, tmp_path, monkeypatch
):
    blocker = tmp_path / "datasets"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LEADSCORE_DATA_DIR", str(blocker))
    at = open_app("pages/data.py")
    text = "lead_id,created_at,outcome\n1,2025-01-02,won\n2,2025-01-03,lost\n"
    at.file_uploader(key="leads_upload").set_value(("x.csv", text.encode(), "text/csv")).run()
    at.button(key="use_dataset").click().run()
    assert not at.exception
    assert any("the datasets folder is a file" in e.value for e in at.error)
    assert blocker.read_text() == "not a folder"


def test_a_column_named_like_the_scorers_own_row_number_is_refused_in_parts(capsys, tmp_path):
    leads, model = tmp_path / "leads.csv", tmp_path / "m.json"
    model.write_text(
        '{"criteria": [], "bands": [{"name": "A", "min_score": 0, "sales_ready": true}]}'
    )
    leads.write_text("lead_id,created_at,__leadscore_row__\n1,2025-01-02,9\n2,2025-01-03,8\n")
    code, _, err = _cli(
        capsys, "score", "--model", str(model), "--leads", str(leads), "--parts", "2"
    )
    assert code == 2
    assert "which the scorer uses itself; rename it" in err
    leads.write_text("lead_id,created_at,__row\n1,2025-01-02,9\n2,2025-01-03,8\n")
    assert (
        _cli(capsys, "score", "--model", str(model), "--leads", str(leads), "--parts", "2")[0] == 0
    )


# ------------------------------------------------------------------ properties

NUMBERS = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**6), 10**6)
    | st.sampled_from(["ten", None, True, [], {}])
)


@st.composite
def model_dicts(draw) -> dict:
    """Model-shaped JSON with any numbers (NaN, infinity, huge, text) in any numeric field."""
    criteria = []
    for i in range(draw(st.integers(0, 4))):
        rule = draw(
            st.sampled_from(
                [
                    {"attribute": "industry", "op": "equals", "value": draw(st.text(max_size=5))},
                    {
                        "attribute": "visits",
                        "op": "between",
                        "low": draw(NUMBERS),
                        "high": draw(NUMBERS),
                    },
                    {"events": ["visit"], "op": "count", "max_count": draw(NUMBERS)},
                ]
            )
        )
        criteria.append(
            {
                "id": f"c{i}",
                "label": "x",
                "group": draw(st.sampled_from(["fit", "engagement"])),
                "points": draw(NUMBERS),
                "rule": rule,
            }
        )
    return {
        "criteria": criteria,
        "caps": {"fit": draw(NUMBERS), "engagement": draw(NUMBERS)},
        "decay": {
            "mode": draw(st.sampled_from(["none", "half_life", "linear"])),
            "half_life_days": draw(NUMBERS),
            "floor_fraction": draw(NUMBERS),
        },
        "bands": [
            {"name": "A", "min_score": draw(NUMBERS), "sales_ready": True},
            {"name": "C", "min_score": 0},
        ],
    }


def _parsed(text: str):
    from model.core.spec import ModelError, parse_model

    try:
        return parse_model(text), ""
    except ModelError as exc:
        return None, str(exc)


@settings(max_examples=300, deadline=None)
@given(model_dicts())
def test_any_model_json_is_refused_naming_a_field_or_scores_within_0_to_100(data):
    from model.core.dataset import AsOf, prepare
    from model.core.hits import build_hits
    from model.core.scoring import score

    text = json.dumps(data, allow_nan=True)  # NaN and Infinity as JSON's extensions write them
    model, refused = _parsed(text)
    if model is None:  # refused: the message names the field
        assert re.search(r"(criterion|band|caps|decay)[^:]*: |bands|criteria", refused), refused
        return
    leads = pd.DataFrame(
        {
            "lead_id": ["1", "2", "3"],
            "created_at": pd.to_datetime(["2025-01-01"] * 3),
            "industry": ["a", "", "Software"],
            "visits": [0.0, 5.0, None],
        }
    )
    events = pd.DataFrame(
        {
            "lead_id": ["1", "1", "2"],
            "event_type": ["visit"] * 3,
            "occurred_at": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-05"]),
        }
    )
    ds = prepare(leads, events, name="p")
    s = score(build_hits(ds, model, AsOf()), model)
    assert np.isfinite(s.score).all()
    assert ((s.score >= 0) & (s.score <= 100)).all()
    assert ((s.band >= 0) & (s.band < len(model.bands))).all()


VALUE_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="\x00", exclude_categories=("Lu", "Ll", "Lt", "Cs")
    )
    | st.sampled_from(list("aBzZ'\";-")),
    min_size=1,
    max_size=10,
)  # letters with case only in ASCII: case folding of others is the database's


def _value_model(values: list[str]):
    from model.core.spec import parse_model

    return parse_model(
        {
            "criteria": [
                {
                    "id": f"v{i}",
                    "label": "v",
                    "group": "fit",
                    "points": 1 + i,
                    "rule": {"attribute": "attr", "op": "equals", "value": v},
                }
                for i, v in enumerate(values)
            ],
            "bands": [
                {"name": "A", "min_score": 1, "sales_ready": True},
                {"name": "C", "min_score": 0},
            ],
        }
    )


def _engine_scores(values: list[str], model) -> np.ndarray:
    from model.core.dataset import AsOf, prepare
    from model.core.hits import build_hits
    from model.core.scoring import score

    leads = pd.DataFrame(
        {
            "lead_id": [str(i) for i in range(len(values))],
            "created_at": pd.to_datetime(["2025-01-01"] * len(values)),
            "attr": values,
        }
    )
    return score(build_hits(prepare(leads, None, name="v"), model, AsOf()), model).score, leads


@settings(max_examples=60, deadline=None)
@given(st.lists(VALUE_TEXT, min_size=1, max_size=4, unique=True))
def test_any_criterion_value_round_trips_through_the_sql_export_on_duckdb(values):
    import duckdb

    from model.export import sqlgen

    model = _value_model(values)
    want, leads = _engine_scores(values, model)
    con = duckdb.connect()
    con.register("leads_frame", leads)
    con.execute("CREATE TABLE leads AS SELECT * FROM leads_frame")
    con.execute("CREATE TABLE events (lead_id VARCHAR, occurred_at TIMESTAMP, event_type VARCHAR)")
    got = (
        con.execute(sqlgen.to_sql(model, "duckdb")).df().set_index("lead_id").loc[leads["lead_id"]]
    )
    np.testing.assert_allclose(got["score"].to_numpy(np.float64), want, atol=1e-9)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(VALUE_TEXT, min_size=1, max_size=4, unique=True))
def test_any_criterion_value_round_trips_through_the_sql_export_on_postgres(postgres, values):
    from model.export import sqlgen
    from tests import pg

    model = _value_model(values)
    want, leads = _engine_scores(values, model)
    pg.load_frame(postgres, "leads", leads.astype({"attr": "string"}))
    pg.load_frame(
        postgres,
        "events",
        pd.DataFrame(
            {
                "lead_id": pd.Series([], dtype="string"),
                "occurred_at": pd.Series([], dtype="datetime64[ns]"),
                "event_type": pd.Series([], dtype="string"),
            }
        ),
    )
    got = pg.query(postgres, sqlgen.to_sql(model, "postgres"))
    got = got.set_index("lead_id").loc[leads["lead_id"]]
    np.testing.assert_allclose(got["score"].to_numpy(np.float64), want, atol=1e-9)


@pytest.mark.slow
def test_a_model_past_the_parsers_depth_runs_as_sql_on_duckdb():
    """1,050 criteria: a chain of sums that deep broke DuckDB's parser (depth 1,000); nested
    runs keep it under. (10,000 criteria parse too, but DuckDB's optimizer then needs
    minutes: its time grows with the square of the CASE terms.)"""
    import duckdb

    from model.core.spec import parse_model
    from model.export import sqlgen

    model = parse_model(
        {
            "criteria": [
                {
                    "id": f"c{i}",
                    "label": "c",
                    "group": "fit",
                    "points": 1,
                    "rule": {"attribute": "n", "op": "between", "low": i, "high": i},
                }
                for i in range(1_050)
            ],
            "bands": [
                {"name": "A", "min_score": 1, "sales_ready": True},
                {"name": "C", "min_score": 0},
            ],
        }
    )
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE leads AS SELECT CAST(range AS VARCHAR) AS lead_id, "
        "TIMESTAMP '2025-01-01' AS created_at, range * 1.0 AS n FROM range(3)"
    )
    con.execute("CREATE TABLE events (lead_id VARCHAR, occurred_at TIMESTAMP, event_type VARCHAR)")
    got = con.execute(sqlgen.to_sql(model, "duckdb")).df()
    assert got["score"].tolist() == [1.0, 1.0, 1.0]
