"""Spreadsheet formulas in exports: every text cell that would start one is made inert."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.cli import main
from model.core.cells import DATE_LIKE, TRIGGERS, inert, inert_frame, to_dates, to_numbers
from model.core.spec import default_model, parse_model
from model.store.columns import versioned_columns, workbook
from model.store.revisions import RevisionStore

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1",
    "＝1+1",
]


def test_owasp_triggers_get_an_apostrophe_and_numbers_stay_numbers():
    assert [inert(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [inert(v) for v in ("-5", "+6", "3.5", "Software", "a=b")] == [
        "-5",
        "+6",
        "3.5",
        "Software",
        "a=b",
    ]
    frame = inert_frame(pd.DataFrame({"=x": ["=1", "ok"], "n": [-1, 2]}))
    assert list(frame.columns) == ["'=x", "n"]
    assert frame["n"].tolist() == [-1, 2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12) | st.integers() | st.floats(allow_nan=False), min_size=1))
def test_no_exported_text_cell_starts_a_formula(values):
    frame = inert_frame(pd.DataFrame({"cell": pd.Series(values, dtype=object)}))
    for cell in frame["cell"]:
        if isinstance(cell, str) and cell.startswith(TRIGGERS):
            float(cell)  # only a plain number may still start with + or -


def _hostile_model():
    data = default_model().to_dict()
    data["criteria"][0]["label"] = HOSTILE[0]
    data["criteria"][1]["rule"] = {"attribute": "industry", "op": "equals", "value": HOSTILE[1]}
    data["bands"][0]["name"] = "@SUM(1)"
    return parse_model(data)


def test_the_revisions_workbook_and_csv_hold_no_live_formula(tmp_path: Path):
    store = RevisionStore(f"sqlite:///{tmp_path / 'r.db'}")
    store.save(_hostile_model(), author="=cmd()", note="-1+1 said sales", parent=None)
    columns = versioned_columns(store.revisions(store.model_names()[0]))
    book = openpyxl.load_workbook(io.BytesIO(workbook(columns)))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    text = [c.value for c in cells if isinstance(c.value, str)]
    assert "'=cmd()" in text
    assert "'-1+1 said sales" in text
    out = tmp_path / "cols.csv"
    assert (
        main(["revisions", "--db", f"sqlite:///{tmp_path / 'r.db'}", "export", "--csv", str(out)])
        == 0
    )
    assert not [
        v
        for v in pd.read_csv(out, dtype=str).to_numpy().ravel()
        if str(v).startswith(TRIGGERS) and not v.lstrip("+-").replace(".", "", 1).isdigit()
    ]


def test_scored_csv_from_both_engines_neutralises_lead_ids_and_band_names(tmp_path: Path):
    leads = tmp_path / "leads.csv"
    leads.write_text(
        'lead_id,created_at,industry\n"=HYPERLINK(""x"")",2025-01-01,Software\n'
        "@SUM(1),2025-01-02,Retail\n"
    )
    model = tmp_path / "m.json"
    model.write_text(
        parse_model(
            {
                "criteria": [
                    {
                        "id": "sw",
                        "label": "=1",
                        "group": "fit",
                        "points": 80,
                        "rule": {"attribute": "industry", "op": "equals", "value": "Software"},
                    }
                ],
                "bands": [
                    {"name": "@SUM(1)", "min_score": 50, "sales_ready": True},
                    {"name": "C", "min_score": 0},
                ],
            }
        ).to_json()
    )
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        assert (
            main(
                [
                    "score",
                    "--model",
                    str(model),
                    "--leads",
                    str(leads),
                    "--engine",
                    engine,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        cells = pd.read_csv(out, dtype=str).to_numpy().ravel().tolist()
        assert '\'=HYPERLINK("x")' in cells, engine
        assert "'@SUM(1)" in cells, engine
        assert not [
            v for v in cells if v.startswith(TRIGGERS) and not v[1:].replace(".", "").isdigit()
        ]


NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.from_regex(r"[ \t]?[-+]?\d{0,25}\.?\d{0,25}([eE][-+]?\d{1,3})?[ \t\xa0]?", fullmatch=True),
    st.sampled_from(["", " ", "1,200", "$300", "1.234,56", "12,5", "1 200", "inf", "n/a", "٣"]),
    st.none(),
)


@given(st.lists(NUMBER_TEXT, min_size=1, max_size=30))
@settings(max_examples=400, deadline=None)
def test_plain_numbers_read_by_arrow_equal_the_general_reading(values) -> None:
    """to_numbers reads a column of plain numbers with Arrow in one pass; whatever the
    column holds, the figures are those of the general reading (currency, grouping and
    decimal commas included): the same, but for the last bit of an integer past 2**64,
    which Arrow rounds correctly and pandas does not."""
    from model.core import cells

    column = pd.Series(values, dtype=object)
    fast = cells.to_numbers(column).to_numpy()
    general = cells._numbers_in_text(column).to_numpy()
    assert np.isclose(fast, general, rtol=1e-15, atol=0, equal_nan=True).all()


PLAIN_TEXT = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(
        r"[ \t]?[-+]?([0-9]{1,25}\.?[0-9]{0,25}|\.[0-9]{1,25})([eE][-+]?[0-9]{1,3})?[ \t]?",
        fullmatch=True,
    ),
    st.just(""),
    st.none(),
)


@given(
    st.lists(
        st.one_of(st.text("0123456789+-.eE", max_size=6), st.sampled_from(["", " 1", "inf"])),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=600, deadline=None)
def test_a_column_is_read_as_plain_numbers_exactly_when_every_value_is_one(values) -> None:
    """Text of digits, signs, dots and e's is cast by Arrow without the pattern; the column
    is taken exactly when every value is a plain number by the pattern ('1.2.3', '1e',
    '+-1', '.', 'e5' are not), and reads as Python's float reads each. The values come
    after a thousand plain ones, which the pattern's first look passes."""
    import re

    from model.core import cells

    number = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
    trimmed = [v.strip() for v in values]
    plain = all(number.fullmatch(v) or v == "" for v in trimmed)
    got = cells.plain_numbers(pd.Series(["1"] * 1000 + values, dtype=object))
    assert (got is not None) == plain
    if plain:
        want = [float(v) if v else np.nan for v in trimmed]
        want = [x if abs(x) != np.inf else np.nan for x in want]
        np.testing.assert_array_equal(got.to_numpy()[1000:], np.array(want, dtype=float))


@given(st.lists(PLAIN_TEXT, min_size=1, max_size=30))
@settings(max_examples=400, deadline=None)
def test_a_column_of_plain_numbers_takes_the_arrow_pass_correctly_rounded(values) -> None:
    from model.core import cells

    column = pd.Series(values, dtype=object)
    fast = cells.plain_numbers(column)
    assert fast is not None
    exact = [float(v) if v and v.strip() else float("nan") for v in values]  # correctly rounded
    exact = [x if abs(x) != float("inf") else float("nan") for x in exact]
    np.testing.assert_array_equal(fast.to_numpy(), np.array(exact))
    general = cells._numbers_in_text(column).to_numpy()
    # pandas reads an integer past 2**64 through another route, an ulp off at times
    close = np.isclose(fast.to_numpy(), general, rtol=1e-15, equal_nan=True)
    assert close.all()


@pytest.mark.parametrize(
    ("written", "amounts"),
    [
        (["USD 5,900.00", "USD 12,000.50"], [5900.0, 12000.5]),  # a currency code before
        (["5.900,00 EUR", "12.000,50 EUR"], [5900.0, 12000.5]),  # after, decimal commas
        (["CHF 1’234.50", "CHF 1'900.00"], [1234.5, 1900.0]),  # Swiss apostrophes
        (["$ 1,200", "£300 "], [1200.0, 300.0]),  # signs, as before
        (["ABC 123", "SKU 5"], [np.nan, np.nan]),  # three letters that are no currency
    ],
)
def test_amounts_with_currency_codes_read_as_amounts(written, amounts) -> None:
    """Amounts as CRMs write them beside a currency code ("USD 5,900.00") or with Swiss
    apostrophes read as the amounts; other letters still make a value no number."""
    got = to_numbers(pd.Series(written, dtype="string")).tolist()
    assert got == pytest.approx(amounts, nan_ok=True)


def test_a_deal_value_in_several_currencies_is_warned_about(tmp_path: Path, capsys) -> None:
    """Amounts in two currencies would be added up as one in every revenue figure: the
    import reads them and says so, naming the currencies, most common first."""
    rows = ["id,created,status,amount"]
    for i in range(60):
        currency = "USD" if i % 3 else "EUR"
        status = ("won", "lost", "open")[i % 3]
        rows.append(f'L{i},2025-0{1 + i % 9}-1{i % 10},{status},"{currency} {1000 + i:,}.00"')
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert (
        main(
            ["import", "--leads", str(path), "--map", "value=amount", "--out", str(tmp_path / "d")]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "amounts in 2 currencies (USD, EUR): revenue figures add them up as one" in err
    frame = pd.read_parquet(tmp_path / "d" / "leads.parquet")
    assert frame["value"].iloc[1] == 1001.0


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("Aug 12, 2025 05:36 PM", "2025-08-12 17:36"),  # Zoho's default
        ("Sept. 3, 2025", "2025-09-03"),
        ("12-Aug-2025", "2025-08-12"),  # Excel's d-mmm-yyyy
        ("5 March 2025", "2025-03-05"),
    ],
)
def test_dates_written_with_the_months_name_are_dates(text: str, when: str) -> None:
    assert re.match(DATE_LIKE, text)
    assert to_dates(pd.Series([text]))[0] == pd.Timestamp(when)


@pytest.mark.parametrize(
    "text", ["Mar 2025", "Maybe 12, 2025", "Summar 5, 2025", "Deal 12 2025", "may", "5191"]
)
def test_words_and_numbers_near_a_year_are_no_dates(text: str) -> None:
    assert not re.search(DATE_LIKE, text)


def test_numbers_are_excel_serial_days_between_1950_and_2100() -> None:
    """A workbook's date cells that lost their format read as numbers: 45678.5 is noon on
    2025-01-21. A year, Unix seconds or an amount is no date."""
    got = to_dates(pd.Series([45678, 45678.5, 2025, 1.7e9, None]))
    assert got[0] == pd.Timestamp("2025-01-21")
    assert got[1] == pd.Timestamp("2025-01-21 12:00")
    assert got[2:].isna().all()
    text = to_dates(pd.Series(["45678", "2025-01-22", "99999", "x"]))  # a CSV saved by Excel
    assert list(text[:2]) == [pd.Timestamp("2025-01-21"), pd.Timestamp("2025-01-22")]
    assert text[2:].isna().all()
