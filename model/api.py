"""The scoring API (`leadscore serve`): web leads scored in real time by each model's live
revision, with the same engine, bands, calibration and explanation as the app.

Every call but /healthz presents an API key an approver created (kept hashed in the
store). The live revisions are re-read when one is made live or a calibration is saved,
so a revision made live is served from the next call on, without a restart.
"""

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, NotRequired

import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Query, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import to_json
from typing_extensions import TypedDict

from model.analysis.calibration import Calibration
from model.core.cells import TRIM, TRUTHY
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import Scores, score
from model.core.spec import AttributeRule, ModelError, ScoringModel
from model.ingest.importer import typed
from model.store.revisions import RevisionStore, StoreError

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


# Leads and events are typed dicts, not models: validating a batch of 1,000 leads with
# 15,000 events takes a fifth of the time when pydantic builds no object per event.


class Event(TypedDict):
    """Something the lead did: its type, as the model's rules name it, and when."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    event_type: Name
    occurred_at: Moment


class Lead(TypedDict):
    """One lead as a web form or CRM sends it; every key may be left out."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    lead_id: NotRequired[Annotated[str, StringConstraints(max_length=200)]]
    created_at: NotRequired[
        Annotated[Moment | None, Field(description="default: the scoring moment")]
    ]
    attributes: NotRequired[dict[Name, Value]]
    events: NotRequired[Annotated[list[Event], Field(max_length=MAX_EVENTS)]]


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
        events = sum(len(lead.get("events", ())) for lead in batch)
        if events > MAX_EVENTS_PER_CALL:
            raise ValueError(f"{events:,} events in one call; send at most {MAX_EVENTS_PER_CALL:,}")
        return self


class Step(BaseModel):
    criterion: str
    label: str
    group: str
    count: float
    points: float


class Adjustment(BaseModel):
    name: str
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
    adjustments: list[Adjustment] | None = Field(
        None,
        description="baseline, caps, decay floor and clipping: with the explanation's "
        "points they add up to the score",
    )


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


@dataclass(frozen=True)
class Served:
    """What the API scores one model with: its live revision and that one's calibration."""

    revision: int
    live_since: datetime | None
    model: ScoringModel
    calibration: Calibration | None


class Live:
    """Each model's live revision and calibration, re-read only when the store says a
    revision went live or a calibration was saved since the last read."""

    def __init__(self, store: RevisionStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._marker: tuple[int, int] | None = None
        self._models: dict[str, Served] = {}

    def models(self) -> dict[str, Served]:
        marker = self.store.live_marker()
        if marker != self._marker:
            with self._lock:
                self._models = self._read()
                self._marker = marker
        return self._models

    def _read(self) -> dict[str, Served]:
        found = {}
        for name in self.store.model_names():
            live = self.store.live(name)
            if live is None:
                continue
            saved = self.store.calibration(name, live.number)
            cal = Calibration.from_json(saved[0]) if saved else None
            found[name] = Served(live.number, live.live_since, live.model, cal)
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

    @app.exception_handler(StoreError)
    def store_down(_request, exc: StoreError) -> JSONResponse:
        """The store cannot be read (the database is down or refuses us): try again later,
        rather than a bare 500."""
        return JSONResponse({"detail": f"the revision store is unavailable: {exc}"}, 503)

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
                revision=served.revision,
                live_since=served.live_since,
                calibrated=served.calibration is not None,
                bands=[
                    BandOut(**b.model_dump(include=set(BandOut.model_fields)))
                    for b in served.model.bands
                ],
            )
            for name, served in live.models().items()
        ]

    @app.post("/v1/score", response_model=None, responses={200: {"model": ScoreResponse}})
    def score_leads(
        request: ScoreRequest,
        _: Annotated[str, Depends(caller)],
        explain: Annotated[bool, Query(description="each lead's criteria and points")] = True,
    ) -> Response:
        """Score one lead or a batch as of now (or `as_of`). The answer is written straight
        to JSON: a thousand leads' explanations are tens of thousands of small objects."""
        name, served = _pick(live.models(), request.model)
        leads = [request.lead] if request.lead is not None else request.leads or []
        moment = request.as_of or datetime.now(UTC)  # validated moments are in UTC
        try:
            results = score_batch(leads, served.model, served.calibration, moment, explain=explain)
        except ModelError as exc:
            raise HTTPException(422, f"these leads cannot be scored by {name}: {exc}") from None
        answer = {"model": name, "revision": served.revision, "as_of": moment, "results": results}
        return Response(to_json(answer), media_type="application/json")

    return app


def app_from_env() -> FastAPI:
    """The API over the store LEADSCORE_DB_URL names (what `leadscore serve` runs)."""
    return create_app(RevisionStore())


def _pick(models: dict[str, Served], wanted: str | None) -> tuple[str, Served]:
    if wanted is not None:
        if wanted not in models:
            raise HTTPException(404, f"no live revision of a model named {wanted!r}")
        return wanted, models[wanted]
    if len(models) == 1:
        return next(iter(models.items()))
    if not models:
        raise HTTPException(404, "no model has a live revision yet")
    raise HTTPException(422, f"several models are live; name one in `model`: {sorted(models)}")


EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)


def _ns(moment: datetime) -> int:
    """Nanoseconds since 1970 of a moment with a zone, in integers (pd.Timestamp costs
    3 µs an event), counted in whole microseconds as datetimes hold them."""
    return (moment - EPOCH) // MICROSECOND * 1000


def score_batch(
    leads: list[Lead],
    model: ScoringModel,
    cal: Calibration | None,
    moment: datetime,
    *,
    explain: bool = True,
) -> list[dict]:
    """The engine's answer for these leads at `moment`: the same prepare, hits and score as
    a dataset imported from a file, each attribute typed as the import types a column."""
    if not leads:
        return []
    now = _ns(moment)
    data = prepare(_leads_frame(leads, model, now), _events_frame(leads), name="api")
    as_of = AsOf("fixed", date=pd.Timestamp(now, tz=None))
    hits = build_hits(data, model, as_of)
    scores = score(hits, model)
    steps = _explanations(hits, model, scores) if explain else None
    confidence = _confidence(cal, scores, data.leads) if cal else None
    bands = [(b.name, b.action, b.sales_ready) for b in model.bands]
    ids, score_, fit, eng = (data.lead_ids.tolist(), scores.score.tolist(),
                             scores.fit.tolist(), scores.engagement.tolist())  # fmt: skip
    sure = [None] * len(ids) if confidence is None else confidence.tolist()
    return [
        {
            "lead_id": ids[i],
            "score": score_[i],
            "fit": fit[i],
            "engagement": eng[i],
            "band": bands[b][0],
            "action": bands[b][1],
            "sales_ready": bands[b][2],
            "confidence": sure[i],
            "explanation": None if steps is None else steps[0][i],
            "adjustments": None if steps is None else steps[1][i],
        }
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
            name: _typed([lead.get("attributes", {}).get(name) for lead in leads], used)
            for name, used in rules.items()
            if name not in ("lead_id", "created_at")
        }  # an attribute no lead sent is missing for all, as a blank column is
    )
    ids = _ids(leads)
    created = [_ns(lead["created_at"]) if lead.get("created_at") else now for lead in leads]
    frame.insert(0, "lead_id", ids)
    frame.insert(1, "created_at", pd.to_datetime(np.array(created, dtype="datetime64[ns]")))
    return frame


def _typed(values: list[Value], rules: list[AttributeRule]) -> pd.Series:
    """One attribute across the batch, as its rules read it: numbers for a numeric range
    or numeric levels, dates for `days_since`, text for text levels; else as the import
    would type a column of these values. A value that cannot be read so is missing."""
    ops = {r.op for r in rules}
    levels = [v for r in rules for v in ([r.value] if r.op == "equals" else r.values or [])]
    dated = "days_since" in ops or any(isinstance(b, date) for r in rules for b in (r.low, r.high))
    if dated:
        moments = pd.Series(values, dtype=object)
        return pd.to_datetime(moments, errors="coerce", utc=True, format="mixed").dt.tz_localize(
            None
        )
    numeric = "between" in ops or (levels and all(_is_number(v) for v in levels))
    if numeric and not (levels and any(isinstance(v, str) for v in levels)):
        return pd.Series(np.array([_number(v) for v in values], dtype=np.float64))
    if not rules or (levels and all(isinstance(v, str) for v in levels)):
        return pd.Series(np.array([None if v is None else str(v) for v in values], dtype=object))
    if ops == {"is_true"}:
        return pd.Series(np.array([_truthy(v) for v in values], dtype=bool))
    return typed(pd.Series(values, dtype=object))


def _truthy(v: Value) -> bool:
    """What `is_true` finds in a value however it is typed: true, a non-zero number, or a
    yes-word ('yes', 'Y', 'true', 't', '1')."""
    if isinstance(v, str):
        number = _number(v)
        return number != 0 if not np.isnan(number) else v.strip(TRIM).lower() in TRUTHY
    return bool(v) and not (isinstance(v, float) and np.isnan(v))


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(v: Value) -> float:
    """A number sent as a number or as text ('1,200' is not guessed at: it is missing)."""
    if v is None or isinstance(v, bool):
        return np.nan
    try:
        return float(v)
    except ValueError:
        return np.nan


def _ids(leads: list[Lead]) -> list[str]:
    """Each lead's id, or its position in the batch when it sent none."""
    return [lead.get("lead_id") or str(i + 1) for i, lead in enumerate(leads)]


def _events_frame(leads: list[Lead]) -> pd.DataFrame | None:
    """Every event of the batch; moments are UTC already (validated), held without zone."""
    ids = [i for i, lead in zip(_ids(leads), leads, strict=True) for _ in lead.get("events", ())]
    if not ids:
        return None
    events = [e for lead in leads for e in lead.get("events", ())]
    return pd.DataFrame(
        {
            "lead_id": ids,
            "event_type": [e["event_type"] for e in events],
            "occurred_at": np.array([_ns(e["occurred_at"]) for e in events], "datetime64[ns]"),
        }
    )


def _confidence(cal: Calibration, scores: Scores, leads: pd.DataFrame) -> np.ndarray:
    stage = leads["stage"].to_numpy() if "stage" in leads.columns else None
    return cal.confidence(scores.score, stage)


def _explanations(hits, model: ScoringModel, scores: Scores) -> tuple[list, list]:
    """Per lead, every criterion that fired with its points after decay, and the
    adjustments that take their sum to the score (the app's lead look-up in the same
    order), built criterion by criterion over the whole batch."""
    n = hits.n_leads
    out: list[list[dict]] = [[] for _ in range(n)]
    sums = {"fit": np.zeros(n), "engagement": np.zeros(n)}
    for k, c in enumerate(model.criteria):
        if c.on_events:
            j = hits.event_criteria.index(k)
            raw, counted = hits.raw_counts[:, j], hits.counts[:, j]
        else:
            raw = counted = hits.fired(k).astype(float)
        decays = c.on_events and c.group == "engagement"
        points = c.points * (counted if decays else raw)
        sums[c.group] += points
        fired = np.flatnonzero((raw != 0) | (counted != 0))
        for i, count, pts in zip(fired.tolist(), raw[fired].tolist(), points[fired].tolist(),
                                 strict=True):  # fmt: skip
            out[i].append({"criterion": c.id, "label": c.label, "group": c.group,
                           "count": float(count), "points": pts})  # fmt: skip
    capped = np.minimum(sums["engagement"], model.caps.engagement)
    columns = {
        "Baseline": np.full(n, float(model.baseline)),
        "Fit cap": scores.fit - sums["fit"],
        "Engagement cap": capped - sums["engagement"],
        "Decay floor": scores.engagement - capped,
        "Clipped to 0–100": scores.score - (model.baseline + scores.fit + scores.engagement),
    }
    table = np.column_stack(list(columns.values())).tolist()
    names = list(columns)
    adjustments = [
        [{"name": names[j], "points": v} for j, v in enumerate(row) if abs(v) > 1e-12]
        for row in table
    ]
    return out, adjustments
