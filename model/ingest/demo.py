"""Deterministic, vectorised demo data: B2B leads and their events over two years.

A hidden propensity drives outcomes: some criteria of the default model really predict
wins (pricing visits, demo requests, budget, timeline), some plausible-looking ones do not
(country, webinars, social follows, financial services), and won leads keep engaging after
their 14-day mark, so scoring with later events visibly leaks the outcome.
The same seed and size give the same files byte for byte.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEMO_END = pd.Timestamp("2026-11-01")
DAY_S = 86_400

INDUSTRIES = {  # share, effect on the log-odds of winning
    "Software": (0.18, 0.9),
    "SaaS": (0.10, 0.9),
    "IT Services": (0.10, 0.4),
    "Financial Services": (0.12, 0.0),
    "Manufacturing": (0.14, -0.1),
    "Healthcare": (0.10, 0.1),
    "Retail": (0.10, -0.3),
    "Education": (0.08, -0.6),
    "Government": (0.04, -0.5),
    "Other": (0.04, -0.4),
}
JOB_LEVELS = {
    "C-level": (0.07, 0.7),
    "VP": (0.09, 0.6),
    "Director": (0.16, 0.5),
    "Manager": (0.28, 0.1),
    "Individual contributor": (0.30, -0.4),
    "Student": (0.05, -2.5),
    "Select": (0.05, -0.3),
}
JOB_FUNCTIONS = {
    "IT": (0.25, 0.4),
    "Operations": (0.15, 0.3),
    "Engineering": (0.15, 0.2),
    "Marketing": (0.15, 0.0),
    "Sales": (0.12, -0.1),
    "Finance": (0.08, 0.0),
    "HR": (0.06, -0.3),
    "": (0.04, -0.2),
}
COUNTRIES = {  # no effect at all: a plausible criterion that earns nothing
    "United States": (0.38, 0.0),
    "United Kingdom": (0.12, 0.0),
    "Germany": (0.10, 0.0),
    "Canada": (0.07, 0.0),
    "France": (0.08, 0.0),
    "India": (0.09, 0.0),
    "Brazil": (0.06, 0.0),
    "Australia": (0.05, 0.0),
    "Japan": (0.05, 0.0),
}
NEEDS = {"High": (0.25, 0.5), "Medium": (0.35, 0.2), "Low": (0.25, -0.3), "": (0.15, 0.0)}
TIMELINES = {
    "0-3 months": (0.18, 0.9),
    "3-6 months": (0.22, 0.4),
    "6-12 months": (0.25, 0.0),
    "No timeline": (0.35, -0.4),
}
EMAIL_TYPES = {"business": (0.82, 0.0), "personal": (0.14, -0.6), "competitor": (0.04, -4.0)}
SOURCES = {
    "web search": (0.22, 0.1),
    "paid ads": (0.16, -0.2),
    "webinar": (0.09, 0.0),
    "trade show": (0.07, 0.2),
    "referral": (0.08, 0.7),
    "outbound call": (0.10, -0.1),
    "direct mail": (0.03, -0.3),
    "email campaign": (0.11, -0.1),
    "partner": (0.08, 0.5),
    "press": (0.06, 0.0),
}
# event type: (mean count per lead, effect of interest on the rate, channel)
EVENT_TYPES = {
    "pricing_page_view": (0.9, 0.9, "web"),
    "product_page_view": (2.6, 0.35, "web"),
    "blog_view": (2.4, 0.0, "web"),
    "demo_request": (0.12, 1.3, "web"),
    "webinar_attended": (0.35, 0.0, "event"),
    "ebook_download": (0.7, -0.1, "web"),
    "whitepaper_download": (0.45, 0.1, "web"),
    "newsletter_signup": (0.25, -0.1, "email"),
    "email_click_offer": (0.9, 0.6, "email"),
    "email_open_info": (4.8, 0.05, "email"),
    "social_follow": (0.2, 0.0, "social"),
    "careers_page_view": (0.15, -0.9, "web"),
}
LATE_EVENTS = {"pricing_page_view": 2.0, "demo_request": 0.5, "product_page_view": 2.5}
STAGES_LOST = ["New", "Working", "Qualified", "Opportunity", "Negotiation"]


@dataclass(frozen=True)
class DemoData:
    leads: pd.DataFrame
    events: pd.DataFrame


def _choice(rng: np.random.Generator, table: dict, n: int) -> tuple[pd.Categorical, np.ndarray]:
    """Draw n values from {value: (share, effect)}; return values and their effects."""
    names = list(table)
    share = np.array([table[k][0] for k in names])
    effect = np.array([table[k][1] for k in names])
    idx = rng.choice(len(names), size=n, p=share / share.sum())
    return pd.Categorical.from_codes(idx, categories=names), effect[idx]


def generate(
    n_leads: int = 20_000,
    *,
    seed: int = 7,
    end: pd.Timestamp = DEMO_END,
    progress: Callable[[float, str], None] | None = None,
) -> DemoData:
    """Make `n_leads` leads over the two years before `end`, about 15 events each."""
    say = progress or (lambda _f, _m: None)
    rng = np.random.default_rng(seed)
    n = n_leads
    say(0.05, "Drawing lead attributes")
    logit = np.zeros(n)
    cols: dict[str, pd.Categorical] = {}
    for name, table in [
        ("source", SOURCES),
        ("industry", INDUSTRIES),
        ("job_level", JOB_LEVELS),
        ("job_function", JOB_FUNCTIONS),
        ("country", COUNTRIES),
        ("need", NEEDS),
        ("timeline", TIMELINES),
        ("email_type", EMAIL_TYPES),
    ]:
        cols[name], effect = _choice(rng, table, n)
        logit += effect
    employees = np.round(np.exp(rng.normal(5.6, 1.7, n))).clip(1, 250_000)
    logit += np.where((employees >= 200) & (employees <= 5000), 0.6, 0.0)
    logit += np.where(employees > 5000, 0.2, np.where(employees < 20, -0.6, 0.0))
    revenue = np.round(employees * np.exp(rng.normal(11.9, 0.6, n)), -3)
    revenue[rng.random(n) < 0.12] = np.nan
    budget = rng.random(n) < 0.3
    authority = rng.random(n) < 0.35
    logit += 0.8 * budget + 0.5 * authority
    interest = rng.normal(0.0, 1.0, n)
    logit += 1.1 * interest
    p_win = 1.0 / (1.0 + np.exp(-(logit - 4.2)))

    say(0.25, "Dating leads and outcomes")
    span_s = 730 * DAY_S
    age_s = np.floor(span_s * (1.0 - np.sqrt(rng.random(n)))).astype(np.int64)  # growing inflow
    created_s = end.value // 10**9 - age_s
    created_s = created_s - created_s % 60
    close_days = 14 + rng.exponential(45, n)
    closed_s = created_s + (close_days * DAY_S).astype(np.int64)
    is_closed = closed_s < end.value // 10**9
    won = is_closed & (rng.random(n) < p_win)
    outcome = pd.Categorical.from_codes(
        np.where(~is_closed, 2, np.where(won, 0, 1)), categories=["won", "lost", "open"]
    )
    reach = np.clip(np.floor(rng.random(n) * 3 + 2.0 * p_win * 3 + 0.4 * interest), 0, 4)
    stage_code = np.where(won, len(STAGES_LOST), reach.astype(int))
    stage = pd.Categorical.from_codes(stage_code, categories=[*STAGES_LOST, "Closed Won"])
    value = np.round(2_000 + 12.0 * np.sqrt(employees) * np.exp(rng.normal(5.0, 0.5, n)), -2)

    say(0.45, "Drawing events")
    events = _events(rng, created_s, interest, won, closed_s, end)
    ids = pd.Index(np.arange(1, n + 1)).map("L{:07d}".format)
    leads = pd.DataFrame(
        {
            "lead_id": ids,
            "created_at": pd.to_datetime(created_s, unit="s"),
            "source": cols["source"],
            "industry": cols["industry"],
            "employees": employees.astype(np.int64),
            "annual_revenue": revenue,
            "job_level": cols["job_level"],
            "job_function": cols["job_function"],
            "country": cols["country"],
            "email_type": cols["email_type"],
            "budget_confirmed": budget,
            "decision_maker": authority,
            "need": cols["need"],
            "timeline": cols["timeline"],
            "stage": stage,
            "value": value,
            "outcome": outcome,
            "closed_at": pd.to_datetime(np.where(is_closed, closed_s, np.nan), unit="s"),
        }
    )
    leads["company_name"] = _companies(seed, cols, employees)
    events["lead_id"] = pd.Categorical.from_codes(events.pop("lead"), categories=ids)
    say(0.9, "Done drawing")
    return DemoData(leads, events[["lead_id", "occurred_at", "event_type", "channel"]])


COMPANY_WORDS = (
    ["Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
     "Acme", "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts",
     "Oceanic", "Monarch", "Aperture", "Massive", "Pied Piper", "Dunder", "Sterling", "Blue Sun"],
    ["Systems", "Labs", "Group", "Holdings", "Software", "Analytics", "Logistics", "Health",
     "Partners", "Industries", "Bank", "Retail", "Energy", "Media", "Foods", "Works"],
)  # fmt: skip
PEOPLE_PER_COMPANY = 3.5  # on average: a buying group, not one contact


def _companies(seed: int, cols: dict[str, pd.Categorical], employees: np.ndarray) -> np.ndarray:
    """Each lead's company: people who share an industry, a country and a company size
    work at one of a few companies, about 3.5 leads each. Drawn from a stream of its own,
    so every other column is what the same seed always gave."""
    rng = np.random.default_rng([seed, 2])
    size = np.digitize(employees, [20, 200, 1000, 5000])
    cell = (cols["industry"].codes * 100 + cols["country"].codes) * 10 + size
    _, where, count = np.unique(cell, return_inverse=True, return_counts=True)
    per_cell = np.maximum(1, np.round(count / PEOPLE_PER_COMPANY)).astype(np.int64)
    slot = np.floor(rng.random(len(cell)) * per_cell[where]).astype(np.int64)
    company, _ = pd.factorize(cell.astype(np.int64) * 100_000 + slot)
    first, second = COMPANY_WORDS
    pairs = len(first) * len(second)
    names = [
        f"{first[k % len(first)]} {second[k // len(first) % len(second)]}"
        + (f" {k // pairs + 1}" if k >= pairs else "")
        for k in range(company.max() + 1)
    ]
    return np.array(names, dtype=object)[rng.permutation(len(names))[company]]


def _events(
    rng: np.random.Generator,
    created_s: np.ndarray,
    interest: np.ndarray,
    won: np.ndarray,
    closed_s: np.ndarray,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Events per lead and type from Poisson counts; dated mostly after creation."""
    names = list(EVENT_TYPES)
    mean = np.array([EVENT_TYPES[t][0] for t in names])
    slope = np.array([EVENT_TYPES[t][1] for t in names])
    activity = np.exp(rng.normal(0.0, 0.5, len(created_s)))
    rate = mean * activity[:, None] * np.exp(slope * interest[:, None] - slope**2 / 2)
    counts = rng.poisson(rate)
    late_mean = np.array([LATE_EVENTS.get(t, 0.0) for t in names])
    late = rng.poisson(won[:, None] * late_mean)
    per_type = np.tile(np.arange(len(names)), len(created_s))
    kind = np.concatenate([np.repeat(per_type, counts.ravel()), np.repeat(per_type, late.ravel())])
    n_early = int(counts.sum())
    lead = np.concatenate(
        [
            np.repeat(np.arange(len(created_s)), counts.sum(axis=1)),
            np.repeat(np.arange(len(created_s)), late.sum(axis=1)),
        ]
    )
    m = len(lead)
    offset_days = np.where(rng.random(m) < 0.1, -rng.exponential(20.0, m), rng.exponential(13.0, m))
    offset_days[n_early:] = 14.0 + rng.exponential(12.0, m - n_early)
    occurred = created_s[lead] + (offset_days * DAY_S).astype(np.int64)
    stop = np.minimum(closed_s, end.value // 10**9)
    keep = occurred < stop[lead]
    order = np.argsort(occurred[keep] * len(names) + kind[keep])
    lead, kind, occurred = lead[keep][order], kind[keep][order], occurred[keep][order]
    channels = sorted({EVENT_TYPES[t][2] for t in names})
    channel = np.array([channels.index(EVENT_TYPES[t][2]) for t in names])
    return pd.DataFrame(
        {
            "lead": lead,
            "occurred_at": pd.to_datetime(occurred, unit="s"),
            "event_type": pd.Categorical.from_codes(kind, categories=names),
            "channel": pd.Categorical.from_codes(channel[kind], categories=channels),
        }
    )


def write(data: DemoData, out: str | Path) -> tuple[Path, Path]:
    """Write leads.csv and events.csv; deterministic formatting so bytes repeat."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    leads_path, events_path = out / "leads.csv", out / "events.csv"
    for stale in ("leads.parquet", "events.parquet"):  # kept from the CSVs written before
        (out / stale).unlink(missing_ok=True)
    fmt = "%Y-%m-%d %H:%M:%S"
    data.leads.to_csv(leads_path, index=False, date_format=fmt, lineterminator="\n")
    data.events.to_csv(events_path, index=False, date_format=fmt, lineterminator="\n")
    return leads_path, events_path


DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"


def demo_folder() -> Path:
    """Where the app's demo set lives: data/demo, or LEADSCORE_DEMO_DIR (tests use it)."""
    return Path(os.environ.get("LEADSCORE_DEMO_DIR", DEMO_DIR))


def ensure_demo(
    folder: str | Path = DEMO_DIR,
    *,
    n_leads: int = 20_000,
    seed: int = 7,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[Path, Path]:
    """Generate the demo files once (atomically, so a half-written set is never read)."""
    folder = Path(folder)
    leads_path, events_path = folder / "leads.csv", folder / "events.csv"
    if leads_path.exists() and events_path.exists():
        return leads_path, events_path
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=folder.parent))
    try:
        data = generate(n_leads, seed=seed, progress=progress)
        if progress:
            progress(0.92, "Writing CSV files")
        write(data, tmp)
        folder.mkdir(exist_ok=True)
        for name in ("leads.csv", "events.csv"):
            os.replace(tmp / name, folder / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return leads_path, events_path


def keep_parquet(
    folder: str | Path, progress: Callable[[float, str], None] | None = None
) -> dict[Path, pd.DataFrame]:
    """Keep the demo CSVs, as read, also as Parquet beside them (written once, atomically),
    so later starts read typed columns instead of parsing text; the CSVs stay the files
    people open. A folder that cannot be written to is read as CSV, as before. Returns the
    tables it read, by the Parquet file that now holds each, so that loading them does not
    read them again."""
    from model.ingest.catalog import copy_is_current
    from model.ingest.readers import read_table

    folder = Path(folder)
    read: dict[Path, pd.DataFrame] = {}
    for i, stem in enumerate(("leads", "events")):
        source, kept = folder / f"{stem}.csv", folder / f"{stem}.parquet"
        if not source.exists() or copy_is_current(kept, source):
            continue
        if progress:
            progress(i / 2, f"Keeping the demo's {source.name} as Parquet (first start only)…")
        part = folder / f".{stem}.parquet.part"
        try:
            table = read_table(source, levels=stem == "events")  # types and channels coded
            table.to_parquet(part, index=False)
            os.replace(part, kept)
        except OSError:
            part.unlink(missing_ok=True)
        else:
            read[kept] = table
    return read
