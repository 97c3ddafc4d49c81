"""Reading leads and events files: clear messages naming file, column and rows."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from model.core.dataset import AsOf, DataError, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import parse_model
from model.ingest import readers
from model.ingest.catalog import load_dataset
from model.ingest.importer import checked
from model.ingest.readers import read_table
from tests.test_exports import EXPORTS
from tests.test_hostile import CORPUS

GOOD = 'lead_id,created_at,outcome,value,industry\n007,2025-01-01,Won,"1,200",SaaS\n008,2025-01-02,lost,300,Select\n009,2025-01-03,,,\n'


def _write(tmp_path: Path, text: str, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_ids_as_text_and_normalises_outcome_and_value(tmp_path: Path) -> None:
    leads = checked(read_table(_write(tmp_path, GOOD))).leads
    assert leads["lead_id"].tolist() == ["007", "008", "009"]
    assert leads["outcome"].tolist() == ["won", "lost", "open"]
    assert leads["value"].tolist()[:2] == [1200.0, 300.0]
    assert np.isnan(leads["value"].iloc[2])


@pytest.mark.parametrize(
    "values",
    [
        [" Won ", "LOST", "open", None, "maybe", np.nan, "won"],
        pd.array([" Won ", "LOST", "open", None, "maybe", None, "won"], dtype="string[pyarrow]"),
        pd.Categorical([" Won ", "LOST", "open", None, "maybe", None, "won"]),
    ],
    ids=["object", "arrow text", "categorical"],
)
def test_outcome_codes_from_any_text_column(values) -> None:
    """A dataset built in code (not through the import) still reads its outcome: trimmed,
    any case; blanks and unknown values are open."""
    leads = pd.DataFrame(
        {"lead_id": list("abcdefg"), "created_at": pd.Timestamp("2025-01-01"), "outcome": values}
    )
    assert prepare(leads, None).outcome.tolist() == [0, 1, 2, 2, 2, 2, 0]


def test_event_type_counts() -> None:
    leads = pd.DataFrame({"lead_id": ["a", "b"], "created_at": pd.Timestamp("2025-01-01")})
    events = pd.DataFrame(
        {
            "lead_id": ["a", "b", "a", "b", "a"],
            "occurred_at": pd.Timestamp("2025-01-02"),
            "event_type": ["visit", "visit", "demo", " visit", "visit"],
        }
    )
    data = prepare(leads, events)
    assert dict(zip(data.event_types, data.type_counts.tolist(), strict=True)) == {
        "demo": 1,
        "visit": 4,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lead_id,created_at\n,2025-01-01\n", r"leads\.csv, column 'lead_id': 1 row has no lead id, at rows 2"),
        (
            "lead_id,created_at\n1,2025-01-01\n2,yesterday\n3,2025-13-45\n",
            (
                r"column 'created_at': 2 values are not dates, e\.g\. 'yesterday', "
                r"'2025-13-45' at rows 3, 4"
            ),
        ),
        ("lead_id,created_at\n1,\n2,\n", r"column 'created_at': no row has a created date"),
        (
            "lead_id,created_at\n1,2025-01-01\n1,2025-01-02\n",
            r"column 'lead_id': 1 duplicate lead ids, e\.g\. '1' at rows 2, 3",
        ),
        (
            "lead_id,created_at,value\n1,2025-01-01,lots\n",
            r"column 'value': 1 value is not a number, e\.g\. 'lots' at rows 2",
        ),
    ],
)  # fmt: skip
def test_bad_leads_get_a_message_naming_file_column_and_rows(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        load_dataset(_write(tmp_path, text))


def test_loading_follows_the_import_rules_for_blank_dates_and_unknown_outcomes(
    tmp_path: Path,
) -> None:
    """One validator: a blank created date takes the fallback (or is left out, counted) and
    an unknown outcome word counts as open, with a note, as at import."""
    text = (
        "lead_id,created_at,closed_at,outcome\n1,2025-01-01,2025-01-11,won\n"
        "2,,2025-02-11,lost\n3,,,maybe\n"
    )
    data = load_dataset(_write(tmp_path, text))
    assert data.lead_ids.tolist() == ["1", "2"]
    assert data.leads["created_at"].tolist()[1] == pd.Timestamp("2025-02-01")  # 10-day cycle
    notes = " ".join(data.notes)
    assert "1 leads without a created date took their first event's date" in notes
    assert "1 leads without a created date are left out" in notes
    text = "lead_id,created_at,outcome\n1,2025-01-01,won\n2,2025-01-01,maybe\n"
    data = load_dataset(_write(tmp_path, text, "b.csv"))
    assert list(data.outcome) == [0, 2]
    assert "outcome values that are neither won nor lost: 'maybe' (rows 3)" in " ".join(data.notes)


def test_a_file_without_created_dates_is_scored_as_it_is_now(tmp_path: Path) -> None:
    leads = _write(tmp_path, "lead_id,outcome\n1,won\n2,lost\n")
    events = _write(
        tmp_path,
        "lead_id,occurred_at,event_type\n1,2025-03-01,visit\n2,2025-03-05,visit\n",
        "ev.csv",
    )
    data = load_dataset(leads, events)
    assert not data.has_dates
    assert (data.created_ns > data.ev_ns.max()).all()  # every event is before the moment


def test_bad_events_name_the_events_file(tmp_path: Path) -> None:
    leads = _write(tmp_path, GOOD)
    events = _write(tmp_path, "lead_id,occurred_at,event_type\n007,soon,pricing\n", "ev.csv")
    with pytest.raises(DataError, match=r"ev\.csv, column 'occurred_at'.*'soon' at rows 2"):
        load_dataset(leads, events)
    missing = _write(tmp_path, "lead_id,when\n007,2025-01-01\n", "ev2.csv")
    with pytest.raises(DataError, match=r"ev2\.csv: no column is mapped as 'occurred_at'"):
        load_dataset(leads, missing)


def test_missing_file_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    leads = _write(tmp_path, "lead_id,created_at,outcome\n007,2025-01-01,won\n", "l.csv")
    with pytest.raises(DataError, match=r"nope-events\.csv: file not found"):
        load_dataset(leads, tmp_path / "nope-events.csv", progress=lambda _f, _t: None)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read the file"):
        read_table(bad)


def test_events_for_unknown_leads_are_counted_not_hidden(tmp_path: Path) -> None:
    leads = _write(tmp_path, GOOD)
    events = _write(
        tmp_path,
        "lead_id,occurred_at,event_type\n007,2025-01-02,pricing\n999,2025-01-02,pricing\n",
        "ev.csv",
    )
    data = load_dataset(leads, events)
    assert data.n_events == 1
    assert data.unknown_lead_events == 1


def test_parquet_round_trip(tmp_path: Path, demo_data) -> None:
    path = tmp_path / "leads.parquet"
    demo_data.leads.head(50).to_parquet(path)
    data = load_dataset(path)
    assert data.n_leads == 50


def test_olist_funnel_scores_through_the_real_path(shared_data: Path) -> None:
    """8,000 real MQLs, won when the deals file has them: ids stay text, base rate 10.53 %."""
    folder = shared_data / "olist-funnel"
    mql = read_table(folder / "olist_marketing_qualified_leads_dataset.csv", id_columns=("mql_id",))
    deals = read_table(folder / "olist_closed_deals_dataset.csv", id_columns=("mql_id",))
    leads = mql.rename(columns={"mql_id": "lead_id", "first_contact_date": "created_at"})
    leads["outcome"] = np.where(leads["lead_id"].isin(deals["mql_id"]), "won", "lost")
    leads = checked(leads, leads_name="olist MQLs").leads
    assert len(leads) == 8_000
    assert leads["lead_id"].str.len().eq(32).all()
    data = prepare(leads, None, name="olist")
    assert (data.outcome == 0).mean() == pytest.approx(0.10525)
    model = parse_model(
        {
            "criteria": [
                {
                    "id": "organic",
                    "label": "Organic search",
                    "group": "fit",
                    "points": 20,
                    "rule": {"attribute": "origin", "op": "equals", "value": "organic_search"},
                },
                {
                    "id": "no_origin",
                    "label": "Origin missing",
                    "group": "fit",
                    "points": 5,
                    "rule": {"attribute": "origin", "op": "is_missing"},
                },
            ],
            "bands": [
                {"name": "A", "min_score": 20, "sales_ready": True},
                {"name": "B", "min_score": 0},
            ],
        }
    )
    s = score(build_hits(data, model, AsOf()), model)
    assert (s.score == 20).sum() == (leads["origin"] == "organic_search").sum()
    assert (s.score == 5).sum() == 60  # the blank origins; "unknown" is a real value here
    assert pd.Series(s.band).value_counts().sum() == 8_000


CSV_FIXTURES = sorted([*CORPUS.glob("*.csv"), *EXPORTS.glob("*.csv")])


@pytest.mark.parametrize("path", CSV_FIXTURES, ids=lambda p: p.name)
def test_a_csv_read_with_levels_is_the_frame_pandas_reads(path: Path) -> None:
    """Events CSVs are read by pyarrow with their few-level text coded as it parses; on
    every hostile and CRM-shaped CSV that gives pandas' frame (its missing words, blank
    columns as NaN, repeated headers renamed), or the same kind of error, with the coded
    columns as categories of the same texts."""
    try:
        want = read_table(path)
    except DataError:
        with pytest.raises(DataError, match=f"^{path}: "):
            read_table(path, levels=True)
        return
    got = read_table(path, levels=True)
    coded = [c for c in got.columns if isinstance(got[c].dtype, pd.CategoricalDtype)]
    pd.testing.assert_frame_equal(got.astype({c: want[c].dtype for c in coded}), want)
    try:  # pandas' own reading, where it reads the file, for every column but the id
        pandas = pd.read_csv(path, engine="pyarrow")
    except Exception:  # noqa: BLE001 - pandas refuses it too, in its own words
        return
    pandas.columns = pandas.columns.str.strip()  # as read_table names them
    pandas = pandas.drop(columns="lead_id", errors="ignore")
    pd.testing.assert_frame_equal(want.drop(columns="lead_id", errors="ignore"), pandas)


def test_whole_numbers_with_blanks_are_read_beside_a_text_id(tmp_path: Path) -> None:
    """pandas 3.1's pyarrow reader with dtype= refused such a column ("cannot convert NA
    to integer"), so a data folder whose leads.csv had blank counts could not be read."""
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,visits\n007,2\n008,\n009,4\n")
    frame = read_table(path)
    assert list(frame["lead_id"]) == ["007", "008", "009"]
    assert frame["visits"].tolist()[::2] == [2, 4]
    assert frame["visits"].isna().tolist() == [False, True, False]


def _read_alike(raw: bytes, name: str) -> object:
    """read_any's frame (or error text) with plain UTF-8 handed to Arrow as bytes, checked
    equal to what it gives with every file decoded first."""
    from unittest import mock

    from model.ingest import readers

    def read() -> object:
        try:
            return readers.read_any(raw, name)
        except DataError as exc:
            return str(exc)

    with mock.patch.object(readers, "_plain_utf8", return_value=None):
        decoded = read()
    fast = read()
    if isinstance(decoded, str):
        assert fast == decoded
    else:
        pd.testing.assert_frame_equal(fast, decoded)
    return fast


@pytest.mark.parametrize("path", CSV_FIXTURES, ids=lambda p: p.name)
def test_plain_utf8_read_as_bytes_is_the_frame_decoding_gives(path: Path) -> None:
    """Every hostile and CRM-shaped CSV reads to the same frame, or the same message,
    whether its bytes go to Arrow as they are or through decoding."""
    _read_alike(path.read_bytes(), path.name)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize(
    "tail",
    [
        "L9,Caf\xe9 M\xfcller,won\n".encode("cp1252"),  # a Windows export's accents, late
        b'L9,"unclosed,won\n',  # a malformed last row
        b"L9,   ,won\n\n\n",  # blanks and trailing empty lines
        b'L9,"two\r\nlines",won\r\n',  # a quoted line break from Windows
        b"L9,old\rMac,won\n",  # a lone carriage return
    ],
)
def test_what_the_first_megabyte_does_not_show_is_read_as_decoding_reads_it(tail, ending) -> None:
    """A file plain UTF-8 for its first megabyte and not after it (an accent in cp1252,
    a broken quote, a quoted Windows line break) is read, or refused, as when every file
    was decoded first, with Unix or Windows line ends."""
    rows = b"".join(b"L%d,Acme %d,lost%s" % (i, i, ending) for i in range(70_000))
    fast = _read_alike(b"id,company,outcome" + ending + rows + tail, "late.csv")
    if isinstance(fast, str):
        assert "late.csv" in fast
    else:
        assert fast["company"].iloc[-1] in tail.decode("cp1252").replace("\r\n", "\n")


SF_FOOTER = (
    b'\r\n"Grand Totals (2 records)"\r\n\r\n"Confidential Information - Do Not Distribute"\r\n'
    b'"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\r\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_a_salesforce_reports_footer_is_left_out_and_said(encoding: str) -> None:
    """A report exported as 'Details only' CSV ends with a blank line and one-cell lines
    (its total, confidentiality line and copyright): they are not leads. They are left
    out with a note naming them, in every encoding the export may come in, by both the
    Arrow path and the decoding one."""
    rows = (
        '"Lead ID","Company","Lead Status"\r\n"L1","Café Müller","Open"\r\n"L2","Acme","Closed"\r\n'
    )
    raw = (
        rows.encode(encoding)
        + SF_FOOTER.decode().encode(encoding)[2 if encoding == "utf-16" else 0 :]
    )
    notes: list[str] = []
    frame = readers.read_any(raw, "report.csv", notes=notes)
    assert frame["Lead ID"].tolist() == ["L1", "L2"]
    assert frame["Company"].tolist() == ["Café Müller", "Acme"]
    said = (
        "report.csv: left out the report's footer after the last row ('Grand Totals (2 "
        "records)', 'Confidential Information - Do Not Distribute', 'Copyright (c) "
        "2000-2025 salesforce.com, inc. All rights reserved.')"
    )
    assert notes == [said]
    _read_alike(raw, "report.csv")  # the same frame by either path


@pytest.mark.parametrize(
    ("text", "rows", "noted"),
    [
        ('a,b\n1,2\n\n"Total"\n', [["1", "2"]], True),  # the footer of a report
        ('a;b\n1;2\n\n"Total"\n', [["1", "2"]], True),  # with the file's own delimiter
        ('a,b\n\n"Confidential"\n', [], True),  # a report with no rows
        ("a,b\n1,2\n3,4\n\n\n", [["1", "2"], ["3", "4"]], False),  # blank lines only
        ("a,b\n1,2\n\n3,4\n", [["1", "2"], ["3", "4"]], False),  # a blank line amid rows
        ("a\n1\n\n2\n", [["1"], ["2"]], False),  # one column: one-cell lines are rows
    ],
)
def test_only_a_footer_after_a_blank_line_is_left_out(text: str, rows: list, noted: bool) -> None:
    notes: list[str] = []
    frame = readers.read_any(text.encode(), "x.csv", notes=notes)
    assert frame.to_numpy().tolist() == rows
    assert bool(notes) == noted


def test_a_one_cell_line_without_a_blank_line_before_it_is_still_refused() -> None:
    """Only the report's shape (a blank line, then one-cell lines to the end) is a footer:
    a short row among the rows is a malformed file, named as before."""
    with pytest.raises(DataError, match="Expected 2 columns, got 1"):
        readers.read_any(b'a,b\n1,2\n"Total"\n', "x.csv")


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_reports_title_above_its_header_is_left_out_and_said(encoding: str) -> None:
    """A report saved as CSV may open with its title and filters, one cell a line, above
    the table: the first line with two cells or more is the header, the lines above it
    are named in a note, and the footer after the rows goes too."""
    text = (
        '"Leads by source – Q3"\r\n"Filtered by: Created this quarter"\r\n\r\n'
        '"Lead ID";"Company";"Status"\r\n"L1";"Café Müller";"Won"\r\n"L2";"Acme";"Lost"\r\n'
        '\r\n"Total (2 records)"\r\n'
    )
    notes: list[str] = []
    frame = readers.read_any(text.encode(encoding), "report.csv", notes=notes)
    assert list(frame.columns) == ["Lead ID", "Company", "Status"]
    assert frame["Company"].tolist() == ["Café Müller", "Acme"]
    assert notes == [
        (
            "report.csv: left out the report's title above the header ('Leads by source – Q3', "
            "'Filtered by: Created this quarter')"
        ),
        "report.csv: left out the report's footer after the last row ('Total (2 records)')",
    ]


def test_a_workbook_with_a_title_above_a_table_from_column_b() -> None:
    """A report saved as a workbook: title and filter in column A above the table, the
    table itself from column B. The header row is found, the empty margin column goes,
    and the numbers keep their type."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["A2"] = "Opportunities by stage", "Filtered By: Close Date this FY"
    sheet.append([])
    sheet.append([None, "Opportunity ID", "Stage", "Amount"])
    sheet.append([None, "0061", "Closed Won", 5900])
    sheet.append([None, "0062", "Closed Lost", 300])
    raw = io.BytesIO()
    book.save(raw)
    notes: list[str] = []
    frame = readers.read_any(raw.getvalue(), "report.xlsx", notes=notes)
    assert list(frame.columns) == ["Opportunity ID", "Stage", "Amount"]
    assert frame["Amount"].tolist() == [5900, 300]
    assert frame["Opportunity ID"].tolist() == ["0061", "0062"]
    assert notes == [
        (
            "report.xlsx: left out the report's title above the header ('Opportunities by "
            "stage', 'Filtered By: Close Date this FY')"
        )
    ]


@pytest.mark.parametrize(
    "text",
    [
        "ids\n1\n2\n",  # one column: its one-cell lines are its header and rows
        "Lead ID,Company\nL1,Acme\n",  # a header on the first line, as almost always
    ],
)
def test_a_header_on_the_first_line_stays_the_header(text: str) -> None:
    notes: list[str] = []
    frame = readers.read_any(text.encode(), "x.csv", notes=notes)
    assert list(frame.columns) == text.split("\n")[0].split(",")
    assert notes == []
