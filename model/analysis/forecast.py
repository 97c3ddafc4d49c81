"""Pipeline forecast: open leads' confidence x value, with an interval, and a back-solve
from a revenue target to the pipeline and leads it needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.core.dataset import NS_PER_DAY

SIMULATIONS = 4000
CHUNK = 2048  # leads per simulation block: bounded memory at any pipeline size


@dataclass(frozen=True)
class Forecast:
    """Expected revenue from open leads with an interval, in total and per group."""

    expected: float
    low: float
    high: float
    level: float
    pipeline_value: float
    open_leads: int
    without_value: int
    groups: dict[str, pd.DataFrame]


def forecast(
    value: np.ndarray,
    confidence: np.ndarray,
    groups: dict[str, np.ndarray] | None = None,
    *,
    level: float = 0.8,
    simulations: int = SIMULATIONS,
    seed: int = 0,
) -> Forecast:
    """Sum of independent value x Bernoulli(confidence) over the leads given (the open
    ones): the mean exactly, the interval from a seeded simulation. Leads without a value
    add nothing and are counted apart."""
    value = np.asarray(value, dtype=np.float64)
    priced = ~np.isnan(value)
    v, p = np.where(priced, value, 0.0), np.asarray(confidence, dtype=np.float64)
    totals, per_group = _simulate(v, p, groups or {}, simulations, seed)
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    tables = {
        name: _group_table(codes, labels, v, p, sims, lo_q, hi_q)
        for name, (codes, labels, sims) in per_group.items()
    }
    return Forecast(
        expected=float(v @ p),
        low=float(np.quantile(totals, lo_q)),
        high=float(np.quantile(totals, hi_q)),
        level=level,
        pipeline_value=float(v.sum()),
        open_leads=len(v),
        without_value=int((~priced).sum()),
        groups=tables,
    )


def _simulate(v, p, groups, simulations, seed):
    """Revenue of each simulated future, in total and per group level."""
    rng = np.random.default_rng(seed)
    coded = {}
    for name, labels in groups.items():
        codes, uniques = pd.factorize(pd.Series(labels, dtype="string").fillna("(none)"))
        coded[name] = (codes, np.asarray(uniques, dtype=object))
    totals = np.zeros(simulations)
    sims = {name: np.zeros((simulations, len(u))) for name, (_, u) in coded.items()}
    for start in range(0, len(v), CHUNK):
        block = slice(start, start + CHUNK)
        won = rng.random((simulations, len(v[block]))) < p[block]
        revenue = won * v[block]
        totals += revenue.sum(axis=1)
        for name, (codes, uniques) in coded.items():
            onehot = np.zeros((len(v[block]), len(uniques)))
            onehot[np.arange(len(v[block])), codes[block]] = 1.0
            sims[name] += revenue @ onehot
    return totals, {n: (c, u, sims[n]) for n, (c, u) in coded.items()}


def _group_table(codes, labels, v, p, sims, lo_q, hi_q) -> pd.DataFrame:
    n = len(labels)
    frame = pd.DataFrame(
        {
            "group": labels,
            "open_leads": np.bincount(codes, minlength=n),
            "pipeline_value": np.bincount(codes, v, minlength=n),
            "expected": np.bincount(codes, v * p, minlength=n),
            "low": np.quantile(sims, lo_q, axis=0),
            "high": np.quantile(sims, hi_q, axis=0),
        }
    )
    return frame.sort_values("expected", ascending=False).reset_index(drop=True)


@dataclass(frozen=True)
class BackSolve:
    """What a revenue target asks of the pipeline, at the current mix of leads."""

    target: float
    expected_from_pipeline: float
    revenue_gap: float
    yield_per_value: float
    pipeline_needed: float
    pipeline_gap: float
    revenue_per_lead: float
    leads_needed: float
    leads_in_period: float


def back_solve(
    target: float, period_days: float, result: Forecast, created_ns: np.ndarray
) -> BackSolve:
    """Pipeline value a target needs (target / expected yield per currency unit of open
    pipeline), the gap to today's pipeline, and the new leads that close the revenue gap
    at the current expected revenue per lead, against the leads the period brings at the
    last 13 weeks' inflow."""
    yield_per_value = result.expected / result.pipeline_value if result.pipeline_value else 0.0
    per_lead = result.expected / result.open_leads if result.open_leads else 0.0
    gap = max(target - result.expected, 0.0)
    needed = target / yield_per_value if yield_per_value else float("inf")
    return BackSolve(
        target=target,
        expected_from_pipeline=result.expected,
        revenue_gap=gap,
        yield_per_value=yield_per_value,
        pipeline_needed=needed,
        pipeline_gap=max(needed - result.pipeline_value, 0.0),
        revenue_per_lead=per_lead,
        leads_needed=gap / per_lead if per_lead else float("inf"),
        leads_in_period=weekly_inflow(created_ns) * period_days / 7,
    )


def weekly_inflow(created_ns: np.ndarray, *, weeks: int = 13) -> float:
    """New leads per week over the last `weeks` weeks of the data."""
    if not len(created_ns):
        return 0.0
    end = created_ns.max()
    recent = created_ns > end - weeks * 7 * NS_PER_DAY
    return float(recent.sum()) / weeks
