"""AppTest for the Data page: upload, map, read the report, use the dataset everywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

CRM = (
    "Lead ID;Create Date;Lead Status;Opportunity Amount;Lead Source;Industry;Visits\n"
    "A-1;2026-01-03;Closed Won;12000;Trade show;Software;14\n"
    "A-2;2026-01-04;Closed Lost;3000;Web;Retail;2\n"
    "A-3;2026-01-05;Working;;Web;Select;5\n"
    "A-4;2026-01-09;Closed Lost;800;Referral;Retail;1\n"
    "A-5;2026-01-11;Closed Won;9000;Trade show;Software;22\n"
    "A-6;2026-01-12;Closed Lost;1500;Web;N/A;3\n"
)


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/data.py")


def upload(at: AppTest, text: str, name: str = "crm.csv") -> None:
    at.file_uploader(key="leads_upload").set_value((name, text.encode("cp1252"), "text/csv")).run()
    assert not at.exception


def test_upload_map_validate_and_use_a_crm_export(at: AppTest) -> None:
    assert at.title[0].value == "Your data"
    upload(at, CRM)
    assert at.selectbox(key="map_lead_id").value == "Lead ID"
    assert at.selectbox(key="map_created_at").value == "Create Date"
    assert at.selectbox(key="map_outcome").value == "Lead Status"
    assert at.selectbox(key="map_value").value == "Opportunity Amount"
    assert at.selectbox(key="map_source").value == "Lead Source"
    assert at.multiselect(key="won_values").value == ["closed won"]
    assert at.multiselect(key="lost_values").value == ["closed lost"]
    warnings = " ".join(w.value for w in at.warning)
    assert "placeholder values ('Select', 'N/A') are treated as missing" in warnings
    assert not at.error
    at.button(key="use_dataset").click().run()
    assert not at.exception
    assert "Saved 6 leads (2 won)" in at.success[0].value
    assert at.selectbox(key="dataset").value == "crm"
    at.switch_page("pages/model.py").run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Leads scored") == "6"
    model = at.session_state["model"]
    assert model.name == "Starter model (crm)"
    assert {c.rule.attribute for c in model.criteria} >= {"Industry", "Visits"}
    assert all(c.points == 0 for c in model.criteria)


def test_unknown_outcome_values_and_a_bad_date_are_reported(at: AppTest) -> None:
    upload(at, CRM.replace("2026-01-09", "next Tuesday"))
    errors = [e.value for e in at.error]
    assert any("'Create Date'" in e and "'next Tuesday' at rows 5" in e for e in errors)
    assert at.button(key="use_dataset").disabled
    at.multiselect(key="won_values").set_value([]).run()
    assert any("say which outcome values mean won" in e.value for e in at.error)


def test_unreadable_file_gets_a_clear_message(at: AppTest) -> None:
    at.file_uploader(key="leads_upload").set_value(
        ("crm.xlsx", b"\x00\x01not really excel", "application/octet-stream")
    ).run()
    assert not at.exception
    assert any("crm.xlsx: cannot read the file" in e.value for e in at.error)


def test_a_model_that_does_not_fit_the_new_dataset_is_named(at: AppTest) -> None:
    upload(at, CRM)
    at.checkbox(key="starter").uncheck().run()
    at.button(key="use_dataset").click().run()
    at.switch_page("pages/replay.py").run()
    assert not at.exception
    assert any("does not fit the dataset 'crm'" in e.value for e in at.error)
