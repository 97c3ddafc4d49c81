"""The use cases, written once for the `leadscore` command, the app and a future HTTP API.

Each takes plain values (frames, files, models, a revision store, who is acting) and
returns plain results; printing, widgets and HTTP stay with the callers, and so does
caching (the app caches these results, the command runs each once).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.analysis import challenge, feedback, replay, verdicts
from model.analysis.replay import Report
from model.core.dataset import AsOf, Dataset, existing_at
from model.core.hits import Hits, build_hits, unknown_event_types, unknown_levels
from model.core.scoring import score, scored_frame
from model.core.spec import ScoringModel
from model.core.target import retarget
from model.ingest import catalog, importer, readers
from model.store.revisions import Conflict, Decision, Revision, RevisionStore

# ---------------------------------------------------------------------------- datasets


def warm_up(folder: Path, progress: catalog.Progress | None = None) -> Dataset:
    """Do ahead what a first page would do while someone waits: generate the demo set,
    keep it as Parquet and as a prepared copy, and compile the engine for it (numba keeps
    the compiled loops on disk). `make run` calls it at install (`leadscore warm-up`)."""
    from model.ingest import demo

    say = progress or (lambda _fraction, _text: None)
    demo.ensure_demo(folder, progress=lambda f, text: say(0.4 * f, text))
    read = demo.keep_parquet(folder, progress=lambda f, text: say(0.4 + 0.1 * f, text))
    data = catalog.keep_prepared(folder, tables=read, progress=lambda f, t: say(0.5 + 0.4 * f, t))
    say(0.9, "Compiling the scoring engine's loops…")
    compile_engine(data)
    return data


def compile_engine(data: Dataset | None = None) -> None:
    """Run each compiled loop of the engine once on `data` (by default a few generated
    leads), so that numba compiles it and keeps it on disk before anyone waits for it."""
    import numpy as np

    from model.analysis import handoff
    from model.core.dataset import prepare
    from model.core.scoring import band_index, score_bins
    from model.core.spec import default_model
    from model.ingest import demo

    if data is None:
        few = demo.generate(50, seed=1)
        data = prepare(few.leads, few.events)
    model = default_model()
    hits = build_hits(data, model, AsOf())
    scores = score(hits, model)
    score_bins(scores.score, data.outcome, data.won_value)
    band_index(scores.score, model)
    line = handoff.score_timeline(data, hits, model, leads=np.arange(min(data.n_leads, 50)))
    handoff.handoffs(data, line, model.sales_ready_threshold)


def open_dataset(leads: Path, events: Path | None = None) -> Dataset:
    """A dataset as every command and page reads it: a dataset folder or leads (and events)
    files, through the import's own checks; what loading found is in `notes`."""
    return catalog.load_dataset(leads, events)


@dataclass
class Imported:
    """What importing an export did: the validation report and, when it passed, the
    mapped dataset and the folder it is kept in (`kept`: the same file, mapped the same
    way, was kept already and nothing was written again)."""

    report: importer.Report
    built: importer.Built | None = None
    folder: Path | None = None
    kept: bool = False

    @property
    def ok(self) -> bool:
        return self.report.ok and self.folder is not None


def import_dataset(
    leads: pd.DataFrame,
    mapping: importer.Mapping,
    events: pd.DataFrame | None = None,
    *,
    name: str,
    leads_name: str = "leads",
    events_name: str = "events",
    out: Path | None = None,
    fingerprint: str | None = None,
    report: importer.Report | None = None,
    author: str = "",
    cells: tuple[importer.Cells | None, importer.Cells | None] = (None, None),
) -> Imported:
    """Validate the mapped export and, when nothing blocks, keep it as a dataset: in `out`
    when given, else among the saved datasets (reusing the one kept under `fingerprint`).
    `report` is the validation of this very mapping when the caller has shown it already;
    `author` (who saved it) is kept in its facts, for everyone using the same server;
    `cells` (leads', events') are what that validation read, for the build to take up."""
    missing = importer.missing_words(mapping)
    lead_cells = importer.Cells.of(leads, missing, cells[0])
    event_cells = None if events is None else importer.Cells.of(events, missing, cells[1])
    if report is None:
        report = importer.validate(
            leads,
            mapping,
            events,
            leads_name=leads_name,
            events_name=events_name,
            cells=lead_cells,
            event_cells=event_cells,
        )
    if not report.ok:
        return Imported(report)
    built = importer.build(
        leads, mapping, events, raw_events=True, cells=lead_cells, event_cells=event_cells
    )
    kept = catalog.find_dataset(fingerprint) if fingerprint else None
    facts = built.meta() | ({"fingerprint": fingerprint} if fingerprint else {})
    facts |= {"saved_by": author} if author else {}
    if kept is not None:
        return Imported(report, built, kept, kept=True)
    if out is not None:
        folder = catalog.write_folder(
            built.leads, built.events, out, facts=facts, name=name, mapping=mapping
        )
    else:
        folder = catalog.save_dataset(
            built.leads, built.events, name=name, mapping=mapping, facts=facts
        )
    return Imported(report, built, folder)


# ---------------------------------------------------------------------------- scoring


def decision_moment(text: str | AsOf, data: Dataset) -> AsOf:
    """The as-of policy asked for; a dataset without created dates is scored as it is now."""
    if not data.has_dates:
        return AsOf.now()
    return text if isinstance(text, AsOf) else AsOf.parse(text)


def at_decision(full: Dataset, as_of: AsOf, model: ScoringModel | None = None) -> Dataset:
    """The leads there were to score at the decision moment (a fixed snapshot leaves out
    leads created after it), their outcome read against `model`'s target when given."""
    data = existing_at(full, as_of)
    return retarget(data, model.target) if model is not None else data


def model_warnings(data: Dataset, model: ScoringModel) -> list[str]:
    """What the user should hear before trusting a model's figures on this data: event
    types and attribute levels its rules name that the data does not have."""
    return unknown_event_types(data, model) + unknown_levels(data, model)


def score_dataset(data: Dataset, model: ScoringModel, as_of: AsOf) -> pd.DataFrame:
    """One row per lead: lead_id, fit, engagement, score, band and its routing action."""
    return scored_frame(data.lead_ids, score(build_hits(data, model, as_of), model), model)


def with_shadow(
    frame: pd.DataFrame,
    data: Dataset,
    store: RevisionStore,
    model: ScoringModel,
    number: int,
    as_of: AsOf,
) -> pd.DataFrame:
    """The scored frame of `model` with revision `number` of the same model scored beside
    it (shadow_score, shadow_band, shadow_revision) and `revision`: the stored revision
    equal to `model`, blank when it was never saved."""
    shadow = store.get(model.name, number)
    same = [r.number for r in store.revisions(model.name) if r.model == model]
    scored = score_dataset(data, shadow.model, as_of)
    return frame.assign(
        revision=same[-1] if same else pd.NA,
        shadow_revision=shadow.number,
        shadow_score=scored["score"].to_numpy(),
        shadow_band=scored["band"].to_numpy(),
    )


def replay_report(
    data: Dataset, model: ScoringModel, as_of: AsOf, *, width: int = 10, hits: Hits | None = None
) -> Report:
    """Every replay figure of one model on history, as of each lead's decision moment."""
    return replay.report(data, hits or build_hits(data, model, as_of), model, width=width)


@dataclass(frozen=True)
class Comparison:
    """Two models on the same history: each one's report, the summary side by side (on
    every closed lead, and on the newest closed leads when the data has dates), the leads
    that change band, and the verdict in words."""

    a: Report
    b: Report
    summary: pd.DataFrame
    newest: pd.DataFrame | None
    migration: pd.DataFrame
    verdict: str
    newest_leads: str = ""  # which leads `newest` measured on, in words (kept: 90 ms at 1M)


def compare(
    a: Report,
    b: Report,
    model_a: ScoringModel,
    model_b: ScoringModel,
    data: Dataset,
    *,
    names: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Model A against model B, from their reports on the same data and decision moment
    (`names`: what the verdict calls them)."""
    newest, caption = None, ""
    if data.has_dates:  # the newest closed leads, found once for the figures and their words
        recent = replay.newest_closed(data)
        newest = replay.compare_summary(a, b, data=data, recent=recent)
        caption = replay.newest_caption(data, recent)
    migration = replay.band_migration(a.scores, b.scores, data.outcome, model_a, model_b)
    said = verdicts.compare(data, a, model_a, b, model_b, names=names)
    return Comparison(a, b, replay.compare_summary(a, b), newest, migration, said, caption)


# ---------------------------------------------------------------------------- revisions

SAVE_TRIES = 5  # saves on top of the latest revision retried when another save wins


def save_revision(
    store: RevisionStore,
    model: ScoringModel,
    *,
    author: str,
    note: str,
    parent: int | str | None = None,
    criterion_notes: dict[str, str] | None = None,
) -> Revision:
    """Save `model` as a new draft revision by `author`, edited from revision `parent`.

    `parent="latest"` saves on top of whatever is latest when the save runs, retrying a few
    times when another save wins the race; a numbered parent that is no longer the latest
    is refused (Conflict), so nobody's revision is silently built on."""
    notes = criterion_notes or {}
    for attempt in range(SAVE_TRIES):
        number = parent
        if parent == "latest":
            latest = store.latest(model.name)
            number = latest.number if latest else None
        try:
            return store.save(model, author=author, note=note, parent=number, criterion_notes=notes)
        except Conflict:
            if parent != "latest" or attempt == SAVE_TRIES - 1:
                raise
            time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))  # jittered: racers spread
    raise AssertionError("unreachable")  # pragma: no cover


def make_live(store: RevisionStore, model_name: str, number: int, *, author: str) -> Revision:
    """Make revision `number` of `model_name` the live one, recorded as done by `author`."""
    return store.make_live(model_name, number, author=author)


class GateRefused(RuntimeError):
    """The candidate is worse than the live revision beyond its interval."""

    def __init__(self, found: challenge.Challenge) -> None:
        super().__init__("; ".join(found.refusals))
        self.challenge = found


def challenge_live(
    store: RevisionStore,
    data: Dataset,
    model_name: str,
    candidate: ScoringModel,
    as_of: AsOf,
    since: pd.Timestamp | None,
) -> challenge.Challenge | None:
    """The live revision against `candidate` on the closed leads created since `since`;
    None when no revision is live yet."""
    live = store.live(model_name)
    if live is None:
        return None
    data = at_decision(data, as_of, candidate)  # both read against the candidate's target
    sides = [(m, score(build_hits(data, m, as_of), m)) for m in (live.model, candidate)]
    return challenge.challenge(data, sides[0], sides[1], since)


def gated_make_live(
    store: RevisionStore,
    data: Dataset,
    model_name: str,
    number: int,
    *,
    author: str,
    as_of: AsOf,
    since: pd.Timestamp | None,
    override: str | None = None,
) -> tuple[Revision, challenge.Challenge | None]:
    """Make a revision live through the gate: compared with the live revision on recent
    history, refused (GateRefused) when worse beyond its interval unless `override` gives
    a reason; the verdict, the reason and the figures are kept with the decision."""
    candidate = store.get(model_name, number)
    found = challenge_live(store, data, model_name, candidate.model, as_of, since)
    override = (override or "").strip()
    if found is None:
        decision = Decision("no_live", override, {})
    elif found.passed:
        decision = Decision("passed", override, found.to_dict())
    elif override:
        decision = Decision("override", override, found.to_dict())
    else:
        raise GateRefused(found)
    return store.make_live(model_name, number, author=author, decision=decision), found


# ---------------------------------------------------------------------------- feedback


def import_feedback(
    store: RevisionStore, model_name: str, raw: bytes | Path, name: str, *, author: str
) -> int:
    """Append the verdicts of a feedback export (CSV, Excel) to the store, all or none;
    a rep named in the file is kept as its author, else the person importing it."""
    frame = readers.read_any(raw, name)
    rows = feedback.read_feedback(frame, store.feedback_reasons(model_name), name)
    if not rows:
        raise feedback.FeedbackError(f"{name} holds no feedback rows")
    return store.add_feedback(model_name, rows, author=author)
