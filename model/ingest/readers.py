"""Read any export: CSV in any encoding and delimiter, Excel, Parquet. Every problem is one
DataError naming the file, the column and the rows (counted as in a spreadsheet: the
header is row 1), and nothing is dropped silently."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from model.core.cells import may_need_trim
from model.core.dataset import DataError

DELIMITERS = ",;\t|"


def read_table(
    path: str | Path, *, id_columns: tuple[str, ...] = ("lead_id",), levels: bool = False
) -> pd.DataFrame:
    """Read a CSV or Parquet file; id columns are kept as text (leading zeros survive).
    With `levels`, text columns of few distinct values (an event's type and channel) are
    read as categories: 14.5M events then take 0.4 GB instead of 0.8, and a CSV of them is
    read in half the time."""
    path = Path(path)
    try:
        if not path.exists():
            raise DataError(f"{path}: file not found")
        if not path.is_file():
            raise DataError(f"{path}: not a regular file (a folder or a device)")
        if path.suffix.lower() in (".parquet", ".pq"):
            few = few_level_columns(path, id_columns) if levels else []
            frame = flat_columns(pd.read_parquet(path, read_dictionary=few), str(path))
        else:
            frame = _arrow_csv(path, id_columns, levels)
            if frame is None:  # a header naming a column twice: pandas renames the copies
                frame = pd.read_csv(path, dtype=dict.fromkeys(id_columns, "string"))
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        raise unreadable(path, exc) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in id_columns:
        if col in frame.columns:
            text = frame[col].astype("string")
            frame[col] = text.str.strip() if may_need_trim(text) else text
    return frame


# What pd.read_csv reads as missing by default (its na_values), so that a CSV read by
# pyarrow directly gives the frame pandas would.
PANDAS_MISSING = (
    *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
    *("1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"),
)


def _arrow_csv(path: Path, id_columns: tuple[str, ...], levels: bool) -> pd.DataFrame | None:
    """A CSV as pd.read_csv(engine="pyarrow") reads it, id columns as text. pandas' own
    `dtype=` fails on a column of whole numbers with blanks (pandas 3.1: "cannot convert
    NA to integer"), so pyarrow is called here. With `levels`, text columns of at most 50
    distinct values come as categories, coded while it parses (no string made per row).
    None for a header naming a column twice: pandas renames, so it reads."""
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(id_columns, pa.large_string()),
        null_values=list(PANDAS_MISSING),
        strings_can_be_null=True,
        auto_dict_encode=levels,
    )
    table = pacsv.read_csv(path, convert_options=options)
    if len(set(table.column_names)) < table.num_columns:
        return None
    for i, column in enumerate(table.schema):
        if pa.types.is_null(column.type):  # a column of blanks: pandas makes it NaN numbers
            table = table.set_column(i, column.name, pa.nulls(len(table), pa.float64()))
    return table.to_pandas()


def few_level_columns(path: Path, but: tuple[str, ...] = ()) -> list[str]:
    """Text columns of a Parquet file whose values Parquet's dictionaries hold in under a
    twentieth of the column's bytes (a few distinct values repeated), read from the file's
    footer. Not the columns in `but`."""
    meta = pq.ParquetFile(path).metadata
    sizes: dict[str, list[int]] = {}
    for group in range(meta.num_row_groups):
        for j in range(meta.num_columns):
            chunk = meta.row_group(group).column(j)
            text = chunk.physical_type == "BYTE_ARRAY" and "." not in chunk.path_in_schema
            if not text or chunk.path_in_schema in but:
                continue
            held = sizes.setdefault(chunk.path_in_schema, [0, 0])
            start = chunk.dictionary_page_offset if chunk.has_dictionary_page else None
            held[0] += (
                chunk.total_compressed_size if start is None else chunk.data_page_offset - start
            )
            held[1] += chunk.total_compressed_size
    return [name for name, (words, total) in sizes.items() if words * 20 < total]


def row_numbers(mask: pd.Series, limit: int = 5) -> str:
    """Spreadsheet row numbers (header = row 1) of the first few True values; a frame read in
    parts keeps each row's original position as its index."""
    hit = mask.to_numpy(dtype=bool)
    rows = (mask.index.to_numpy()[hit] + 2).tolist()  # the index is the row's position
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def flat_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Parquet list, struct and map columns as JSON text: a level of a criterion is one
    value, and the rest of the pipeline hashes values."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        sample = frame[column].dropna().head(100)
        if sample.map(lambda v: isinstance(v, list | tuple | dict | np.ndarray)).any():
            frame[column] = frame[column].map(_as_text, na_action="ignore").astype("string")
    return frame


def _as_text(value) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    try:
        return json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def unreadable(path: Path, exc: Exception) -> DataError:
    """The one message for a file a reader failed on (both engines' readers use it)."""
    if isinstance(exc, UnicodeDecodeError):
        return DataError(
            f"{path}: not UTF-8 text (a binary file, or another encoding: "
            "`leadscore import` reads any)"
        )
    return DataError(f"{path}: cannot read the file ({_first_line(exc)})")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_any(
    data: bytes | Path,
    name: str,
    *,
    progress: Callable[[float, str], None] | None = None,
    sheet: str | None = None,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """A CSV (any common delimiter and encoding, detected), Excel (the first sheet, or
    `sheet`) or Parquet file as a frame of text columns (Parquet and Excel keep their own
    types). Raises DataError, never more; what it left out is said in `notes`."""
    raw = _raw_bytes(data, name)
    suffix = Path(name).suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = flat_columns(pd.read_parquet(io.BytesIO(raw)), name)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            frame = _read_excel(raw, name, sheet, notes)
        else:
            frame = _read_csv(raw, name, progress, notes if notes is not None else [])
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: cannot read the file ({first})") from None
    frame.columns = _unique_names(frame.columns)
    if frame.empty and not len(frame.columns):
        raise DataError(f"{name}: the file has no columns")
    return frame


MAX_FILE_BYTES = 2 * 2**30  # a bigger export goes through `leadscore score` in parts


def _raw_bytes(data: bytes | Path, name: str) -> bytes:
    """The file's bytes; devices, folders and files past MAX_FILE_BYTES are refused."""
    if not isinstance(data, Path):
        return data
    try:
        if not data.is_file():
            raise DataError(f"{name}: not a regular file (a folder, device or missing file)")
        if data.stat().st_size > MAX_FILE_BYTES:
            raise DataError(
                f"{name}: {data.stat().st_size:,} bytes is more than the import "
                "reads at once; score it with `leadscore score` instead"
            )
        return data.read_bytes()
    except (OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read the file ({exc})") from None


MAX_COLUMNS = 5_000


BLOCK = 8 << 20  # bytes Arrow reads at a time; a row must fit in one


def _block_size(data: bytes, block: int = BLOCK, start: int = 0) -> int:
    """A read block twice the longest line (up to 256 MB a line), at least `block`. When
    every whole quarter block of the data holds a newline, no line can hold one whole, so
    every line is shorter than half a block and the answer is `block`, found without
    measuring every line (0.4 s for a 180 MB export)."""
    step = block // 4
    if all(data.find(b"\n", i, i + step) >= 0 for i in range(start, len(data) - step + 1, step)):
        return block
    return max(block, min(_longest_line(memoryview(data)[start:]), 256 << 20) * 2)


def _longest_line(data: bytes) -> int:
    """Bytes of the longest line (a quoted newline splits a row, which only shortens it)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return int(np.diff(ends, prepend=-1, append=len(data)).max(initial=0))


def _check_workbook(raw: bytes, name: str) -> None:
    """Refuse a workbook whose sheets unpack to more than MAX_SHEET_XML (a zip bomb would
    be read until memory runs out) or declare more columns than MAX_COLUMNS."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            sheets = [i for i in book.infolist() if i.filename.startswith("xl/worksheets/")]
            size = sum(i.file_size for i in sheets)
            head = b"".join(book.open(i).read(4096) for i in sheets)
    except zipfile.BadZipFile:
        raise DataError(f"{name}: not an Excel workbook (.xlsx is a zip file)") from None
    if size > MAX_SHEET_XML:
        raise DataError(f"{name}: its sheets unpack to {size / 2**30:.1f} GB; export it as CSV")
    for ref in re.findall(rb'<dimension ref="[A-Z]+\d+:([A-Z]+)\d+"', head):
        if _column_number(ref.decode()) > MAX_COLUMNS:
            raise DataError(
                f"{name}: a sheet spans {_column_number(ref.decode()):,} columns; a "
                f"lead export has at most {MAX_COLUMNS:,}"
            )


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def excel_sheets(raw: bytes) -> list[str]:
    """The sheet names of a workbook, in order ([] when it cannot be read)."""
    try:
        return pd.ExcelFile(io.BytesIO(raw)).sheet_names
    except Exception:  # noqa: BLE001 - an unreadable workbook gets its message on reading
        return []


MAX_SHEET_XML = 1 << 30  # uncompressed: ~1M rows of a wide export; a zip bomb is far more


def _read_excel(
    raw: bytes, name: str, sheet: str | None, notes: list[str] | None = None
) -> pd.DataFrame:
    if name.lower().endswith(".xls"):
        raise DataError(f"{name}: an Excel 97-2003 workbook; save it as .xlsx or CSV")
    _check_workbook(raw, name)
    book = pd.ExcelFile(io.BytesIO(raw))
    if sheet is not None and sheet not in book.sheet_names:
        raise DataError(f"{name}: no sheet named {sheet!r} (sheets: {book.sheet_names})")
    frame = pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=object)
    above = _title_rows(frame)
    if not above:
        return frame
    title = _filled_text(_named_columns(frame)) + [
        c for row in frame.head(above - 1).itertuples(index=False) for c in _filled_text(row)
    ]
    _say_left_out(notes, name, TITLE, title)
    table = pd.read_excel(
        book, sheet_name=sheet if sheet is not None else 0, dtype=object, header=above
    )
    margin = [c for c in table.columns if c not in _named_columns(table) and table[c].isna().all()]
    return table.drop(columns=margin)  # a formatted report's empty first column


TITLE_LINES = 10  # at most this many lines of a report's title and filters above its header


def _named_columns(frame: pd.DataFrame) -> list:
    """The column names a workbook's first row gave (pandas names a blank cell 'Unnamed: 3')."""
    return [c for c in frame.columns if not str(c).startswith("Unnamed:")]


def _header_below_title(lines: io.StringIO, delimiter: str) -> tuple[list[str], list[str]]:
    """The header row, and the title lines above it: a report's CSV may open with its
    title and filters, one cell a line, above the table. When the first line has fewer
    than two cells filled and one of the next few has two or more, that one is the header;
    otherwise the first line is, as always (a one-column file keeps its header)."""
    reader = csv.reader(lines, delimiter=delimiter)
    first = next(reader, [])
    if _filled(first) >= 2:
        return first, []
    after_first, title = lines.tell(), _filled_text(first)
    for _ in range(TITLE_LINES):
        row = next(reader, None)
        if row is None:
            break
        if _filled(row) >= 2:
            return row, title
        title += _filled_text(row)
    lines.seek(after_first)
    return first, []


def _filled(cells) -> int:
    """How many cells hold something (a blank, a space or a missing cell holds nothing)."""
    return len(_filled_text(cells))


def _filled_text(cells) -> list[str]:
    """The cells that hold something, as trimmed text."""
    return [str(c).strip() for c in cells if not pd.isna(c) and str(c).strip()]


def _title_rows(frame: pd.DataFrame) -> int:
    """How many rows stand above a workbook's header: a report saved as a workbook puts its
    title (and filters) in one cell each above the table. 0 when the first row is the
    header (two cells or more filled)."""
    if len(frame.columns) < 2 or len(_named_columns(frame)) > 1:
        return 0
    for i, row in enumerate(frame.head(TITLE_LINES).itertuples(index=False), start=1):
        if _filled(row) >= 2:
            return i
    return 0


def _say_left_out(notes: list[str] | None, name: str, what: str, lines: list[str]) -> None:
    """A note naming the lines of a report left out (`what`: its title above the header,
    its footer after the last row), the first three quoted."""
    if notes is not None and lines:
        shown = ", ".join(repr(line) for line in lines[:3]) + (", …" if len(lines) > 3 else "")
        notes.append(f"{name}: left out the report's {what} ({shown})")


TITLE, FOOTER = "title above the header", "footer after the last row"


def _read_csv(raw: bytes, name: str, progress, notes: list[str]) -> pd.DataFrame:
    """A CSV as text columns. Plain UTF-8 (most exports) goes to Arrow as it is: decoding
    a 180 MB file and encoding it back cost 0.2 s and two copies; anything Arrow refuses
    (another encoding, a malformed row) takes the general path, which names the problem."""
    if (head := _plain_utf8(raw)) is not None:
        try:
            return _parse_csv(head, raw, "utf-8", len(raw), name, progress, notes)
        except DataError:
            pass
    text, encoding = _decode(raw, name)  # no carriage return is left in it
    data = text.encode("utf-8")
    return _parse_csv(text[: 1 << 20], data, encoding, len(raw), name, progress, notes)


def _plain_utf8(raw: bytes) -> str | None:
    """The first megabyte's whole lines as text, when the file is UTF-8 as far as it can
    be told without decoding it all: no byte-order mark or NUL, lines that end in a
    newline (Windows' CRLF included), and no web page or JSON; None for anything else."""
    cut = raw.rfind(b"\n", 0, 1 << 20) + 1
    if not cut or raw.startswith(tuple(bom for bom, _ in BOMS)):
        return None
    if b"\x00" in raw or raw[:1].isspace():
        return None
    try:
        head = raw[:cut].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if head.startswith(("<", "{", "[")) else head


def _parse_csv(
    head: str,
    data: bytes,
    encoding: str,
    total: int,
    name: str,
    progress=None,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Rows after the header of `head` (the file's first megabyte as text) in `data`, the
    whole file as the UTF-8 bytes `head` starts; a report's footer is left out and said
    in `notes`."""
    delimiter = _delimiter(head[:65536])
    lines = io.StringIO(head)
    header, title = _header_below_title(lines, delimiter)  # a quoted newline is fine
    if not any(h.strip() for h in header):
        raise DataError(f"{name}: the file is empty")
    if len(header) > MAX_COLUMNS:
        raise DataError(
            f"{name}: {len(header):,} columns; a lead export has at most "
            f"{MAX_COLUMNS:,} (is the delimiter right?)"
        )
    names = _unique_names(header)
    start = len(head[: lines.tell()].encode("utf-8")) if "\n" in head else len(data)
    stop, footer = _footer(data, start, delimiter) if len(names) > 1 else (len(data), [])
    if not NOT_SPACE.search(data, start, stop):  # a header and no rows: the columns, empty
        _say_left_out(notes, name, TITLE, title)
        _say_left_out(notes, name, FOOTER, footer)
        return pd.DataFrame(columns=names, dtype="string")
    table = _arrow_rows(data, start, stop, names, delimiter, name, progress, total)
    if b"\r" in data and _holds_return(table):  # decoded text has none: only plain bytes
        raise DataError(f"{name}: a value holds a carriage return")  # the general path's
    _say_left_out(notes, name, TITLE, title)
    _say_left_out(notes, name, FOOTER, footer)
    if progress:
        progress(1.0, f"read {table.num_rows:,} rows ({encoding}, {_delimiter_name(delimiter)})")
    return table.to_pandas()


NOT_SPACE = re.compile(rb"\S")


def _holds_return(table: pa.Table) -> bool:
    """Whether some value holds a carriage return: a quoted line break in a Windows export,
    which decoding writes as a plain newline (Arrow takes a CRLF ending either way)."""
    return any(pc.any(pc.match_substring(column, "\r")).as_py() for column in table.columns)


FOOTER_LINES = 20  # at most this many single-cell lines end a report export
FOOTER_BYTES = 1 << 14


def _footer(data: bytes, start: int, delimiter: str) -> tuple[int, list[str]]:
    """Where the rows end, and the footer after them: a report exported as CSV (Salesforce's
    'Details only') ends with a blank line and lines of one cell each ('Grand Totals (400
    records)', 'Confidential Information - Do Not Distribute', its copyright), which are
    not leads. No footer: the end of the data and no lines."""
    cut = max(start, len(data) - FOOTER_BYTES)
    lines = data[cut:].split(b"\n")
    at = np.cumsum([cut] + [len(line) + 1 for line in lines[:-1]])  # where each starts
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1  # the file's own last line ends
    first = end
    while first > 0 and end - first <= FOOTER_LINES:
        line = lines[first - 1]
        if line.strip() and len(_cells(line, delimiter)) > 1:
            break  # a row of the table: a footer starts after it
        first -= 1
    else:
        if first or cut > start or end > FOOTER_LINES:
            return len(data), []  # one-cell lines all the way up: rows, not a footer
    blank = next((i for i in range(first, end) if not lines[i].strip()), None)
    if blank is None:
        return len(data), []
    footer = [c.strip() for line in lines[blank:end] for c in _cells(line, delimiter)]
    footer = [c for c in footer if c]
    return (int(at[blank]), footer) if footer else (len(data), [])


def _cells(line: bytes, delimiter: str) -> list[str]:
    """One line's cells as the CSV reader splits them (a line it cannot split, such as one
    holding a lone carriage return, is no footer: the rows' parse names it)."""
    text = line.decode("utf-8", "replace").rstrip("\r")
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:
        return [text, ""]


def _arrow_rows(
    data: bytes, start: int, stop: int, names, delimiter, name, progress, total
) -> pa.Table:
    """Arrow's parse of the rows from byte `start` to `stop`, every column as text (large
    text: what pandas holds), without copying the bytes."""
    done, batches = 0, []
    block = _block_size(data, start=start)  # a 20 MB cell fits a block
    try:
        reader = pacsv.open_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start, stop - start)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=block),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False
            ),
        )
        for batch in reader:
            batches.append(batch)
            done += batch.get_total_buffer_size()
            if progress:
                progress(min(done / total, 0.99), f"read {sum(b.num_rows for b in batches):,} rows")
    except pa.ArrowInvalid as exc:
        raise DataError(
            f"{name}: not a well-formed {_delimiter_name(delimiter)}-separated "
            f"file ({str(exc).splitlines()[0]})"
        ) from None
    return pa.Table.from_batches(batches, schema=reader.schema)


SIGNATURES = (
    (b"PK\x03\x04", "a zip file (an Excel workbook? name it .xlsx)"),
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (save it as .xlsx or CSV)"),
)
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """Text of a CSV: a byte-order mark says the encoding (Excel's "Unicode Text" is UTF-16
    with one), then strict UTF-8, then charset-normalizer's best guess among the single-byte
    encodings exports use. NUL bytes outside UTF-16 mean a binary file."""
    for magic, what in SIGNATURES:
        if raw.startswith(magic):
            raise DataError(f"{name}: this is {what}, not a CSV")
    encoding = next((enc for bom, enc in BOMS if raw.startswith(bom)), None)
    if encoding is None and raw[:4096].count(b"\x00") > len(raw[:4096]) // 4:
        encoding = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"  # UTF-16 without a BOM
    if encoding is None and b"\x00" in raw[:4096]:
        raise DataError(f"{name}: this looks like a binary file, not a CSV")
    text = None
    if encoding is None:
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"  # decoded once: 0.2 s at 180 MB
        except UnicodeDecodeError:
            encoding = _single_byte_encoding(raw)
    try:
        text = raw.decode(encoding) if text is None else text
    except UnicodeDecodeError as exc:
        what = "a binary file" if encoding.startswith("utf-16") else f"{encoding} text"
        raise DataError(
            f"{name}: this looks like {what}, not a CSV (cannot be read at byte {exc.start:,})"
        ) from None
    if "\x00" in text:
        raise DataError(f"{name}: this looks like a binary file, not a CSV")
    start = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml")):
        raise DataError(f"{name}: this is a web page or XML, not a CSV export")
    if start.startswith(("{", "[")):
        raise DataError(f"{name}: this is JSON, not a CSV export")
    text = text.lstrip("\ufeff")
    if "\r" in text:  # Windows or old Mac line ends
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def _single_byte_encoding(raw: bytes) -> str:
    """cp1252 / latin-1 / another single-byte code page, as charset-normalizer reads it."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw[: 1 << 20], cp_isolation=SINGLE_BYTE).best()
    return best.encoding if best is not None else "cp1252"


SINGLE_BYTE = ["cp1252", "latin_1", "iso8859_15", "cp1250", "mac_roman", "cp850"]


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # the first line holding a delimiter (a report's title has none)
        lines = sample.split("\n")
        first = next((line for line in lines if any(d in line for d in DELIMITERS)), lines[0])
        return max(DELIMITERS, key=first.count)


def _delimiter_name(d: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(d, repr(d))


def _unique_names(columns) -> list[str]:
    """Stripped, non-empty and unique column names ('col 3', 'name (2)')."""
    out: list[str] = []
    for i, c in enumerate(columns):
        base = str(c).strip().lstrip("\ufeff") or f"column {i + 1}"
        name, k = base, 2
        while name in out:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return out
