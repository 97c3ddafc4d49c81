"""Append-only revision store on SQLAlchemy Core (a SQLite file in the user data folder by
default, any SQLAlchemy URL via LEADSCORE_DB_URL, e.g. a team's PostgreSQL).

Nothing is ever updated or deleted: a save inserts a revision, "make live" inserts a
status row, a review inserts a review row. A save names the parent it was edited from and
is refused with `Conflict` when a newer revision exists (optimistic concurrency).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from platformdirs import user_data_path
from sqlalchemy.engine import Connection, Engine

from model.core.feedback import DEFAULT_REASONS, VERDICTS, Feedback
from model.core.spec import ModelError, ScoringModel, parse_model
from model.store import access

SCHEMA_VERSION = 5
FIRST_REVIEW_DAYS = 60
REVIEW_EVERY_DAYS = 90
PREFIX = "leadscore_"

metadata = sa.MetaData()
meta_table = sa.Table(
    f"{PREFIX}meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
revisions_table = sa.Table(
    f"{PREFIX}revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("parent", sa.Integer),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("model_json", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("criterion_notes", sa.Text, nullable=False),
    sa.UniqueConstraint("model_name", "number", name=f"{PREFIX}revision_number"),
)
status_table = sa.Table(
    f"{PREFIX}status",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.String(40), nullable=False),
)
reviews_table = sa.Table(
    f"{PREFIX}reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("live_number", sa.Integer),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("reviewed_at", sa.String(40), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("ready_to_opportunity", sa.Float),
)
calibrations_table = sa.Table(
    f"{PREFIX}calibrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("saved_at", sa.String(40), nullable=False),
    sa.Column("calibration", sa.Text, nullable=False),
)


decisions_table = sa.Table(
    f"{PREFIX}decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("live_before", sa.Integer),
    sa.Column("verdict", sa.String(16), nullable=False),  # passed / override / no_live
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("figures", sa.Text, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("decided_at", sa.String(40), nullable=False),
)


shadows_table = sa.Table(
    f"{PREFIX}shadows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer),  # NULL: the shadow run was stopped
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.String(40), nullable=False),
)
feedback_table = sa.Table(
    f"{PREFIX}feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("lead_id", sa.String(200), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),  # accepted / rejected
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("live_number", sa.Integer),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("given_at", sa.String(40), nullable=False),
    sa.Column("entered_at", sa.String(40), nullable=False),
)
reasons_table = sa.Table(
    f"{PREFIX}feedback_reasons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),  # the whole list, newest row wins
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.String(40), nullable=False),
)


roles_table = sa.Table(
    f"{PREFIX}roles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subject", sa.String(200), nullable=False),  # an e-mail, or @domain
    sa.Column("role", sa.String(16), nullable=False),  # viewer / editor / approver / none
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.String(40), nullable=False),
)
api_keys_table = sa.Table(
    f"{PREFIX}api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key_id", sa.String(16), nullable=False, unique=True),  # the key's public part
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),  # SHA-256 of the secret part
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)
revoked_keys_table = sa.Table(
    f"{PREFIX}api_key_revocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=False),
)


def _add_team(conn: Connection) -> None:
    """Schema 5: who may do what (roles per e-mail or domain) and the scoring API's keys."""
    for table in (roles_table, api_keys_table, revoked_keys_table):
        table.create(conn)


def _add_feedback(conn: Connection) -> None:
    """Schema 4: shadow runs, sales feedback on handed-off leads and its reason list."""
    for table in (shadows_table, feedback_table, reasons_table):
        table.create(conn)


def _add_decisions(conn: Connection) -> None:
    """Schema 3: each go-live decision with the gate's figures, verdict and reason."""
    decisions_table.create(conn)


def _add_calibrations(conn: Connection) -> None:
    """Schema 2: calibrations saved with the revision they were fitted for."""
    calibrations_table.create(conn)


# version -> the function that upgrades a store from the version before it
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _add_calibrations,
    3: _add_decisions,
    4: _add_feedback,
    5: _add_team,
}


class StoreError(RuntimeError):
    """The revision store cannot be used (corrupt, foreign or newer file); names the place."""


class Conflict(RuntimeError):
    """A save from a parent that is no longer the latest revision; `latest` says who won."""

    def __init__(self, message: str, latest: Revision) -> None:
        super().__init__(message)
        self.latest = latest


@dataclass(frozen=True)
class Revision:
    """One immutable saved scoring model, with its status derived from the status rows."""

    model_name: str
    number: int
    parent: int | None
    author: str
    created_at: datetime
    model: ScoringModel
    note: str
    criterion_notes: dict[str, str] = field(default_factory=dict)
    status: str = "draft"
    live_since: datetime | None = None

    @property
    def label(self) -> str:
        return f"v{self.number}"

    def describe(self) -> str:
        """'v4 (live) by Dana, 2026-11-23 10:04 UTC: raise pricing'."""
        note = f": {self.note}" if self.note else ""
        return f"{self.label} ({self.status}) by {self.author}, {stamp(self.created_at)}{note}"


@dataclass(frozen=True)
class Decision:
    """Why a revision went live: the gate's verdict (passed, override, or no_live when
    nothing was live to compare with), the reason given for an override, the figures."""

    verdict: str
    reason: str = ""
    figures: dict = field(default_factory=dict)
    number: int | None = None
    live_before: int | None = None
    author: str = ""
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Review:
    """A 60/90-day review that was held, with the ratio it saw."""

    model_name: str
    live_number: int | None
    reviewer: str
    reviewed_at: datetime
    note: str
    ready_to_opportunity: float | None


@dataclass(frozen=True)
class Cadence:
    """Where a model stands in its review cycle on a given day."""

    live: Revision | None
    first_live: datetime | None
    last_review: Review | None
    next_due: date | None
    today: date

    @property
    def overdue_days(self) -> int:
        """Days past the due date, 0 when not due yet or nothing is live."""
        if self.next_due is None:
            return 0
        return max((self.today - self.next_due).days, 0)


def stamp(moment: datetime) -> str:
    """A UTC time for people: '2026-11-23 10:04 UTC'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def default_url() -> str:
    """LEADSCORE_DB_URL, else a SQLite file in the user data folder."""
    url = os.environ.get("LEADSCORE_DB_URL")
    if url:
        return url
    folder = user_data_path("leadscore", appauthor=False)
    return f"sqlite:///{folder / 'revisions.db'}"


def _now() -> datetime:
    return datetime.now(UTC)


class RevisionStore:
    """The append-only store. Open it once per process; every method is one transaction."""

    def __init__(self, url: str | None = None, *, clock: Callable[[], datetime] = _now) -> None:
        self.url = url or default_url()
        self.clock = clock
        self.engine, self.read_only = _engine(self.url)
        self._parsed: dict[int, Revision | str] = {}  # row id -> revision: rows never change
        self.unreadable: dict[int, str] = {}  # row id -> why it cannot be read
        self._open()

    def close(self) -> None:
        """Close the pooled connections (a server's store lives as long as its process)."""
        self.engine.dispose()

    @property
    def location(self) -> str:
        """The file for SQLite, else the URL without its password."""
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            return self.engine.url.database
        return self.engine.url.render_as_string(hide_password=True)

    # ---------------------------------------------------------------- reading

    def model_names(self) -> list[str]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(revisions_table.c.model_name).distinct().order_by("model_name")
            )
            return [r[0] for r in rows]

    def revisions(self, model_name: str) -> list[Revision]:
        """Every revision of one model, oldest first, with its status."""
        with self._read() as conn:
            return self._revisions(conn, model_name)

    def get(self, model_name: str, number: int) -> Revision:
        for revision in self.revisions(model_name):
            if revision.number == number:
                return revision
        known = ", ".join(r.label for r in self.revisions(model_name)) or "none"
        raise ValueError(f"model {model_name!r} has no revision {number} (it has: {known})")

    def latest(self, model_name: str) -> Revision | None:
        found = self.revisions(model_name)
        return found[-1] if found else None

    def live(self, model_name: str) -> Revision | None:
        return next((r for r in self.revisions(model_name) if r.status == "live"), None)

    def reviews(self, model_name: str) -> list[Review]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(reviews_table)
                .where(reviews_table.c.model_name == model_name)
                .order_by(reviews_table.c.id)
            ).mappings()
            return [
                Review(
                    r["model_name"],
                    r["live_number"],
                    r["reviewer"],
                    datetime.fromisoformat(r["reviewed_at"]),
                    r["note"],
                    r["ready_to_opportunity"],
                )
                for r in rows
            ]

    def cadence(self, model_name: str, today: date | None = None) -> Cadence:
        """The first review is due 60 days after the first go-live, then 90 days after each
        review held."""
        today = today or self.clock().date()
        revisions = self.revisions(model_name)
        live = next((r for r in revisions if r.status == "live"), None)
        with self._read() as conn:
            first = conn.execute(
                sa.select(sa.func.min(status_table.c.changed_at)).where(
                    status_table.c.model_name == model_name
                )
            ).scalar()
        first_live = datetime.fromisoformat(first) if first else None
        reviews = self.reviews(model_name)
        last = reviews[-1] if reviews else None
        due = None
        if live is not None and first_live is not None:
            if last is None:
                due = first_live.date() + timedelta(days=FIRST_REVIEW_DAYS)
            else:
                due = last.reviewed_at.date() + timedelta(days=REVIEW_EVERY_DAYS)
        return Cadence(live, first_live, last, due, today)

    # ---------------------------------------------------------------- writing

    def save(
        self,
        model: ScoringModel,
        *,
        author: str,
        note: str,
        parent: int | None,
        criterion_notes: dict[str, str] | None = None,
    ) -> Revision:
        """Store `model` as the next revision of its name, edited from `parent` (None for a
        first revision). Refused with Conflict when `parent` is not the latest."""
        author = _required(author, "author")
        note = _clean(note, "note")
        _clean(model.name, "model name", limit=NAME_LIMIT)
        notes = {
            k: _clean(v, f"note on {k}").strip()
            for k, v in (criterion_notes or {}).items()
            if v and v.strip()
        }
        unknown = sorted(set(notes) - {c.id for c in model.criteria})
        if unknown:
            raise ValueError(f"criterion notes name criteria not in the model: {unknown}")
        try:
            with self._write() as conn:
                latest = self._latest_row(conn, model.name)
                number = self._check_parent(conn, model.name, latest, parent)
                created = self.clock()
                conn.execute(
                    revisions_table.insert().values(
                        model_name=model.name,
                        number=number,
                        parent=parent,
                        author=author,
                        created_at=created.isoformat(),
                        model_json=model.to_json(),
                        note=note.strip(),
                        criterion_notes=json.dumps(notes, sort_keys=True),
                    )
                )
        except sa.exc.IntegrityError:  # a racing writer took the number (PostgreSQL)
            raise self._conflict(self.latest(model.name), parent) from None
        return Revision(model.name, number, parent, author, created, model, note.strip(), notes)

    def restore(self, model_name: str, number: int, *, author: str, parent: int) -> Revision:
        """Save a new revision whose content equals revision `number`."""
        old = self.get(model_name, number)
        return self.save(
            old.model,
            author=author,
            note=f"Restored revision {number}",
            parent=parent,
            criterion_notes=old.criterion_notes,
        )

    def make_live(
        self, model_name: str, number: int, *, author: str, decision: Decision | None = None
    ) -> Revision:
        """Make a revision the live one; the one live before is retired by the same row.
        `decision` (the gate's figures, verdict and reason) is kept with it, in the same
        transaction."""
        author = _required(author, "author")
        self.get(model_name, number)
        before = self.live(model_name)
        now = self.clock().isoformat()
        with self._write() as conn:
            conn.execute(
                status_table.insert().values(
                    model_name=model_name,
                    number=number,
                    status="live",
                    author=author,
                    changed_at=now,
                )
            )
            if decision is not None:
                conn.execute(
                    decisions_table.insert().values(
                        model_name=model_name,
                        number=number,
                        live_before=before.number if before else None,
                        verdict=decision.verdict,
                        reason=_clean(decision.reason, "reason"),
                        figures=json.dumps(decision.figures, sort_keys=True),
                        author=author,
                        decided_at=now,
                    )
                )
        return self.get(model_name, number)

    def shadow(self, model_name: str) -> Revision | None:
        """The revision running in shadow beside the live one, or None."""
        run = self.shadow_run(model_name)
        return run[0] if run else None

    def shadow_run(self, model_name: str) -> tuple[Revision, datetime] | None:
        """The shadow revision and when its run began, or None when none runs."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(shadows_table.c.number, shadows_table.c.changed_at)
                .where(shadows_table.c.model_name == model_name)
                .order_by(shadows_table.c.id.desc())
                .limit(1)
            ).first()
        if row is None or row[0] is None:
            return None
        return self.get(model_name, row[0]), datetime.fromisoformat(row[1])

    def set_shadow(self, model_name: str, number: int | None, *, author: str) -> None:
        """Run revision `number` in shadow (None stops the shadow run); a new row each time."""
        author = _required(author, "author")
        if number is not None:
            revision = self.get(model_name, number)
            if revision.status == "live":
                raise ValueError(f"{revision.label} is live: only a candidate runs in shadow")
        with self._write() as conn:
            conn.execute(
                shadows_table.insert().values(
                    model_name=model_name,
                    number=number,
                    author=author,
                    changed_at=self.clock().isoformat(),
                )
            )

    def add_feedback(self, model_name: str, rows: list[Feedback], *, author: str) -> int:
        """Append reps' verdicts (one transaction, all or none); a later verdict on a lead
        is added beside the earlier one, never over it. Returns the rows added."""
        author = _required(author, "author")
        now = self.clock()
        live = self.live(model_name)
        values = [_feedback_row(model_name, f, author, now, live) for f in rows]
        if values:
            with self._write() as conn:
                conn.execute(feedback_table.insert(), values)
        return len(values)

    def feedback(self, model_name: str) -> list[Feedback]:
        """Every verdict entered for a model, oldest first (never updated or deleted)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(feedback_table)
                .where(feedback_table.c.model_name == model_name)
                .order_by(feedback_table.c.id)
            ).mappings()
            return [
                Feedback(
                    r["lead_id"],
                    r["verdict"],
                    r["reason"],
                    r["note"],
                    r["author"],
                    datetime.fromisoformat(r["given_at"]),
                    r["live_number"],
                    datetime.fromisoformat(r["entered_at"]),
                )
                for r in rows
            ]

    def feedback_reasons(self, model_name: str) -> list[str]:
        """The reasons a rep picks from: the team's latest list, else the defaults."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(reasons_table.c.reasons)
                .where(reasons_table.c.model_name == model_name)
                .order_by(reasons_table.c.id.desc())
                .limit(1)
            ).first()
        return json.loads(row[0]) if row else list(DEFAULT_REASONS)

    def set_feedback_reasons(
        self, model_name: str, reasons: list[str], *, author: str
    ) -> list[str]:
        """Keep a new reason list (added as a row; verdicts already given keep their words)."""
        author = _required(author, "author")
        cleaned = list(dict.fromkeys(_clean(r, "reason", limit=200).strip() for r in reasons))
        cleaned = [r for r in cleaned if r]
        if not cleaned:
            raise ValueError("the reason list needs at least one reason")
        with self._write() as conn:
            conn.execute(
                reasons_table.insert().values(
                    model_name=model_name,
                    reasons=json.dumps(cleaned),
                    author=author,
                    changed_at=self.clock().isoformat(),
                )
            )
        return cleaned

    def decisions(self, model_name: str) -> list[Decision]:
        """Every go-live decision of a model, oldest first (never updated or deleted)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(decisions_table)
                .where(decisions_table.c.model_name == model_name)
                .order_by(decisions_table.c.id)
            ).mappings()
            return [
                Decision(
                    r["verdict"],
                    r["reason"],
                    json.loads(r["figures"]),
                    number=r["number"],
                    live_before=r["live_before"],
                    author=r["author"],
                    decided_at=datetime.fromisoformat(r["decided_at"]),
                )
                for r in rows
            ]

    def record_review(
        self, model_name: str, *, reviewer: str, note: str, ready_to_opportunity: float | None
    ) -> Review:
        """Record that the 60/90-day review was held, with the ratio it looked at."""
        reviewer = _required(reviewer, "reviewer")
        note = _clean(note, "note")
        live = self.live(model_name)
        review = Review(
            model_name,
            live.number if live else None,
            reviewer,
            self.clock(),
            note.strip(),
            ready_to_opportunity,
        )
        with self._write() as conn:
            conn.execute(
                reviews_table.insert().values(
                    model_name=model_name,
                    live_number=review.live_number,
                    reviewer=reviewer,
                    reviewed_at=review.reviewed_at.isoformat(),
                    note=review.note,
                    ready_to_opportunity=ready_to_opportunity,
                )
            )
        return review

    def save_calibration(
        self, model_name: str, number: int, calibration: str, *, author: str
    ) -> None:
        """Keep a fitted calibration (JSON) with the revision it was fitted for; a later
        one for the same revision is added beside it, never over it."""
        author = _required(author, "author")
        self.get(model_name, number)
        with self._write() as conn:
            conn.execute(
                calibrations_table.insert().values(
                    model_name=model_name,
                    number=number,
                    author=author,
                    saved_at=self.clock().isoformat(),
                    calibration=calibration,
                )
            )

    def calibration(self, model_name: str, number: int) -> tuple[str, str, datetime] | None:
        """The newest calibration saved for a revision: (JSON, author, saved at), or None."""
        with self._read() as conn:
            row = (
                conn.execute(
                    sa.select(calibrations_table)
                    .where(
                        (calibrations_table.c.model_name == model_name)
                        & (calibrations_table.c.number == number)
                    )
                    .order_by(calibrations_table.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return row["calibration"], row["author"], datetime.fromisoformat(row["saved_at"])

    # ---------------------------------------------------------------- team

    def set_role(self, subject: str, role: str, *, author: str) -> str:
        """Give an e-mail or a whole domain ('@acme.com') a role, or take it away with
        'none'; the newest row per subject is in force. Returns the subject as kept."""
        author = _required(author, "author")
        subject = access.subject_of(subject)
        if role not in (*access.ROLES, access.NO_ROLE):
            raise ValueError(f"{role!r} is not a role: use {', '.join(access.ROLES)} or none")
        approvers = {s for s, (r, _, _) in self.roles().items() if r == "approver"}
        if role != "approver" and approvers == {subject}:
            raise ValueError(
                f"{subject} is the only approver: give someone else the approver role first, "
                "or nobody could make revisions live or give roles"
            )
        with self._write() as conn:
            conn.execute(
                roles_table.insert().values(
                    subject=subject, role=role, author=author, changed_at=self.clock().isoformat()
                )
            )
        return subject

    def roles(self) -> dict[str, tuple[str, str, datetime]]:
        """Every subject with a role in force: subject -> (role, granted by, when)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(roles_table).order_by(roles_table.c.id)).mappings()
            newest = {r["subject"]: r for r in rows}
        return {
            s: (r["role"], r["author"], datetime.fromisoformat(r["changed_at"]))
            for s, r in sorted(newest.items())
            if r["role"] != access.NO_ROLE
        }

    def role_of(self, email: str) -> str | None:
        """The role of a signed-in e-mail: its own row, else its domain's, else None."""
        email = (email or "").strip().lower()
        if not email:
            return None
        subjects = [email, access.domain_of(email)]
        with self._read() as conn:
            rows = conn.execute(
                sa.select(roles_table.c.subject, roles_table.c.role)
                .where(roles_table.c.subject.in_(subjects))
                .order_by(roles_table.c.id)
            ).all()
        newest = {s: r for s, r in dict(rows).items() if r in access.ROLES}  # "none" drops
        return newest.get(email) or newest.get(subjects[1])

    def create_api_key(self, name: str, *, author: str) -> access.NewKey:
        """A new key for the scoring API; only its digest is kept, so the token returned
        here is the one chance to copy it."""
        author = _required(author, "author")
        name = _required(name, "key name")
        key = access.new_key()
        with self._write() as conn:
            conn.execute(
                api_keys_table.insert().values(
                    key_id=key.key_id,
                    name=name,
                    digest=key.digest,
                    author=author,
                    created_at=self.clock().isoformat(),
                )
            )
        return key

    def revoke_api_key(self, key_id: str, *, author: str) -> None:
        """Stop a key from working, from its next call on."""
        author = _required(author, "author")
        if key_id not in {k["key_id"] for k in self.api_keys()}:
            raise ValueError(f"no API key {key_id!r}")
        with self._write() as conn:
            conn.execute(
                revoked_keys_table.insert().values(
                    key_id=key_id, author=author, revoked_at=self.clock().isoformat()
                )
            )

    def api_keys(self) -> list[dict]:
        """Every key ever created, newest first, without its digest: id, name, author,
        created, and revoked (None while it works)."""
        with self._read() as conn:
            keys = conn.execute(
                sa.select(api_keys_table).order_by(api_keys_table.c.id.desc())
            ).mappings()
            keys = [dict(k) for k in keys]
            revoked = dict(
                conn.execute(
                    sa.select(revoked_keys_table.c.key_id, revoked_keys_table.c.revoked_at)
                ).all()
            )
        return [
            {
                "key_id": k["key_id"],
                "name": k["name"],
                "author": k["author"],
                "created_at": datetime.fromisoformat(k["created_at"]),
                "revoked_at": datetime.fromisoformat(revoked[k["key_id"]])
                if k["key_id"] in revoked
                else None,
            }
            for k in keys
        ]

    def check_api_key(self, token: str) -> str | None:
        """The name of the key presented when it exists, matches and is not revoked."""
        parts = access.split_key(token)
        if parts is None:
            return None
        key_id, secret = parts
        with self._read() as conn:
            row = conn.execute(
                sa.select(api_keys_table.c.name, api_keys_table.c.digest).where(
                    api_keys_table.c.key_id == key_id
                )
            ).first()
            if row is None or not access.matches(secret, row.digest):
                return None
            gone = conn.execute(
                sa.select(revoked_keys_table.c.id).where(revoked_keys_table.c.key_id == key_id)
            ).first()
        return None if gone else row.name

    def live_marker(self) -> tuple[int, int]:
        """What changes whenever a revision goes live or a calibration is saved: the
        newest status and calibration rows (one cheap read for a server to poll)."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(
                    sa.select(sa.func.max(status_table.c.id)).scalar_subquery(),
                    sa.select(sa.func.max(calibrations_table.c.id)).scalar_subquery(),
                )
            ).one()
        return (row[0] or 0, row[1] or 0)

    # ---------------------------------------------------------------- internals

    def _open(self) -> None:
        """Check the database is ours (or empty) before touching it, then create or migrate."""
        try:
            with self.engine.connect() as conn:
                names = set(sa.inspect(conn).get_table_names())
            ours = {t.name for t in metadata.sorted_tables}
            if names and not names & ours and self.engine.dialect.name == "sqlite":
                raise StoreError(
                    f"{self.location} is not a Lead Scoring Studio revision store (it holds "
                    f"other tables: {', '.join(sorted(names)[:5])}); it was left untouched"
                )
            with self.engine.connect() as conn:
                version = self._schema_version(conn) if meta_table.name in names else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location} was written by a newer Lead Scoring Studio (schema "
                    f"{version}, this one reads up to {SCHEMA_VERSION}); it was left untouched"
                )
            if version < SCHEMA_VERSION and self.read_only:
                raise StoreError(
                    f"{self.location} is read-only and needs an upgrade to schema "
                    f"{SCHEMA_VERSION}; open it once where it can be written"
                )
            if version < SCHEMA_VERSION:
                with self._write() as conn:
                    self._upgrade(conn, self._schema_version(conn) if version else 0)
            if self.engine.dialect.name == "sqlite" and not self.read_only:
                raw = self.engine.raw_connection()  # outside any transaction, as WAL needs
                try:
                    raw.driver_connection.execute("PRAGMA journal_mode=WAL")
                finally:
                    raw.close()
        except sa.exc.DatabaseError as exc:
            raise StoreError(
                f"{self.location} cannot be read as a revision store: {exc.orig}; it was left "
                "untouched"
            ) from None

    @staticmethod
    def _schema_version(conn: Connection) -> int:
        value = conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).scalar()
        return int(value) if value is not None else 0

    @staticmethod
    def _upgrade(conn: Connection, version: int) -> None:
        if version == 0:
            metadata.create_all(conn)
            conn.execute(
                meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
            )
            return
        while version < SCHEMA_VERSION:
            MIGRATIONS[version + 1](conn)
            version += 1
            conn.execute(
                meta_table.update()
                .where(meta_table.c.key == "schema_version")
                .values(value=str(version))
            )

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise StoreError(f"{self.location}: {exc.orig}") from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction; on SQLite it takes the write lock first (BEGIN IMMEDIATE) so
        that reading the latest number and inserting the next one cannot interleave."""
        if self.read_only:
            raise StoreError(
                f"{self.location} is read-only: it can be listed and shown, not written"
            )
        with self.engine.begin() as conn:
            yield conn

    def _revisions(self, conn: Connection, model_name: str) -> list[Revision]:
        rows = conn.execute(
            sa.select(revisions_table)
            .where(revisions_table.c.model_name == model_name)
            .order_by(revisions_table.c.number)
        ).mappings()
        revisions = [r for r in (self._parse(row) for row in rows) if isinstance(r, Revision)]
        changes = conn.execute(
            sa.select(status_table.c.number, status_table.c.changed_at)
            .where(status_table.c.model_name == model_name)
            .order_by(status_table.c.id)
        ).all()
        if not changes:
            return revisions
        was_live = {n for n, _ in changes}
        live_number, since = changes[-1]
        return [
            replace(r, status="live", live_since=datetime.fromisoformat(since))
            if r.number == live_number
            else replace(r, status="retired")
            if r.number in was_live
            else r
            for r in revisions
        ]

    def _parse(self, row: sa.RowMapping) -> Revision | str:
        """A stored revision, validated once per process: rows are append-only, so the
        model JSON of a row id never changes (pages read revisions on every rerun). An
        unreadable row is the reason it cannot be read, kept in `unreadable`; the others
        stay usable."""
        if row["id"] not in self._parsed:
            try:
                self._parsed[row["id"]] = _revision(row)
            except StoreError as exc:
                self._parsed[row["id"]] = self.unreadable[row["id"]] = str(exc)
        return self._parsed[row["id"]]

    @staticmethod
    def _latest_row(conn: Connection, model_name: str) -> sa.RowMapping | None:
        return (
            conn.execute(
                sa.select(revisions_table)
                .where(revisions_table.c.model_name == model_name)
                .order_by(revisions_table.c.number.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )

    def _check_parent(
        self, conn: Connection, model_name: str, latest: sa.RowMapping | None, parent: int | None
    ) -> int:
        """The number the save gets, or Conflict when `parent` is not the latest."""
        newest = latest["number"] if latest else None
        if parent == newest:
            return (newest or 0) + 1
        if latest is None:
            raise ValueError(f"model {model_name!r} has no revision {parent} to save on top of")
        found = self._parse(latest)
        if isinstance(found, str):
            raise StoreError(f"{found}; the next save would go on top of it")
        raise self._conflict(found, parent)

    @staticmethod
    def _conflict(latest: Revision | None, parent: int | None) -> Conflict:
        if latest is None:  # cannot happen: a unique-number clash means a row exists
            raise RuntimeError("revision number clash with no revision stored")
        who = (
            f"revision {latest.number} was saved by {latest.author} at {stamp(latest.created_at)}"
            + (f" ({latest.note!r})" if latest.note else "")
        )
        if parent is None:
            what = f"{latest.model_name!r} already has revisions: {who}."
        else:
            what = f"{who} after you opened revision {parent} of {latest.model_name!r}."
        return Conflict(
            f"Not saved: {what} Your edits are kept; review the differences and save on top "
            f"of revision {latest.number}.",
            latest,
        )


def _revision(row: sa.RowMapping) -> Revision:
    try:
        model = parse_model(row["model_json"])
        notes = json.loads(row["criterion_notes"])
        if not isinstance(notes, dict):
            raise TypeError("criterion notes are not an object")
        return Revision(
            row["model_name"],
            row["number"],
            row["parent"],
            row["author"],
            datetime.fromisoformat(row["created_at"]),
            model,
            row["note"],
            notes,
        )
    except (ModelError, ValueError, TypeError) as exc:
        raise StoreError(
            f"revision {row['number']} of {row['model_name']!r} cannot be read: {exc}"
        ) from None


def _feedback_row(
    model_name: str, f: Feedback, author: str, now: datetime, live: Revision | None
) -> dict:
    """One feedback row to insert, checked: a known verdict, a lead id, a reason to reject."""
    lead_id = _clean(str(f.lead_id), "lead id", limit=NAME_LIMIT).strip()
    if not lead_id:
        raise ValueError("a feedback row has no lead id")
    if f.verdict not in VERDICTS:
        raise ValueError(
            f"lead {lead_id}: verdict {f.verdict!r} is not one of {', '.join(VERDICTS)}"
        )
    reason = _clean(f.reason, "reason", limit=200).strip()
    if f.verdict == "rejected" and not reason:
        raise ValueError(f"lead {lead_id}: a rejection needs a reason")
    given = f.given_at or now
    given = given if given.tzinfo else given.replace(tzinfo=UTC)
    return {
        "model_name": model_name,
        "lead_id": lead_id,
        "verdict": f.verdict,
        "reason": reason,
        "note": _clean(f.note, "note").strip(),
        "live_number": f.live_number if f.live_number is not None else (live and live.number),
        "author": _required(f.author or author, "author"),
        "given_at": given.astimezone(UTC).isoformat(),
        "entered_at": now.isoformat(),
    }


def _required(text: str, what: str) -> str:
    text = _clean(text, what, limit=NAME_LIMIT).strip()
    if not text:
        raise ValueError(f"{what} is required: say who you are, so the team knows who saved what")
    return text


NAME_LIMIT = 200  # author and model name columns (String(200) on PostgreSQL)
NOTE_LIMIT = 20_000


def _clean(text: str | None, what: str, *, limit: int = NOTE_LIMIT) -> str:
    """Text the store keeps the same on SQLite and PostgreSQL: no NUL, within its column."""
    text = text or ""
    if "\x00" in text:
        raise ValueError(f"{what} holds a NUL character, which the store cannot keep")
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text):,} characters; the store keeps at most {limit:,}")
    return text


def _engine(url: str) -> tuple[Engine, bool]:
    """An engine, and whether the store is read-only; every way a URL can be wrong becomes
    a StoreError naming it. SQLite gets a busy timeout and BEGIN IMMEDIATE for writes; a
    store file nobody may write (a read-only mount) is opened read-only."""
    shown = _shown_url(url)
    if "\x00" in url:
        raise StoreError(f"the revision store URL {shown} holds a NUL character")
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return sa.create_engine(url, pool_pre_ping=True), False
    except sa.exc.ArgumentError:
        raise StoreError(
            f"{shown} is not a database URL: use sqlite:///path/revisions.db or "
            "postgresql+psycopg://user@host/db (LEADSCORE_DB_URL or --db)"
        ) from None
    except (sa.exc.NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise StoreError(
            f"{shown}: this database's driver is not installed ({exc}); "
            "PostgreSQL (psycopg) and SQLite are"
        ) from None
    database = parsed.database
    read_only = False
    if database and database != ":memory:":
        path = Path(database).expanduser()
        read_only = path.exists() and not (
            os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        )
        if read_only:
            url = f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"{path.parent}: cannot create the store's folder ({exc.strerror})"
                ) from None
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        dbapi_connection.execute("PRAGMA busy_timeout = 30000")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine, read_only


def _shown_url(url: str) -> str:
    """The URL for a message: password hidden when it parses, quoted either way."""
    try:
        return repr(sa.engine.make_url(url).render_as_string(hide_password=True))
    except (sa.exc.ArgumentError, ValueError):
        return repr(url[:200])
