"""Loading a dataset: the first load names each step as it goes (reading, checking,
indexing, keeping a prepared copy), a later start names the copy it reads, and a server
loads each dataset once for every session."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

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
