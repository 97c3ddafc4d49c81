"""A 1M-row leads CSV through the Data page's path: read (encoding, delimiter), guess the
mapping, validate (the report), build (the mapped dataset) and keep it as Parquet; each
step against a bare pyarrow read of the same file in this process (`make bench-import`).
Printed, never asserted. Goal: the whole path in 3 s or less."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.ingest import catalog, importer, readers

N = 1_000_000


def timed(what: str, step):
    start = time.perf_counter()
    out = step()
    return out, what, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cache = {"LEADSCORE_CACHE_DIR": str(folder / "prepared")}  # not the user's cache
        subprocess.run([sys.executable, "-m", "model.cli", "demo-data", "--out", str(folder),
                        "--leads", str(N)], check=True, cwd=ROOT, capture_output=True,
                       env=os.environ | cache)  # fmt: skip
        path = folder / "leads.csv"
        raw = path.read_bytes()
        _, _, bare = timed("bare", lambda: pacsv.read_csv(path))
        frame, *read = timed("read", lambda: readers.read_any(raw, path.name))
        mapping, *guess = timed("guess the mapping", lambda: importer.guess_mapping(frame))
        cells = importer.Cells(frame, importer.missing_words(mapping))  # as the page keeps it
        _, *check = timed(
            "validate",
            lambda: importer.validate(frame, mapping, None, leads_name=path.name, cells=cells),
        )
        built, *build = timed("build", lambda: importer.build(frame, mapping, None, cells=cells))
        _, *keep = timed(
            "keep as Parquet",
            lambda: catalog.write_folder(
                built.leads, None, folder / "kept", name="bench", mapping=mapping
            ),
        )
        steps = [read, guess, check, build, keep]
        total = sum(t for _, t in steps)
        print(f"a {len(raw) / 2**20:.0f} MB leads CSV of {N:,} rows, {len(frame.columns)} "
              f"columns; a bare pyarrow read takes {bare:.2f} s")  # fmt: skip
        for what, t in steps:
            print(f"  {what:<18} {t:5.2f} s  ({t / bare:4.1f}x the bare read)")
        print(f"  {'the whole path':<18} {total:5.2f} s  ({total / bare:4.1f}x; goal <= 3 s)")


if __name__ == "__main__":
    main()
