"""Scoring model: criteria, caps, decay and bands, validated and round-tripped as JSON.

One `ScoringModel` is one revision. Validation errors are rewritten so that they name the
criterion and the field ("criterion 'pricing_visit': points must be a number, got 'ten'").
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationError,
    model_validator,
)


def _no_nul(text: str) -> str:
    """Text the SQL export can quote in every dialect (PostgreSQL text holds no NUL)."""
    if "\x00" in text:
        raise ValueError("holds a NUL character")
    return text


Text = Annotated[str, AfterValidator(_no_nul)]
Group = Literal["fit", "engagement"]
AttributeOp = Literal["equals", "in", "between", "days_since", "is_true", "is_missing", "is_filled"]
Scalar = Text | int | float | bool
Bound = float | date

MAX_POINTS = 1000  # far beyond any sensible weight on a 0-100 score, still finite
MAX_MODEL_BYTES = 20 * 2**20
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "data" / "default_model.json"


class ModelError(ValueError):
    """A scoring model that cannot be used; the message names what and where."""


class _Strict(BaseModel):
    # NaN and infinity are refused everywhere: a non-finite point or bound would turn every
    # score into NaN, and the compiled kernels index bins and bands by score.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AttributeRule(_Strict):
    """A rule on one lead attribute: equals / in / between / days_since / is_true / is_missing /
    is_filled. `days_since` reads a date column against each lead's decision moment: the
    date lies before it, `low` days or more and fewer than `high` days (either may be left
    out); a date at or after the decision moment was not known then and never matches."""

    attribute: Annotated[Text, Field(min_length=1)]
    op: AttributeOp
    value: Scalar | None = None
    values: list[Scalar] | None = None
    low: Bound | None = None
    high: Bound | None = None

    @model_validator(mode="after")
    def _operands_match_op(self) -> AttributeRule:
        need = {
            "equals": ("value",),
            "in": ("values",),
            "between": (),
            "days_since": (),
            "is_true": (),
            "is_missing": (),
            "is_filled": (),
        }[self.op]
        for name in need:
            if getattr(self, name) is None:
                raise ValueError(f"op '{self.op}' needs '{name}'")
        if self.op == "in" and not self.values:
            raise ValueError("op 'in' needs at least one value in 'values'")
        if self.op == "days_since" and (isinstance(self.low, date) or isinstance(self.high, date)):
            raise ValueError("op 'days_since' counts days: 'low' and 'high' are numbers of days")
        if self.op == "days_since" and any(x is not None and x < 0 for x in (self.low, self.high)):
            raise ValueError("op 'days_since' counts days before the decision moment: 0 or more")
        if self.op in ("between", "days_since"):
            if self.low is None and self.high is None:
                raise ValueError(f"op '{self.op}' needs 'low', 'high' or both")
            if self.low is not None and self.high is not None:
                if isinstance(self.low, date) != isinstance(self.high, date):
                    raise ValueError("'low' and 'high' must both be numbers or both be dates")
                if self.low > self.high:
                    raise ValueError(f"'low' ({self.low}) is above 'high' ({self.high})")
        unused = {"value", "values", "low", "high"} - set(need)
        if self.op in ("between", "days_since"):
            unused -= {"low", "high"}
        extra = [n for n in sorted(unused) if getattr(self, n) is not None]
        if extra:
            raise ValueError(f"op '{self.op}' does not use {', '.join(repr(n) for n in extra)}")
        return self


class EventRule(_Strict):
    """A rule on events: count of one or more event types, optionally capped at max_count."""

    events: Annotated[list[Annotated[Text, Field(min_length=1)]], Field(min_length=1)]
    op: Literal["count"] = "count"
    max_count: Annotated[float, Field(gt=0)] | None = None


def _rule_kind(value: Any) -> str | None:
    """Pick the rule class by its keys so that errors come from the right one."""
    if isinstance(value, AttributeRule | EventRule):
        return "attribute_rule" if isinstance(value, AttributeRule) else "event_rule"
    if isinstance(value, dict):
        if "events" in value:
            return "event_rule"
        if "attribute" in value:
            return "attribute_rule"
    return None


Rule = Annotated[
    Annotated[AttributeRule, Tag("attribute_rule")] | Annotated[EventRule, Tag("event_rule")],
    Discriminator(
        _rule_kind,
        custom_error_type="rule_kind",
        custom_error_message="rule needs either 'attribute' or 'events'",
    ),
]


class CriterionDecay(_Strict):
    """An engagement criterion's own fading, in place of the model's: a demo request stays
    hot longer than an email open. Mode "none": its events never fade."""

    mode: Literal["none", "half_life", "linear"]
    half_life_days: Annotated[float, Field(gt=0)] = 30
    percent_per_30_days: Annotated[float, Field(gt=0, le=100)] = 25

    def describe(self) -> str:
        """In the editor's words: 'never', 'half-life 7 d', '20 % per 30 d'."""
        if self.mode == "none":
            return "never"
        if self.mode == "half_life":
            return f"half-life {self.half_life_days:g} d"
        return f"{self.percent_per_30_days:g} % per 30 d"


class Criterion(_Strict):
    """One rule worth points; negative points are allowed (student, competitor, careers page)."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")]
    label: Annotated[Text, Field(min_length=1)]
    group: Group
    points: Annotated[float, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
    rule: Rule
    note: Text | None = None
    decay: CriterionDecay | None = None  # None: the model's decay

    @property
    def on_events(self) -> bool:
        return isinstance(self.rule, EventRule)

    @model_validator(mode="after")
    def _decay_fades_engagement_events(self) -> Criterion:
        if self.decay is not None and not (self.on_events and self.group == "engagement"):
            raise ValueError(
                "decay: only an engagement criterion that counts events fades "
                "(fit criteria count every event in full)"
            )
        return self


class Caps(_Strict):
    """Upper caps on the group sums; the total is always clipped to 0-100."""

    fit: Annotated[float, Field(ge=0, le=100)] = 50
    engagement: Annotated[float, Field(ge=0, le=100)] = 50


class Decay(_Strict):
    """How engagement points fade with each event's age at the decision moment."""

    mode: Literal["none", "half_life", "linear"] = "none"
    half_life_days: Annotated[float, Field(gt=0)] = 30
    percent_per_30_days: Annotated[float, Field(gt=0, le=100)] = 25
    floor_fraction: Annotated[float, Field(ge=0, le=1)] = 0.5


class Band(_Strict):
    """A named score range with a routing action; sales_ready bands are handed to sales."""

    name: Annotated[Text, Field(min_length=1)]
    min_score: Annotated[int, Field(ge=0, le=100)]
    action: Text = ""
    sales_ready: StrictBool = False


class Target(_Strict):
    """What the model is tuned against: won deals, or reaching `stage` (or a later one in
    `stage_order`, earliest first), which is known weeks before the deal closes."""

    outcome: Literal["won", "stage"] = "won"
    stage: Text | None = None
    stage_order: list[Text] = []

    @model_validator(mode="after")
    def _stage_known(self) -> Target:
        if self.outcome == "won":
            if self.stage is not None:
                raise ValueError("a target of 'won' takes no stage: set outcome to 'stage'")
            return self
        if not self.stage:
            raise ValueError("a target of 'stage' needs the stage to reach (e.g. 'Opportunity')")
        lower = [s.strip().lower() for s in self.stage_order]
        if len(set(lower)) != len(lower):
            raise ValueError("the stage order names a stage twice")
        if self.stage.strip().lower() not in lower:
            raise ValueError(
                f"stage {self.stage!r} is not in the stage order ({', '.join(self.stage_order)})"
            )
        return self

    def describe(self) -> str:
        """'won deals' or "reaching 'Opportunity' or later"."""
        return "won deals" if self.outcome == "won" else f"reaching {self.stage!r} or later"


ROLLUPS = ("sum_capped", "max", "top_k_mean", "engaged_people")


def _default_account_bands() -> list[Band]:
    return [
        Band(
            name="Hot account", min_score=60, action="Account executive engages", sales_ready=True
        ),
        Band(name="Warm account", min_score=30, action="SDR works the buying group"),
        Band(name="Cold account", min_score=0, action="Account-based nurture"),
    ]


class AccountRollup(_Strict):
    """How an account's score rolls up from its people's lead scores: four people from one
    account in a week beat one person. Each person's score is first multiplied by the
    weight of their buying-group role (1 when the role has no weight).

    rollup: `sum_capped` adds them up to `cap`; `max` takes the best; `top_k_mean` adds the
    best `k` and divides by `k` (an account with fewer people counts the missing as 0);
    `engaged_people` counts the people scoring `engaged_at` or more (weighted). Coverage is
    the share of `required_roles` with an engaged person."""

    key: Annotated[Text, Field(min_length=1)]
    rollup: Literal["sum_capped", "max", "top_k_mean", "engaged_people"] = "top_k_mean"
    cap: Annotated[float, Field(gt=0, le=MAX_POINTS)] = 100
    k: Annotated[int, Field(ge=1, le=100)] = 3
    engaged_at: Annotated[float, Field(ge=0, le=100)] = 50
    role: Text | None = None
    role_weights: dict[Text, Annotated[float, Field(ge=0, le=100)]] = {}
    required_roles: list[Text] = []
    bands: list[Band] = Field(default_factory=_default_account_bands)

    @model_validator(mode="after")
    def _consistent(self) -> AccountRollup:
        if (self.role_weights or self.required_roles) and not self.role:
            raise ValueError("role weights and required roles need the role attribute ('role')")
        if self.role is not None and self.role == self.key:
            raise ValueError(f"the role attribute cannot be the account key ({self.key!r})")
        check_bands(self.bands)
        return self

    def weight(self, role: str) -> float:
        """A role level's weight, matched trimmed and case-blind; 1 when it has none."""
        wanted = role.strip().lower()
        return next((w for r, w in self.role_weights.items() if r.strip().lower() == wanted), 1.0)


def _word(value: object) -> str:
    """A rule's value as a room reads it: 200 not 200.0, no stray spaces."""
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return str(value).strip()


def check_bands(bands: list[Band]) -> None:
    """Bands ordered from the highest score down to 0, one score each, sales-ready ones on
    top: the message names the bands at fault."""
    names = [b.name for b in bands]
    if len(set(names)) != len(names):
        raise ValueError("band names must be unique")
    mins = [b.min_score for b in bands]
    same = sorted({m for m in mins if mins.count(m) > 1})
    if same:
        both = [f"'{b.name}'" for b in bands if b.min_score == same[0]]
        raise ValueError(
            f"bands {' and '.join(both)} both start at {same[0]}: each band needs a "
            "score of its own (bands are ordered from highest to lowest)"
        )
    if mins != sorted(mins, reverse=True):
        raise ValueError(f"bands must be ordered from highest to lowest min_score, got {mins}")
    if mins[-1] != 0:
        raise ValueError(f"the lowest band must start at 0, got {mins[-1]}")
    ready = [b.sales_ready for b in bands]
    if not any(ready):
        raise ValueError("mark at least one band as sales-ready (the ones handed to sales)")
    if ready != sorted(ready, reverse=True):
        low = next(b for b in reversed(bands) if b.sales_ready)
        high = next(b for b in bands if not b.sales_ready)
        raise ValueError(
            f"band '{high.name}' (from {high.min_score}) is above the sales-ready band "
            f"'{low.name}' (from {low.min_score}) but is not sales-ready itself: mark it "
            f"sales-ready, or give it a score below {low.min_score}"
        )


class ScoringModel(_Strict):
    """Criteria + caps + decay + bands: one revision of a scoring model."""

    name: Annotated[Text, Field(min_length=1)] = "Scoring model"
    criteria: list[Criterion]
    # Points every lead starts with, before the criteria: a fitted model's intercept, so
    # that scores span 0-100 with negative criteria still meaning something.
    baseline: Annotated[float, Field(ge=-MAX_POINTS, le=MAX_POINTS)] = 0
    caps: Caps = Caps()
    decay: Decay = Decay()
    accounts: AccountRollup | None = None  # None: leads are scored alone
    # Which leads the model covers (every rule holds; none: all leads): one model per
    # product line, region or segment, side by side.
    applies_to: list[AttributeRule] = []
    bands: Annotated[list[Band], Field(min_length=1)]
    target: Target = Target()

    @model_validator(mode="after")
    def _consistent(self) -> ScoringModel:
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"criterion ids must be unique, repeated: {', '.join(dupes)}")
        check_bands(self.bands)
        timed = [r.attribute for r in self.applies_to if r.op == "days_since"]
        if timed:
            raise ValueError(
                f"applies_to: '{timed[0]}' days_since depends on the decision moment; which "
                "leads a model covers reads who they are (equals, in, between, is_true…)"
            )
        return self

    def describe_coverage(self) -> str:
        """'all leads' or 'industry in Software, SaaS and country = US' for the overview."""
        if not self.applies_to:
            return "all leads"
        words = {"equals": "=", "in": "in", "between": "between", "is_true": "is true",
                 "is_missing": "is missing", "is_filled": "is filled"}  # fmt: skip
        parts = []
        for r in self.applies_to:
            if r.op == "equals":
                parts.append(f"{r.attribute} = {_word(r.value)}")
            elif r.op == "in":
                parts.append(f"{r.attribute} in {', '.join(_word(v) for v in r.values or [])}")
            elif r.op == "between" and r.high is None:
                parts.append(f"{r.attribute} {_word(r.low)} or more")
            elif r.op == "between" and r.low is None:
                parts.append(f"{r.attribute} up to {_word(r.high)}")
            elif r.op == "between":
                parts.append(f"{r.attribute} {_word(r.low)} to {_word(r.high)}")
            else:
                parts.append(f"{r.attribute} {words[r.op]}")
        return " and ".join(parts)

    @property
    def sales_ready_threshold(self) -> int:
        """The lowest score handed to sales: the min_score of the lowest sales-ready band."""
        return min(b.min_score for b in self.bands if b.sales_ready)

    @property
    def floor(self) -> float:
        """Engagement floor that decay cannot go below: floor_fraction x sales-ready threshold."""
        return self.decay.floor_fraction * self.sales_ready_threshold

    def decay_of(self, criterion: Criterion) -> CriterionDecay | Decay:
        """How `criterion`'s events fade: its own decay, else the model's."""
        return criterion.decay or self.decay

    @property
    def decays(self) -> bool:
        """Whether any event criterion's counts fade, so the decay floor applies."""
        return any(self.decay_of(c).mode != "none" for c in self.criteria if c.on_events)

    def rules_key(self) -> str:
        """What stage 1 depends on (rules and decay, not points): a cache key for hits."""
        parts = {
            "rules": [
                [c.id, c.rule.model_dump(mode="json")]
                + ([c.decay.model_dump(mode="json")] if c.decay else [])
                for c in self.criteria
            ],
            "decay": self.decay.model_dump(mode="json", exclude={"floor_fraction"}),
        }
        return json.dumps(parts, sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON data; the default target (won) and coverage (all leads) are
        left out, so a model saved before either existed keeps its exact text."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self.target == Target():
            data.pop("target")
        if not self.applies_to:
            data.pop("applies_to")
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def parse_model(data: dict[str, Any] | str | bytes) -> ScoringModel:
    """Validate a model from a dict or JSON text; raise ModelError naming criterion and field."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ModelError(
                f"model JSON is not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from exc
        except UnicodeDecodeError:
            raise ModelError("model file is not UTF-8 text (is it a binary file?)") from None
        except RecursionError:
            raise ModelError("model JSON is nested too deeply to be a scoring model") from None
    if not isinstance(data, dict):
        raise ModelError(f"model JSON must be an object, got {type(data).__name__}")
    try:
        return ScoringModel.model_validate(data)
    except ValidationError as exc:
        errors = _one_per_place(exc.errors())
        raise ModelError("; ".join(_describe(err, data) for err in errors)) from exc


UNION_TAGS = {"str", "int", "float", "bool", "date"}


def _one_per_place(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A value tried against each member of a union fails once per member; say it once,
    our own check's words first ('holds a NUL character' over 'must be a number')."""
    found: dict[tuple, dict[str, Any]] = {}
    for err in errors:
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and (p in UNION_TAGS or "[" in p))
        )
        err = {**err, "loc": loc}
        if loc not in found or (err["type"] == "value_error" != found[loc]["type"]):
            found[loc] = err
    return list(found.values())


def load_model(path: str | Path) -> ScoringModel:
    """Read a model JSON file; errors name the file."""
    path = Path(path)
    try:
        if not path.exists():
            raise ModelError(f"{path}: cannot read model file (no such file)")
        if not path.is_file():
            raise ModelError(f"{path}: not a model file (a folder or a device)")
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise ModelError(f"{path}: {path.stat().st_size:,} bytes is too large for a model")
        text = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file ({exc.strerror})") from exc
    try:
        return parse_model(text)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from exc


def criteria_only(criteria: list[dict[str, Any]], **fields: Any) -> ScoringModel:
    """A model of just these criteria and one band that takes every score: what a single
    rule is validated, probed or counted with (raises ModelError like parse_model)."""
    bands = [{"name": "all", "min_score": 0, "sales_ready": True}]
    return parse_model({"name": "criteria", **fields, "criteria": criteria, "bands": bands})


def default_model() -> ScoringModel:
    return load_model(DEFAULT_MODEL_PATH)


_KINDS = {
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "missing": "is required",
    "finite_number": "must be a finite number",
}


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    """One pydantic error as 'criterion 'id': field must be ..., got ...'."""
    loc = list(err["loc"])
    where, field = _where(loc, data)
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{where}unknown field '{field}'"
    if kind == "string_pattern_mismatch" and field == "id":
        return f"{where}id may hold only letters, digits, _ and -, got {err['input']!r}"
    if kind in _KINDS:
        text = f"{field} {_KINDS[kind]}" if field else _KINDS[kind]
        if kind != "missing":
            text += f", got {err['input']!r}"
        return where + text
    msg = err["msg"].removeprefix("Value error, ")
    if msg.startswith("Input should be "):
        return f"{where}{field or 'value'} must be {msg.removeprefix('Input should be ')}, got {err['input']!r}"
    return f"{where}{field + ': ' if field else ''}{msg}"


_LIST_ITEMS = {"criteria": ("criterion", "id"), "bands": ("band", "name")}


def _where(loc: list[Any], data: dict[str, Any]) -> tuple[str, str]:
    """Turn a pydantic location into ('criterion 'x': ', 'rule.op')."""
    loc = [p for p in loc if p not in ("attribute_rule", "event_rule")]
    if len(loc) >= 2 and loc[0] in _LIST_ITEMS and isinstance(loc[1], int):
        kind, key = _LIST_ITEMS[loc[0]]
        items = data.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else {}
        name = item.get(key) if isinstance(item, dict) else None
        label = f"{kind} '{name}'" if name else f"{kind} #{loc[1] + 1}"
        return f"{label}: ", ".".join(str(p) for p in loc[2:])
    if loc and loc[0] in ("caps", "decay"):
        return f"{loc[0]}: ", ".".join(str(p) for p in loc[1:])
    return "", ".".join(str(p) for p in loc)
