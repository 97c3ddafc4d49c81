"""Hostile and broken input: a clear message naming what and where, never a traceback, a
process abort or an input overwritten (issue: nothing crashes, nothing is lost)."""

from __future__ import annotations

import os
import sqlite3

import pytest

from model.cli import main
from model.revisions import RevisionStore, StoreError
from model.spec import default_model


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
    RevisionStore(url).save(default_model(), author="Ann", note="n", parent=None)
    before = (tmp_path / "r.db").read_bytes()
    real = os.access
    monkeypatch.setattr("model.revisions.os.access",
                        lambda p, mode: False if mode == os.W_OK else real(p, mode))  # fmt: skip
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
    base = ["revisions", "--db", url, "save", "--model", str(model), "--author", "Ann",
            "--note", "n"]  # fmt: skip
    assert _cli(capsys, *base)[0] == 0
    assert _cli(capsys, *base, "--parent", "latest")[0] == 0
    code, _, err = _cli(capsys, *base, "--parent", "1")
    assert code == 3
    assert "Run the save again (or pass --parent latest)" in err
    code, out, _ = _cli(capsys, *base, "--parent", "latest")
    assert code == 0
    assert "v3" in out
