"""Datasets kept as they are after loading (checked, typed and indexed), so the next start
reads arrays instead of checking a million leads again: 18 s became 0.4 s at 1M leads.

A copy is found by the files it was made from (path, size, modification time, inode) and
by the code that made it, so an edited export or a new release of the checks makes a new
one. It lives in the user's cache folder, never beside the user's files, and is only ever
an optimisation: a copy that cannot be written or read is skipped and the data loaded
anew."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from platformdirs import user_cache_path

from model.core.dataset import Dataset, lead_ids_of

FORMAT = 1  # bump when what is written changes shape
KEPT = 6  # copies kept, the most recently used first: a 1M-lead copy is about 300 MB
DAY = 86_400
ARRAYS = ("created_ns", "lead_starts", "ev_lead", "ev_ns", "ev_type", "touch_codes")
FACTS = ("event_types", "touch_column", "touch_names", "unknown_lead_events", "has_dates")


def cache_folder() -> Path:
    """Where prepared copies live (LEADSCORE_CACHE_DIR overrides the user cache folder)."""
    env = os.environ.get("LEADSCORE_CACHE_DIR")
    return Path(env) if env else user_cache_path("leadscore") / "prepared"


def load(
    sources: Iterable[Path],
    name: str,
    build: Callable[[], Dataset],
    *,
    progress: Callable[[float, str], None] = lambda _f, _t: None,
) -> Dataset:
    """The dataset made from `sources` by `build`, read from its prepared copy when there is
    a current one, else built and a copy kept for next time (`progress` hears which)."""
    try:
        where = cache_folder() / _key(sources)
    except OSError:  # a source vanished between listing and reading: let the build say so
        return build()
    settled(where)  # this very copy being written: read it when it is
    if where.is_dir():
        progress(0.5, "Reading the prepared copy kept by the first load…")
        try:
            found = _read(where, name)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            shutil.rmtree(where, ignore_errors=True)  # a damaged copy: made again below
        else:
            with contextlib.suppress(OSError):  # a read-only cache is read all the same
                os.utime(where)  # recently used: pruned last
            return found
    data = build()
    progress(0.9, "Keeping a prepared copy, so that later starts skip the checks…")
    _keep(data, where)
    return data


def is_kept(sources: Iterable[Path]) -> bool:
    """Whether a current copy of the dataset made from `sources` is in place."""
    try:
        return (cache_folder() / _key(sources)).is_dir()
    except OSError:
        return False


_WRITING: dict[Path, threading.Thread] = {}  # copies being written, by folder
_LOCK = threading.Lock()


def _keep(data: Dataset, where: Path) -> None:
    """Write the copy in a thread of its own: the first page does not wait for it (0.7 s
    at 1M leads). The thread is not a daemon, so a command's exit waits for it."""
    writer = threading.Thread(target=_write_kept, args=(data, where), name="prepared-copy")
    with _LOCK:
        _WRITING[where] = writer
    writer.start()


def _write_kept(data: Dataset, where: Path) -> None:
    try:
        _write(data, where)
        _prune(where.parent)
    except OSError:
        pass  # a read-only or full cache folder only costs the next start its time
    finally:
        with _LOCK:
            if _WRITING.get(where) is threading.current_thread():
                del _WRITING[where]


def settled(where: Path | None = None) -> None:
    """Wait until the copy of `where` (or every copy) being written is in place."""
    with _LOCK:
        writers = [w for p, w in _WRITING.items() if where is None or p == where]
    for writer in writers:
        writer.join()


def _key(sources: Iterable[Path]) -> str:
    """What a copy is made from: each source file as it is now, and the loading code."""
    files = [
        (str(p.resolve()), s.st_size, s.st_mtime_ns, s.st_ino)
        for p in sources
        if p.exists()
        for s in [p.stat()]
    ]
    text = json.dumps([FORMAT, _code(), files])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@functools.cache
def _code() -> str:
    """The loading code's fingerprint: every module of model.core and model.ingest."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("core/*.py"), *root.glob("ingest/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _write(data: Dataset, where: Path) -> None:
    """Write the copy into a fresh folder and move it into place whole, so a reader never
    sees half of one and two servers writing the same copy do not clash."""
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=where.parent, prefix=".writing-"))
    try:
        data.leads.to_parquet(tmp / "leads.parquet", index=False)
        arrays = {a: getattr(data, a) for a in ARRAYS if getattr(data, a) is not None}
        np.savez(tmp / "arrays.npz", **arrays)
        facts = {f: getattr(data, f) for f in FACTS} | {"notes": data.notes}
        (tmp / "facts.json").write_text(json.dumps(facts))
        os.rename(tmp, where)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not where.is_dir():  # not another writer's copy in place: a real failure
            raise


def _read(where: Path, name: str) -> Dataset:
    facts = json.loads((where / "facts.json").read_text())
    leads = pd.read_parquet(where / "leads.parquet")
    with open(where / "arrays.npz", "rb") as file, np.load(file, allow_pickle=False) as stored:
        arrays = {a: stored[a] for a in stored.files}
    return Dataset(
        name=name,
        leads=leads,
        lead_ids=lead_ids_of(leads),
        event_types=tuple(facts["event_types"]),
        touch_column=facts["touch_column"],
        touch_codes=arrays.pop("touch_codes", None),
        touch_names=tuple(facts["touch_names"]),
        unknown_lead_events=facts["unknown_lead_events"],
        has_dates=facts["has_dates"],
        notes=tuple(facts["notes"]),
        **arrays,
    )


def _prune(folder: Path) -> None:
    """Keep the KEPT most recently used copies, and drop what a writer that died left
    (a copy being written for more than a day)."""
    folders = [p for p in folder.iterdir() if p.is_dir()]
    copies = sorted(
        (p for p in folders if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    stale = [p for p in folders if p.name.startswith(".") and p.stat().st_mtime < time.time() - DAY]
    for old in [*copies[KEPT:], *stale]:
        shutil.rmtree(old, ignore_errors=True)
