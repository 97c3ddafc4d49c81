"""A rep's verdict on a handed-off lead, the record the store keeps and the review reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

VERDICTS = ("accepted", "rejected")
DEFAULT_REASONS = (
    "Wrong person",
    "No budget",
    "Student",
    "Already a customer",
    "Duplicate",
    "Competitor",
    "Bad contact details",
    "Not ready yet",
)


@dataclass(frozen=True)
class Feedback:
    """A rep's verdict on a handed-off lead: accepted or rejected, with a reason code.
    `given_at` is when the rep gave it, `entered_at` when it reached the store."""

    lead_id: str
    verdict: str
    reason: str = ""
    note: str = ""
    author: str = ""
    given_at: datetime | None = None
    live_number: int | None = None
    entered_at: datetime | None = None
