"""Batch scoring in parts and by DuckDB gives the in-memory engine's scores."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.cli import main
from model.core.dataset import AsOf, DataError
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import DEFAULT_MODEL_PATH, default_model
from model.export import batch
from model.ingest.catalog import load_dataset

AS_OF = AsOf.parse("created+14d")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, demo_data) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("batch")
    demo_data.leads.to_csv(folder / "leads.csv", index=False)
    demo_data.events.to_parquet(folder / "events.parquet")
    return folder / "leads.csv", folder / "events.parquet"


@pytest.fixture(scope="module")
def expected(files) -> pd.DataFrame:
    data = load_dataset(*files)
    model = default_model()
    s = score(build_hits(data, model, AS_OF), model)
    return pd.DataFrame(
        {"lead_id": data.lead_ids, "score": s.score, "band": s.band_names(model)}
    ).set_index("lead_id")


def test_scoring_in_parts_equals_scoring_at_once(files, expected, model):
    out, seen = io.StringIO(), []
    n = batch.score_in_parts(
        model, *files, AS_OF, out, parts=7, progress=lambda f, text: seen.append(f)
    )
    got = pd.read_csv(io.StringIO(out.getvalue()), dtype={"lead_id": str}).set_index("lead_id")
    assert n == len(expected) == len(got)
    assert got.index.is_unique
    got = got.loc[expected.index]
    assert np.abs(got["score"] - expected["score"]).max() < 1e-9
    assert (got["band"] == expected["band"]).all()
    assert seen[0] == 0.0
    assert seen[-1] == 1.0


def test_parts_split_by_lead_so_every_lead_meets_its_events(files, tmp_path):
    lead_parts = batch.split(files[0], tmp_path / "leads", 4)
    event_parts = batch.split(files[1], tmp_path / "events", 4)
    for lp, ep in zip(lead_parts, event_parts, strict=True):
        ids = set(pd.read_parquet(lp)["lead_id"])
        assert set(pd.read_parquet(ep)["lead_id"]) <= ids


def test_errors_in_parts_name_the_original_row(tmp_path, demo_data, model):
    leads = demo_data.leads.head(500).copy()
    leads["created_at"] = leads["created_at"].astype(str)
    leads.loc[321, "created_at"] = "the 5th of never"
    path = tmp_path / "leads.csv"
    leads.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"created_at.*'the 5th of never' at rows 323"):
        batch.score_in_parts(
            model, path, None, AS_OF, io.StringIO(), parts=3, progress=lambda f, t: None
        )


def test_score_command_with_duckdb_and_in_parts(files, expected, tmp_path, capsys):
    common = [
        "score",
        "--model",
        str(DEFAULT_MODEL_PATH),
        "--leads",
        str(files[0]),
        "--events",
        str(files[1]),
    ]
    for extra in (["--engine", "duckdb"], ["--parts", "3"]):
        out = tmp_path / "scores.csv"
        assert main([*common, *extra, "--out", str(out), "--force"]) == 0
        got = pd.read_csv(out, dtype={"lead_id": str}).set_index("lead_id").loc[expected.index]
        assert np.abs(got["score"] - expected["score"]).max() < 1e-9, extra
        assert (got["band"] == expected["band"]).all()
    assert "scored 20,000 leads in 3 parts" in capsys.readouterr().err
    assert batch.parts_for(*files) == 1  # a 20k-lead demo fits in one part
