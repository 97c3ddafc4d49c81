"""Every page's tables, scanned as a sales manager reads them: numbers are stored as
numbers (so they sort and download as numbers, formatted by the column), and headers are
words, not code names."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import column_format

PAGES = [
    "model",
    "replay",
    "thresholds",
    "calibration",
    "revisions",
    "leads",
    "feedback",
    "sources",
    "data",
    "models",
    "accounts",
    "team",
]
NUMBER = re.compile(r"^[-+−]?\$?[\d,]*\.?\d+\s*(%|pts|×|k|M)?$")
CODE_NAME = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")  # win_rate, revenue_won
EDITOR_COLUMNS = {"max_count", "min_score", "sales_ready"}  # model fields the editors edit


def numbers_as_text(frame: pd.DataFrame) -> list[str]:
    """Columns of text whose every filled cell is a number written out."""
    found = []
    for column in frame.columns:
        cells = frame[column].dropna()
        if cells.empty or not (cells.map(type) == str).all():
            continue
        text = cells[cells.str.strip() != ""].str.strip()
        if len(text) and text.map(lambda t: bool(NUMBER.match(t))).all():
            found.append(f"{column!r} ({text.iloc[0]!r})")
    return found


def code_names(frame: pd.DataFrame) -> list[str]:
    names = [str(c) for c in frame.columns] + [str(i) for i in frame.index.names if i]
    return [n for n in names if CODE_NAME.match(n) and n not in EDITOR_COLUMNS]


def bare_counts(table) -> list[str]:
    """Columns of whole numbers reaching 1,000 shown without thousands separators (the
    grid writes 1088 unless the column is given a format, and '%.1f' writes 1088.0):
    counts read '1,088' on cards and in tables alike."""
    frame = table.value
    found = []
    for c in frame.columns:
        values = frame[c]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        values = values.dropna()
        whole = bool((values == values.round()).all())
        shown = column_format(table, str(c))
        if whole and len(values) and values.abs().max() >= 1000 and (shown or "%").startswith("%"):
            found.append(f"{c!r} ({values.max()}, format {shown})")
    return found


def scan(at: AppTest, page: str) -> list[str]:
    problems = []
    for table in at.dataframe:
        frame = table.value
        if not isinstance(frame, pd.DataFrame):
            continue
        if not table.proto.editing_mode:  # an editor's bounds are typed: numbers or dates
            problems += [f"{page}: numbers as text in {c}" for c in numbers_as_text(frame)]
            problems += [f"{page}: counts without separators in {c}" for c in bare_counts(table)]
        problems += [f"{page}: header {n!r} is a code name" for n in code_names(frame)]
    return problems


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app()


VIEWS = {
    "calibration": ("cal_view", ["Confidence", "Forecast", "Suggested points"]),
    "revisions": (
        "revisions_view",
        ["Versioned columns", "Diff", "Review checklist", "Restore, make live, import"],
    ),
}


def _two_revisions(at: AppTest) -> None:
    at.text_input(key="author").input("Ann").run()
    at.button(key="save_revision_button").click().run()
    key = f"criteria_editor_{at.session_state['editor_version']}"
    at.session_state[key] = {
        "edited_rows": {0: {"points": 12}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="save_revision_button").click().run()
    assert not at.exception


def test_every_page_keeps_numbers_as_numbers_and_headers_in_words(at: AppTest) -> None:
    _two_revisions(at)
    at.selectbox(key="compare_with").set_value("default").run()  # the comparison tables too
    problems, seen = [], 0
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        key, views = VIEWS.get(page, (None, [None]))
        for view in views:
            if key:
                at.radio(key=key).set_value(view).run()
                assert not at.exception, view
            problems += scan(at, f"{page} {view or ''}".strip())
            seen += len(at.dataframe)
    assert seen >= 20  # the scan saw the tables it is meant to
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_what_it_looks_for() -> None:
    frame = pd.DataFrame({"win_rate": ["12.5 %", "3.0 %"], "leads": [1, 2], "band": ["A", "B"]})
    assert numbers_as_text(frame) == ["'win_rate' ('12.5 %')"]
    assert code_names(frame) == ["win_rate"]
    assert numbers_as_text(pd.DataFrame({"range": ["75–100", "0–49"]})) == []
