"""Demo data: deterministic bytes, realistic rates, something for a review to discover."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from model.core.dataset import NS_PER_DAY, AsOf, Dataset
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel
from model.ingest import demo
from model.ingest.catalog import dataset_files, load_dataset
from tests.conftest import assert_same_dataset


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path) -> None:
    a = demo.write(demo.generate(500, seed=3), tmp_path / "a")
    b = demo.write(demo.generate(500, seed=3), tmp_path / "b")
    c = demo.write(demo.generate(500, seed=4), tmp_path / "c")
    assert [_digest(p) for p in a] == [_digest(p) for p in b]
    assert _digest(a[0]) != _digest(c[0])


def test_demo_looks_like_a_crm_export(demo_data: demo.DemoData) -> None:
    leads, events = demo_data.leads, demo_data.events
    closed = leads[leads["outcome"] != "open"]
    assert 0.08 <= (closed["outcome"] == "won").mean() <= 0.12
    assert 0.02 <= (leads["outcome"] == "open").mean() <= 0.2
    assert 12 <= len(events) / len(leads) <= 18
    span = leads["created_at"].max() - leads["created_at"].min()
    assert 700 <= span.days <= 731
    assert set(leads["source"].unique()) == set(demo.SOURCES)
    assert leads.loc[leads["outcome"] == "open", "closed_at"].isna().all()
    assert (closed["closed_at"] > closed["created_at"]).all()


def test_events_fall_before_and_after_the_14_day_mark(demo_dataset: Dataset) -> None:
    offset_ns = demo_dataset.ev_ns - demo_dataset.created_ns[demo_dataset.ev_lead]
    offset_days = offset_ns / NS_PER_DAY
    assert (offset_days < 0).mean() > 0.03
    assert ((offset_days >= 0) & (offset_days < 14)).mean() > 0.4
    assert (offset_days >= 14).mean() > 0.15


def test_later_events_leak_the_outcome(demo_dataset: Dataset, model: ScoringModel) -> None:
    """Scoring with every event ranks better than as of day 14: the leak a replay avoids."""
    oc = demo_dataset.outcome
    closed = oc < 2

    def auc(as_of: AsOf) -> float:
        s = score(build_hits(demo_dataset, model, as_of), model).score
        return roc_auc_score(oc[closed] == 0, s[closed])

    honest, leaky = auc(AsOf()), auc(AsOf.parse("created+3650d"))
    assert 0.65 < honest < leaky - 0.05


def test_some_default_criteria_earn_nothing(demo_dataset: Dataset, model: ScoringModel) -> None:
    """A model review must have something to discover: plausible criteria that do not predict."""
    oc = demo_dataset.outcome
    closed = oc < 2
    hits = build_hits(demo_dataset, model, AsOf())

    def lift(cid: str) -> float:
        fired = hits.fired([c.id for c in model.criteria].index(cid))
        return (oc[closed & fired] == 0).mean() / (oc[closed] == 0).mean()

    assert lift("demo_request") > 1.5
    assert lift("pricing_visit") > 1.2
    assert lift("student") < 0.4
    for plausible in ("target_country", "webinar", "social_follow"):
        assert 0.7 < lift(plausible) < 1.3, plausible


def test_ensure_demo_writes_once_and_reuses(tmp_path) -> None:
    calls: list[str] = []
    leads, events = demo.ensure_demo(
        tmp_path / "d", n_leads=300, progress=lambda f, m: calls.append(m)
    )
    assert leads.exists()
    assert events.exists()
    assert calls
    stamp = leads.stat().st_mtime_ns
    calls.clear()
    demo.ensure_demo(tmp_path / "d", n_leads=300, progress=lambda f, m: calls.append(m))
    assert leads.stat().st_mtime_ns == stamp
    assert not calls
    assert [p.name for p in (tmp_path).iterdir()] == ["d"]  # no temporary folder left behind


def test_large_demo_keeps_the_shape_of_small_ones() -> None:
    """100k leads (the bench makes 1M) keep about 15 events a lead; speed is in bench/."""
    big = demo.generate(100_000, seed=1)
    assert len(big.leads) == 100_000
    assert np.isclose(len(big.events) / 100_000, 15.4, atol=1.5)


def test_the_demo_kept_as_parquet_loads_as_its_csvs_do(tmp_path, model: ScoringModel) -> None:
    """Kept once beside the CSVs, preferred when loading, rewritten when the CSVs are new,
    and the dataset read from it is the CSVs' own, down to every score."""
    folder = tmp_path / "d"
    demo.ensure_demo(folder, n_leads=2_000)
    from_csv = load_dataset(folder)
    demo.keep_parquet(folder)
    kept = folder / "leads.parquet"
    assert kept.exists()
    assert (folder / "events.parquet").exists()
    stamp = kept.stat().st_mtime_ns
    demo.keep_parquet(folder)
    assert kept.stat().st_mtime_ns == stamp  # written once
    assert dataset_files(folder)[0] == kept
    assert_same_dataset(load_dataset(folder), from_csv, model)
    demo.write(demo.generate(500, seed=3), folder)  # new CSVs: the kept copy goes
    assert not kept.exists()
    demo.keep_parquet(folder)
    assert load_dataset(folder).n_leads == load_dataset(folder / "leads.csv").n_leads


def test_a_csv_edited_after_its_parquet_copy_is_read_instead(tmp_path) -> None:
    """Someone edits a generated set's leads.csv: loading the folder reads the edit, not
    the copy kept before it (which the app's next start then writes anew)."""
    folder = tmp_path / "d"
    demo.ensure_demo(folder, n_leads=300)
    demo.keep_parquet(folder)
    assert dataset_files(folder) == (folder / "leads.parquet", folder / "events.parquet")
    leads = folder / "leads.csv"
    lines = leads.read_text().splitlines(keepends=True)
    leads.write_text("".join(lines[:201]))  # the header and 200 leads
    earlier = leads.stat().st_mtime - 5  # the copy was kept before the edit
    os.utime(folder / "leads.parquet", (earlier, earlier))
    assert dataset_files(folder) == (leads, folder / "events.parquet")
    assert load_dataset(folder).n_leads == 200
    demo.keep_parquet(folder)
    assert dataset_files(folder)[0] == folder / "leads.parquet"
    assert load_dataset(folder).n_leads == 200


def test_a_read_only_demo_folder_is_read_as_csv(tmp_path, monkeypatch) -> None:
    """Where the Parquet copy cannot be written (a read-only install; root ignores chmod,
    so the write itself is refused here), nothing is left behind and the CSVs load."""
    folder = tmp_path / "d"
    demo.ensure_demo(folder, n_leads=300)

    def refused(self, path, **kwargs):
        Path(path).write_bytes(b"half")  # a partial file, as a full disk would leave
        raise PermissionError(f"[Errno 30] Read-only file system: {path}")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", refused)
    demo.keep_parquet(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["events.csv", "leads.csv"]
    assert load_dataset(folder).n_leads == 300
