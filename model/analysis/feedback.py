"""Sales feedback as data: reps' verdicts on handed-off leads, read from a CSV in the
shapes CRMs export, and the review's figures (acceptance by band and by criterion fired,
the criteria most present in rejected leads, the reasons given).

A lead may be judged twice (a rep reconsiders): every row is kept, and the figures read
the newest verdict per lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from model.core.cells import to_dates
from model.core.dataset import Dataset, index_in
from model.core.feedback import VERDICTS, Feedback
from model.core.hits import Hits
from model.core.scoring import Scores
from model.core.spec import ScoringModel

# column names of a feedback export, lower-cased, in the words CRMs use for them
COLUMN_WORDS = {
    "lead_id": (
        "lead_id",
        "lead id",  # Salesforce
        "record id",  # HubSpot, Zoho
        "(do not modify) lead",  # Dynamics 365
        "contact id",
        "leadid",
        "id",  # Pipedrive
        "lead",
    ),
    "verdict": (
        "verdict",
        "feedback",
        "accepted",
        "sales verdict",
        "decision",
        "lead status",  # HubSpot, Salesforce, Zoho
        "status",
    ),
    "reason": (
        "reason",
        "rejection reason",
        "reason code",
        "disqualification reason",
        "status reason",  # Dynamics 365
    ),
    "note": ("note", "notes", "comment", "comments", "description"),
    "author": (
        "author",
        "rep",
        "owner",
        "sales rep",
        "lead owner",  # Salesforce, Zoho
        "contact owner",  # HubSpot
        "by",
        "entered by",
    ),
    "given_at": ("given_at", "date", "when", "feedback date", "modified", "last modified date"),
}
VERDICT_WORDS = {
    "accepted": {
        "accepted",
        "accept",
        "yes",
        "y",
        "true",
        "1",
        "sal",
        "sales accepted",
        "qualified",
        "sales qualified",
        "open deal",  # HubSpot lead status
        "pre-qualified",  # Zoho lead status
        "working - contacted",  # Salesforce lead status
        "closed - converted",
    },
    "rejected": {
        "rejected",
        "reject",
        "no",
        "n",
        "false",
        "0",
        "disqualified",
        "unqualified",
        "recycled",
        "sales rejected",
        "closed - not converted",  # Salesforce lead status
        "junk lead",  # Zoho lead status
        "not qualified",
    },
}
MIN_JUDGED = 5  # a criterion or band judged on fewer leads says nothing


class FeedbackError(ValueError):
    """A feedback file that cannot be taken in; names the column, row and value."""


def read_feedback(frame: pd.DataFrame, reasons: list[str], source: str) -> list[Feedback]:
    """Rows of a feedback export as verdicts, all or none: an unknown verdict, a reason not
    in the team's list or an unreadable date is refused with its row numbers."""
    columns = _columns(frame, source)
    take = {k: frame[c].astype("string").str.strip() for k, c in columns.items()}
    verdict = _verdicts(take["verdict"], source)
    reason = _reasons(take.get("reason"), verdict, reasons, source)
    given = _dates(take.get("given_at"), source) or [None] * len(frame)
    ids = take["lead_id"]
    if ids.isna().any() or (ids == "").any():
        raise FeedbackError(f"{source}: rows {_rows(ids.isna() | (ids == ''))} have no lead id")
    note = take.get("note", pd.Series("", index=frame.index)).fillna("")
    author = take.get("author", pd.Series("", index=frame.index)).fillna("")
    return [
        Feedback(str(i), v, r, str(n), str(a), g)
        for i, v, r, n, a, g in zip(ids, verdict, reason, note, author, given, strict=True)
    ]


def _columns(frame: pd.DataFrame, source: str) -> dict[str, str]:
    """Our field -> the file's column, by the words CRMs use; lead id and verdict needed."""
    lower = {str(c).strip().lower(): c for c in frame.columns}
    found = {}
    for field, words in COLUMN_WORDS.items():
        hit = next((lower[w] for w in words if w in lower and lower[w] not in found.values()), None)
        if hit is not None:
            found[field] = hit
    missing = [f for f in ("lead_id", "verdict") if f not in found]
    if missing:
        raise FeedbackError(
            f"{source} has no {' or '.join(m.replace('_', ' ') for m in missing)} column "
            f"(it has: {', '.join(map(str, frame.columns[:12]))}); name them lead_id and "
            "verdict (accepted / rejected)"
        )
    return found


def _verdicts(text: pd.Series, source: str) -> pd.Series:
    words = text.str.lower()
    verdict = pd.Series(pd.NA, index=text.index, dtype="string")
    for name, spellings in VERDICT_WORDS.items():
        verdict[words.isin(spellings)] = name
    bad = verdict.isna()
    if bad.any():
        seen = ", ".join(repr(v) for v in text[bad].fillna("(blank)").unique()[:5])
        raise FeedbackError(
            f"{source}: verdict {seen} in rows {_rows(bad)} is neither accepted nor rejected"
        )
    return verdict


def _reasons(
    text: pd.Series | None, verdict: pd.Series, reasons: list[str], source: str
) -> pd.Series:
    """Reasons spelled as in the team's list (case-insensitive); every rejection has one."""
    text = text if text is not None else pd.Series(pd.NA, index=verdict.index, dtype="string")
    known = {r.lower(): r for r in reasons}
    spelled = text.str.lower().map(known)
    given = text.notna() & (text != "")
    unknown = given & spelled.isna()
    if unknown.any():
        seen = ", ".join(repr(v) for v in text[unknown].unique()[:5])
        raise FeedbackError(
            f"{source}: reason {seen} in rows {_rows(unknown)} is not in the team's list "
            f"({', '.join(reasons)}); add it to the list first"
        )
    lacking = (verdict == "rejected") & ~given
    if lacking.any():
        raise FeedbackError(f"{source}: rejected rows {_rows(lacking)} give no reason")
    return spelled.fillna("")


def _dates(text: pd.Series | None, source: str) -> list[datetime | None]:
    if text is None:
        return []
    parsed = to_dates(text)
    bad = parsed.isna() & text.notna() & (text != "")
    if bad.any():
        seen = ", ".join(repr(v) for v in text[bad].unique()[:3])
        raise FeedbackError(f"{source}: date {seen} in rows {_rows(bad)} cannot be read")
    return [None if pd.isna(t) else t.to_pydatetime() for t in parsed]


def _rows(mask: pd.Series, limit: int = 5) -> str:
    """File row numbers (header is row 1) of the first rows flagged."""
    rows = np.flatnonzero(mask.to_numpy(bool)) + 2
    more = f" and {len(rows) - limit:,} more" if len(rows) > limit else ""
    return ", ".join(map(str, rows[:limit])) + more


def newest(rows: list[Feedback]) -> pd.DataFrame:
    """The newest verdict per lead (by when it was given, then entered)."""
    frame = pd.DataFrame(
        [
            (f.lead_id, f.verdict, f.reason, f.author, f.given_at, f.entered_at, n)
            for n, f in enumerate(rows)
        ],
        columns=["lead_id", "verdict", "reason", "author", "given_at", "entered_at", "order"],
    )
    frame = frame.sort_values(["given_at", "order"], kind="stable")
    return frame.drop_duplicates("lead_id", keep="last").drop(columns="order")


@dataclass(frozen=True)
class Acceptance:
    """What sales said about the leads the model handed them."""

    judged: int
    accepted: int
    unmatched: int  # verdicts on lead ids the dataset does not hold
    by_band: pd.DataFrame
    by_criterion: pd.DataFrame
    reasons: pd.DataFrame

    @property
    def rate(self) -> float:
        return self.accepted / self.judged if self.judged else float("nan")


def acceptance(
    data: Dataset, hits: Hits, scores: Scores, model: ScoringModel, rows: list[Feedback]
) -> Acceptance:
    """Acceptance by band and by criterion fired, and the criteria most present in rejected
    leads (share of rejected leads it fired on minus share of accepted ones)."""
    verdicts = newest(rows)
    at = index_in(verdicts["lead_id"].to_numpy(object), data.lead_ids)
    known = at >= 0
    verdicts, at = verdicts[known], at[known]
    ok = (verdicts["verdict"] == "accepted").to_numpy()
    band = scores.band_names(model)[at]
    by_band = _rate_table(pd.Series(band, name="band"), ok, [b.name for b in model.bands])
    return Acceptance(
        judged=len(at),
        accepted=int(ok.sum()),
        unmatched=int((~known).sum()),
        by_band=by_band,
        by_criterion=_by_criterion(hits, model, at, ok),
        reasons=_reason_table(verdicts),
    )


def _rate_table(group: pd.Series, ok: np.ndarray, order: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({group.name: group.to_numpy(), "ok": ok})
    table = frame.groupby(group.name, sort=False)["ok"].agg(judged="size", accepted="sum")
    table = table.reindex(order).fillna(0).astype(int).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["acceptance"] = table["accepted"] / table["judged"].replace(0, np.nan)
    return table


def _by_criterion(hits: Hits, model: ScoringModel, at: np.ndarray, ok: np.ndarray) -> pd.DataFrame:
    rows = []
    for k, c in enumerate(model.criteria):
        fired = hits.fired(k, at) if len(at) else np.zeros(0, bool)
        n = int(fired.sum())
        rows.append(
            {
                "criterion": c.label,
                "points": c.points,
                "judged": n,
                "accepted": int((fired & ok).sum()),
                "acceptance": (fired & ok).sum() / n if n >= MIN_JUDGED else np.nan,
                "in rejected": fired[~ok].mean() if (~ok).any() else np.nan,
                "in accepted": fired[ok].mean() if ok.any() else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    table["rejected − accepted"] = table["in rejected"] - table["in accepted"]
    return table.sort_values("rejected − accepted", ascending=False, na_position="last")


def _reason_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    rejected = verdicts[verdicts["verdict"] == "rejected"]
    counts = rejected["reason"].value_counts()
    return pd.DataFrame({"reason": counts.index, "rejected leads": counts.to_numpy()})


def template(reasons: list[str]) -> str:
    """A CSV to fill in: the columns read, one accepted and one rejected example."""
    return (
        "lead_id,verdict,reason,note,author,date\n"
        "L00001,accepted,,Booked a demo,Sam Rep,2026-11-30\n"
        f"L00002,rejected,{reasons[0] if reasons else ''},,Sam Rep,2026-11-30\n"
    )


assert set(VERDICT_WORDS) == set(VERDICTS)
