"""The use cases the command and the app share (model/services.py), on real export shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from model import services
from model.core.dataset import AsOf
from model.core.spec import default_model
from model.ingest import catalog, importer, readers
from model.store.revisions import Conflict, RevisionStore

EXPORTS = Path(__file__).parent / "data" / "exports"


def _pipedrive():
    path = EXPORTS / "pipedrive_deals.csv"
    leads = readers.read_any(path, path.name)
    return leads, importer.guess_mapping(leads)


def test_import_keeps_a_pipedrive_export_once_and_it_opens_as_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADSCORE_DATA_DIR", str(tmp_path / "kept"))
    leads, mapping = _pipedrive()
    first = services.import_dataset(leads, mapping, name="Pipedrive deals", fingerprint="f1")
    assert first.ok
    assert not first.kept
    assert first.folder.parent == tmp_path / "kept"
    again = services.import_dataset(leads, mapping, name="Pipedrive deals", fingerprint="f1")
    assert again.kept
    assert again.folder == first.folder
    assert list(catalog.saved_datasets().values()) == [first.folder]
    data = services.open_dataset(first.folder)
    assert data.n_leads == len(first.built.leads) == 400
    assert set(data.outcome) <= {0, 1, 2}
    assert (data.outcome == 0).sum() > 0


def test_import_refused_by_the_report_writes_nothing(tmp_path: Path) -> None:
    leads, mapping = _pipedrive()
    mapping.roles["created_at"] = "Deal - Title"  # the user's word: a title is no date
    mapping.how["created_at"] = "mapped"
    done = services.import_dataset(leads, mapping, name="bad", out=tmp_path / "out")
    assert not done.ok
    assert done.built is None
    assert any("Deal - Title" in i.where for i in done.report.errors)
    assert not (tmp_path / "out").exists()


def test_a_dataset_without_dates_is_scored_as_it_is_now(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "bank-marketing" / "bank-additional-full.csv"
    leads = readers.read_any(path, path.name)
    done = services.import_dataset(
        leads, importer.guess_mapping(leads), name="bank", out=tmp_path / "bank"
    )
    assert done.ok
    assert not done.built.has_dates
    data = services.open_dataset(done.folder)
    assert services.decision_moment("created+14d", data) == AsOf.now()
    assert services.decision_moment("created+14d", _dated(data)) == AsOf.parse("created+14d")


def _dated(data):
    import dataclasses

    return dataclasses.replace(data, has_dates=True)


def test_compare_two_models_on_the_demo(demo_dataset) -> None:
    a = default_model()
    b = a.model_copy(update={"criteria": a.criteria[:10]})
    as_of = services.decision_moment("created+14d", demo_dataset)
    rep_a = services.replay_report(demo_dataset, a, as_of)
    rep_b = services.replay_report(demo_dataset, b, as_of)
    got = services.compare(rep_a, rep_b, a, b, demo_dataset)
    assert list(got.summary.index) == ["A", "B", "B − A"]
    assert got.summary.loc["B − A", "auc"] == pytest.approx(
        rep_b.summary["auc"] - rep_a.summary["auc"]
    )
    assert got.newest is not None  # the demo has dates: the newest closed leads too
    assert int(got.migration["leads"].sum()) == demo_dataset.n_leads
    assert f"{rep_a.summary['auc']:.3f}" in got.verdict  # the sentence names the page's figures


def test_score_dataset_gives_one_row_per_lead(demo_dataset) -> None:
    model = default_model()
    frame = services.score_dataset(demo_dataset, model, AsOf())
    assert len(frame) == demo_dataset.n_leads
    assert frame["score"].between(0, 100).all()
    assert set(frame["band"]) <= {b.name for b in model.bands}


def test_save_on_top_of_latest_and_refuse_a_stale_parent(revision_store_url: str) -> None:
    store = RevisionStore(revision_store_url)
    model = default_model()
    v1 = services.save_revision(store, model, author="Ana", note="first")
    v2 = services.save_revision(store, model, author="Ben", note="on top", parent="latest")
    assert (v1.number, v2.number, v2.parent) == (1, 2, 1)
    with pytest.raises(Conflict, match="revision 2 was saved by Ben"):
        services.save_revision(store, model, author="Cy", note="stale", parent=1)
    live = services.make_live(store, model.name, 2, author="Ana")
    assert live.status == "live"
    assert store.live(model.name).number == 2
