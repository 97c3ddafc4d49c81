"""Real exports end to end through the command: import with no mapping (or only the
outcome where the CRM has none), then starter-model, suggest, replay and calibrate.

The CRM-shaped fixtures are in tests/data/exports/ (make_exports.py writes them, in each
product's own default columns and traps); the public sets are in ../shared/data/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from model.cli import main
from model.ingest.catalog import load_dataset

EXPORTS = Path(__file__).parent / "data" / "exports"

CASES = {
    # file: (extra import arguments, outcome column, won words, leads kept)
    "hubspot_contacts.csv": ([], "Lead Status", ["open deal"], 400),
    "salesforce_leads.csv": ([], "Lead Status", ["closed - converted"], 400),
    "salesforce_opportunities.csv": ([], "Stage", ["closed won"], 400),
    "pipedrive_deals.csv": ([], "Deal - Status", ["won"], 400),
    "zoho_leads_unicode.txt": (["--map", "outcome=Lead Status", "--won", "pre-qualified"],
                               "Lead Status", ["pre-qualified"], 400),
    "dynamics_leads.xlsx": ([], "Status", ["qualified"], 400),
    "marketo_leads.csv": (["--events", str(EXPORTS / "marketo_activities.csv")], "Lead Status",
                          ["converted", "qualified"], 400),
    "opportunities.csv": (["--accounts", str(EXPORTS / "accounts.csv"), "--on", "Account ID"],
                          "Stage", ["closed won"], 400),
    "hubspot_deals.csv": ([], "Deal Stage", ["closed won"], 400),
    "zoho_deals.csv": ([], "Stage", ["closed won"], 400),
    "salesforce_dataloader_leads.csv": ([], "Status", ["closed - converted"], 400),
    "pipedrive_deals_de.csv": ([], "Deal - Status", ["gewonnen"], 400),
}  # fmt: skip


FREE_TEXT = {
    "Email",
    "Email Address",
    "Person - Email",
    "First Name",
    "Last Name",
    "Phone",
    "Deal - Title",
    "Full Name",
    "Opportunity Name",
    "Lead Name",
    "Topic",
}


def run(capsys, *args: str) -> tuple[str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    return out, err


def pipeline(capsys, tmp_path: Path, leads: Path, *extra: str) -> dict:
    """import -> starter-model -> suggest -> replay -> calibrate; the figures each gives."""
    folder, model = tmp_path / "ds", tmp_path / "starter.json"
    _, imported = run(capsys, "import", "--leads", str(leads), *extra, "--out", str(folder))
    run(capsys, "starter-model", "--data", str(folder), "--out", str(model))
    common = ["--model", str(model), "--leads", str(folder)]
    suggested = tmp_path / "suggested.json"
    out, _ = run(capsys, "suggest", *common, "--out", str(suggested), "--json")
    figures = {"import": imported, "suggest": json.loads(out)}
    figures["replay"] = json.loads(run(capsys, "replay", *common, "--json")[0])
    figures["calibrate"] = json.loads(run(capsys, "calibrate", *common, "--json")[0])
    figures["data"] = load_dataset(folder)
    figures["model"] = json.loads(model.read_text())
    figures["suggested"] = json.loads(
        run(capsys, "replay", "--model", str(suggested), "--leads", str(folder), "--json")[0]
    )
    return figures


@pytest.mark.parametrize("name", list(CASES))
def test_a_crm_export_goes_from_import_to_calibration(name, capsys, tmp_path):
    extra, outcome, won, kept = CASES[name]
    got = pipeline(capsys, tmp_path, EXPORTS / name, *extra)
    assert f"role outcome: {outcome!r}" in got["import"]
    assert f"wrote {kept} leads (" in got["import"]
    assert "% of closed)" in got["import"]  # won as a share of closed leads
    data = got["data"]
    assert data.n_leads == kept
    assert data.has_dates
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["mapping"]["won"] == won
    frame = pd.read_parquet(tmp_path / "ds" / "leads.parquet")
    assert set(frame["outcome"]) <= {"won", "lost", "open"}
    assert (frame["outcome"] == "won").sum() > 50
    assert (frame["outcome"] == "lost").sum() > 50
    assert frame["created_at"].notna().all()
    # the starter model reads the columns: no ids or free text among its attributes
    attributes = {c["rule"].get("attribute") for c in got["model"]["criteria"]}
    assert not attributes & {"Email", "Email Address", "Person - Email", "First Name", "Phone"}
    assert sum(b["leads"] for b in got["replay"]["bands"]) == kept
    assert 0 < got["calibrate"]["brier"] < got["calibrate"]["baseline"]["brier"]
    folds = next(e for e in got["suggest"]["evaluations"] if e["how"] == "random")
    assert folds["suggested"] > 0.5  # the fixtures have real signal in them
    # the suggestion reads the same columns: no names, titles or e-mails earn points, and
    # every range it gives points holds enough closed leads to say so
    suggested = json.loads((tmp_path / "suggested.json").read_text())
    used = {c["rule"].get("attribute") for c in suggested["criteria"]}
    assert not used & FREE_TEXT
    ranges = {c["id"] for c in suggested["criteria"] if c["rule"].get("op") == "between"}
    assert all(
        p["closed_leads"] >= 30 for p in got["suggest"]["points"] if p["criterion"] in ranges
    )


def test_an_activity_export_gives_the_starter_and_the_suggestion_event_counts(capsys, tmp_path):
    """Marketo's bulk activity export: numeric activity types, each counted per lead up to
    where nine in ten leads stop, and weighed by the suggestion like any criterion."""
    got = pipeline(
        capsys,
        tmp_path,
        EXPORTS / "marketo_leads.csv",
        "--events",
        str(EXPORTS / "marketo_activities.csv"),
    )
    assert "events' type: 'activityTypeId'" in got["import"]
    counts = {c["label"]: c["rule"] for c in got["model"]["criteria"] if "events" in c["rule"]}
    assert set(counts) == {
        "Event type 1 (count, up to 3)",
        "Event type 2 (count, up to 3)",
        "Event type 10 (count, up to 3)",
        "Event type 11 (count, up to 2)",
    }
    assert counts["Event type 11 (count, up to 2)"] == {
        "events": ["11"],
        "op": "count",
        "max_count": 2,
    }
    weighed = {p["label"] for p in got["suggest"]["points"]}
    assert weighed & set(counts)  # the suggestion gives event counts points too


def test_the_crm_fixtures_name_their_roles_as_each_product_does(capsys, tmp_path):
    """Traps that used to block or mislead: a Yes/No question holding 'updates', blank
    created dates on open opportunities, a stage column that is the outcome."""
    got = pipeline(capsys, tmp_path, EXPORTS / "hubspot_contacts.csv")
    assert "role created date: 'Create Date' (guessed from its name)" in got["import"]
    assert "role closed date: 'Became a Customer Date'" in got["import"]
    opp = tmp_path / "opp"
    opp.mkdir()
    got = pipeline(capsys, opp, EXPORTS / "salesforce_opportunities.csv")
    assert "role stage: empty" in got["import"]  # the Stage column is the outcome
    assert (  # a report exported as CSV ends with lines that are not deals
        "note: salesforce_opportunities.csv: left out the report's footer after the last row "
        "('Grand Totals (400 records)', 'Confidential Information - Do Not Distribute'"
    ) in got["import"]
    assert "leads have no created date" in got["import"]
    assert (
        "took their first event's date or the closed date minus the median cycle" in (got["import"])
    )
    engagement = {
        c["rule"]["attribute"] for c in got["model"]["criteria"] if c["group"] == "engagement"
    }
    assert engagement == set()  # an opportunity export holds no behaviour
    deals = tmp_path / "deals"
    deals.mkdir()
    got = pipeline(capsys, deals, EXPORTS / "pipedrive_deals.csv")
    engagement = {
        c["rule"]["attribute"] for c in got["model"]["criteria"] if c["group"] == "engagement"
    }
    assert engagement >= {"Deal - Activities", "Deal - Email messages count"}


def _left_out(got: dict) -> set[str]:
    return {row["column"] for row in got["suggest"]["leakage"]}


def test_deal_exports_read_as_each_crm_writes_them(capsys, tmp_path):
    """HubSpot's yes / no 'Is Closed Won' is no outcome where 'Deal Stage' tells open deals
    from lost ones; Zoho writes dates with the month's name and a lost stage with its
    reason; Data Loader's API names; a German Pipedrive account's words and numbers."""
    for name in ("hs", "zoho", "sf", "de"):
        (tmp_path / name).mkdir()
    hubspot = pipeline(capsys, tmp_path / "hs", EXPORTS / "hubspot_deals.csv")
    assert (
        "'Is Closed Won' holds only yes / no, which cannot tell an open lead from a lost "
        "one; 'Deal Stage' can, and is taken as the outcome"
    ) in hubspot["import"]
    assert "(333 closed: 136 won, 40.8% of closed)" in hubspot["import"]
    assert _left_out(hubspot) >= {"Is Closed Won", "Days to close", "Forecast category"}

    zoho = pipeline(capsys, tmp_path / "zoho", EXPORTS / "zoho_deals.csv")
    assert "role created date: 'Created Time' (guessed from its name)" in zoho["import"]
    assert "role closed date: 'Closing Date' (guessed from its name)" in zoho["import"]
    meta = json.loads((tmp_path / "zoho" / "ds" / "dataset.json").read_text())
    assert meta["mapping"]["lost"] == ["closed lost", "closed-lost to competition"]
    leads = pd.read_parquet(tmp_path / "zoho" / "ds" / "leads.parquet")
    raw = pd.read_csv(EXPORTS / "zoho_deals.csv", dtype=str)
    assert list(raw["Created Time"][:2]) == ["Sep 08, 2025 08:23 AM", "May 17, 2025 04:56 PM"]
    assert list(leads["created_at"][:2]) == [
        pd.Timestamp("2025-09-08 08:23"),
        pd.Timestamp("2025-05-17 16:56"),
    ]
    assert leads["value"][0] == 27_900.0  # "27,900.00"
    assert _left_out(zoho) >= {"Modified Time", "Sales Cycle Duration"}

    tasks = EXPORTS / "salesforce_dataloader_tasks.csv"
    leads = EXPORTS / "salesforce_dataloader_leads.csv"
    loader = pipeline(capsys, tmp_path / "sf", leads, "--events", str(tasks))
    assert "role created date: 'CreatedDate' (guessed from its name)" in loader["import"]
    assert _left_out(loader) >= {"IsConverted", "LastModifiedDate"}
    # the tasks' own 'Id' is no lead id: the column holding the leads' ids is
    assert "events' lead id: 'WhoId'" in loader["import"]
    said = "warning: salesforce_dataloader_tasks.csv: column 'WhoId' holds the leads' ids (100%"
    assert said in loader["import"]
    assert loader["data"].n_events == len(pd.read_csv(tasks))
    counted = {c["rule"]["events"][0] for c in loader["model"]["criteria"] if "events" in c["rule"]}
    assert counted == {"Call", "Email", "Meeting"}  # the starter counts each type

    german = pipeline(capsys, tmp_path / "de", EXPORTS / "pipedrive_deals_de.csv")
    assert "role deal value: 'Deal - Wert' (guessed from its name)" in german["import"]
    assert "role source: 'Deal - Quelle' (guessed from its name)" in german["import"]
    meta = json.loads((tmp_path / "de" / "ds" / "dataset.json").read_text())
    assert (meta["mapping"]["won"], meta["mapping"]["lost"]) == (["gewonnen"], ["verloren"])
    leads = pd.read_parquet(tmp_path / "de" / "ds" / "leads.parquet")
    assert leads["value"][0] == 33_900.5  # "33.900,50"
    assert leads["created_at"][0] == pd.Timestamp("2025-10-04 14:51")  # "04.10.2025 14:51"


def test_a_mapped_stage_column_releases_the_guess(capsys, tmp_path):
    """`--map outcome=Stage` on an opportunities export: the user's word wins."""
    _, err = run(
        capsys,
        "import",
        "--leads",
        str(EXPORTS / "salesforce_opportunities.csv"),
        "--map",
        "outcome=Stage",
        "--map",
        "source=",
        "--out",
        str(tmp_path / "ds"),
    )
    assert "role outcome: 'Stage' (mapped by you)" in err
    assert "role source: empty" in err


def test_bank_marketing_without_duration(capsys, tmp_path, shared_data):
    got = pipeline(
        capsys,
        tmp_path,
        shared_data / "bank-marketing" / "bank-additional-full.csv",
        "--drop",
        "duration",
        "--missing",
        "unknown",
    )
    assert "wrote 41,188 leads (41,188 closed: 4,640 won, 11.3% of closed)" in got["import"]
    assert not got["data"].has_dates
    attributes = {c["rule"]["attribute"] for c in got["model"]["criteria"]}
    assert "duration" not in attributes
    assert got["calibrate"]["fitted_on"].endswith("without created dates")
    # no deal values in the set: its revenue is unknown, never $0
    assert all(b["revenue_won"] is None for b in got["suggested"]["bands"])
    shown = run(
        capsys,
        "replay",
        "--model",
        str(tmp_path / "suggested.json"),
        "--leads",
        str(tmp_path / "ds"),
    )[0]
    band_lines = [line.split() for line in shown.splitlines() if line[:1] in "ABC" and "%" in line]
    assert band_lines
    assert all(line[-1] == "-" for line in band_lines)


def test_online_shoppers(capsys, tmp_path, shared_data):
    got = pipeline(
        capsys, tmp_path, shared_data / "online-shoppers" / "online_shoppers_intention.csv"
    )
    assert "role outcome: 'Revenue' (guessed from its values)" in got["import"]
    assert "15.5% of closed" in got["import"]
    criteria = got["model"]["criteria"]
    browser = [c for c in criteria if c["rule"]["attribute"] == "Browser"]
    assert browser
    assert all(c["rule"]["op"] == "equals" for c in browser)  # codes are levels
    groups = {c["rule"]["attribute"]: c["group"] for c in criteria}
    assert groups["ProductRelated_Duration"] == "engagement"
    assert groups["Region"] == "fit"


def test_olist_mqls_with_their_won_deals(capsys, tmp_path, shared_data):
    """The MQL file has no outcome: the import says so in words; with the won column the
    analyst adds, it goes through, ids kept as text."""
    folder = shared_data / "olist-funnel"
    mqls = folder / "olist_marketing_qualified_leads_dataset.csv"
    assert main(["import", "--leads", str(mqls), "--out", str(tmp_path / "no")]) == 2
    assert "no column is mapped as 'outcome'" in capsys.readouterr().err
    frame = pd.read_csv(mqls, dtype=str)
    deals = pd.read_csv(folder / "olist_closed_deals_dataset.csv", dtype=str)
    frame["won"] = frame["mql_id"].isin(deals["mql_id"]).map({True: "yes", False: "no"})
    path = tmp_path / "mqls.csv"
    frame.to_csv(path, index=False)
    got = pipeline(capsys, tmp_path, path)
    assert "role lead id: 'mql_id'" in got["import"]
    assert "role created date: 'first_contact_date'" in got["import"]
    assert "role source: 'origin'" in got["import"]
    assert "842 won, 10.5% of closed" in got["import"]
