"""The scoring API (`leadscore serve`): web leads scored in real time by each model's live
revision, with the same engine, bands, calibration and explanation as the app.

Every call but /healthz presents an API key an approver created (kept hashed in the
store). The live revisions are re-read when one is made live or a calibration is saved,
so a revision made live is served from the next call on, without a restart.
"""

import threading
from datetime import UTC, date, datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Query, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from model.analysis.calibration import Calibration
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import Scores, score
from model.core.spec import AttributeRule, ModelError, ScoringModel
from model.ingest.importer import typed
from model.store.revisions import RevisionStore

MAX_BATCH = 10_000  # leads per call
MAX_EVENTS = 10_000  # events per lead
MAX_EVENTS_PER_CALL = 1_000_000
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Value = str | float | int | bool | None


def _utc(moment: datetime) -> datetime:
    """A moment in UTC; one written without a zone is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _in_range(moment: datetime) -> datetime:
    """Moments the engine can hold (nanoseconds since 1970 fit 1677-2262): 1900-2200."""
    moment = _utc(moment)
    if not 1900 <= moment.year <= 2200:
        raise ValueError(f"{moment:%Y-%m-%d} is outside 1900-2200")
    return moment


Moment = Annotated[datetime, AfterValidator(_in_range)]


class Event(BaseModel):
    """Something the lead did: its type, as the model's rules name it, and when."""

    model_config = ConfigDict(extra="forbid")
    event_type: Name
    occurred_at: Moment


class Lead(BaseModel):
    """One lead as a web form or CRM sends it."""

    model_config = ConfigDict(extra="forbid")
    lead_id: Annotated[str, StringConstraints(max_length=200)] = ""
    created_at: Moment | None = Field(None, description="default: the scoring moment")
    attributes: dict[Name, Value] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS)


class ScoreRequest(BaseModel):
    """One lead (`lead`) or a batch (`leads`), scored by a model's live revision."""

    model_config = ConfigDict(extra="forbid")
    model: Name | None = Field(None, description="needed when several models are live")
    as_of: Moment | None = Field(None, description="the scoring moment; default: now")
    lead: Lead | None = None
    leads: list[Lead] | None = Field(None, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _one_or_batch(self) -> "ScoreRequest":
        if (self.lead is None) == (self.leads is None):
            raise ValueError("send either `lead` (one) or `leads` (a batch), not both or none")
        batch = [self.lead] if self.lead is not None else self.leads or []
        events = sum(len(lead.events) for lead in batch)
        if events > MAX_EVENTS_PER_CALL:
            raise ValueError(f"{events:,} events in one call; send at most {MAX_EVENTS_PER_CALL:,}")
        return self


class Step(BaseModel):
    criterion: str
    label: str
    group: str
    count: float
    points: float


class Result(BaseModel):
    lead_id: str
    score: float
    fit: float
    engagement: float
    band: str
    action: str
    sales_ready: bool
    confidence: float | None = Field(None, description="null until a calibration is saved")
    explanation: list[Step] | None = None


class ScoreResponse(BaseModel):
    model: str
    revision: int
    as_of: datetime
    results: list[Result]


class BandOut(BaseModel):
    name: str
    min_score: float
    action: str
    sales_ready: bool


class LiveModel(BaseModel):
    model: str
    revision: int
    live_since: datetime | None
    calibrated: bool
    bands: list[BandOut]


class Live:
    """Each model's live revision and calibration, re-read only when the store says a
    revision went live or a calibration was saved since the last read."""

    def __init__(self, store: RevisionStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._marker: tuple[int, int] | None = None
        self._models: dict[str, tuple[int, datetime | None, ScoringModel, Calibration | None]]
        self._models = {}

    def models(self) -> dict[str, tuple[int, datetime | None, ScoringModel, Calibration | None]]:
        marker = self.store.live_marker()
        if marker != self._marker:
            with self._lock:
                self._models = self._read()
                self._marker = marker
        return self._models

    def _read(self) -> dict:
        found = {}
        for name in self.store.model_names():
            live = self.store.live(name)
            if live is None:
                continue
            saved = self.store.calibration(name, live.number)
            cal = Calibration.from_json(saved[0]) if saved else None
            found[name] = (live.number, live.live_since, live.model, cal)
        return found


def create_app(store: RevisionStore) -> FastAPI:
    """The API over `store`; one process serves every model live in it."""
    app = FastAPI(
        title="Lead Scoring Studio scoring API",
        version="1",
        description="Scores leads with each model's live revision. Send an API key "
        "(created by an approver on the Team page) as `X-API-Key` or a Bearer token.",
    )
    live = Live(store)
    key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
    bearer = HTTPBearer(auto_error=False)

    def caller(
        key: Annotated[str | None, Security(key_header)],
        token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> str:
        presented = key or (token.credentials if token else None)
        name = store.check_api_key(presented) if presented else None
        if name is None:
            raise HTTPException(401, "a valid API key is needed (X-API-Key or Bearer)")
        return name

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/v1/models", response_model=list[LiveModel])
    def models(_: Annotated[str, Depends(caller)]) -> list[LiveModel]:
        """Every model with a live revision, and its bands."""
        return [
            LiveModel(
                model=name,
                revision=number,
                live_since=since,
                calibrated=cal is not None,
                bands=[BandOut(**b.model_dump(include=set(BandOut.model_fields))) for b in m.bands],
            )
            for name, (number, since, m, cal) in live.models().items()
        ]

    @app.post("/v1/score", response_model=ScoreResponse)
    def score_leads(
        request: ScoreRequest,
        _: Annotated[str, Depends(caller)],
        explain: Annotated[bool, Query(description="each lead's criteria and points")] = True,
    ) -> ScoreResponse:
        """Score one lead or a batch as of now (or `as_of`)."""
        name, (number, _since, model, cal) = _pick(live.models(), request.model)
        leads = [request.lead] if request.lead is not None else request.leads or []
        moment = _utc(request.as_of) if request.as_of else datetime.now(UTC)
        try:
            results = score_batch(leads, model, cal, moment, explain=explain)
        except ModelError as exc:
            raise HTTPException(422, f"these leads cannot be scored by {name}: {exc}") from None
        return ScoreResponse(model=name, revision=number, as_of=moment, results=results)

    return app


def app_from_env() -> FastAPI:
    """The API over the store LEADSCORE_DB_URL names (what `leadscore serve` runs)."""
    return create_app(RevisionStore())


def _pick(models: dict, wanted: str | None) -> tuple[str, Any]:
    if wanted is not None:
        if wanted not in models:
            raise HTTPException(404, f"no live revision of a model named {wanted!r}")
        return wanted, models[wanted]
    if len(models) == 1:
        return next(iter(models.items()))
    if not models:
        raise HTTPException(404, "no model has a live revision yet")
    raise HTTPException(422, f"several models are live; name one in `model`: {sorted(models)}")


def _ns(moment: datetime) -> int:
    return pd.Timestamp(_utc(moment)).as_unit("ns").value


def score_batch(
    leads: list[Lead],
    model: ScoringModel,
    cal: Calibration | None,
    moment: datetime,
    *,
    explain: bool = True,
) -> list[Result]:
    """The engine's answer for these leads at `moment`: the same prepare, hits and score as
    a dataset imported from a file, each attribute typed as the import types a column."""
    if not leads:
        return []
    now = _ns(moment)
    data = prepare(_leads_frame(leads, model, now), _events_frame(leads), name="api")
    as_of = AsOf("fixed", date=pd.Timestamp(now, tz=None))
    hits = build_hits(data, model, as_of)
    scores = score(hits, model)
    steps = _explanations(hits, model, len(leads)) if explain else None
    confidence = _confidence(cal, scores, data.leads) if cal else None
    bands = model.bands
    return [
        Result(
            lead_id=data.lead_ids[i],
            score=float(scores.score[i]),
            fit=float(scores.fit[i]),
            engagement=float(scores.engagement[i]),
            band=bands[b].name,
            action=bands[b].action,
            sales_ready=bands[b].sales_ready,
            confidence=None if confidence is None else float(confidence[i]),
            explanation=None if steps is None else steps[i],
        )
        for i, b in enumerate(scores.band.tolist())
    ]


def _leads_frame(leads: list[Lead], model: ScoringModel, now: int) -> pd.DataFrame:
    """lead_id (its position when blank), created_at, and each attribute the model's rules
    read (plus `stage`, for a calibration by stage), typed as its rules need it."""
    rules: dict[str, list[AttributeRule]] = {}
    for c in model.criteria:
        if isinstance(c.rule, AttributeRule):
            rules.setdefault(c.rule.attribute, []).append(c.rule)
    rules.setdefault("stage", [])
    frame = pd.DataFrame(
        {
            name: _typed([lead.attributes.get(name) for lead in leads], used)
            for name, used in rules.items()
            if name not in ("lead_id", "created_at")
        }  # an attribute no lead sent is missing for all, as a blank column is
    )
    ids = [lead.lead_id or str(i + 1) for i, lead in enumerate(leads)]
    created = [_ns(lead.created_at) if lead.created_at else now for lead in leads]
    frame.insert(0, "lead_id", ids)
    frame.insert(1, "created_at", pd.to_datetime(np.array(created, dtype="datetime64[ns]")))
    return frame


def _typed(values: list[Value], rules: list[AttributeRule]) -> pd.Series:
    """One attribute across the batch, as its rules read it: numbers for a numeric range
    or numeric levels, dates for `days_since`, text for text levels; else as the import
    would type a column of these values. A value that cannot be read so is missing."""
    s = pd.Series(values, dtype=object)
    ops = {r.op for r in rules}
    levels = [v for r in rules for v in ([r.value] if r.op == "equals" else r.values or [])]
    dated = "days_since" in ops or any(isinstance(b, date) for r in rules for b in (r.low, r.high))
    if dated:
        return pd.to_datetime(s, errors="coerce", utc=True, format="mixed").dt.tz_localize(None)
    numeric = "between" in ops or (levels and all(_is_number(v) for v in levels))
    if numeric and not (levels and any(isinstance(v, str) for v in levels)):
        return pd.to_numeric(s.map(_number), errors="coerce").astype(np.float64)
    if levels and all(isinstance(v, str) for v in levels):
        return s.map(lambda v: None if v is None else str(v)).astype("string")
    return typed(s)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(v: Value) -> float | None:
    """A number sent as a number or as text ('1,200' is not guessed at: it is missing)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except ValueError:
        return None


def _events_frame(leads: list[Lead]) -> pd.DataFrame | None:
    rows = [
        (lead.lead_id or str(i + 1), e.event_type, _ns(e.occurred_at))
        for i, lead in enumerate(leads)
        for e in lead.events
    ]
    if not rows:
        return None
    ids, types, moments = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "lead_id": list(ids),
            "event_type": list(types),
            "occurred_at": pd.to_datetime(np.array(moments, dtype="datetime64[ns]")),
        }
    )


def _confidence(cal: Calibration, scores: Scores, leads: pd.DataFrame) -> np.ndarray:
    stage = leads["stage"].to_numpy() if "stage" in leads.columns else None
    return cal.confidence(scores.score, stage)


def _explanations(hits, model: ScoringModel, n: int) -> list[list[Step]]:
    """Per lead, every criterion that fired with its points after decay (as the app's
    lead look-up lists them), built criterion by criterion over the whole batch."""
    out: list[list[Step]] = [[] for _ in range(n)]
    for k, c in enumerate(model.criteria):
        if c.on_events:
            j = hits.event_criteria.index(k)
            raw, counted = hits.raw_counts[:, j], hits.counts[:, j]
        else:
            raw = counted = hits.fired(k).astype(float)
        decays = c.on_events and c.group == "engagement"
        points = c.points * (counted if decays else raw)
        for i in np.flatnonzero((raw != 0) | (counted != 0)).tolist():
            out[i].append(Step(criterion=c.id, label=c.label, group=c.group,
                               count=float(raw[i]), points=float(points[i])))  # fmt: skip
    return out
