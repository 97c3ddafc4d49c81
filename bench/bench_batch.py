"""Batch scoring at warehouse scale: 10M leads with 100M events, as Parquet, scored by the
Python engine in parts and by DuckDB, each in its own process, with wall time and peak
memory printed (and their ratio). `make bench-batch`; takes several minutes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from model.core.spec import DEFAULT_MODEL_PATH
from model.ingest import demo

CHUNK_LEADS = 1_000_000


def make(folder: Path, n_leads: int, n_events: int, seed: int) -> tuple[Path, Path]:
    """Write leads.parquet and events.parquet in chunks of 1M leads (unique ids per chunk)."""
    leads_path, events_path = folder / "leads.parquet", folder / "events.parquet"
    writers: dict[str, pq.ParquetWriter] = {}
    per_chunk = n_events * CHUNK_LEADS // n_leads
    for k in range(n_leads // CHUNK_LEADS):
        data = demo.generate(CHUNK_LEADS, seed=seed + k)
        rng = np.random.default_rng(seed + k)
        events = data.events
        if len(events) > per_chunk:
            events = events.iloc[np.sort(rng.choice(len(events), per_chunk, replace=False))]
        for name, frame in (("leads", data.leads), ("events", events)):
            frame = frame.assign(lead_id=f"C{k:02d}-" + frame["lead_id"].astype(str))
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if name not in writers:
                writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
            writers[name].write_table(table)
        print(f"  generated chunk {k + 1}", file=sys.stderr)
    for w in writers.values():
        w.close()
    return leads_path, events_path


MEASURE = (
    "import resource, subprocess, sys;"
    "subprocess.run([sys.executable, '-m', 'model.cli', 'score', *sys.argv[1:]], check=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (GiB) of one `leadscore score` process, measured by a
    fresh parent of its own (peak memory of children is kept per parent)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], check=True, stdout=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    return seconds, int(done.stdout.split()[-1]) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadscore-batch-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        leads, events = make(folder, args.leads, args.events, args.seed)
        print(
            f"data: {args.leads:,} leads, {pq.ParquetFile(events).metadata.num_rows:,} events "
            f"({(leads.stat().st_size + events.stat().st_size) / 2**30:.1f} GiB Parquet) in "
            f"{time.perf_counter() - start:.0f} s"
        )
        common = [
            "--model",
            str(DEFAULT_MODEL_PATH),
            "--leads",
            str(leads),
            "--events",
            str(events),
        ]
        py_s, py_mem = run([*common, "--out", str(folder / "python.csv")])
        print(f"python engine in parts: {py_s:.0f} s, peak {py_mem:.1f} GiB")
        duck_s, duck_mem = run([*common, "--engine", "duckdb", "--out", str(folder / "duck.csv")])
        print(f"DuckDB SQL export:      {duck_s:.0f} s, peak {duck_mem:.1f} GiB")
        print(f"ratio DuckDB / python engine: {duck_s / py_s:.2f}x time")


if __name__ == "__main__":
    main()
