"""Loading a dataset: the first load names each step as it goes (reading, checking,
indexing, keeping a prepared copy), a later start names the copy it reads, and a server
loads each dataset once for every session."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from model.core.dataset import DataError
from model.ingest import demo
from model.ingest.catalog import load_dataset
from ui import caches


def _heard(folder: Path) -> list[tuple[float, str]]:
    said: list[tuple[float, str]] = []
    load_dataset(folder, progress=lambda f, text: said.append((f, text)))
    return said


def test_a_first_load_names_each_step_and_a_later_one_the_copy(tmp_path: Path) -> None:
    demo.ensure_demo(tmp_path, n_leads=500)
    first = _heard(tmp_path)
    words = [text for _, text in first]
    assert words[0] == "Reading leads.csv…"
    assert words[1].startswith("Reading events.csv (")
    assert words[1].endswith(" MB)…")
    assert any(w.startswith("Checking 500 leads and ") and " events" in w for w in words)
    assert "Indexing events by lead and time…" in words
    assert words[-1].startswith("Keeping a prepared copy")
    fractions = [f for f, _ in first]
    assert fractions == sorted(fractions)
    assert fractions[0] >= 0
    assert fractions[-1] < 1
    assert [text for _, text in _heard(tmp_path)] == [
        "Reading the prepared copy kept by the first load…"
    ]


def test_a_dataset_is_loaded_once_for_sessions_asking_at_the_same_time() -> None:
    loaded = caches.Loaded(size=2)
    calls: list[int] = []
    gate = threading.Event()

    def slow(_say) -> object:
        calls.append(1)
        gate.wait(5)
        return object()

    got: list[object] = []
    threads = [
        threading.Thread(target=lambda: got.append(loaded.start("x", slow).wait()))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert len(got) == 3
    assert got[0] is got[1] is got[2]


def test_a_failed_load_is_not_kept_and_old_datasets_make_room() -> None:
    loaded = caches.Loaded(size=2)

    def fail(_say) -> object:
        raise DataError("leads.csv: no column is mapped as 'outcome'")

    with pytest.raises(DataError):
        loaded.start("bad", fail).wait()
    assert loaded.find("bad") is None
    first, second, third = (loaded.start(k, lambda _say: object()).wait() for k in ("a", "b", "c"))
    assert loaded.find("a") is None
    assert loaded.find("b") is second
    assert loaded.find("c") is third
    assert first is not second


def test_the_first_page_shows_each_step_once_per_server(
    open_app: Callable[..., AppTest],
) -> None:
    """The first session's page shows the steps of the load on a bar as they come (the
    load runs in its own thread, so a rerun cannot cut it short); a new session, and a
    rerun, find the dataset kept by the server and show none."""
    caches._loaded.clear()  # as if the server had just started
    shown: list[str] = []
    real, real_bar, real_load = caches.st.progress, DeltaGenerator.progress, caches.load_dataset

    def progress(value, text=None):
        shown.append(text)
        return real(value, text)

    def bar_progress(self, value, text=None):
        shown.append(text)
        return real_bar(self, value, text)

    def slow_load(*args, progress=None, **kwargs):  # slow enough for the bar to show steps
        for text in ("Reading leads.csv…", "Checking 20,000 leads and their events…"):
            progress(0.5, text)
            time.sleep(0.6)
        return real_load(*args, progress=progress, **kwargs)

    with (
        mock.patch.object(caches.st, "progress", progress),
        mock.patch.object(DeltaGenerator, "progress", bar_progress),
        mock.patch.object(caches, "load_dataset", slow_load),
    ):
        first = open_app()
        assert "Reading leads.csv…" in shown
        assert "Checking 20,000 leads and their events…" in shown
        assert not first.exception
        shown.clear()
        open_app()
        first.run()
    assert shown == []


def test_a_load_under_way_is_joined_not_started_again() -> None:
    """A session that stops watching (its page rerun) leaves the load running; the next
    to ask joins it and gets its dataset."""
    loaded = caches.Loaded(size=2)
    gate, calls = threading.Event(), []

    def slow(say) -> object:
        calls.append(1)
        say(0.5, "Checking…")
        gate.wait(5)
        return object()

    watched = loaded.start("x", slow)
    assert loaded.start("x", slow) is watched  # the first watcher went away: same load
    gate.set()
    got = loaded.start("x", slow).wait()
    assert got is watched.result
    assert loaded.find("x") is got
    assert len(calls) == 1


def test_the_tables_kept_as_parquet_load_as_the_parquet_files_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model
) -> None:
    """The demo's first start keeps its CSVs as Parquet and loads the tables it has just
    read, not the files again; that is the dataset the Parquet files give."""
    from tests.conftest import assert_same_dataset

    demo.ensure_demo(tmp_path, n_leads=800)
    read = demo.keep_parquet(tmp_path)
    assert sorted(p.name for p in read) == ["events.parquet", "leads.parquet"]
    assert demo.keep_parquet(tmp_path) == {}  # kept already: nothing read
    said: list[str] = []
    handed = load_dataset(tmp_path, tables=read, progress=lambda _f, text: said.append(text))
    assert not [t for t in said if t.startswith("Reading ")]
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(tmp_path / "another-cache"))
    assert_same_dataset(handed, load_dataset(tmp_path), model)


def _events_of_few_texts(n: int) -> pd.DataFrame:
    """Events whose type and channel repeat a few texts, some only white space apart, one
    type only on an event for a lead that is not in the leads file."""
    pick = np.random.default_rng(5).integers(0, 5, size=(n, 2))  # in no order: as exports
    types = np.array([" Visit", "Visit", "Demo\xa0", "Demo", "Visit "], dtype=object)
    channels = np.array(["web", " web", "email", None, "email"], dtype=object)
    rows = {
        "lead_id": [f"L{i % 700}" for i in range(n)] + ["L999"],
        "occurred_at": [f"2026-03-{1 + i % 27:02d}" for i in range(n)] + ["2026-03-02"],
        "event_type": [*types[pick[:, 0]], "Webinar"],
        "channel": [*channels[pick[:, 1]], "web"],
    }
    return pd.DataFrame(rows)


def _visits_and_demos(model):
    """`model` scoring only the visits and demos of the events above."""
    counted = [
        {"id": i, "label": i, "group": "engagement", "points": p, "rule": {"events": [t]}}
        for i, p, t in (("visit", 1, "Visit"), ("demo", 3, "Demo"))
    ]
    return type(model).model_validate({**model.model_dump(), "criteria": counted})


def test_event_texts_read_as_categories_load_as_their_csv_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model
) -> None:
    """Parquet event types and channels of few distinct values are read as categories (a
    third of the memory at 14.5M events): trimmed, merged and coded exactly as the same
    events written as CSV, and as that CSV read into plain text; the type only an unknown
    lead's event has is not a type."""
    from model.ingest.readers import few_level_columns, read_table
    from tests.conftest import assert_same_dataset

    leads = pd.DataFrame(
        {"lead_id": [f"L{i}" for i in range(700)], "created_at": "2026-02-20", "outcome": "won"}
    )
    events = _events_of_few_texts(20_000)
    as_parquet, as_csv = tmp_path / "parquet", tmp_path / "csv"
    for folder in (as_parquet, as_csv):
        folder.mkdir()
    leads.to_parquet(as_parquet / "leads.parquet")
    events.assign(occurred_at=pd.to_datetime(events["occurred_at"])).to_parquet(
        as_parquet / "events.parquet"
    )
    leads.to_csv(as_csv / "leads.csv", index=False)
    events.to_csv(as_csv / "events.csv", index=False)
    assert few_level_columns(as_parquet / "events.parquet", ("lead_id",)) == [
        "event_type",
        "channel",
    ]
    got = load_dataset(as_parquet, name="x")
    assert got.event_types == ("Demo", "Visit")
    assert got.touch_names == ("email", "web")
    assert got.unknown_lead_events == 1
    want = load_dataset(as_csv, name="x")
    assert [n.replace("parquet", "csv") for n in got.notes] == list(want.notes)
    assert_same_dataset(dataclasses.replace(got, notes=want.notes), want, _visits_and_demos(model))
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(tmp_path / "another-cache"))
    as_text = {as_csv / "events.csv": read_table(as_csv / "events.csv")}  # strings, no codes
    assert not any(
        isinstance(t, pd.CategoricalDtype) for t in as_text[as_csv / "events.csv"].dtypes
    )
    assert_same_dataset(
        load_dataset(as_csv, name="x", tables=as_text), want, _visits_and_demos(model)
    )


def test_an_event_without_a_type_is_named_when_types_are_categories(tmp_path: Path) -> None:
    """A blank type among few-level types stops the load and names its row, as in text."""
    from model.ingest.readers import few_level_columns

    leads = pd.DataFrame({"lead_id": ["L0", "L1"], "created_at": "2026-02-20", "outcome": "lost"})
    events = _events_of_few_texts(20_000)
    events.loc[41, "event_type"] = " "
    leads.to_parquet(tmp_path / "leads.parquet")
    events.to_parquet(tmp_path / "events.parquet")
    assert "event_type" in few_level_columns(tmp_path / "events.parquet")
    with pytest.raises(DataError, match=r"1 event has no type, at rows 43\b"):
        load_dataset(tmp_path)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_an_event_without_a_date_stops_the_load(tmp_path: Path, suffix: str) -> None:
    """An undated event would count before every decision moment (a leak in every replay):
    the load stops and names its row, whether the date is a blank cell or a Parquet null."""
    leads = pd.DataFrame({"lead_id": ["1", "2"], "created_at": "2026-01-01", "outcome": "won"})
    events = pd.DataFrame(
        {
            "lead_id": ["1", "2"],
            "occurred_at": pd.to_datetime(["2026-01-02", None]),
            "event_type": "demo_request",
        }
    )
    write = {"csv": lambda f, p: f.to_csv(p, index=False), "parquet": pd.DataFrame.to_parquet}
    write[suffix](leads, tmp_path / f"leads.{suffix}")
    write[suffix](events, tmp_path / f"events.{suffix}")
    with pytest.raises(DataError, match=r"column 'occurred_at': 1 event has no date, at rows 3"):
        load_dataset(tmp_path)
