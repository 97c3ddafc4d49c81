"""AppTest for the Sources page: taxonomy, win rate per category, credit rules."""

from __future__ import annotations

import pytest

from tests.conftest import column_format


def _frame(at, column: str):
    return next(d for d in at.dataframe if column in d.value.columns)


@pytest.fixture
def at(open_app):
    return open_app("pages/sources.py")


def test_sources_page_shows_categories_and_credit(at, app_demo_dir) -> None:
    assert at.title[0].value == "Sources"
    categories = next(d.value for d in at.dataframe if "95 % interval" in d.value.columns)
    assert "Events" in set(categories["category"])
    assert categories["leads"].sum() == 20_000
    assert column_format(_frame(at, "95 % interval"), "leads") == "localized"  # 4,387
    assert column_format(_frame(at, "source value"), "leads") == "localized"  # the editor too
    at.radio(key="credit_rule").set_value("position").run()
    assert not at.exception
    credit = [d.value for d in at.dataframe if "95 % interval" in d.value.columns][1]
    assert credit["leads"].sum() == pytest.approx(20_000, abs=1)
    side = next(d.value for d in at.dataframe if "first touch: leads" in d.value.columns)
    assert side["linear split: leads"].sum() == pytest.approx(20_000, abs=1)
    at.session_state["taxonomy_editor_0"] = {
        "edited_rows": {0: {"category": "Search"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="save_taxonomy").click().run()
    assert not at.exception
    assert list(app_demo_dir.glob("taxonomy-*.json"))
    categories = next(d.value for d in at.dataframe if "95 % interval" in d.value.columns)
    assert "Search" in set(categories["category"])
