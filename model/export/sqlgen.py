"""The scoring model as one SQL SELECT, so the warehouse that holds the CRM data scores it
exactly as the app does.

The query reads a leads table (lead_id, created_at, attributes) and an events table
(lead_id, occurred_at, event_type), and returns lead_id, fit, engagement, score, band and,
with a calibration, confidence. It follows the engine rule for rule: text compared trimmed
and case-blind with placeholders ("Select", "N/A", "-", blank) as missing, events counted
only before the decision moment with their decay weight, counts capped, engagement capped
then floored, fit capped, the total clipped to 0-100, bands from the top.

The query is one sqlglot expression tree, written out for each warehouse by sqlglot
(quoting, string escapes, type names and function spellings are its dialects'). Every
value from the model is a literal node and every name an identifier node, never spliced
text, so a criterion value such as `O'Brien; DROP TABLE leads` stays data in every dialect.
Only the exact difference of two timestamps is chosen per warehouse (`NS_BETWEEN`).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from model.core import words
from model.core.cells import PLACEHOLDERS, TRIM, TRUTHY
from model.core.dataset import AsOf
from model.core.spec import (
    AccountRollup,
    AttributeRule,
    Criterion,
    CriterionDecay,
    Decay,
    ScoringModel,
)

NS_PER_SECOND = 10**9
DAY_NS = 86_400 * NS_PER_SECOND

# Our dialect names (words.DIALECTS) to sqlglot's.
SQLGLOT_NAME = {"sqlserver": "tsql", "ansi": ""}

# Nanoseconds from timestamp `a` to timestamp `b`, written in each warehouse's own SQL: an
# exact integer count where the warehouse has one, else seconds as a double (Trino),
# scaled. Parsed by sqlglot in that dialect, with `a` and `b` then put in as nodes.
NS_BETWEEN = {
    "duckdb": "epoch_ns(b) - epoch_ns(a)",
    "postgres": "EXTRACT(EPOCH FROM (b - a)) * 1000000000",
    "snowflake": "DATEDIFF(NANOSECOND, a, b)",
    "bigquery": "DATETIME_DIFF(b, a, MICROSECOND) * 1000",
    "databricks": "(UNIX_MICROS(b) - UNIX_MICROS(a)) * 1000",
    "spark": "(UNIX_MICROS(b) - UNIX_MICROS(a)) * 1000",
    "redshift": "DATEDIFF(MICROSECOND, a, b) * 1000",
    "trino": "(TO_UNIXTIME(b) - TO_UNIXTIME(a)) * 1000000000",
    "sqlserver": "DATEDIFF_BIG(MICROSECOND, a, b) * 1000",
    "ansi": "TIMESTAMPDIFF(SECOND, a, b) * 1000000000",
}
assert tuple(NS_BETWEEN) == words.DIALECTS, "every dialect the command offers is written here"


class SqlError(ValueError):
    """A model or setting that cannot be written as SQL; the message says why."""


def literal(value: object) -> str:
    """A DuckDB / ANSI SQL literal as text, for the statements batch scoring runs around
    the query: strings single-quoted with quotes doubled, numbers in full precision."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | np.integer | np.floating):
        return _number_text(value)
    return "'" + str(value).replace("'", "''") + "'"


def _number_text(value: object) -> str:
    """Shortest text that reads back as the same double; fractions in exponent form, which
    warehouses read as a double rather than a decimal."""
    x = float(value)  # type: ignore[arg-type]
    if not math.isfinite(x):
        raise SqlError(f"{value!r} cannot be written as a SQL number")
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    text = repr(x)
    return text if "e" in text else f"{text}e0"


def _num(value: object) -> exp.Expression:
    text = _number_text(value)
    node = exp.Literal.number(text.lstrip("-"))
    return exp.Neg(this=node) if text.startswith("-") else node


def _str(value: object) -> exp.Literal:
    return exp.Literal.string(str(value))


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(table: str, name: str) -> exp.Column:
    return exp.Column(this=_ident(name), table=exp.to_identifier(table))


def _ref(name: str, table: str | None = None) -> exp.Column:
    """A column the query itself names (an alias of a CTE), unquoted."""
    return exp.Column(
        this=exp.to_identifier(name), table=exp.to_identifier(table) if table else None
    )


def table(name: str) -> exp.Table:
    """A table name, optionally schema-qualified ("analytics.leads"), each part quoted."""
    parts = [p.strip() for p in name.split(".")]
    if not all(parts) or len(parts) > 3:
        raise SqlError(f"table name {name!r} has an empty part (or more than catalog.schema.table)")
    kinds = ("this", "db", "catalog")
    return exp.Table(**{k: _ident(p) for k, p in zip(kinds, reversed(parts), strict=False)})


def table_name(name: str, dialect: str = "duckdb") -> str:
    """`name` as the dialect writes a quoted, possibly schema-qualified table name."""
    return table(name).sql(dialect=_sqlglot_name(dialect))


def _sqlglot_name(dialect: str) -> str:
    if dialect not in NS_BETWEEN:
        raise SqlError(f"dialect must be one of {', '.join(NS_BETWEEN)}, got {dialect!r}")
    return SQLGLOT_NAME.get(dialect, dialect)


def to_sql(
    model: ScoringModel,
    dialect: str = "duckdb",
    leads_table: str = "leads",
    events_table: str = "events",
    as_of: AsOf | str = "created+14d",
    confidence: np.ndarray | None = None,
) -> str:
    """One SELECT scoring every lead of `leads_table` as of the decision moment, written
    in `dialect` (one of words.DIALECTS), ending with a new line."""
    return render(query(model, dialect, leads_table, events_table, as_of, confidence), dialect)


def render(tree: exp.Expression, dialect: str) -> str:
    """A query tree written out in `dialect`, laid out for people, ending with a new line."""
    return tree.sql(dialect=_sqlglot_name(dialect), pretty=True) + "\n"


def query(
    model: ScoringModel,
    dialect: str = "duckdb",
    leads_table: str = "leads",
    events_table: str = "events",
    as_of: AsOf | str = "created+14d",
    confidence: np.ndarray | None = None,
    carry: tuple[tuple[str, exp.Expression], ...] = (),
) -> exp.Select:
    """The scoring SELECT as a sqlglot tree (what `to_sql` writes out); `carry` adds
    (name, expression over the leads `l`) columns, passed through to the result."""
    w = _Writer(dialect)
    _check_names(model, dialect)
    as_of = AsOf.parse(as_of) if isinstance(as_of, str) else as_of
    events = [(j, c) for j, c in enumerate(model.criteria) if c.on_events]
    attrs = [c for c in model.criteria if not c.on_events]
    fit_attr = _sum([w.attribute_term(c, as_of) for c in attrs if c.group == "fit"])
    eng_attr = _sum([w.attribute_term(c, as_of) for c in attrs if c.group == "engagement"])
    raw_fit = _sum([_times(c.points, _counted(f"r{j}")) for j, c in events if c.group == "fit"])
    eng_ev = [(j, c) for j, c in events if c.group == "engagement"]
    decayed = _sum([_times(c.points, _counted(f"d{j}")) for j, c in eng_ev])
    undecayed = _sum([_times(c.points, _counted(f"r{j}")) for j, c in eng_ev])
    eng_t = _ref("eng_attr", "t")
    engagement = _least(exp.Add(this=decayed, expression=eng_t), _num(model.caps.engagement))
    if model.decays and events:
        floor = _num(min(model.caps.engagement, model.floor))
        engagement = _greatest(
            engagement, _least(exp.Add(this=undecayed, expression=eng_t.copy()), floor)
        )
    fit = _least(exp.Add(this=_ref("fit_attr", "t"), expression=raw_fit), _num(model.caps.fit))
    terms = exp.Select(
        expressions=[
            exp.alias_(_col("l", "lead_id"), "lead_id"),
            exp.alias_(fit_attr, "fit_attr"),
            exp.alias_(eng_attr, "eng_attr"),
            *(exp.alias_(x, name) for name, x in carry),
        ]
    ).from_(exp.alias_(table(leads_table), "l"))
    parts = exp.Select(
        expressions=[
            _ref("lead_id", "t"),
            exp.alias_(fit, "fit"),
            exp.alias_(engagement, "engagement"),
            *(_ref(name, "t") for name, _ in carry),
        ]
    ).from_(exp.alias_(exp.to_table("terms"), "t"))
    if events:
        on = exp.EQ(this=_ref("lead_id", "c"), expression=_ref("lead_id", "t"))
        parts = parts.join(exp.alias_(exp.to_table("counts"), "c"), on=on, join_type="left")
    total = exp.Add(
        this=exp.Add(this=_num(float(model.baseline)), expression=_ref("fit")),
        expression=_ref("engagement"),
    )
    scored = exp.Select(
        expressions=[
            _ref("lead_id"),
            _ref("fit"),
            _ref("engagement"),
            exp.alias_(_least(_greatest(total, _num(0)), _num(100)), "score"),
            *(_ref(name) for name, _ in carry),
        ]
    ).from_("parts")
    band = _band_case(_ref("score"), model.bands)
    columns = [_ref("lead_id"), _ref("fit"), _ref("engagement"), _ref("score")]
    columns.append(exp.alias_(band, "band"))
    columns += [_ref(name) for name, _ in carry]
    if confidence is not None:
        columns.append(exp.alias_(_confidence_case(confidence), "confidence"))
    final = exp.Select(expressions=columns).from_("scored")
    if events:
        aged, counts = w.counts(model, events, leads_table, events_table, as_of)
        final = final.with_("aged", as_=aged).with_("counts", as_=counts)
    return final.with_("terms", as_=terms).with_("parts", as_=parts).with_("scored", as_=scored)


def _check_names(model: ScoringModel, dialect: str) -> None:
    """BigQuery reads `a.b` in backticks as a path and allows no '.' in a column name, so
    a column such as the UCI bank set's 'cons.price.idx' cannot be named there."""
    if dialect != "bigquery":
        return
    names = {c.rule.attribute for c in model.criteria if not c.on_events}
    if model.accounts is not None:
        names |= {model.accounts.key, model.accounts.role} - {None}
    dotted = sorted(n for n in names if "." in n)
    if dotted:
        raise SqlError(
            f"BigQuery column names cannot hold a '.', as {dotted[0]!r} does: rename the "
            f"column in the table and in the model (e.g. {dotted[0].replace('.', '_')!r})"
        )


def accounts_query(
    model: ScoringModel,
    dialect: str = "duckdb",
    leads_table: str = "leads",
    events_table: str = "events",
    as_of: AsOf | str = "created+14d",
) -> exp.Select:
    """The model's account roll-up as one SELECT: per account (its key as the engine
    compares it, trimmed and lower-cased), the account score, people, engaged people, role
    coverage when roles are required, and the account band; leads scored as `query` does."""
    rollup = model.accounts
    if rollup is None:
        raise SqlError("this model has no account roll-up: give it one to export accounts")
    carry = [("account_key", _key(_col("l", rollup.key)))]
    if rollup.role is not None:
        carry.append(("account_role", _key(_col("l", rollup.role))))
    lead = query(model, dialect, leads_table, events_table, as_of, carry=tuple(carry))
    ctes = lead.args.pop("with_").expressions  # one flat WITH: SQL Server nests none
    is_engaged = exp.GTE(this=_ref("score"), expression=_num(rollup.engaged_at))
    engaged = exp.Sum(this=_case(is_engaged, _ref("weight"), _num(0)))
    in_top_k = exp.LTE(this=_ref("rn"), expression=_num(rollup.k))
    totals = {
        "sum_capped": lambda: _least(exp.Sum(this=_ref("ws")), _num(rollup.cap)),
        "max": lambda: exp.Max(this=_ref("ws")),
        "top_k_mean": lambda: exp.Div(
            this=exp.Sum(this=_case(in_top_k, _ref("ws"), _num(0))),
            expression=_num(float(rollup.k)),
        ),
        "engaged_people": lambda: engaged.copy(),
    }
    columns = [
        _ref("account_key"),
        exp.alias_(totals[rollup.rollup](), "account_score"),
        exp.alias_(exp.Count(this=exp.Star()), "people"),
        exp.alias_(engaged, "engaged_people"),
    ]
    if rollup.required_roles:
        columns.append(exp.alias_(_coverage(rollup), "role_coverage"))
    grouped = exp.Select(expressions=columns).from_("people").group_by(_ref("account_key"))
    band = _band_case(_ref("account_score"), rollup.bands)
    out = [_ref(c.alias_or_name) for c in columns] + [exp.alias_(band, "account_band")]
    final = exp.Select(expressions=out).from_("accounts")
    for cte in ctes:
        final = final.with_(cte.alias, as_=cte.this)
    final = final.with_("lead_scores", as_=lead).with_("people", as_=_people(rollup))
    return final.with_("accounts", as_=grouped)


def _case(
    condition: exp.Expression, then: exp.Expression, default: exp.Expression | None = None
) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=condition, true=then)], default=default)


def _band_case(score: exp.Expression, bands) -> exp.Expression:
    """The band name of `score`: the first band, from the top, whose min_score it reaches."""
    if len(bands) == 1:
        return _str(bands[0].name)
    ifs = [
        exp.If(this=exp.GTE(this=score.copy(), expression=_num(b.min_score)), true=_str(b.name))
        for b in bands[:-1]
    ]
    return exp.Case(ifs=ifs, default=_str(bands[-1].name))


def _people(rollup: AccountRollup) -> exp.Select:
    """Each lead with an account: its score times its role's weight, and its rank in the
    account by that (for the top k)."""
    weight: exp.Expression = _num(1)
    if rollup.role_weights:
        weight = exp.Case(
            ifs=[
                exp.If(this=_is_role(role), true=_num(w)) for role, w in rollup.role_weights.items()
            ],
            default=_num(1),
        )
    ws = exp.Mul(this=_ref("score"), expression=exp.Paren(this=weight.copy()))
    best_first = exp.Order(expressions=[exp.Ordered(this=ws.copy(), desc=True)])
    rank = exp.Window(this=exp.RowNumber(), partition_by=[_ref("account_key")], order=best_first)
    columns = [_ref("account_key"), _ref("score"), exp.alias_(weight, "weight")]
    columns += [exp.alias_(ws, "ws"), exp.alias_(rank, "rn")]
    if rollup.role is not None:
        columns.append(_ref("account_role"))
    has_key = exp.Not(this=exp.Is(this=_ref("account_key"), expression=exp.Null()))
    return exp.Select(expressions=columns).from_("lead_scores").where(has_key)


def _is_role(role: str) -> exp.Expression:
    return exp.EQ(this=_ref("account_role"), expression=_str(role.strip(TRIM).lower()))


def _coverage(rollup: AccountRollup) -> exp.Expression:
    """The share of required roles with at least one engaged person in the account."""
    engaged = exp.GTE(this=_ref("score"), expression=_num(rollup.engaged_at))
    hits = [
        exp.Max(this=_case(exp.and_(_is_role(role), engaged.copy()), _num(1), _num(0)))
        for role in rollup.required_roles
    ]
    return exp.Div(this=exp.Paren(this=_sum(hits)), expression=_num(float(len(hits))))


def to_sql_accounts(
    model: ScoringModel,
    dialect: str = "duckdb",
    leads_table: str = "leads",
    events_table: str = "events",
    as_of: AsOf | str = "created+14d",
) -> str:
    """The account roll-up written out in `dialect` (see `accounts_query`)."""
    return render(accounts_query(model, dialect, leads_table, events_table, as_of), dialect)


SUM_RUN = 64  # terms summed in one run; longer sums nest runs, so that a model of 10,000
# criteria stays within a SQL parser's expression depth (DuckDB's is 1,000)


def _sum(terms: list[exp.Expression]) -> exp.Expression:
    """The terms added in model order; past SUM_RUN terms, runs of them added, so the
    nesting depth grows with the number of runs, not of terms."""
    if not terms:
        return _num(0)
    if len(terms) > SUM_RUN:
        return _sum([_sum(terms[i : i + SUM_RUN]) for i in range(0, len(terms), SUM_RUN)])
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _times(points: float, x: exp.Expression) -> exp.Expression:
    return exp.Mul(this=_num(points), expression=x)


def _counted(name: str) -> exp.Expression:
    return exp.Coalesce(this=_ref(name, "c"), expressions=[_num(0)])


def _least(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Least(this=a, expressions=[b], ignore_nulls=True)


def _greatest(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Greatest(this=a, expressions=[b], ignore_nulls=True)


def _in(x: exp.Expression, values: list[exp.Expression]) -> exp.Expression:
    return exp.In(this=x, expressions=values)


def _never() -> exp.Expression:
    return exp.EQ(this=_num(1), expression=_num(0))


def _timestamp(moment: pd.Timestamp) -> exp.Expression:
    return exp.cast(_str(moment.strftime("%Y-%m-%d %H:%M:%S")), exp.DataType.Type.TIMESTAMP)


def _as_timestamp(alias: str, column: str) -> exp.Expression:
    """A time column as a timestamp, whatever type the table gave it (a CSV read as text)."""
    return exp.cast(_col(alias, column), exp.DataType.Type.TIMESTAMP)


def _text(col: exp.Expression) -> exp.Expression:
    """A value as the engine compares text: trimmed and lower-cased."""
    cast = exp.cast(col, exp.DataType.Type.TEXT)
    return exp.Lower(this=exp.Trim(this=cast, expression=_str(TRIM), position="BOTH"))


def _key(col: exp.Column) -> exp.Expression:
    """A lead attribute as an account key or a role: its text, or NULL when it is blank
    or a placeholder ('Select', 'N/A'), which belong to no account."""
    return _case(_missing(col), exp.Null(), _text(col))


def _missing(col: exp.Column) -> exp.Expression:
    """No value: NULL, blank or a placeholder ('Select', 'N/A'), as the engine reads it."""
    placeholders = [_str(v) for v in sorted(PLACEHOLDERS)]
    return exp.Or(
        this=exp.Is(this=col.copy(), expression=exp.Null()),
        expression=_in(_text(col.copy()), placeholders),
    )


def _double(x: exp.Expression) -> exp.Expression:
    return exp.cast(x, exp.DataType.Type.DOUBLE)


class _Writer:
    """The parts of the query that read the model, for one dialect."""

    def __init__(self, dialect: str) -> None:
        read = _sqlglot_name(dialect)  # refuses a dialect not offered, naming those that are
        self.template = sqlglot.parse_one(NS_BETWEEN[dialect], read=read)

    def ns_between(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Nanoseconds from `a` to `b` in this warehouse's exact time difference."""
        put = {"a": a, "b": b}

        def swap(node: exp.Expression) -> exp.Expression:
            bare = isinstance(node, exp.Var) or (isinstance(node, exp.Column) and not node.table)
            if bare and node.name.lower() in put:  # a bare word in some dialects' reading
                return put[node.name.lower()].copy()
            return node

        return exp.Paren(this=self.template.copy().transform(swap))

    # ------------------------------------------------------------------ attributes

    def attribute_term(self, c: Criterion, as_of: AsOf) -> exp.Expression:
        return _case(self.condition(c.rule, as_of), _num(c.points), _num(0))

    def condition(self, rule: AttributeRule, as_of: AsOf | None = None) -> exp.Expression:
        """The rule as a SQL condition that is never true on a missing value (but
        is_missing); `as_of` is the decision moment `days_since` counts back from."""
        col = _col("l", rule.attribute)
        if rule.op == "days_since":
            return self._days_since(col, rule, as_of or AsOf())
        text = _text(col)
        if rule.op in ("is_missing", "is_filled"):
            missing = exp.Paren(this=_missing(col))
            return missing if rule.op == "is_missing" else exp.Not(this=missing)
        if rule.op == "is_true":
            return _in(text, [_str(v) for v in sorted(TRUTHY)])
        if rule.op == "between":
            return self._between(col, rule)
        wanted = [rule.value] if rule.op == "equals" else list(rule.values or [])
        if wanted and all(isinstance(v, int | float) and not isinstance(v, bool) for v in wanted):
            return _in(_double(col), [_num(float(v)) for v in wanted])
        keep = sorted({str(v).strip(TRIM).lower() for v in wanted} - PLACEHOLDERS)
        if not keep:
            return _never()  # placeholders are missing values: they never equal anything
        return _in(text, [_str(v) for v in keep])

    def _between(self, col: exp.Column, rule: AttributeRule) -> exp.Expression:
        parts: list[exp.Expression] = []
        if isinstance(rule.low, date) or isinstance(rule.high, date):
            when = exp.cast(col, exp.DataType.Type.TIMESTAMP)
            if rule.low is not None:
                parts.append(exp.GTE(this=when, expression=_timestamp(pd.Timestamp(rule.low))))
            if rule.high is not None:
                end = pd.Timestamp(rule.high) + pd.Timedelta(days=1)
                parts.append(exp.LT(this=when.copy(), expression=_timestamp(end)))
        else:
            x = _double(col)
            if rule.low is not None:
                parts.append(exp.GTE(this=x, expression=_num(rule.low)))
            if rule.high is not None:
                parts.append(exp.LTE(this=x.copy(), expression=_num(rule.high)))
        return exp.Paren(this=exp.and_(*parts))

    def _age(self, when: exp.Expression, as_of: AsOf) -> exp.Expression:
        """Nanoseconds from `when` to the lead's decision moment."""
        if as_of.kind == "fixed":
            return self.ns_between(when, _timestamp(as_of.date))
        if as_of.kind == "now":
            raise SqlError("'days_since' needs a decision moment: export with created+Nd or a date")
        offset = self.ns_between(_as_timestamp("l", "created_at"), when)
        return exp.Paren(this=exp.Sub(this=_num(round(as_of.days * DAY_NS)), expression=offset))

    def _days_since(self, col: exp.Column, rule: AttributeRule, as_of: AsOf) -> exp.Expression:
        """Nanoseconds from the date to the decision moment, compared as the engine does."""
        age = self._age(exp.cast(col, exp.DataType.Type.TIMESTAMP), as_of)
        parts = [exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null()))]
        parts.append(exp.GT(this=age, expression=_num(0)))
        if rule.low is not None:
            parts.append(exp.GTE(this=age.copy(), expression=_num(round(rule.low * DAY_NS))))
        if rule.high is not None:
            parts.append(exp.LT(this=age.copy(), expression=_num(round(rule.high * DAY_NS))))
        return exp.Paren(this=exp.and_(*parts))

    # ------------------------------------------------------------------ events

    def counts(
        self, model, events, leads_table, events_table, as_of
    ) -> tuple[exp.Select, exp.Select]:
        """Two CTEs. `aged`: the events of the types the model counts, with their age at
        the lead's decision moment (joined to the leads only when that moment depends on
        the lead's created_at). `counts`: per lead, the decayed (d<j>) and undecayed (r<j>)
        capped counts of each event criterion over the events strictly before it."""
        used = list(dict.fromkeys(t for _, c in events for t in c.rule.events))
        occurred = _as_timestamp("e", "occurred_at")
        if as_of.kind == "fixed":
            age = self.ns_between(occurred, _timestamp(as_of.date))
        else:
            offset = self.ns_between(_as_timestamp("l", "created_at"), occurred)
            age = exp.Sub(this=_num(round(as_of.days * DAY_NS)), expression=offset)
        aged = exp.Select(
            expressions=[
                exp.alias_(_col("e", "lead_id"), "lead_id"),
                exp.alias_(_col("e", "event_type"), "event_type"),
                exp.alias_(_double(age), "age_ns"),
            ]
        ).from_(exp.alias_(table(events_table), "e"))
        if as_of.kind != "fixed":
            on = exp.EQ(this=_col("l", "lead_id"), expression=_col("e", "lead_id"))
            aged = aged.join(exp.alias_(table(leads_table), "l"), on=on)
        aged = aged.where(_in(_col("e", "event_type"), [_str(t) for t in used]))
        columns: list[exp.Expression] = [_ref("lead_id", "a")]
        for j, c in events:
            weight = _weight(model.decay_of(c), _ref("age_ns", "a"))
            hit = _in(_ref("event_type", "a"), [_str(t) for t in dict.fromkeys(c.rule.events)])
            decayed = exp.Coalesce(this=exp.Sum(this=_case(hit, weight)), expressions=[_num(0)])
            raw = _double(exp.Count(this=_case(hit.copy(), _num(1))))
            if c.rule.max_count is not None:
                decayed = _least(decayed, _num(c.rule.max_count))
                raw = _least(raw, _num(c.rule.max_count))
            columns += [exp.alias_(decayed, f"d{j}"), exp.alias_(raw, f"r{j}")]
        counts = (
            exp.Select(expressions=columns)
            .from_(exp.alias_(exp.to_table("aged"), "a"))
            .where(exp.GT(this=_ref("age_ns", "a"), expression=_num(0)))
            .group_by(_ref("lead_id", "a"))
        )
        return aged, counts


def _weight(decay: Decay | CriterionDecay, age: exp.Expression) -> exp.Expression:
    """An event's decay weight from its age in nanoseconds, as the engine computes it."""
    if decay.mode == "half_life":
        span = exp.Mul(this=_num(decay.half_life_days), expression=_num(DAY_NS))
        power = exp.Div(this=exp.Neg(this=age), expression=exp.Paren(this=span))
        return exp.Pow(this=exp.Literal.number("2e0"), expression=power)  # a double base
    if decay.mode == "linear":
        per_ns = exp.Div(
            this=_num(decay.percent_per_30_days / 100.0),
            expression=exp.Paren(this=exp.Mul(this=_num(30), expression=_num(DAY_NS))),
        )
        left = exp.Sub(
            this=_num(1), expression=exp.Mul(this=age, expression=exp.Paren(this=per_ns))
        )
        return _least(_greatest(left, _num(0)), _num(1))
    return _num(1)


# ------------------------------------------------------------------------ confidence


def _confidence_case(table: np.ndarray) -> exp.Expression:
    """Confidence as a CASE over whole-score ranges, one branch per run of equal values."""
    if len(table) != 101:
        raise SqlError(f"a calibration table has 101 values (scores 0-100), got {len(table)}")
    ifs, start = [], 0
    for s in range(1, 101):
        if table[s] != table[start]:
            below = exp.LT(this=_ref("score"), expression=_num(s))
            ifs.append(exp.If(this=below, true=_num(float(table[start]))))
            start = s
    last = _num(float(table[start]))
    return exp.Case(ifs=ifs, default=last) if ifs else last
