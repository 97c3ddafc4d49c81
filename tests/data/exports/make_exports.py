"""Write the CRM-shaped export fixtures in this folder (deterministic: same seed, same bytes).

Each file uses the column names, value words, date layouts and encodings of one product's
own default export, with the traps real exports have: role words inside other column
names, blank dates on open rows, columns filled in after the outcome, placeholders,
UTF-16, cp1252, day-first dates, offsets in timestamps, and a two-file export joined on a
key. Run `python tests/data/exports/make_exports.py` to rebuild them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
N = 400
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Education", "Finance", "Healthcare"]
COUNTRIES = ["United States", "Germany", "France", "Brazil", "United Kingdom"]
SOURCES = ["Web", "Referral", "Trade Show", "Partner", "Advertisement", "Cold Call"]
FIRST = ["Anna", "Jörg", "Zoë", "João", "Chloé", "Mike", "Priya", "Lars", "Ana", "Tom"]
LAST = ["Müller", "Smith", "Gonçalves", "Dupont", "Kowalski", "Øster", "Brown", "Lee"]


def _base(seed: int) -> pd.DataFrame:
    """Leads whose chance to win rises with fit (industry, size) and engagement (visits)."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(INDUSTRIES, N)
    employees = rng.choice([5, 25, 80, 250, 1200, 6000], N)
    visits = rng.poisson(4, N)
    source = rng.choice(SOURCES, N)
    logit = -1.6 + 1.1 * (industry == "Software") + 0.6 * (employees >= 250) + 0.18 * visits
    logit -= 0.9 * (industry == "Education")
    won = rng.random(N) < 1 / (1 + np.exp(-logit))
    closed = rng.random(N) < 0.8
    created = pd.Timestamp("2025-01-06") + pd.to_timedelta(rng.integers(0, 330, N), unit="D")
    created += pd.to_timedelta(rng.integers(8 * 60, 18 * 60, N), unit="min")
    cycle = pd.to_timedelta(rng.integers(5, 90, N), unit="D")
    first, last = rng.choice(FIRST, N), rng.choice(LAST, N)
    return pd.DataFrame(
        {
            "n": np.arange(1, N + 1),
            "industry": industry,
            "employees": employees,
            "visits": visits,
            "sessions": visits + rng.integers(0, 3, N),
            "source": source,
            "won": won,
            "closed": closed,
            "created": created,
            "closed_at": created + cycle,
            "first": first,
            "last": last,
            "country": rng.choice(COUNTRIES, N),
            "forms": rng.poisson(1, N),
            "revenue": employees * rng.integers(40, 200, N) * 1000,
            "amount": rng.integers(20, 400, N) * 100,
            "rng": [rng] * N,
        }
    )


def _email(b: pd.DataFrame) -> pd.Series:
    return (
        b["first"].str.lower() + "." + b["last"].str.lower() + b["n"].astype(str) + "@example.com"
    )


def hubspot_contacts() -> None:
    """HubSpot contacts export: Record ID, Create Date, Lifecycle Stage, Lead Status (Open
    Deal / Unqualified), 'Number of Pageviews'; a Yes/No question whose name holds
    'updates'; 'Became a Customer Date' filled only after a win."""
    b = _base(1)
    rng = b["rng"][0]
    status = np.where(
        ~b["closed"],
        rng.choice(["New", "Open", "In progress", "Attempted to contact"], N),
        np.where(b["won"], "Open deal", rng.choice(["Unqualified", "Bad timing"], N)),
    )
    stage = np.where(
        b["closed"] & b["won"],
        "Customer",
        rng.choice(["Subscriber", "Lead", "Marketing Qualified Lead"], N),
    )
    frame = pd.DataFrame(
        {
            "Record ID": (b["n"] + 50_000).astype(str),
            "First Name": b["first"],
            "Last Name": b["last"],
            "Email": _email(b),
            "Phone Number": "+1 555 01" + b["n"].astype(str).str.zfill(2),
            "Company Name": "Company " + b["n"].astype(str),
            "Industry": b["industry"],
            "Number of Employees": b["employees"],
            "Annual Revenue": b["revenue"],
            "Job Title": rng.choice(["CEO", "Marketing Manager", "Student", "Developer"], N),
            "Country/Region": b["country"],
            "Lifecycle Stage": stage,
            "Lead Status": status,
            "Original Source": rng.choice(
                ["Organic Search", "Paid Search", "Direct Traffic", "Referrals", "Offline Sources"],
                N,
            ),
            "Create Date": b["created"].dt.strftime("%Y-%m-%d %H:%M"),
            "Number of Pageviews": b["visits"] * 3,
            "Number of Sessions": b["sessions"],
            "Number of Form Submissions": b["forms"],
            "Would you like to receive updates about new features?": rng.choice(["Yes", "No"], N),
            "Became a Customer Date": np.where(
                stage == "Customer", b["closed_at"].dt.strftime("%Y-%m-%d %H:%M"), ""
            ),
        }
    )
    (HERE / "hubspot_contacts.csv").write_bytes(b"\xef\xbb\xbf" + _csv(frame).encode("utf-8"))


def _sf_lead_status(b: pd.DataFrame, rng) -> np.ndarray:
    """Salesforce's default lead statuses: two open, converted and not converted."""
    return np.where(
        ~b["closed"],
        rng.choice(["Open - Not Contacted", "Working - Contacted"], N),
        np.where(b["won"], "Closed - Converted", "Closed - Not Converted"),
    )


def salesforce_leads() -> None:
    """Salesforce leads report, cp1252, US dates (m/d/yyyy): Lead Status with Closed -
    Converted / Closed - Not Converted, 'No. of Employees', Rating set by sales."""
    b = _base(2)
    rng = b["rng"][0]
    status = _sf_lead_status(b, rng)
    frame = pd.DataFrame(
        {
            "Lead ID": ["00Q5e00000" + f"{i:08d}" for i in b["n"]],
            "First Name": b["first"],
            "Last Name": b["last"],
            "Title": rng.choice(["VP Sales", "Director", "Analyst", "Student"], N),
            "Company": "Firma " + b["n"].astype(str),
            "Email": _email(b),
            "Phone": "(555) 010-" + b["n"].astype(str).str.zfill(4),
            "Lead Source": b["source"],
            "Lead Status": status,
            "Industry": b["industry"],
            "Rating": rng.choice(["Hot", "Warm", "Cold", ""], N),
            "Annual Revenue": b["revenue"].map(lambda v: f"${v:,.0f}"),
            "No. of Employees": b["employees"],
            "Country": b["country"],
            "Create Date": b["created"].dt.strftime("%-m/%-d/%Y"),
            "Last Activity": b["closed_at"].dt.strftime("%-m/%-d/%Y"),
            "Lead Owner": rng.choice(["Zoë Ørsted", "René Lévesque"], N),
        }
    )
    (HERE / "salesforce_leads.csv").write_bytes(_csv(frame).encode("cp1252"))


SF_OPEN = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
]


def _sf_stage(b: pd.DataFrame, rng) -> np.ndarray:
    return np.where(
        ~b["closed"], rng.choice(SF_OPEN, N), np.where(b["won"], "Closed Won", "Closed Lost")
    )


def salesforce_opportunities() -> None:
    """Salesforce opportunities report exported as 'Details only' CSV: every cell quoted,
    and after the rows the report's footer (a blank line, the grand total, the
    confidentiality line and the copyright). Stage holds Closed Won / Closed Lost among
    open stages; Probability (%) is set from the stage (100 / 0 once closed); open rows
    have no Created Date in part of the export."""
    b = _base(3)
    rng = b["rng"][0]
    stage = _sf_stage(b, rng)
    created = b["created"].dt.strftime("%Y-%m-%d")
    created = created.where(b["closed"] | (rng.random(N) < 0.7), "")
    probability = np.where(
        stage == "Closed Won",
        100,
        np.where(stage == "Closed Lost", 0, rng.choice([10, 20, 50, 75], N)),
    )
    frame = pd.DataFrame(
        {
            "Opportunity ID": ["0065e00000" + f"{i:08d}" for i in b["n"]],
            "Opportunity Name": "Deal " + b["n"].astype(str),
            "Account Name": "Account " + (b["n"] % 150).astype(str),
            "Amount": b["amount"],
            "Close Date": b["closed_at"].dt.strftime("%Y-%m-%d"),
            "Created Date": created,
            "Stage": stage,
            "Probability (%)": probability,
            "Lead Source": b["source"],
            "Type": rng.choice(["New Customer", "Existing Customer - Upgrade"], N),
            "Industry": b["industry"],
            "Employees": b["employees"],
            "Opportunity Owner": rng.choice(["Ana Lima", "Tom Lee"], N),
        }
    )
    footer = (
        f'\r\n"Grand Totals ({N} records)"\r\n\r\n'
        '"Confidential Information - Do Not Distribute"\r\n'
        '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\r\n'
    )
    report = _csv(frame, quoting=csv.QUOTE_ALL) + footer
    (HERE / "salesforce_opportunities.csv").write_text(report, encoding="utf-8")


def pipedrive_deals() -> None:
    """Pipedrive deals export: 'Deal - Status' open / won / lost, 'Deal - Deal created',
    'Deal - Won time' and 'Deal - Lost reason' filled only after the outcome."""
    b = _base(4)
    rng = b["rng"][0]
    status = np.where(~b["closed"], "open", np.where(b["won"], "won", "lost"))
    frame = pd.DataFrame(
        {
            "Deal - ID": b["n"],
            "Deal - Title": "Deal with " + b["last"],
            "Deal - Value": b["amount"],
            "Deal - Currency": "EUR",
            "Deal - Status": status,
            "Deal - Stage": rng.choice(
                ["Qualified", "Contact Made", "Proposal Made", "Negotiations Started"], N
            ),
            "Deal - Pipeline": "Sales",
            "Deal - Owner": rng.choice(["Lars", "Priya"], N),
            "Deal - Deal created": b["created"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Deal - Won time": np.where(
                status == "won", b["closed_at"].dt.strftime("%Y-%m-%d %H:%M:%S"), ""
            ),
            "Deal - Lost reason": np.where(
                status == "lost", rng.choice(["Price", "Timing", "Competitor"], N), ""
            ),
            "Deal - Source channel": b["source"],
            "Organization - Name": "Org " + b["n"].astype(str),
            "Organization - Industry": b["industry"],
            "Organization - Employees": b["employees"],
            "Person - Name": b["first"] + " " + b["last"],
            "Person - Email": _email(b),
            "Deal - Activities": b["visits"],
            "Deal - Email messages count": b["forms"] * 2,
        }
    )
    (HERE / "pipedrive_deals.csv").write_text(_csv(frame), encoding="utf-8")


def zoho_leads() -> None:
    """Zoho CRM leads as Excel's "Unicode Text": UTF-16 with a BOM, tab-separated,
    day-first dates; Lead Status has Lost Lead / Junk Lead but no won word (map it)."""
    b = _base(5)
    rng = b["rng"][0]
    status = np.where(
        ~b["closed"],
        rng.choice(["Not Contacted", "Attempted to Contact", "Contacted"], N),
        np.where(
            b["won"], "Pre-Qualified", rng.choice(["Lost Lead", "Junk Lead", "Not Qualified"], N)
        ),
    )
    frame = pd.DataFrame(
        {
            "Record Id": ["zcrm_" + f"{4876000000000 + i}" for i in b["n"]],
            "Lead Owner": "Chloé Martin",
            "Company": "Empresa " + b["n"].astype(str),
            "First Name": b["first"],
            "Last Name": b["last"],
            "Designation": rng.choice(["Manager", "CTO", "Student", "-None-"], N),
            "Email": _email(b),
            "Mobile": "+44 7700 9" + b["n"].astype(str).str.zfill(5),
            "Lead Source": rng.choice(["Advertisement", "Cold Call", "Web Download", "-None-"], N),
            "Lead Status": status,
            "Industry": b["industry"],
            "No of Employees": b["employees"],
            "Created Time": b["created"].dt.strftime("%d/%m/%Y %H:%M"),
            "Modified Time": b["closed_at"].dt.strftime("%d/%m/%Y %H:%M"),
            "City": rng.choice(["São Paulo", "Zürich", "Kraków", "Lyon"], N),
            "Email Opt Out": rng.choice(["true", "false"], N),
            "Description": "Met at "
            + rng.choice(["the fair", "a webinar"], N)
            + " #"
            + b["n"].astype(str),
        }
    )
    text = _csv(frame, delimiter="\t")
    (HERE / "zoho_leads_unicode.txt").write_bytes(text.encode("utf-16"))  # BOM + LE


def dynamics_leads() -> None:
    """Dynamics 365 leads exported to Excel: the '(Do Not Modify)' key columns first,
    Status Open / Qualified / Disqualified, and the workbook's hidden second sheet."""
    b = _base(6)
    rng = b["rng"][0]
    status = np.where(~b["closed"], "Open", np.where(b["won"], "Qualified", "Disqualified"))
    reason = np.where(
        status == "Open",
        rng.choice(["New", "Contacted"], N),
        np.where(
            status == "Qualified",
            "Qualified",
            rng.choice(["Lost", "Cannot Contact", "No Longer Interested"], N),
        ),
    )
    frame = pd.DataFrame(
        {
            "(Do Not Modify) Lead": [f"{i:08x}-5e2b-ef11-8409-000d3a{i:06x}" for i in b["n"]],
            "(Do Not Modify) Row Checksum": [f"Xk{i * 7919:09d}Zq==" for i in b["n"]],
            "(Do Not Modify) Modified On": b["closed_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Name": b["first"] + " " + b["last"],
            "Topic": "Interested in " + rng.choice(["licences", "a demo"], N),
            "Status": status,
            "Status Reason": reason,
            "Company Name": "Contoso " + b["n"].astype(str),
            "Business Phone": "555-01" + b["n"].astype(str).str.zfill(2),
            "Email": _email(b),
            "Lead Source": rng.choice(
                ["Advertisement", "Employee Referral", "Web", "Trade Show"], N
            ),
            "Rating": rng.choice(["Hot", "Warm", "Cold"], N),
            "Industry": b["industry"],
            "No. of Employees": b["employees"],
            "Budget Amount": b["amount"],
            "Purchase Timeframe": rng.choice(
                ["Immediate", "This Quarter", "Next Quarter", "Unknown"], N
            ),
            "Created On": b["created"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Owner": "Lars Øster",
        }
    )
    with pd.ExcelWriter(HERE / "dynamics_leads.xlsx", engine="openpyxl") as book:
        frame.to_excel(book, sheet_name="Leads", index=False)
        pd.DataFrame({"entity": ["lead"], "version": ["9.2"]}).to_excel(
            book, sheet_name="hiddenSheet", index=False
        )
        book.book["hiddenSheet"].sheet_state = "hidden"


def marketo_leads() -> None:
    """Marketo people export: Id, Created At as ISO timestamps with Z and offsets,
    Lead Status Qualified / Converted / Unqualified, Behavior Score."""
    b = _base(7)
    rng = b["rng"][0]
    status = np.where(
        ~b["closed"],
        rng.choice(["Open", "Working", "Nurture"], N),
        np.where(b["won"], rng.choice(["Qualified", "Converted"], N), "Unqualified"),
    )
    stamp = b["created"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    stamp = stamp + np.where(b["n"] % 3 == 0, "+01:00", "Z")
    frame = pd.DataFrame(
        {
            "Id": b["n"] + 1_000_000,
            "First Name": b["first"],
            "Last Name": b["last"],
            "Email Address": _email(b),
            "Company Name": "Acme " + b["n"].astype(str),
            "Job Title": rng.choice(["Head of IT", "Intern", "Buyer"], N),
            "Industry": b["industry"],
            "Number of Employees": b["employees"],
            "Lead Source": b["source"],
            "Lead Status": status,
            "Behavior Score": b["visits"] * 5,
            "Demographic Score": rng.integers(0, 40, N),
            "Created At": stamp,
            "Updated At": b["closed_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Unsubscribed": rng.choice(["true", "false"], N, p=[0.1, 0.9]),
            "Acquisition Program": rng.choice(["2025 Webinar", "Ebook Q2", "Select"], N),
        }
    )
    (HERE / "marketo_leads.csv").write_text(_csv(frame), encoding="utf-8")


def opportunities_and_accounts() -> None:
    """Two files, as CRMs export them: opportunities naming an Account ID, and accounts
    with their own firmographics (and a Created Date of their own); 5 accounts missing."""
    b = _base(8)
    rng = b["rng"][0]
    account = "001" + (b["n"] % 120).astype(str).str.zfill(6)
    opps = pd.DataFrame(
        {
            "Opportunity ID": ["006" + f"{i:07d}" for i in b["n"]],
            "Account ID": account,
            "Stage": _sf_stage(b, rng),
            "Amount": b["amount"],
            "Created Date": b["created"].dt.strftime("%Y-%m-%d"),
            "Close Date": b["closed_at"].dt.strftime("%Y-%m-%d"),
            "Lead Source": b["source"],
        }
    )
    ids = sorted(set(account))[5:]
    firm = rng.choice(INDUSTRIES, len(ids))
    accounts = pd.DataFrame(
        {
            "Account ID": ids,
            "Account Name": [f"Account {i}" for i in ids],
            "Industry": firm,
            "Employees": rng.choice([10, 200, 3000], len(ids)),
            "Billing Country": rng.choice(COUNTRIES, len(ids)),
            "Type": rng.choice(["Customer", "Prospect", "Partner"], len(ids)),
            "Created Date": "2024-01-15",
        }
    )
    (HERE / "opportunities.csv").write_text(_csv(opps), encoding="utf-8")
    (HERE / "accounts.csv").write_text(_csv(accounts), encoding="utf-8")


HUBSPOT_OPEN = [
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
]


def hubspot_deals() -> None:
    """HubSpot deals export: Deal Stage holds Closed Won / Closed Lost among open stages,
    and beside it 'Is Closed Won' true / false, where false is an open deal as much as a
    lost one; 'Days to close' and 'Forecast category' are filled from the outcome."""
    b = _base(12)
    rng = b["rng"][0]
    stage = np.where(
        ~b["closed"], rng.choice(HUBSPOT_OPEN, N), np.where(b["won"], "Closed Won", "Closed Lost")
    )
    closed = np.isin(stage, ["Closed Won", "Closed Lost"])
    frame = pd.DataFrame(
        {
            "Record ID": (b["n"] + 9_100_000_000).astype(str),
            "Deal Name": "Company " + b["n"].astype(str) + " - New Deal",
            "Deal Stage": stage,
            "Pipeline": "Sales Pipeline",
            "Amount": b["amount"].astype(float),
            "Close Date": b["closed_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "Create Date": b["created"].dt.strftime("%Y-%m-%d %H:%M"),
            "Deal owner": rng.choice(["Ana Lima", "Tom Lee"], N),
            "Deal Type": rng.choice(["New Business", "Existing Business", ""], N),
            "Original Source Type": b["source"],
            "Industry": b["industry"],
            "Number of Employees": b["employees"],
            "Number of Sales Activities": b["visits"],
            "Days to close": np.where(closed, (b["closed_at"] - b["created"]).dt.days, ""),
            "Is Closed Won": np.where(stage == "Closed Won", "true", "false"),
            "Forecast category": np.where(
                stage == "Closed Won", "Closed won", np.where(closed, "Omit", "Pipeline")
            ),
        }
    )
    (HERE / "hubspot_deals.csv").write_bytes(b"\xef\xbb\xbf" + _csv(frame).encode("utf-8"))


def zoho_deals() -> None:
    """Zoho CRM deals export: dates written with the month's name ('Aug 12, 2025 05:36
    PM', the default of an English-language account), Stage with 'Closed-Lost to
    Competition' beside Closed Won / Closed Lost, '-None-' placeholders, amounts with
    thousands separators, and 'Sales Cycle Duration' filled once a deal closes."""
    b = _base(8)
    rng = b["rng"][0]
    lost = rng.choice(["Closed Lost", "Closed-Lost to Competition"], N)
    stage = np.where(
        ~b["closed"], rng.choice(SF_OPEN[:6], N), np.where(b["won"], "Closed Won", lost)
    )
    frame = pd.DataFrame(
        {
            "Record Id": ["zcrm_" + f"{4876876000000 + i}" for i in b["n"]],
            "Deal Owner": "Maria Ruiz",
            "Deal Name": "Deal " + b["n"].astype(str),
            "Amount": b["amount"].map("{:,.2f}".format),
            "Closing Date": b["closed_at"].dt.strftime("%b %d, %Y"),
            "Account Name": "Account " + (b["n"] % 150).astype(str),
            "Stage": stage,
            "Type": rng.choice(["New Business", "Existing Business", "-None-"], N),
            "Lead Source": np.where(rng.random(N) < 0.1, "-None-", b["source"]),
            "Industry": b["industry"],
            "No of Employees": b["employees"],
            "Created Time": b["created"].dt.strftime("%b %d, %Y %I:%M %p"),
            "Modified Time": b["closed_at"].dt.strftime("%b %d, %Y %I:%M %p"),
            "Sales Cycle Duration": np.where(
                b["closed"], (b["closed_at"] - b["created"]).dt.days.astype(str), ""
            ),
        }
    )
    (HERE / "zoho_deals.csv").write_text(_csv(frame), encoding="utf-8")


def salesforce_dataloader_leads() -> None:
    """Salesforce leads through Data Loader or Workbench: API names (Id, LeadSource,
    IsConverted, CreatedDate), every cell quoted, UTC timestamps with milliseconds and a Z,
    'IsConverted', 'ConvertedDate' and 'LastModifiedDate' set by the outcome."""
    b = _base(9)
    rng = b["rng"][0]
    status = _sf_lead_status(b, rng)
    converted = status == "Closed - Converted"
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    frame = pd.DataFrame(
        {
            "Id": ["00Q5e00000" + f"{i:05d}" + "AbC" for i in b["n"]],
            "IsDeleted": "false",
            "LastName": b["last"],
            "FirstName": b["first"],
            "Company": "Firma " + b["n"].astype(str),
            "Email": _email(b),
            "LeadSource": b["source"],
            "Status": status,
            "Industry": b["industry"],
            "NumberOfEmployees": b["employees"],
            "Country": b["country"],
            "IsConverted": np.where(converted, "true", "false"),
            "ConvertedDate": np.where(converted, b["closed_at"].dt.strftime("%Y-%m-%d"), ""),
            "CreatedDate": b["created"].dt.strftime(stamp),
            "LastModifiedDate": b["closed_at"].dt.strftime(stamp),
            "OwnerId": "0055e000001AbCdAAK",
        }
    )
    text = _csv(frame, quoting=csv.QUOTE_ALL)
    (HERE / "salesforce_dataloader_leads.csv").write_text(text, encoding="utf-8")


def _activity_times(b: pd.DataFrame, rng) -> tuple[np.ndarray, pd.Series]:
    """Per lead, as many activities as its visits (engagement that goes with winning), at
    times from its creation to 20 days past its close: the last of them come after the
    outcome, as activity logs do."""
    lead = np.repeat(np.arange(N), b["visits"].to_numpy())
    span = (b["closed_at"] - b["created"]).dt.total_seconds().to_numpy()[lead] + 20 * 86_400
    when = b["created"].to_numpy()[lead] + pd.to_timedelta(rng.random(lead.size) * span, "s")
    return lead, pd.Series(when)


def salesforce_dataloader_tasks() -> None:
    """The Data Loader leads' tasks: its own 'Id' first, the lead in 'WhoId', ActivityDate
    as a day, CreatedDate as a UTC stamp, Type Call / Email / Meeting."""
    b = _base(9)
    rng = np.random.default_rng(90)
    lead, when = _activity_times(b, rng)
    kind = rng.choice(["Call", "Email", "Meeting"], lead.size, p=[0.5, 0.4, 0.1])
    frame = pd.DataFrame(
        {
            "Id": [f"00T5e00000{i:05d}XyZ" for i in range(lead.size)],
            "WhoId": ["00Q5e00000" + f"{b['n'][i]:05d}" + "AbC" for i in lead],
            "WhatId": "",
            "Subject": pd.Series(kind) + " with lead",
            "ActivityDate": when.dt.strftime("%Y-%m-%d"),
            "Status": "Completed",
            "Type": kind,
            "CreatedDate": when.dt.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "OwnerId": "0055e000001AbCdAAK",
        }
    )
    text = _csv(frame, quoting=csv.QUOTE_ALL)
    (HERE / "salesforce_dataloader_tasks.csv").write_text(text, encoding="utf-8")


MARKETO_ACTIVITIES = {1: "Visit Webpage", 2: "Fill Out Form", 10: "Open Email", 11: "Click Email"}


def marketo_activities() -> None:
    """The Marketo leads' activities as Marketo's bulk export writes them: marketoGUID,
    leadId, activityDate with a Z, activityTypeId as Marketo's numeric codes, and the
    attributes as JSON text."""
    b = _base(7)
    rng = np.random.default_rng(70)
    lead, when = _activity_times(b, rng)
    kind = rng.choice(list(MARKETO_ACTIVITIES), lead.size)
    frame = pd.DataFrame(
        {
            "marketoGUID": (np.arange(lead.size) + 90_000_000).astype(str),
            "leadId": b["n"].to_numpy()[lead] + 1_000_000,
            "activityDate": when.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "activityTypeId": kind,
            "campaignId": rng.choice([1001, 1002], lead.size),
            "primaryAttributeValue": [MARKETO_ACTIVITIES[k] + " asset" for k in kind],
            "attributes": '{"Client IP Address": "10.0.0.1"}',
        }
    )
    (HERE / "marketo_activities.csv").write_text(_csv(frame), encoding="utf-8")


def pipedrive_deals_de() -> None:
    """Pipedrive deals exported from a German-language account: semicolons, day-first
    dates with dots, decimal commas, and the status words Gewonnen / Verloren / Offen
    (column names as the German interface labels them)."""
    b = _base(10)
    rng = b["rng"][0]
    status = np.where(~b["closed"], "Offen", np.where(b["won"], "Gewonnen", "Verloren"))
    value = (b["amount"] + 0.5).map("{:,.2f}".format)
    frame = pd.DataFrame(
        {
            "Deal - ID": b["n"],
            "Deal - Titel": "Deal mit " + b["last"] + " " + b["n"].astype(str),
            "Deal - Wert": value.str.replace(",", "_").str.replace(".", ",").str.replace("_", "."),
            "Deal - Währung": "EUR",
            "Deal - Status": status,
            "Deal - Phase": rng.choice(["Qualifiziert", "Kontakt hergestellt", "Angebot"], N),
            "Deal - Deal erstellt": b["created"].dt.strftime("%d.%m.%Y %H:%M"),
            "Deal - Quelle": b["source"],
            "Organisation - Branche": b["industry"],
            "Organisation - Mitarbeiterzahl": b["employees"],
            "Person - E-Mail": _email(b),
            "Deal - Aktivitäten": b["visits"],
        }
    )
    text = _csv(frame, delimiter=";")
    (HERE / "pipedrive_deals_de.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def _csv(frame: pd.DataFrame, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    frame.to_csv(out, index=False, sep=delimiter, quoting=quoting, lineterminator="\r\n")
    return out.getvalue()


if __name__ == "__main__":
    for write in (
        hubspot_contacts,
        salesforce_leads,
        salesforce_opportunities,
        pipedrive_deals,
        zoho_leads,
        dynamics_leads,
        marketo_leads,
        opportunities_and_accounts,
        hubspot_deals,
        zoho_deals,
        salesforce_dataloader_leads,
        salesforce_dataloader_tasks,
        marketo_activities,
        pipedrive_deals_de,
    ):
        write()
