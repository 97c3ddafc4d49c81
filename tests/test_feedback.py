"""Sales feedback as data: append-only rows, CRM export shapes read (or refused whole),
and the review's figures on a small dataset worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from model import services
from model.analysis import feedback
from model.core.dataset import AsOf
from model.core.feedback import DEFAULT_REASONS, Feedback
from model.core.hits import build_hits
from model.core.scoring import score
from model.store.revisions import RevisionStore
from tests.conftest import tiny_dataset, tiny_model

NAME = "B2B inbound"


@pytest.fixture
def store(revision_store_url: str) -> RevisionStore:
    return RevisionStore(revision_store_url)


def test_feedback_rows_are_only_ever_inserted(store: RevisionStore) -> None:
    """A rep who reconsiders adds a row: the first verdict stays; no UPDATE or DELETE ever
    reaches the feedback tables, whatever is done through the store."""
    statements: list[str] = []
    sa.event.listen(
        store.engine, "before_cursor_execute", lambda *a: statements.append(a[2].upper())
    )
    store.add_feedback(NAME, [Feedback("L1", "rejected", "Student")], author="Sam")
    store.add_feedback(NAME, [Feedback("L1", "accepted", note="was a founder")], author="Sam")
    store.set_feedback_reasons(NAME, ["Student", "Partner"], author="Mia")
    store.set_feedback_reasons(NAME, ["Student"], author="Mia")
    with pytest.raises(ValueError, match="verdict 'maybe'"):
        store.add_feedback(
            NAME, [Feedback("L2", "accepted"), Feedback("L3", "maybe")], author="Sam"
        )
    rows = store.feedback(NAME)
    assert [(f.lead_id, f.verdict, f.reason) for f in rows] == [
        ("L1", "rejected", "Student"),
        ("L1", "accepted", ""),
    ]
    assert store.feedback_reasons(NAME) == ["Student"]
    writes = [s for s in statements if s.startswith(("UPDATE", "DELETE"))]
    assert not [s for s in writes if "FEEDBACK" in s], writes
    assert any(s.startswith("INSERT INTO LEADSCORE_FEEDBACK") for s in statements)
    latest = feedback.newest(rows)
    assert latest[["lead_id", "verdict"]].values.tolist() == [["L1", "accepted"]]


def test_a_rejection_needs_a_reason_and_a_reason_list_is_never_empty(store) -> None:
    with pytest.raises(ValueError, match="lead L1: a rejection needs a reason"):
        store.add_feedback(NAME, [Feedback("L1", "rejected")], author="Sam")
    with pytest.raises(ValueError, match="at least one reason"):
        store.set_feedback_reasons(NAME, ["  ", ""], author="Mia")
    with pytest.raises(ValueError, match="author is required"):
        store.add_feedback(NAME, [Feedback("L1", "accepted")], author=" ")
    assert store.feedback_reasons(NAME) == list(DEFAULT_REASONS)
    assert store.feedback(NAME) == []


EXPORTS = {
    "salesforce.csv": (
        "Lead ID,Lead Status,Rejection Reason,Lead Owner,Last Modified Date\r\n"
        "00Q5g00000A1,Working - Contacted,,Ann Rep,2026-11-02\r\n"
        "00Q5g00000A2,Closed - Not Converted,No budget,Ann Rep,2026-11-03\r\n"
    ).encode("cp1252"),
    "zoho.csv": (
        "\ufeffRecord Id;Lead Status;Reason;Lead Owner;Modified Time\n"
        "zcrm_1;Pre-Qualified;;Jürgen;02/11/2026 10:00\n"
        "zcrm_2;Junk Lead;student;Jürgen;03/11/2026 10:00\n"
    ).encode("utf-8"),
    "dynamics.csv": (
        b"(Do Not Modify) Lead,Status,Status Reason,Owner\n"
        b"6f1c-aa,Qualified,,Kim\n"
        b"6f1c-ab,Disqualified,Already a customer,Kim\n"
    ),
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_crm_exports_are_read_in_their_own_words(store, name: str) -> None:
    added = services.import_feedback(store, NAME, EXPORTS[name], name, author="Mia")
    rows = store.feedback(NAME)
    assert added == 2
    assert [r.verdict for r in rows] == ["accepted", "rejected"]
    assert rows[1].reason in DEFAULT_REASONS  # spelled as in the team's list
    assert rows[0].author != "Mia"  # the rep named in the file is kept


def test_a_bad_export_is_refused_whole_naming_row_and_value(store) -> None:
    bad = b"lead_id,verdict,date\nL1,accepted,2026-11-01\nL2,maybe,2026-11-01\nL3,accepted,soon\n"
    with pytest.raises(feedback.FeedbackError, match=r"verdict 'maybe' in rows 3"):
        services.import_feedback(store, NAME, bad, "f.csv", author="Mia")
    bad = b"lead_id,verdict,date\nL1,accepted,2026-11-01\nL3,accepted,soon\n"
    with pytest.raises(feedback.FeedbackError, match=r"date 'soon' in rows 3 cannot be read"):
        services.import_feedback(store, NAME, bad, "f.csv", author="Mia")
    with pytest.raises(feedback.FeedbackError, match="has no lead id column"):
        services.import_feedback(store, NAME, b"who,verdict\nx,accepted\n", "f.csv", author="Mia")
    assert store.feedback(NAME) == []


def test_acceptance_by_band_and_criterion_worked_by_hand() -> None:
    """Four leads handed off: two students (rejected), two not; 'Student' is the criterion
    most present in rejected leads, and the A band accepts half."""
    model = tiny_model(
        [
            {
                "id": "big",
                "label": "Big company",
                "group": "fit",
                "points": 50,
                "rule": {"attribute": "size", "op": "equals", "value": "big"},
            },
            {
                "id": "student",
                "label": "Student",
                "group": "fit",
                "points": -5,
                "rule": {"attribute": "job", "op": "equals", "value": "student"},
            },
            {
                "id": "demo",
                "label": "Demo request",
                "group": "engagement",
                "points": 40,
                "rule": {"events": ["demo"], "op": "count"},
            },
        ],
    )
    leads = [
        {"lead_id": f"L{i}", "created_at": "2026-01-01", "size": "big", "job": job}
        for i, job in enumerate(["student", "student", "cfo", "cto", "cto"])
    ]
    data = tiny_dataset(leads, [(f"L{i}", "2026-01-02", "demo") for i in range(5)])
    hits = build_hits(data, model, AsOf.parse("created+14d"))
    scores = score(hits, model)
    rows = [
        Feedback("L0", "rejected", "Student"),
        Feedback("L1", "rejected", "Student"),
        Feedback("L2", "accepted"),
        Feedback("L3", "accepted"),
        Feedback("L9", "accepted"),  # not in this dataset
    ]
    found = feedback.acceptance(data, hits, scores, model, rows)
    assert (found.judged, found.accepted, found.unmatched) == (4, 2, 1)
    assert found.by_band.set_index("band")["judged"].to_dict() == {"A": 4, "B": 0, "C": 0}
    top = found.by_criterion.iloc[0]
    assert (top["criterion"], top["in rejected"], top["in accepted"]) == ("Student", 1.0, 0.0)
    assert found.reasons.to_dict("records") == [{"reason": "Student", "rejected leads": 2}]


def test_given_at_without_a_zone_is_read_as_utc(store) -> None:
    store.add_feedback(
        NAME, [Feedback("L1", "accepted", given_at=datetime(2026, 11, 2, 9))], author="S"
    )
    assert store.feedback(NAME)[0].given_at == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert pd.Timestamp(store.feedback(NAME)[0].entered_at).tzinfo is not None
