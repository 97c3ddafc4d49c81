"""Batch scoring of inputs larger than memory: by the Python engine in parts, or by DuckDB.

The Python engine first splits leads and events into parts by a hash of lead_id (so every
lead meets all its events in one part), as Parquet files in a temporary folder, reading
the inputs in blocks; then it scores one part at a time. Memory is bounded by one part.
Errors still name the file, the column and the row of the original input.
"""

from __future__ import annotations

import math
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from model.core.cells import duckdb_inert, inert_frame
from model.core.dataset import AsOf, DataError, Dataset, prepare
from model.core.hits import build_hits
from model.core.scoring import score, scored_frame
from model.core.spec import ScoringModel
from model.export import sqlgen
from model.ingest import importer
from model.ingest.readers import unreadable

BYTES_PER_PART = 256 * 2**20
BLOCK = 64 * 2**20  # CSV bytes per read block: types are inferred from the first one
ROW = "__leadscore_row__"  # the spreadsheet row of each lead, carried through the parts

Progress = Callable[[float, str], None]


def parts_for(*paths: Path | None) -> int:
    """How many parts keep one part's events and leads to about 256 MB of input."""
    size = sum(p.stat().st_size for p in paths if p is not None)
    return max(1, math.ceil(size / BYTES_PER_PART))


def text_progress(fraction: float, text: str) -> None:
    """A one-line progress bar on stderr."""
    filled = round(30 * fraction)
    end = "\n" if fraction >= 1 else ""
    print(
        f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {text:<50}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def score_in_parts(
    model: ScoringModel,
    leads: Path,
    events: Path | None,
    as_of: AsOf,
    out,
    *,
    parts: int,
    progress: Progress = text_progress,
) -> int:
    """Score every lead, one part at a time, writing CSV rows to `out`; return the count."""
    with tempfile.TemporaryDirectory(prefix="leadscore-parts-") as tmp:
        folder = Path(tmp)
        progress(0.0, "splitting leads into parts…")
        lead_parts = split(leads, folder / "leads", parts)
        progress(0.05, "splitting events into parts…")
        event_parts = split(events, folder / "events", parts) if events else [None] * parts
        written = 0
        for p in range(parts):
            progress(0.1 + 0.9 * p / parts, f"scoring part {p + 1} of {parts}…")
            frame = _score_part(model, as_of, lead_parts[p], event_parts[p], leads, events)
            inert_frame(frame).to_csv(out, index=False, header=p == 0, lineterminator="\n")
            written += len(frame)
        progress(1.0, f"scored {written:,} leads in {parts} parts")
    return written


def split(path: Path, stem: Path, parts: int) -> list[Path]:
    """Write the rows of a CSV or Parquet file into `parts` Parquet files by lead_id hash,
    with each row's spreadsheet row number (header = row 1) kept for error messages."""
    files = [stem.with_name(f"{stem.name}-{p}.parquet") for p in range(parts)]
    writers: list[pq.ParquetWriter | None] = [None] * parts
    row = 2
    try:
        for batch in _batches(path):
            if ROW in batch.schema.names:
                raise DataError(
                    f"{path}: has a column named {ROW!r}, which the scorer uses itself; rename it"
                )
            ids = batch.column("lead_id").to_pandas().astype("string").str.strip()
            part = (pd.util.hash_array(ids.fillna("").to_numpy(object)) % parts).astype(np.intp)
            order = np.argsort(part, kind="stable")
            table = (
                pa.Table.from_batches([batch])
                .append_column(ROW, pa.array(np.arange(row, row + batch.num_rows)))
                .take(order)
            )
            bounds = np.searchsorted(part[order], np.arange(parts + 1))
            for p in range(parts):
                if bounds[p + 1] > bounds[p]:
                    if writers[p] is None:
                        writers[p] = pq.ParquetWriter(files[p], table.schema)
                    writers[p].write_table(table.slice(bounds[p], bounds[p + 1] - bounds[p]))
            row += batch.num_rows
    finally:
        for w in writers:
            if w is not None:
                w.close()
    return [f if f.exists() else None for f in files]


def _batches(path: Path) -> Iterator[pa.RecordBatch]:
    """Blocks of rows of a CSV or Parquet file, lead_id read as text."""
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            yield from pq.ParquetFile(path).iter_batches(batch_size=1_000_000)
            return
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK),
            convert_options=pacsv.ConvertOptions(
                column_types={"lead_id": pa.string()}, strings_can_be_null=True
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot read the file ({str(exc).splitlines()[0]})") from exc
    except KeyError as exc:
        raise DataError(f"{path}: missing required column 'lead_id'") from exc


def _score_part(model, as_of, leads_part, events_part, leads, events) -> pd.DataFrame:
    if leads_part is None:
        return pd.DataFrame(columns=["lead_id", "fit", "engagement", "score", "band"])
    lead_frame = _read_part(leads_part)
    lead_frame = importer.checked(lead_frame, leads_name=str(leads)).leads.reset_index(drop=True)
    event_frame = None
    if events_part is not None:
        event_frame = importer.checked_events(_read_part(events_part), str(events))
        event_frame = event_frame.reset_index(drop=True)
    data = prepare(lead_frame, event_frame, name=f"{leads.name} part")
    return scored_frame(data.lead_ids, score(build_hits(data, model, as_of), model), model)


def _read_part(path: Path) -> pd.DataFrame:
    """One part, indexed by its rows' original positions (so errors name the right rows)."""
    frame = pq.read_table(path).to_pandas()
    frame.index = pd.Index(frame.pop(ROW).to_numpy() - 2)
    if "lead_id" in frame.columns:
        frame["lead_id"] = frame["lead_id"].astype("string").str.strip()
    return frame


SAMPLE_ROWS = 50_000


def check_for_duckdb(model: ScoringModel, leads: Path, events: Path | None) -> None:
    """The Python engine's validator in front of the SQL engine: the first rows of each
    file through the import's rules and the model's rules (missing columns, bad dates,
    blank ids), so both engines refuse the same files with the same words."""
    from model.ingest.readers import flat_columns

    head = _head(leads, SAMPLE_ROWS)
    head_events = None if events is None else _head(events, SAMPLE_ROWS)
    if "created_at" not in head.columns:
        raise DataError(
            f"{leads}: the DuckDB engine needs a 'created_at' column; import the "
            "file first (leadscore import) or score it with --engine python"
        )
    data = prepare_checked(flat_columns(head, str(leads)), head_events, leads, events)
    build_hits(data, model, AsOf())  # the model's attributes and rules fit the columns


def _head(path: Path, rows: int) -> pd.DataFrame:
    """The first rows of a CSV or Parquet file, ids as text, row numbers kept."""
    try:
        if not path.is_file():
            raise DataError(f"{path}: not a regular file (a folder, device or missing file)")
        if path.suffix.lower() in (".parquet", ".pq"):
            batch = next(pq.ParquetFile(path).iter_batches(batch_size=rows), None)
            return pa.Table.from_batches([batch]).to_pandas() if batch else pd.DataFrame()
        return pd.read_csv(path, nrows=rows, dtype={"lead_id": "string"})
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is one clear message
        raise unreadable(path, exc) from None


def prepare_checked(leads: pd.DataFrame, events, leads_path: Path, events_path) -> Dataset:
    """A dataset through the import's validator (what both engines accept)."""
    from model.ingest import importer

    built = importer.checked(
        leads, events, leads_name=str(leads_path), events_name=str(events_path)
    )
    return prepare(built.leads, built.events, name=str(leads_path))


def _full_checks(con, leads: Path) -> None:
    """What a sample cannot prove, checked by DuckDB over the whole file: every lead has
    an id, once, and a created date."""
    blank, dupes, undated = con.execute(
        "SELECT count(*) FILTER (WHERE lead_id IS NULL OR trim(CAST(lead_id AS VARCHAR)) = ''),"
        " count(lead_id) - count(DISTINCT lead_id),"
        " count(*) FILTER (WHERE TRY_CAST(created_at AS TIMESTAMP) IS NULL) FROM leads"
    ).fetchone()
    problems = []
    if blank:
        problems.append(f"{blank:,} rows have no lead id")
    if dupes:
        problems.append(f"{dupes:,} duplicate lead ids")
    if undated:
        problems.append(f"{undated:,} leads have no created date (or not a date)")
    if problems:
        raise DataError(
            f"{leads}: {'; '.join(problems)}; the DuckDB engine scores only clean "
            "files: import it first (leadscore import), which dates or leaves "
            "such leads out, or use --engine python"
        )


def score_with_duckdb(
    model: ScoringModel, leads: Path, events: Path | None, as_of: AsOf, out: Path | None
) -> int:
    """Score with DuckDB over the files as they are; DuckDB spills to disk past its memory
    limit, so the inputs can be larger than memory. The files pass the same validator as
    the Python engine's first; DuckDB's own errors come back as one line."""
    import duckdb

    check_for_duckdb(model, leads, events)
    try:
        return _duckdb_score(model, leads, events, as_of, out)
    except duckdb.Error as exc:
        raise DataError(
            f"{leads}: DuckDB cannot score it ({str(exc).strip().splitlines()[0]})"
        ) from None


def _duckdb_score(model, leads, events, as_of, out) -> int:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="leadscore-duckdb-") as tmp:
        con = duckdb.connect()
        con.execute(f"SET temp_directory = {sqlgen.literal(tmp)}")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"CREATE VIEW leads AS SELECT * FROM {_scan(leads)}")
        if events is None:
            con.execute(
                "CREATE TABLE events (lead_id VARCHAR, occurred_at TIMESTAMP, event_type VARCHAR)"
            )
        else:
            con.execute(f"CREATE VIEW events AS SELECT * FROM {_scan(events)}")
        _full_checks(con, leads)
        query = sqlgen.to_sql(model, "duckdb", as_of=as_of)
        query = (
            f"SELECT * REPLACE ({duckdb_inert('lead_id')} AS lead_id, "
            f"{duckdb_inert('band')} AS band) FROM ({query})"
        )
        if out is None:
            result, n = con.execute(query), 0
            while len(chunk := result.fetch_df_chunk(64)):
                inert_frame(chunk).to_csv(
                    sys.stdout, index=False, header=n == 0, lineterminator="\n"
                )
                n += len(chunk)
            return n
        con.execute(f"COPY ({query}) TO {sqlgen.literal(str(out))} (HEADER, DELIMITER ',')")
        return con.execute(f"SELECT count(*) FROM {_scan(out)}").fetchone()[0]


def _scan(path: Path) -> str:
    if path.suffix.lower() in (".parquet", ".pq"):
        return f"read_parquet({sqlgen.literal(str(path))})"
    return f"read_csv_auto({sqlgen.literal(str(path))}, types={{'lead_id': 'VARCHAR'}})"
