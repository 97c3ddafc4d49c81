"""AppTest for the Data page: upload, map, read the report, use the dataset everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from unittest import mock

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


# 250 leads: more than the preview's 200, so the page's reads of the whole file stand out
LONG_CRM = CRM.split("\n", 1)[0] + "".join(
    f"\nB-{i};2026-02-{1 + i % 28:02d};Closed {('Won', 'Lost')[i % 3 > 0]};{100 * i};Web;"
    f"{('Retail', 'Software', 'Select')[i % 3]};{i % 9}"
    for i in range(250)
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
    assert "Saved 6 leads (5 closed: 2 won, 40.0% of closed)" in at.success[0].value
    assert at.selectbox(key="dataset").value == "crm"
    at.switch_page("pages/model.py").run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Leads scored") == "6"
    model = at.session_state["model"]
    assert model.name == "Starter model (crm)"
    assert {c.rule.attribute for c in model.criteria} >= {"Industry", "Visits"}
    assert all(c.points == 0 for c in model.criteria)


def test_the_report_is_worked_out_once_per_mapping(at: AppTest) -> None:
    """Naming the dataset or ticking a box reruns the page without checking every row
    again; a changed mapping gets a new report, and the import builds from what it read."""
    from model.ingest import importer

    calls: list[str] = []
    validate, trimmed = importer.validate, importer._trimmed

    def counted(*args, **kwargs):
        calls.append("validate" if kwargs.get("full", True) else "load the kept dataset")
        return validate(*args, **kwargs)

    def counted_trim(s):
        calls.append(f"trim {s.name}" if len(s) == 250 else "trim for the preview")
        return trimmed(s)

    with (
        mock.patch.object(importer, "validate", counted),
        mock.patch.object(importer, "_trimmed", counted_trim),
    ):
        upload(at, LONG_CRM)
        assert calls.count("validate") == 1
        at.text_input(key="dataset_name").set_value("Q1 leads").run()
        at.checkbox(key="starter").uncheck().run()
        assert calls.count("validate") == 1
        at.text_input(key="missing_values").set_value("Select, N/A, Software").run()
        assert calls.count("validate") == 2
        assert any("'Software'" in w.value for w in at.warning)
        assert calls.count("trim Industry") == 1  # the new words mask the same trimmed text
        at.button(key="use_dataset").click().run()
    assert not at.exception
    assert "Saved 250 leads" in at.success[0].value
    assert calls.count("validate") == 2  # the click took the report shown
    assert "load the kept dataset" in calls  # (its columns have the app's names)
    for column in ("Lead ID", "Create Date", "Opportunity Amount", "Lead Source"):
        assert calls.count(f"trim {column}") == 1  # by the report or the build, not both


def test_unknown_outcome_values_and_a_bad_date_are_reported(at: AppTest) -> None:
    upload(at, CRM.replace("2026-01-09", "next Tuesday"))
    # guessed from its name, but 1 of 6 is not a date: only a proposal, it never blocks
    assert at.selectbox(key="map_created_at").value == "(none)"
    warnings = " ".join(w.value for w in at.warning)
    assert "'Create Date' looked like the created date by its name, but holds" in warnings
    assert not at.button(key="use_dataset").disabled
    at.selectbox(key="map_created_at").set_value("Create Date").run()  # the user's word wins
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
    assert any("crm.xlsx: not an Excel workbook" in e.value for e in at.error)


def test_a_model_that_does_not_fit_the_new_dataset_is_named(at: AppTest) -> None:
    upload(at, CRM)
    at.checkbox(key="starter").uncheck().run()
    at.button(key="use_dataset").click().run()
    at.switch_page("pages/replay.py").run()
    assert not at.exception
    assert any("does not fit the dataset 'crm'" in e.value for e in at.error)


EXPORTS = Path(__file__).parent / "data" / "exports"


def put(at: AppTest, key: str, name: str) -> None:
    at.file_uploader(key=key).set_value((name, (EXPORTS / name).read_bytes(), "text/csv")).run()
    assert not at.exception


def use_and_open_every_page(at: AppTest) -> None:
    at.button(key="use_dataset").click().run()
    assert not at.exception
    assert "it is now the sidebar's dataset" in at.success[0].value
    for page in ("model", "replay", "thresholds", "calibration", "revisions", "sources"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert not [e.value for e in at.error], page


def test_a_hubspot_export_imports_with_no_mapping_and_every_page_opens(at: AppTest) -> None:
    put(at, "leads_upload", "hubspot_contacts.csv")
    assert at.selectbox(key="map_lead_id").value == "Record ID"
    assert at.selectbox(key="map_outcome").value == "Lead Status"
    assert at.multiselect(key="won_values").value == ["open deal"]
    assert at.multiselect(key="lost_values").value == ["unqualified"]
    assert at.selectbox(key="map_created_at").value == "Create Date"  # not the 'updates' question
    how = at.dataframe[0].value.set_index("role")["how"]
    assert how["outcome"] == "guessed from its name"
    assert how["deal value"] == "empty"
    assert not at.error
    use_and_open_every_page(at)
    at.switch_page("pages/model.py").run()  # the rule builder on a HubSpot export's columns
    at.button(key="builder_open_button").click().run()
    assert "Lead Status" not in at.selectbox(key="add_attribute").options  # the outcome
    text = "Industry"
    assert text in at.selectbox(key="add_attribute").options
    at.selectbox(key="add_attribute").set_value(text).run()
    levels = at.multiselect(key=f"add_levels_{text}")
    levels.set_value([levels.options[0].rsplit(" (", 1)[0]]).run()
    assert not at.exception
    live = next(i.value for i in at.info if i.value.startswith("Hits"))
    assert "leads" in live
    at.button(key="builder_add").click().run()
    assert at.session_state["model"].criteria[-1].rule.attribute == text


def test_the_utf16_zoho_export_with_only_its_outcome_mapped(at: AppTest) -> None:
    put(at, "leads_upload", "zoho_leads_unicode.txt")
    assert at.selectbox(key="map_created_at").value == "Created Time"
    at.selectbox(key="map_outcome").set_value("Lead Status").run()
    at.multiselect(key="won_values").set_value(["pre-qualified"]).run()
    assert at.dataframe[0].value.set_index("role").loc["outcome", "how"] == "mapped by you"
    at.multiselect(key="drop_columns").set_value(["Lead Owner"]).run()
    assert not at.error
    use_and_open_every_page(at)
    at.switch_page("pages/data.py").run()
    put(at, "leads_upload", "zoho_leads_unicode.txt")  # the same file, mapped the same way
    at.selectbox(key="map_outcome").set_value("Lead Status").run()
    at.multiselect(key="won_values").set_value(["pre-qualified"]).run()
    at.multiselect(key="drop_columns").set_value(["Lead Owner"]).run()
    at.button(key="use_dataset").click().run()
    assert "is kept already" in at.success[0].value
    assert "nothing was saved again" in at.success[0].value


def test_two_files_opportunities_and_accounts_join_on_the_account(at: AppTest) -> None:
    put(at, "leads_upload", "opportunities.csv")
    put(at, "accounts_upload", "accounts.csv")
    assert at.selectbox(key="accounts_on").value == "Account ID"
    warnings = " ".join(w.value for w in at.warning)
    assert "19 leads have no account in the file (column 'Account ID'" in warnings
    assert at.selectbox(key="map_outcome").value == "Stage"  # Closed Won / Closed Lost
    assert (
        at.selectbox(key="map_created_at").value == "Created Date"
    )  # the deal's, not the account's
    assert not at.error
    use_and_open_every_page(at)
    assert "Industry" in at.session_state["model"].model_dump_json()


def test_a_workbook_with_a_hidden_sheet_reads_the_first(at: AppTest) -> None:
    put(at, "leads_upload", "dynamics_leads.xlsx")
    assert at.selectbox(key="leads_sheet").value == "Leads"
    assert at.selectbox(key="map_outcome").value == "Status"
    at.selectbox(key="leads_sheet").set_value("hiddenSheet").run()
    assert not at.exception
    assert any("no column is mapped as 'outcome'" in e.value for e in at.error)


def test_the_same_file_mapped_another_way_is_kept_under_its_own_name(at: AppTest) -> None:
    upload(at, CRM)
    at.button(key="use_dataset").click().run()
    upload(at, CRM)
    assert any("A kept dataset is named 'crm' already" in c.value for c in at.caption)
    at.selectbox(key="map_source").set_value("(none)").run()  # another mapping
    at.button(key="use_dataset").click().run()
    message = at.success[0].value
    assert "as 'crm (2)'" in message
    assert "a dataset named 'crm' is kept already, from another file or mapping" in message
    assert at.selectbox(key="dataset").value == "crm (2)"
    assert {"crm", "crm (2)"} <= set(at.selectbox(key="dataset").options)


def test_the_starter_model_of_a_kept_dataset_loads_at_any_time(at: AppTest) -> None:
    upload(at, CRM)
    at.checkbox(key="starter").uncheck().run()
    at.button(key="use_dataset").click().run()
    at.switch_page("pages/model.py").run()  # the default model does not fit: a way out
    assert any("does not fit the dataset 'crm'" in w.value for w in at.warning)
    at.button(key="starter_for_dataset").click().run()
    assert at.session_state["model"].name == "Starter model (crm)"
    assert any(m.label == "Leads scored" for m in at.metric)
    at.switch_page("pages/data.py").run()  # and from the Data page, with no upload
    assert at.button(key="starter_for_picked").label == "Load the starter model of 'crm'"


def test_an_undated_export_previews_without_a_stand_in_created_date(at: AppTest) -> None:
    undated = "\n".join(";".join(r.split(";")[:1] + r.split(";")[2:]) for r in CRM.splitlines())
    upload(at, undated)
    preview = next(
        d.value
        for d in at.dataframe
        if "Lead Status" in d.value.columns or "outcome" in d.value.columns
    )
    assert "created_at" not in preview.columns
    assert any("No created dates: every lead is scored as it is now" in c.value for c in at.caption)


def test_a_salesforce_report_export_imports_without_its_footer(at: AppTest) -> None:
    """A Salesforce report exported as CSV ends with its grand total, a confidentiality
    line and the copyright: the page says they were left out, and the 400 deals import."""
    put(at, "leads_upload", "salesforce_opportunities.csv")
    said = [i.value for i in at.info if "left out the report's footer" in i.value]
    footer = (
        "salesforce_opportunities.csv: left out the report's footer after the last row "
        "('Grand Totals (400 records)', 'Confidential Information - Do Not Distribute', "
        "'Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.')."
    )
    assert said == [footer]
    assert not at.error
    use_and_open_every_page(at)
    assert at.session_state["dataset"] == "salesforce_opportunities"


def test_a_task_export_joins_its_leads_by_the_column_holding_their_ids(at: AppTest) -> None:
    """Salesforce tasks through Data Loader: the task's own 'Id' comes first, the lead is
    'WhoId'. The page proposes WhoId, says why, and the starter counts each task type."""
    put(at, "leads_upload", "salesforce_dataloader_leads.csv")
    put(at, "events_upload", "salesforce_dataloader_tasks.csv")
    assert at.selectbox(key="map_event_lead_id").value == "WhoId"
    assert at.selectbox(key="map_event_occurred_at").value == "ActivityDate"
    assert at.selectbox(key="map_event_event_type").value == "Type"
    said = " ".join(w.value for w in at.warning)
    assert "**salesforce_dataloader_tasks.csv**: column 'WhoId' holds the leads' ids" in said
    assert not at.error
    use_and_open_every_page(at)
    counted = {c.label for c in at.session_state["model"].criteria if c.on_events}
    assert counted == {
        "Call (count, up to 4)",
        "Email (count, up to 3)",
        "Meeting (count, up to 2)",
    }
    at.switch_page("pages/data.py").run()
    put(at, "leads_upload", "salesforce_dataloader_leads.csv")
    put(at, "events_upload", "salesforce_dataloader_tasks.csv")
    at.selectbox(key="map_event_lead_id").set_value("Id").run()  # the task's own id
    errors = " ".join(e.value for e in at.error)
    assert "no event is for a lead of the leads file" in errors
    assert "map the events' column that holds the leads' ids" in errors
