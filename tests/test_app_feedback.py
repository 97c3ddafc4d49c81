"""AppTests for the Feedback page: a verdict typed in, a CRM export imported (and a bad
one refused whole), the reason list edited, and the figures the review reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from model.store.revisions import RevisionStore

NAME = "B2B inbound"


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    at = open_app("pages/feedback.py")
    at.text_input(key="author").input("Mia").run()
    return at


def ready_leads(at: AppTest, n: int) -> list[str]:
    """Lead ids the Leads page lists as crossing the sales-ready line (real hand-offs)."""
    at.switch_page("pages/leads.py").run()
    table = next(d.value for d in at.dataframe if "crossed at" in d.value.columns)
    at.switch_page("pages/feedback.py").run()
    return table["lead"].head(n).tolist()


def test_a_verdict_typed_in_is_kept_with_who_and_shows_in_the_figures(at: AppTest) -> None:
    lead = ready_leads(at, 1)[0]
    at.text_input(key="feedback_lead").input(lead)
    at.radio(key="feedback_verdict").set_value("rejected")
    at.selectbox(key="feedback_reason").set_value("Student")
    at.button(key="feedback_add").click().run()
    assert not at.exception
    assert f"Added: lead {lead} rejected." in at.success[0].value
    [row] = RevisionStore().feedback(NAME)
    assert (row.lead_id, row.verdict, row.reason, row.author) == (
        lead,
        "rejected",
        "Student",
        "Mia",
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leads judged"] == "1"
    assert metrics["Accepted by sales"] == "0.0 %"
    reasons = next(d.value for d in at.dataframe if "rejected leads" in d.value.columns)
    assert reasons.to_dict("records") == [{"reason": "Student", "rejected leads": 1}]


def test_a_rejection_without_a_reason_and_an_unknown_lead_are_refused(at: AppTest) -> None:
    lead = ready_leads(at, 1)[0]
    at.text_input(key="feedback_lead").input(lead)
    at.radio(key="feedback_verdict").set_value("rejected")
    at.button(key="feedback_add").click().run()
    assert "a rejection needs a reason" in at.error[0].value
    at.text_input(key="feedback_lead").input("NOPE-1")
    at.button(key="feedback_add").click().run()
    assert "No lead with id 'NOPE-1'" in at.error[0].value
    assert RevisionStore().feedback(NAME) == []


def hubspot(rows: list[tuple[str, str, str]]) -> bytes:
    """A HubSpot contacts export with the lead-status column reps fill in."""
    lines = ["Record ID,Lead Status,Rejection Reason,Contact owner,Last Modified Date"]
    lines += [f"{i},{v},{r},Sam Rep,2026-11-30 10:00" for i, v, r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def test_a_crm_export_is_imported_whole_or_not_at_all(at: AppTest) -> None:
    leads = ready_leads(at, 6)
    bad = hubspot([(leads[0], "Accepted", ""), (leads[1], "Unqualified", "Aliens")])
    at.file_uploader(key="feedback_upload").set_value(("bad.csv", bad, "text/csv")).run()
    assert "Nothing imported" in at.error[0].value
    assert "reason 'Aliens' in rows 3 is not in the team's list" in at.error[0].value
    assert RevisionStore().feedback(NAME) == []
    rows = [(i, "Accepted", "") for i in leads[:4]] + [
        (i, "Unqualified", "no budget") for i in leads[4:]
    ]
    at.file_uploader(key="feedback_upload").set_value(
        ("hubspot.csv", hubspot(rows), "text/csv")
    ).run()
    assert not at.exception
    assert "Imported 6 verdicts from hubspot.csv." in at.success[0].value
    kept = RevisionStore().feedback(NAME)
    assert [(f.verdict, f.reason, f.author) for f in kept][-1] == (
        "rejected",
        "No budget",
        "Sam Rep",
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leads judged"] == "6"
    assert metrics["Accepted by sales"] == "66.7 %"
    by_band = next(
        d.value for d in at.dataframe if "band" in d.value.columns and "judged" in d.value.columns
    )
    assert by_band["judged"].sum() == 6


def test_the_team_edits_the_reason_list_and_earlier_lists_are_kept(at: AppTest) -> None:
    at.text_area(key="feedback_reasons").input("Wrong person\nPartner, not a buyer\n").run()
    at.button(key="feedback_reasons_save").click().run()
    assert not at.exception
    assert at.selectbox(key="feedback_reason").options == [
        "",
        "Wrong person",
        "Partner, not a buyer",
    ]
