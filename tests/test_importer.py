"""The importer: reading any export, guessing, every validation message, real exports."""

from __future__ import annotations

import csv
import io
import itertools
import os
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.analysis.replay import summary
from model.core.dataset import WON, AsOf, DataError
from model.core.hits import build_hits
from model.core.scoring import score
from model.ingest import catalog, importer, readers, starter
from model.ingest.catalog import load_dataset


def read(text: str, name: str = "x.csv", encoding: str = "utf-8") -> pd.DataFrame:
    return readers.read_any(text.encode(encoding), name)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_any_delimiter_and_common_encodings_are_detected(sep, encoding):
    rows = [["id", "city", "amount"], ["7", "Zürich", "1.5"], ["8", "Köln", "2"]]
    text = "\n".join(sep.join(r) for r in rows) + "\n"
    frame = read(text, encoding=encoding)
    assert list(frame.columns) == ["id", "city", "amount"]
    assert frame.to_numpy().tolist() == rows[1:]


def test_excel_and_parquet_keep_their_columns(tmp_path):
    frame = pd.DataFrame({"lead id": ["1", "2"], "won?": ["yes", "no"]})
    frame.to_excel(tmp_path / "x.xlsx", index=False)
    frame.to_parquet(tmp_path / "x.parquet")
    for name in ("x.xlsx", "x.parquet"):
        got = readers.read_any(tmp_path / name, name)
        assert list(got.columns) == ["lead id", "won?"]
        assert got["won?"].tolist() == ["yes", "no"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "e.csv", "the file is empty"),
        (b"\x00\x01\x02binary", "b.csv", "binary file"),
        (b"PK\x03\x04 not a workbook", "w.xlsx", "w.xlsx: not an Excel workbook"),
        (b"a,b\n1,2,3,4\n", "q.csv", "not a well-formed comma-separated file"),
    ],
)
def test_unreadable_files_get_one_clear_message(data, name, message):
    with pytest.raises(DataError, match=message):
        readers.read_any(data, name)


def test_duplicate_and_blank_column_names_are_made_unique():
    frame = read("id,,id\n1,2,3\n")
    assert list(frame.columns) == ["id", "column 2", "id (2)"]


CRM = pd.DataFrame({
    "Lead ID": ["1", "2", "3", "3", ""],
    "Created": ["2026-01-01", "someday", "2026-01-03", "2026-01-04", "2026-01-05"],
    "Status": ["Won", "Lost", "Maybe", "won", "lost"],
    "Amount": ["$1,200", "300", "lots", "", "5"],
    "Region": ["EU", "EU", "EU", "EU", "EU"],
    "Notes": ["Select", "", "-", "", ""],
})  # fmt: skip


def test_guesses_roles_and_outcome_values_from_names():
    mapping = importer.guess_mapping(CRM)
    assert mapping.roles["lead_id"] is None  # its values repeat: only a proposal, noted
    assert (
        "'Lead ID' looked like the lead id by its name, but its values repeat" in mapping.notes[0]
    )
    mapping = importer.guess_mapping(CRM, mapped={"lead_id": "Lead ID"})
    assert mapping.roles["lead_id"] == "Lead ID"
    assert mapping.how["lead_id"] == "mapped"
    assert mapping.how["outcome"] == "name"
    assert mapping.roles["created_at"] is None  # 1 of 5 is not a date: kept as an attribute
    assert any("'Created' looked like the created date by its name" in n for n in mapping.notes)
    assert mapping.roles["outcome"] == "Status"
    assert mapping.roles["value"] is None  # 'lots' among 4 amounts
    assert any(
        "'Amount' looked like the deal value by its name, but holds" in n for n in mapping.notes
    )
    assert (mapping.won, mapping.lost) == (["won"], ["lost"])


def test_every_validation_message_names_the_column_and_rows():
    mapping = importer.guess_mapping(
        CRM, mapped={"lead_id": "Lead ID", "created_at": "Created", "value": "Amount"}
    )
    report = importer.validate(CRM, mapping, leads_name="crm.csv")
    text = report.text()
    assert "error: crm.csv, column 'Lead ID': 1 row has no lead id, at rows 6" in text
    assert "1 duplicate lead ids, e.g. '3' at rows 4, 5" in text
    assert "column 'Created': 1 value is not a date, e.g. 'someday' at rows 3" in text
    assert "column 'Amount': 1 value is not a number, e.g. 'lots' at rows 4" in text
    assert "outcome values that are neither won nor lost: 'Maybe' (rows 4)" in text
    assert "column 'Region': the same value ('EU') in every row" in text
    assert "column 'Notes': 2 placeholder values ('Select', '-')" in text
    assert not report.ok
    assert {i.level for i in report.issues} == {"error", "warning"}


def test_exact_copies_are_reported_whenever_lead_ids_do_not_rule_them_out():
    """Distinct lead ids prove no row copies another (the check is skipped); a repeated or
    blank id does not, and the copies are named as well as the ids."""
    frame = pd.DataFrame(
        {"id": ["1", "2", "2", " ", " "], "y": ["won", "lost", "lost", "won", "won"]}
    )
    mapping = importer.Mapping(roles={"lead_id": "id", "outcome": "y"}, won=["won"])
    text = importer.validate(frame, mapping).text()
    assert "1 duplicate lead ids, e.g. '2' at rows 3, 4" in text
    assert "2 rows are exact copies of an earlier row (rows 4, 6)" in text
    distinct = frame.assign(id=["1", "2", "3", "4", "5"])
    assert "exact copies" not in importer.validate(distinct, mapping).text()
    no_ids = importer.Mapping(roles={"outcome": "y"}, won=["won"])
    assert (
        "3 rows are exact copies" in importer.validate(distinct.drop(columns="id"), no_ids).text()
    )


@given(
    st.lists(st.text(st.characters(codec="utf-8"), min_size=1, max_size=4), max_size=30),
    st.sampled_from(["as drawn", "sorted", "reversed"]),
)
def test_ids_are_called_distinct_exactly_when_none_repeats(ids, order):
    """Sorted exports are proved distinct by their order, others by a hash: either way the
    answer is whether some trimmed id repeats (a repeat next to itself is not in order)."""
    ids = {"sorted": sorted(ids), "reversed": sorted(ids, reverse=True)}.get(order, ids)
    frame = pd.DataFrame({"id": pd.Series(ids, dtype="string"), "y": "won"})
    mapping = importer.Mapping(roles={"lead_id": "id", "outcome": "y"}, won=["won"])
    trimmed = [i.strip() for i in ids]
    repeats = "duplicate lead ids" in importer.validate(frame, mapping).text()
    assert repeats == (len({t for t in trimmed if t}) < len([t for t in trimmed if t]))


def test_missing_roles_and_events_problems():
    mapping = importer.Mapping(roles={"lead_id": "Lead ID"})
    assert "no column is mapped as 'outcome'" in importer.validate(CRM, mapping).text()
    leads = pd.DataFrame({"id": ["a", "b"], "y": ["yes", "no"]})
    events = pd.DataFrame(
        {
            "who": ["a", "zz", "b", "a", "b"],
            "at": ["2026-01-01", "x", "2026-01-02", " ", "n/a"],
            "what": ["visit", "click", "", "visit", "visit"],
        }
    )
    mapping = importer.Mapping(
        roles={"lead_id": "id", "outcome": "y"},
        won=["yes"],
        lost=["no"],
        events={"lead_id": "who", "occurred_at": "at", "event_type": "what"},
    )
    text = importer.validate(leads, mapping, events, events_name="log.csv").text()
    assert "error: log.csv, column 'at': 1 value is not a date, e.g. 'x' at rows 3" in text
    assert "error: log.csv, column 'what': 1 event has no type, at rows 4" in text
    assert "error: log.csv, column 'at': 2 events have no date, at rows 5, 6" in text
    assert "warning: log.csv, column 'who': 1 event is for leads not in the leads file" in text


def test_applied_mapping_speaks_the_app_vocabulary(tmp_path):
    leads = pd.DataFrame(
        {
            "id": [" 007", "008", "009"],
            "when": ["2026-01-01"] * 3,
            "y": ["Yes", "no", "later"],
            "visits": ["3", "N/A", "12"],
            "vip": ["true", "false", ""],
            "plan": ["Pro", "Select", "Free"],
        }
    )
    mapping = importer.Mapping(
        roles={"lead_id": "id", "created_at": "when", "outcome": "y"}, won=["yes"], lost=["no"]
    )
    mapped = importer.apply_mapping(leads, mapping)
    assert mapped["lead_id"].tolist() == ["007", "008", "009"]
    assert mapped["outcome"].tolist() == ["won", "lost", "open"]
    assert mapped["visits"].tolist()[0] == 3
    assert pd.isna(mapped["visits"][1])
    assert mapped["vip"].dtype == "boolean"
    assert pd.isna(mapped["plan"][1])
    folder = catalog.save_dataset(mapped, None, name="My CRM", mapping=mapping, folder=tmp_path)
    again = catalog.save_dataset(mapped, None, name="My CRM", mapping=mapping, folder=tmp_path)
    assert folder != again  # nothing overwritten
    assert catalog.saved_datasets(tmp_path) == {"My CRM": folder, "My CRM (my-crm-2)": again}
    data = load_dataset(folder)
    assert data.n_leads == 3
    assert list(data.outcome) == [0, 1, 2]


def test_starter_model_has_zero_points_per_level_and_range(demo_data):
    model = starter.starter_model(demo_data.leads)
    ids = [c.id for c in model.criteria]
    assert all(c.points == 0 for c in model.criteria)
    assert "industry_software" in ids
    assert sum(i.startswith("employees_") for i in ids) == 4
    assert not any(i.startswith("lead_id") for i in ids)  # ids are not criteria
    assert len(ids) == len(set(ids))


def test_starter_counts_each_common_event_type_capped_where_most_leads_stop():
    """Lead 'a' calls 9 times; nine in ten of the leads with calls have 1 or 2, so the cap
    is 2. A type under 1 % of the events is no criterion. The text and the coded events
    (a prepared dataset's) give the same criteria."""
    rows = [("a", "Call")] * 9 + [(f"l{i}", "Call") for i in range(20)]
    rows += [(f"l{i}", "Call") for i in range(5)] + [(f"l{i}", "Email") for i in range(80)]
    rows += [("a", "Fax")]
    events = pd.DataFrame(rows, columns=["lead_id", "event_type"])
    criteria = starter.event_criteria(events)
    assert [(c["label"], c["rule"]["max_count"]) for c in criteria] == [
        ("Email (count, up to 1)", 1),
        ("Call (count, up to 2)", 2),
    ]
    coded = events.assign(
        lead_id=pd.factorize(events["lead_id"])[0],
        event_type=events["event_type"].astype("category"),
    )
    assert starter.event_criteria(coded) == criteria
    leads = pd.DataFrame({"lead_id": ["a", "l1"], "industry": ["x", "y"]})
    model = starter.starter_model(leads, events=events)
    assert {c.rule.events[0] for c in model.criteria if c.on_events} == {"Email", "Call"}


def test_starter_ranges_are_cut_at_the_datas_precision(demo_data):
    """Ranges of whole numbers have whole bounds that meet without a gap or an overlap
    ('200 to 499', '500 to 999'), never 31.9999999; one-decimal values get one decimal."""
    model = starter.starter_model(demo_data.leads)
    ranges = [c.rule for c in model.criteria if c.id.startswith("employees_")]
    for rule in ranges:
        assert float(rule.low).is_integer()
        assert float(rule.high).is_integer()
    for before, after in itertools.pairwise(ranges):
        assert after.low == before.high + 1
    rating = pd.DataFrame(
        {"lead_id": list("abcdefgh"), "rating": [1.5, 2.3, 2.8, 3.1, 3.3, 4.0, 4.4, 4.9]}
    )
    rules = [c.rule for c in starter.starter_model(rating).criteria if c.id.startswith("rating_")]
    assert all(round(r.low, 1) == r.low and round(r.high, 1) == r.high for r in rules)
    assert [r.low for r in rules[1:]] == [round(r.high + 0.1, 1) for r in rules[:-1]]


def test_starter_model_reads_dates_known_at_creation_as_days_since(tmp_path):
    """A HubSpot contacts export with its 'First Conversion Date' (before the contact came
    in) and 'Became a Customer Date' (after: the outcome): the first becomes "days since"
    ranges that score, the second none."""
    path = Path(__file__).parent / "data" / "exports" / "hubspot_contacts.csv"
    leads = readers.read_any(path, path.name)
    created = pd.to_datetime(leads["Create Date"])
    rng = np.random.default_rng(3)
    leads["First Conversion Date"] = (
        created - pd.to_timedelta(rng.integers(0, 120, len(leads)), unit="D")
    ).dt.strftime("%Y-%m-%d %H:%M")
    mapping = importer.guess_mapping(leads)
    built = importer.build(leads, mapping)
    model = starter.starter_model(built.leads)
    dated = [c for c in model.criteria if c.rule.op == "days_since"]
    assert {c.rule.attribute for c in dated} == {"First Conversion Date"}
    assert dated[0].rule.low is None
    assert dated[-1].rule.high is None
    assert all(float(c.rule.high).is_integer() for c in dated[:-1])  # whole days people read
    assert "days before" in dated[0].label
    catalog.write_folder(built.leads, built.events, tmp_path / "hs", name="hs", mapping=mapping,
                         facts=built.meta())  # fmt: skip
    data = load_dataset(tmp_path / "hs")
    hits = build_hits(data, model, AsOf())
    fired = [int(hits.fired(model.criteria.index(c)).sum()) for c in dated]
    assert sum(fired) == data.n_leads  # the ranges cover every lead, once
    assert min(fired) > 0


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_random_bytes_give_a_report_or_a_clear_error(blob):
    """Nothing escapes to the page: either DataError, or a frame that validates."""
    for name in ("f.csv", "f.xlsx", "f.parquet"):
        try:
            frame = readers.read_any(blob, name)
        except DataError as exc:
            message = str(exc)
        else:
            message = None
        if message is not None:
            assert message.startswith(name)
            continue
        mapping = importer.guess_mapping(frame)
        report = importer.validate(frame, mapping)
        if report.ok:
            importer.apply_mapping(frame, mapping)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(max_size=6), min_size=1, max_size=5), min_size=1, max_size=12))
def test_random_shapes_give_a_report_or_a_clear_error(rows):
    text = "\n".join(",".join(r) for r in rows)
    try:
        frame = readers.read_any(text.encode(), "shape.csv")
    except DataError:
        return
    for role_pick in (0, 1):
        columns = list(frame.columns)
        mapping = importer.Mapping(
            roles={"lead_id": columns[0], "outcome": columns[-1] if role_pick else None}, won=["a"]
        )
        report = importer.validate(frame, mapping)
        if report.ok:
            importer.apply_mapping(frame, mapping)


# ------------------------------------------------------------------ real exports


def test_bank_marketing_imports_through_the_same_path(shared_data: Path):
    path = shared_data / "bank-marketing" / "bank-additional-full.csv"
    frame = readers.read_any(path, path.name)
    assert frame.shape == (41_188, 21)
    assert "emp.var.rate" in frame.columns
    mapping = importer.guess_mapping(frame)
    assert mapping.roles["outcome"] == "y"
    mapping.missing.append("unknown")
    report = importer.validate(frame, mapping, leads_name=path.name)
    assert report.ok
    text = report.text()
    assert "12 rows are exact copies" in text
    assert "no created date" in text
    leads = importer.apply_mapping(frame, mapping)
    assert (leads["outcome"] == "won").sum() == 4_640
    assert leads["job"].isna().sum() == 330  # 'unknown' is missing
    data = load_dataset(
        catalog.write_folder(leads, None, shared_tmp(), name="bank", mapping=mapping)
    )
    model = starter.starter_model(data.leads)
    scores = score(build_hits(data, model, AsOf("created_plus_days", days=0.0)), model)
    assert summary(scores.score, data.outcome)["auc"] == pytest.approx(0.5)
    assert (data.outcome == WON).mean() == pytest.approx(0.1127, abs=1e-4)


def test_olist_funnel_imports_through_the_same_path(shared_data: Path, tmp_path):
    folder = shared_data / "olist-funnel"
    mql = readers.read_any(folder / "olist_marketing_qualified_leads_dataset.csv", "mql.csv")
    deals = readers.read_any(folder / "olist_closed_deals_dataset.csv", "deals.csv")
    assert (len(mql), len(deals)) == (8_000, 842)
    joined = mql.merge(deals, on="mql_id", how="left")  # as a user does it in a sheet
    joined["won"] = np.where(joined["seller_id"].notna(), "won", "lost")
    mapping = importer.guess_mapping(joined)
    assert mapping.roles["lead_id"] == "mql_id"
    assert mapping.roles["created_at"] == "first_contact_date"
    assert mapping.roles["source"] == "origin"
    assert mapping.roles["closed_at"] == "won_date"
    mapping.roles["outcome"] = "won"
    mapping.won, mapping.lost = ["won"], ["lost"]
    report = importer.validate(joined, mapping)
    assert report.ok, report.text()
    leads = importer.apply_mapping(joined, mapping)
    data = load_dataset(
        catalog.write_folder(leads, None, tmp_path / "olist", name="olist", mapping=mapping)
    )
    assert data.n_leads == 8_000
    assert (data.outcome == WON).sum() == 842
    assert leads["source"].isna().sum() == 60  # blank origins are missing, 'unknown' kept
    assert (leads["source"] == "unknown").sum() == 1_099


def shared_tmp() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="bank-"))


def test_mostly_missing_columns_and_events_without_a_mapping_are_reported():
    leads = pd.DataFrame(
        {"id": [str(i) for i in range(40)], "y": ["yes", "no"] * 20, "budget": [""] * 39 + ["123"]}
    )
    mapping = importer.Mapping(roles={"lead_id": "id", "outcome": "y"}, won=["yes"], lost=["no"])
    events = pd.DataFrame({"id": ["1"], "t": ["2026-01-01"]})
    text = importer.validate(leads, mapping, events, events_name="log.csv").text()
    assert "column 'budget': 98% missing: little to score on" in text
    assert "error: log.csv: no column is mapped as 'event_type'" in text


def test_an_all_properties_export_gets_one_warning_for_its_empty_columns():
    """HubSpot's export of every property has hundreds of blank columns: one warning names
    the first five and counts the rest, where a warning each buried the ones that matter.
    Up to three are still named one by one."""
    leads = pd.DataFrame({"id": [str(i) for i in range(40)], "y": ["yes", "no"] * 20})
    for k in range(7):
        leads[f"Custom property {k}"] = ""
    leads["Pipeline"] = "Sales"
    mapping = importer.Mapping(roles={"lead_id": "id", "outcome": "y"}, won=["yes"], lost=["no"])
    text = importer.validate(leads, mapping, leads_name="all.csv").text()
    assert (
        "warning: all.csv: 7 columns are 95% missing or more, little to score on: "
        "'Custom property 0', 'Custom property 1', 'Custom property 2', 'Custom property 3', "
        "'Custom property 4' and 2 more"
    ) in text
    assert text.count("little to score on") == 1
    assert "column 'Pipeline': the same value ('Sales') in every row" in text


def test_roles_are_guessed_from_contents_when_names_say_nothing():
    frame = pd.DataFrame(
        {
            "ref": ["x1", "x2", "x3"],
            "when": ["2026-01-01", "2026-02-03", ""],
            "result_code": ["Yes", "no", "No"],
            "notes": ["a", "b", "a"],
        }
    )
    mapping = importer.guess_mapping(frame)
    assert mapping.roles["lead_id"] == "ref"
    assert mapping.roles["created_at"] == "when"
    assert mapping.roles["outcome"] == "result_code"
    assert (mapping.won, mapping.lost) == (["yes"], ["no"])


def test_a_report_with_a_row_per_activity_is_told_why_its_ids_are_no_lead_ids():
    """A lead report joined to its activities repeats each lead's row: the note counts the
    ids on more than one row and names one, and a mostly blank id column says so."""
    frame = pd.DataFrame(
        {
            "Lead ID": ["L1", "L1", "L2", "L3", "L3", "L3"],
            "Lead Status": ["Closed - Converted"] * 2 + ["Closed - Not Converted"] + ["Open"] * 3,
        }
    )
    mapping = importer.guess_mapping(frame)
    assert mapping.roles["lead_id"] is None
    assert (
        "'Lead ID' looked like the lead id by its name, but its values repeat (2 ids are on "
        "more than one row, e.g. 'L1': a report with a row per activity or per deal counts "
        "such a lead once per row): kept as an attribute"
    ) in mapping.notes
    frame["Lead ID"] = ["L1", "", "", "", "L5", "L6"]
    assert "'Lead ID' looked like the lead id by its name, but 50% of its rows are blank" in (
        " ".join(importer.guess_mapping(frame).notes)
    )


def test_a_yes_no_outcome_gives_way_to_a_column_that_tells_open_from_lost():
    """'Converted' false is an open lead as much as a lost one; the status says which. A
    yes / no / unknown column ('housing' in the bank set) tells nothing of the kind."""
    frame = pd.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4"],
            "Converted": ["true", "false", "false", "false"],
            "Lead Status": ["Closed - Converted", "Closed - Not Converted", "Working", "New"],
        }
    )
    mapping = importer.guess_mapping(frame)
    assert mapping.roles["outcome"] == "Lead Status"
    assert (mapping.won, mapping.lost) == (["closed - converted"], ["closed - not converted"])
    assert "'Converted' holds only yes / no" in mapping.notes[0]
    frame["Lead Status"] = ["yes", "no", "unknown", "no"]
    assert importer.guess_mapping(frame).roles["outcome"] == "Converted"


@pytest.mark.parametrize(
    ("values", "won", "lost"),
    [
        (["Closed Won", "Closed-Lost to Competition", "Qualification"], ["closed won"],
         ["closed-lost to competition"]),
        (["Closed Won (renewal)", "Closed Lost - No Budget"], ["closed won (renewal)"],
         ["closed lost - no budget"]),
        (["Gewonnen", "Verloren", "Offen"], ["gewonnen"], ["verloren"]),
        (["Gagné", "Perdu"], ["gagné"], ["perdu"]),
        (["Closed - Not Converted", "Closed - Converted"], ["closed - converted"],
         ["closed - not converted"]),
        (["Closed", "Disclosed won"], [], []),  # no word says how it ended
    ],
)  # fmt: skip
def test_outcome_words_read_stages_named_with_their_reason_and_other_languages(values, won, lost):
    assert importer.outcome_words(pd.Series(values)) == (won, lost)


def test_a_missing_outcome_names_the_columns_that_could_hold_it():
    frame = pd.DataFrame(
        {
            "Datensatz-ID": [f"7000{i}" for i in range(8)],
            "Lebenszyklusphase": ["Kunde", "Lead", "Abonnent", "Lead"] * 2,
            "Jahresumsatz": ["1.250.000,00", "80,5", "", "7"] * 2,
        }
    )
    text = importer.validate(frame, importer.guess_mapping(frame)).text()
    assert (
        "no column is mapped as 'outcome': no column holds the usual won and lost words. Map "
        "the one that says how a lead ended, and which of its values mean won; columns of a "
        "few values: 'Lebenszyklusphase' ('Kunde'/'Lead'/'Abonnent')"
    ) in text
    assert "Jahresumsatz" not in text  # numbers are no outcome


# ------------------------------------------------------------------ one validator

WORDS = st.sampled_from(["won", "Closed Won", "lost", "closed lost", "open", "", "maybe", "Select"])
DATES = st.sampled_from(
    [
        "2025-01-03",
        "2025-02-17 10:00",
        "03/04/2025",
        "",
        "N/A",
        "soon",
        "2025-03-01T09:00:00Z",
        "0000-01-01",
    ]
)
TEXT = st.sampled_from(["Software", "Retail", "", "Select", "-None-", "Zürich"])


@st.composite
def exports(draw) -> str:
    """A small CSV export: ids (maybe repeated or blank), dates, outcome words, values and
    attributes with blanks and placeholders, the columns in any order."""
    n = draw(st.integers(1, 40))
    rows = [
        [draw(st.sampled_from([f"L{i}", f"L{i}", "", "L0"])) for i in range(n)],
        draw(st.lists(DATES, min_size=n, max_size=n)),
        draw(st.lists(WORDS, min_size=n, max_size=n)),
        draw(
            st.lists(st.sampled_from(["1,200", "300", "", "lots", "inf"]), min_size=n, max_size=n)
        ),
        draw(st.lists(TEXT, min_size=n, max_size=n)),
        draw(st.lists(st.sampled_from(["3", "0", "", "12"]), min_size=n, max_size=n)),
    ]
    names = ["Lead ID", "Create Date", "Lead Status", "Amount", "Industry", "Page Views"]
    order = draw(st.permutations(range(len(names))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([names[k] for k in order])
    writer.writerows([rows[k][i] for k in order] for i in range(n))
    return out.getvalue()


@settings(max_examples=int(os.environ.get("LEADSCORE_EXAMPLES", "40")), deadline=None)
@given(exports(), st.sampled_from(["fallback", "leave_out"]))
def test_whatever_the_import_accepts_every_command_runs_on(tmp_path_factory, text, policy):
    """The property of one validator: a file the import accepts loads, gets a starter model,
    scores, replays, calibrates and suggests, or says in words why it cannot (too few
    closed leads), never a traceback."""
    from model.analysis import calibration, replay, suggest

    frame = readers.read_any(text.encode(), "export.csv")
    mapping = importer.guess_mapping(frame)
    mapping.created_policy = policy
    report = importer.validate(frame, mapping, leads_name="export.csv")
    if not report.ok:
        return
    built = importer.build(frame, mapping)
    folder = catalog.write_folder(
        built.leads,
        None,
        tmp_path_factory.mktemp("ds"),
        name="x",
        mapping=mapping,
        facts=built.meta(),
    )
    data = load_dataset(folder)
    assert data.n_leads == len(built.leads)
    model = starter.starter_model(data.leads)
    as_of = AsOf("created_plus_days", days=0.0 if not data.has_dates else 14.0)
    hits = build_hits(data, model, as_of)
    scores = score(hits, model)
    assert np.isfinite(scores.score).all()
    replay.report(data, hits, model)
    enough = min((data.outcome == 0).sum(), (data.outcome == 1).sum()) >= 5
    for run in (
        lambda: calibration.calibrate(data, scores),
        lambda: suggest.suggest(data, hits, model),
    ):
        if enough:
            run()
        else:  # too few closed leads: said in words
            with pytest.raises(ValueError, match=r"need at least 5 won and 5 lost|won and"):
                run()


def test_digits_with_leading_zeros_stay_codes_as_written():
    """An Account ID 001000005 or a ZIP code 02134 is a code: read as a number it would
    lose its zeros (and two ids could become one); plain counts stay numbers."""
    from model.ingest.importer import typed

    ids = typed(pd.Series(["001000005", "001000017", None, " 001000005"]))
    assert ids.tolist()[:2] == ["001000005", "001000017"]
    assert ids.iloc[3] == "001000005"
    assert pd.api.types.is_string_dtype(ids)
    assert typed(pd.Series(["0", "10", "200"])).dtype == "Int64"  # a lone 0 is a number
    assert typed(pd.Series(["0.5", "02.5"])).dtype == "float64"  # decimals are quantities


def test_a_salesforce_account_id_keeps_its_zeros_through_the_import(tmp_path, capsys):
    from model.cli import main
    from model.ingest.catalog import load_dataset

    exports = Path(__file__).parent / "data" / "exports"
    argv = ["import", "--leads", str(exports / "opportunities.csv"), "--accounts",
            str(exports / "accounts.csv"), "--on", "Account ID", "--out", str(tmp_path / "d")]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    ids = load_dataset(tmp_path / "d").leads["Account ID"]
    assert ids.str.fullmatch(r"001\d{6}").all()
    assert ids.nunique() == 120


EXPORTS = Path(__file__).parent / "data" / "exports"


@pytest.mark.parametrize(
    "name",
    [
        "hubspot_contacts.csv",
        "salesforce_leads.csv",
        "salesforce_opportunities.csv",
        "pipedrive_deals.csv",
        "zoho_leads_unicode.txt",
        "dynamics_leads.xlsx",
        "marketo_leads.csv",
        "opportunities.csv",
    ],
)
def test_the_report_and_the_build_read_each_column_once_and_agree_with_fresh_reads(name):
    """The import's report and build share one Cells: each column of a CRM export is
    trimmed once across both, and what they give is what each gives reading afresh."""
    frame = readers.read_any(EXPORTS / name, name)
    mapping = importer.guess_mapping(frame)
    if not mapping.won:  # Zoho's export names no outcome the guess can be sure of
        mapping.roles["outcome"], mapping.won = "Lead Status", ["pre-qualified"]
    trims: list[str] = []
    trimmed = importer._trimmed

    def counted(s):
        trims.append(s.name)
        return trimmed(s)

    cells = importer.Cells(frame, importer.missing_words(mapping))
    with mock.patch.object(importer, "_trimmed", counted):
        report = importer.validate(frame, mapping, cells=cells)
        built = importer.build(frame, mapping, cells=cells)
    assert sorted(trims) == sorted(set(trims))
    assert report.text() == importer.validate(frame, mapping).text()
    pd.testing.assert_frame_equal(built.leads, importer.build(frame, mapping).leads)


def test_a_workbook_whose_date_cells_lost_their_format_keeps_its_dates(tmp_path):
    """'Create Date' written as Excel's serial numbers: taken as the created date by its
    name, read as dates; an amount column of such numbers is never guessed as a date."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Lead ID", "Create Date", "Lead Status", "Annual Revenue"])
    for i in range(30):
        sheet.append([f"L{i}", 45_600 + i, ("Closed Won", "Closed Lost")[i % 2], 40_000 + i])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    frame = readers.read_any(path, path.name)
    mapping = importer.guess_mapping(frame)
    assert mapping.roles["created_at"] == "Create Date"
    assert importer.validate(frame, mapping).ok
    built = importer.build(frame, mapping)
    assert built.leads["created_at"].iloc[0] == pd.Timestamp("2024-11-04")
    assert mapping.roles["closed_at"] is None  # 'Annual Revenue' is no date
