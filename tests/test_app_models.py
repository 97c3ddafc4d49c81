"""AppTests for the Models page and the sidebar's model picker: the overview, coverage
that narrows every page to a model's leads, overlaps, a second model saved beside the
first, and switching between them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/models.py")


def overview(at: AppTest):
    return next(d.value for d in at.dataframe if "leads covered" in d.value.columns)


def cover(at: AppTest, rows: dict[int, dict]) -> None:
    model, version = at.session_state["model"], at.session_state["editor_version"]
    key = f"coverage_editor_{model.name}_{version}"
    at.session_state[key] = {
        "edited_rows": {},
        "added_rows": list(rows.values()),
        "deleted_rows": [],
    }
    at.button(key="coverage_apply").click().run()


def test_one_model_covers_every_lead(at: AppTest) -> None:
    table = overview(at)
    assert table["model"].tolist() == ["B2B inbound"]
    assert table["revision"].tolist() == ["editor (not saved yet)"]
    assert table["leads covered"].tolist() == [20_000]
    assert "1 model covers 20,000 of 20,000 leads; 0 are claimed by two models" in at.info[0].value


def test_coverage_narrows_every_page_to_the_models_leads(at: AppTest) -> None:
    cover(at, {0: {"attribute": "industry", "op": "in", "value": "Software, SaaS"}})
    assert not at.exception
    model = at.session_state["model"]
    assert [r.values for r in model.applies_to] == [["Software", "SaaS"]]
    covered = overview(at)["leads covered"].iloc[0]
    assert 2_000 < covered < 10_000
    assert f"covers {covered:,} of 20,000 leads" in at.warning[0].value
    assert f"and {20_000 - covered:,} by none" in at.warning[0].value
    at.switch_page("pages/model.py").run()
    scored = next(m.value for m in at.metric if m.label == "Leads scored")
    assert scored == f"{covered:,}"  # the Model page reads the model's leads only
    at.switch_page("pages/models.py").run()
    cover(at, {0: {"attribute": "industry", "op": "between", "low": "1", "high": "2"}})
    assert "Coverage not changed" in at.error[0].value


def test_a_second_model_saved_beside_the_first_and_the_picker(at: AppTest) -> None:
    at.switch_page("pages/model.py").run()
    at.text_input(key="author").input("Ann").run()
    at.button(key="save_revision_button").click().run()
    at.switch_page("pages/models.py").run()
    at.text_input(key="new_model_name").input("EMEA").run()
    at.button(key="new_model_button").click().run()
    assert at.session_state["model"].name == "EMEA"
    assert "'EMEA' is in the editor" in at.success[0].value
    cover(at, {0: {"attribute": "country", "op": "in", "value": "Germany, France, United Kingdom"}})
    at.switch_page("pages/model.py").run()
    at.button(key="save_revision_button").click().run()
    assert not at.exception
    at.switch_page("pages/models.py").run()
    table = overview(at)
    assert table["model"].tolist() == ["B2B inbound", "EMEA"]
    assert table["revision"].tolist() == ["v1 (draft)", "v1 (draft)"]
    assert table["next review"].tolist() == ["not live yet", "not live yet"]
    pairs = next(d.value for d in at.dataframe if "leads both claim" in d.value.columns)
    assert pairs["leads both claim"].iloc[0] == table["leads covered"].iloc[1]
    assert at.selectbox(key="model_pick").options == ["B2B inbound", "EMEA"]
    at.selectbox(key="model_pick").set_value("B2B inbound").run()
    assert at.session_state["model"].name == "B2B inbound"
    assert at.session_state["model"].applies_to == []
    at.switch_page("pages/model.py").run()
    key = f"criteria_editor_{at.session_state['editor_version']}"
    at.session_state[key] = {
        "edited_rows": {0: {"points": 33}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert at.session_state["model"].criteria[0].points == 33
    assert not at.selectbox(key="model_pick").disabled  # drawn before the edit applied,
    at.selectbox(key="model_pick").set_value("EMEA").run()  # so the switch itself refuses
    assert "Not switched to 'EMEA': save or discard your edits first" in at.warning[0].value
    assert at.session_state["model"].criteria[0].points == 33  # the edit is kept
    at.run()
    assert at.selectbox(key="model_pick").disabled  # a switch would drop the edit
    assert "Save or discard your edits first" in at.selectbox(key="model_pick").help
