"""Prepared copies: a dataset folder loaded a second time (or a first time after the
import, which keeps the copy) is read from its copy, and that copy is the same data as a
load through every check, on the demo, the CRM-shaped exports and the public sets; an
edited file, a damaged copy or an unwritable cache only cost time."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pandas as pd
import pytest

from model.cli import main
from model.core.dataset import Dataset
from model.core.spec import ScoringModel, parse_model
from model.ingest import catalog, demo, prepared
from model.ingest.catalog import load_dataset
from model.ingest.starter import starter_model
from tests.conftest import assert_same_dataset
from tests.test_exports import CASES, EXPORTS


def _copies() -> list[Path]:
    prepared.settled()  # a first load writes its copy in the background
    folder = prepared.cache_folder()
    return (
        sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []
    )


def _read_from_copy(folder: Path) -> tuple[Dataset, bool]:
    """Load a folder; whether it was read from a copy (the checks did not run)."""
    calls = []
    real = catalog._load
    catalog._load = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        return load_dataset(folder), not calls
    finally:
        catalog._load = real


def _scoring(data: Dataset) -> ScoringModel:
    """The data's starter model with points, so that scores tell leads apart."""
    spec = starter_model(data.leads).model_dump(mode="json")
    for i, criterion in enumerate(spec["criteria"]):
        criterion["points"] = i % 7 + 1
    return parse_model(spec)


def _checked_twice(folder: Path, model: ScoringModel | None = None) -> None:
    """Load once through the checks (keeping a copy), once from the copy: the same data."""
    built, copied = _read_from_copy(folder)
    assert not copied
    assert len(_copies()) == 1
    read, copied = _read_from_copy(folder)
    assert copied, "the second load ran the checks again"
    assert_same_dataset(read, built, model or _scoring(built))


def _kept_by_the_import(folder: Path) -> None:
    """The import kept a copy: the first load reads it, and it is the same data as a load
    of the folder through every check."""
    assert len(_copies()) == 1
    read, copied = _read_from_copy(folder)
    assert copied, "the import kept no copy: the first load ran the checks"
    leads, events = catalog.dataset_files(folder)
    built = catalog._load(leads, events, name=folder.name, meta=catalog.dataset_meta(folder))
    assert_same_dataset(read, built, _scoring(built))


def test_the_demo_is_read_from_its_copy(tmp_path: Path, model: ScoringModel) -> None:
    folder = tmp_path / "demo"
    demo.ensure_demo(folder, n_leads=3_000)
    _checked_twice(folder, model)


@pytest.mark.parametrize("name", list(CASES))
def test_each_crm_export_is_read_from_its_copy(name: str, tmp_path: Path, capsys) -> None:
    extra = CASES[name][0]
    folder = tmp_path / "ds"
    assert main(["import", "--leads", str(EXPORTS / name), *extra, "--out", str(folder)]) == 0
    capsys.readouterr()
    _kept_by_the_import(folder)


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        (
            "bank-marketing/bank-additional-full.csv",
            ["--map", "outcome=y", "--won", "yes", "--lost", "no", "--drop", "duration"],
        ),
        ("online-shoppers/online_shoppers_intention.csv", []),
    ],
)
def test_the_public_sets_are_read_from_their_copies(
    path: str, extra: list[str], tmp_path: Path, shared_data: Path, capsys
) -> None:
    folder = tmp_path / "ds"
    assert main(["import", "--leads", str(shared_data / path), *extra, "--out", str(folder)]) == 0
    capsys.readouterr()
    _kept_by_the_import(folder)


def test_an_edited_file_makes_a_new_copy(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo.ensure_demo(folder, n_leads=500)
    assert load_dataset(folder).n_leads == 500
    leads = pd.read_csv(folder / "leads.csv").head(200)
    leads.to_csv(folder / "leads.csv", index=False)
    assert load_dataset(folder).n_leads == 200
    assert len(_copies()) == 2


def test_a_damaged_copy_is_made_again(tmp_path: Path, model: ScoringModel) -> None:
    folder = tmp_path / "demo"
    demo.ensure_demo(folder, n_leads=500)
    built = load_dataset(folder)
    (copy,) = _copies()
    (copy / "arrays.npz").write_bytes(b"not an archive")
    assert_same_dataset(load_dataset(folder), built, model)
    (copy,) = _copies()
    arrays = copy / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])  # a disk gave out
    assert_same_dataset(load_dataset(folder), built, model)
    assert load_dataset(folder).n_leads == 500  # and the copy made again reads


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch, model) -> None:
    """A cache path that is a file (as a read-only or odd home would give): nothing is
    written, nothing is refused, the data loads."""
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(blocker / "prepared"))
    folder = tmp_path / "demo"
    demo.ensure_demo(folder, n_leads=500)
    assert load_dataset(folder).n_leads == 500
    assert blocker.read_text() == "not a folder"


def test_the_cache_keeps_the_most_recently_used_copies(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(prepared, "KEPT", 2)
    folders = [tmp_path / f"d{i}" for i in range(3)]
    for i, folder in enumerate(folders):
        demo.ensure_demo(folder, n_leads=200 + i)
        assert _read_from_copy(folder)[0].n_leads == 200 + i
    assert len(_copies()) == 2
    assert _read_from_copy(folders[2])[1]
    assert not _read_from_copy(folders[0])[1]  # the oldest copy went


def test_a_read_only_cache_is_read_all_the_same(tmp_path: Path, monkeypatch) -> None:
    """A cache another user filled, which this one may read but not touch: the copy is
    read, not made again (root ignores permissions here, so the refusal is simulated)."""
    folder = tmp_path / "demo"
    demo.ensure_demo(folder, n_leads=300)
    load_dataset(folder)

    def refused(*args, **kwargs):
        raise PermissionError("[Errno 1] Operation not permitted")

    monkeypatch.setattr(prepared.os, "utime", refused)
    data, copied = _read_from_copy(folder)
    assert copied
    assert data.n_leads == 300


def test_a_copy_keeps_every_field_of_a_dataset() -> None:
    """A field added to Dataset must be written to the copy too (or be derived when it is
    read): otherwise a dataset read from its copy would silently lack it."""
    derived = {"name", "leads", "lead_ids", "notes", "_columns"}  # given, read or rebuilt
    kept = {*prepared.ARRAYS, *prepared.FACTS} | derived
    assert kept == {f.name for f in dataclasses.fields(Dataset)}


@pytest.mark.parametrize("left_out", [False, True])
def test_the_checks_lookup_of_event_leads_prepares_what_a_fresh_one_does(
    tmp_path: Path, model: ScoringModel, left_out: bool
) -> None:
    """Loading hands the checks' look-up of each event's lead to the preparation, which
    then gives the dataset a look-up of its own gives: orphan events counted, and (when a
    lead without any date is left out, so rows move) the look-up made again."""
    from model.core.dataset import prepare
    from model.ingest import importer

    data = demo.generate(300, seed=7)
    leads, events = data.leads.copy(), data.events.astype({"lead_id": str})
    events.loc[events.index[:5], "lead_id"] = "nobody"
    if left_out:
        leads.loc[3, ["created_at", "closed_at"]] = pd.NaT
        events = events[events["lead_id"] != leads.loc[3, "lead_id"]]
    leads.to_csv(tmp_path / "leads.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    built = importer.checked(
        pd.read_csv(tmp_path / "leads.csv"), pd.read_csv(tmp_path / "events.csv")
    )
    assert (built.event_lead_rows is None) == left_out
    loaded = load_dataset(tmp_path)
    assert loaded.unknown_lead_events == (0 if left_out else 5)  # leaving out drops them
    fresh = prepare(built.leads, built.events, name=loaded.name, notes=loaded.notes)
    assert_same_dataset(loaded, fresh, model)


def test_the_first_page_does_not_wait_for_the_copy(tmp_path: Path, monkeypatch) -> None:
    """A first load hands its dataset over while its copy is still being written; a load
    of the same folder meanwhile waits for that copy and reads it, not the checks again."""
    folder = tmp_path / "demo"
    demo.ensure_demo(folder, n_leads=300)
    gate, real = threading.Event(), prepared._write
    monkeypatch.setattr(prepared, "_write", lambda *a: gate.wait(10) and real(*a))
    assert load_dataset(folder).n_leads == 300
    assert not [p for p in prepared.cache_folder().glob("*") if not p.name.startswith(".")]
    second: list[tuple[Dataset, bool]] = []
    reader = threading.Thread(target=lambda: second.append(_read_from_copy(folder)))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive()  # waiting for the copy
    gate.set()
    reader.join(10)
    assert second[0][1], "the second load ran the checks again"
    assert len(_copies()) == 1
