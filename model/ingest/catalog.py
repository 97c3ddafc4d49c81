"""Saved datasets: the mapped leads and events kept as Parquet (with what the import did),
so a dataset opens instantly next time, and loading one back through the import's checks."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from platformdirs import user_data_path

from model.core import kinds
from model.core.dataset import DataError, Dataset, prepare
from model.ingest import importer, prepared
from model.ingest.importer import Mapping
from model.ingest.readers import read_table

Progress = Callable[[float, str], None]  # a fraction done and what is being done


def _silent(_fraction: float, _text: str) -> None:
    """A progress callback that says nothing."""


def load_dataset(
    leads_path: str | Path,
    events_path: str | Path | None = None,
    *,
    name: str | None = None,
    progress: Progress | None = None,
    tables: dict[Path, pd.DataFrame] | None = None,
) -> Dataset:
    """Read, check and prepare leads (and events) for scoring. `leads_path` may be a dataset
    folder holding leads.parquet or leads.csv (and events.parquet or events.csv). The checks
    are the import's own (one validator), so whatever the import wrote loads. A folder
    loaded before is read from its prepared copy (model.ingest.prepared). `progress` hears
    each step of a first load (a fraction done and what is being done); `tables` are files
    the caller has just read (by path), which are then not read again."""
    say = progress or _silent
    tables = tables or {}
    if Path(leads_path).is_dir() and events_path is None:
        folder = Path(leads_path)
        leads_file, events_file = dataset_files(folder)
        name = name or folder.name
        return prepared.load(
            _sources(folder),
            name,
            lambda: _load(
                leads_file,
                events_file,
                name=name,
                meta=dataset_meta(folder),
                say=say,
                tables=tables,
            ),
            progress=say,
        )
    return _load(leads_path, events_path, name=name, say=say, tables=tables)


def keep_prepared(
    folder: Path,
    *,
    tables: dict[Path, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load a dataset folder as the app's first start would and wait until its prepared
    copy is kept, so that start reads arrays instead of checking every lead again (the
    commands that write a dataset call it: at 1M leads, 9-10 s of a first start)."""
    data = load_dataset(folder, name=str(folder), tables=tables, progress=progress)
    prepared.settled()
    return data


def is_prepared(folder: Path) -> bool:
    """Whether a current prepared copy of the dataset folder is kept (a read-only or full
    cache folder keeps none, and loading goes on without)."""
    return prepared.is_kept(_sources(folder))


def _sources(folder: Path) -> list[Path]:
    """The files a dataset folder is loaded from, which its prepared copy is made from."""
    return [p for p in (*dataset_files(folder), folder / "dataset.json") if p]


def _load(
    leads_path: str | Path,
    events_path: str | Path | None,
    *,
    name: str | None,
    meta: dict | None = None,
    say: Progress = _silent,
    tables: dict[Path, pd.DataFrame] | None = None,
) -> Dataset:
    """Read, check and prepare a leads file and its events (see load_dataset)."""
    meta = meta or {"has_dates": True}
    tables = tables or {}

    def read(path: str | Path, fraction: float, what: str, levels: bool) -> pd.DataFrame:
        if Path(path) in tables:
            return tables[Path(path)]
        say(fraction, f"Reading {Path(path).name}{what}…")
        return read_table(path, levels=levels)

    leads = read(leads_path, 0.0, "", levels=False)
    events = None
    if events_path is not None:
        events = read(events_path, 0.1, _megabytes(events_path), levels=True)
    counted = f"{len(events):,} events" if events is not None else "no events"
    say(0.35, f"Checking {len(leads):,} leads and {counted}, as the import would…")
    built = importer.checked(
        leads,
        events,
        leads_name=str(leads_path),
        events_name=str(events_path),
        has_dates=meta.get("has_dates", True),
    )
    notes = [*built.facts(), *_kept_facts(meta), *built.warnings]
    say(0.7, "Indexing events by lead and time…")
    return prepare(
        built.leads,
        built.events,
        name=name or Path(leads_path).parent.name,
        has_dates=built.has_dates,
        notes=tuple(dict.fromkeys(notes)),
        event_lead_rows=built.event_lead_rows,
    )


def _megabytes(path: str | Path) -> str:
    """A file's size as people say it, ' (688 MB)'; nothing when it cannot be read, which
    reading it then says."""
    try:
        return f" ({Path(path).stat().st_size / 2**20:,.0f} MB)"
    except OSError:
        return ""


def _kept_facts(meta: dict) -> list[str]:
    """What the import did that loading cannot see again (leads it left out)."""
    n = int(meta.get("created_left_out") or 0)
    return [f"{n:,} leads without a created date were left out at import"] if n else []


def copy_is_current(kept: Path, source: Path) -> bool:
    """Whether `kept`, a copy made from `source`, exists and is not older than it."""
    return kept.exists() and kept.stat().st_mtime >= source.stat().st_mtime


def dataset_files(folder: Path) -> tuple[Path, Path | None]:
    """The leads and events files of a dataset folder: Parquet preferred over CSV, unless
    the CSV beside it is newer (edited since its copy was kept), so that a stale copy never
    hides an edit."""

    def pick(stem: str) -> Path | None:
        kept, text = folder / f"{stem}.parquet", folder / f"{stem}.csv"
        if not text.exists():
            return kept if kept.exists() else None
        return kept if copy_is_current(kept, text) else text

    leads = pick("leads")
    if leads is None:
        raise DataError(f"{folder}: no leads.parquet or leads.csv in this folder")
    return leads, pick("events")


def datasets_folder() -> Path:
    """Where mapped datasets are kept (LEADSCORE_DATA_DIR overrides the user data folder)."""
    return Path(os.environ.get("LEADSCORE_DATA_DIR") or user_data_path("leadscore") / "datasets")


def write_folder(
    leads: pd.DataFrame,
    events: pd.DataFrame | None,
    folder: Path,
    *,
    name: str,
    mapping: Mapping,
    facts: dict | None = None,
) -> Path:
    """Write the mapped dataset into `folder` (created; existing dataset files there are
    refused, never overwritten)."""
    folder.mkdir(parents=True, exist_ok=True)
    taken = [p.name for p in folder.iterdir() if p.name in DATASET_FILES]
    if taken:
        raise DataError(
            f"{folder}: already holds a dataset ({', '.join(taken)}); pick an "
            "empty folder, nothing is overwritten"
        )
    leads.to_parquet(folder / "leads.parquet", index=False)
    if events is not None:
        events.to_parquet(folder / "events.parquet", index=False)
    meta = {
        "name": name,
        "has_dates": bool(mapping.roles.get("created_at")),
        "mapping": mapping.to_dict(),
        "rows": len(leads),
        **(facts or {}),
    }
    (folder / "dataset.json").write_text(json.dumps(meta, indent=2))
    return folder


DATASET_FILES = ("leads.parquet", "events.parquet", "dataset.json")


def save_dataset(
    leads: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    name: str,
    mapping: Mapping,
    folder: Path | None = None,
    facts: dict | None = None,
) -> Path:
    """Write leads.parquet, events.parquet and dataset.json into a new folder (a name that
    exists gets a number: nothing saved before is overwritten)."""
    root = folder or datasets_folder()
    if root.exists() and not root.is_dir():
        raise DataError(
            f"{root}: the datasets folder is a file (LEADSCORE_DATA_DIR?); nothing was saved"
        )
    root.mkdir(parents=True, exist_ok=True)
    slug = kinds.slug(name, "-", empty="dataset")
    target, k = root / slug, 2
    while target.exists():
        target, k = root / f"{slug}-{k}", k + 1
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a crashed earlier save, never shown to anyone
    write_folder(leads, events, tmp, name=name, mapping=mapping, facts=facts)
    tmp.rename(target)  # appears whole or not at all
    return target


def saved_datasets(root: Path | None = None) -> dict[str, Path]:
    """Name -> folder of every readable dataset kept by the importer (an unreadable one is
    skipped here and named by `unreadable_datasets`)."""
    found: dict[str, Path] = {}
    for folder, meta in _kept(root):
        if isinstance(meta, dict):
            name = meta["name"]
            found[name if name not in found else f"{name} ({folder.name})"] = folder
    return found


def free_name(name: str, root: Path | None = None) -> str:
    """`name`, or 'name (2)', 'name (3)'... when a kept dataset is called that already, so
    two datasets from one file mapped two ways are told apart by name in the sidebar."""
    taken, candidate, n = set(saved_datasets(root)), name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    return candidate


def unreadable_datasets(root: Path | None = None) -> list[str]:
    """One line per kept dataset whose dataset.json cannot be read, naming it and why."""
    return [
        f"{folder}: {meta}; it is skipped" for folder, meta in _kept(root) if isinstance(meta, str)
    ]


def find_dataset(fingerprint: str, root: Path | None = None) -> Path | None:
    """The kept dataset made from the same file and mapping, if any."""
    for folder, meta in _kept(root):
        if isinstance(meta, dict) and meta.get("fingerprint") == fingerprint:
            return folder
    return None


def _kept(root: Path | None) -> list[tuple[Path, dict | str]]:
    """(folder, meta) of every dataset folder; meta is the reason when it is unreadable."""
    root = root or datasets_folder()
    try:
        metas = sorted(root.glob("*/dataset.json")) if root.is_dir() else []
    except OSError:
        return []
    out: list[tuple[Path, dict | str]] = []
    for path in metas:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            ok = isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"]
            out.append((path.parent, meta if ok else "dataset.json has no name"))
        except (OSError, ValueError) as exc:
            out.append((path.parent, f"dataset.json is unreadable ({type(exc).__name__})"))
    return out


def dataset_meta(folder: Path) -> dict:
    """What the import kept about a dataset folder ({} facts when it has none)."""
    path = folder / "dataset.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        meta = {}
    return {"has_dates": True, **meta} if isinstance(meta, dict) else {"has_dates": True}


# ---------------------------------------------------------------------------- starter model
