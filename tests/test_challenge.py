"""Champion vs challenger: the paired bootstrap against a slow one, the recent window, and
the gate refusing a worse candidate and letting a better one through."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from model.analysis import challenge
from model.core.dataset import OPEN, WON, AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import Scores, score
from model.core.spec import ScoringModel, default_model

AS_OF = AsOf("created_plus_days", days=14)


def _scored(data, model: ScoringModel):
    return model, score(build_hits(data, model, AS_OF), model)


def _worse(model: ScoringModel) -> ScoringModel:
    """The default model with its fit points turned upside down: a candidate that ranks
    closed leads worse, on purpose."""
    crit = [
        c.model_copy(update={"points": -c.points if c.group == "fit" else c.points})
        for c in model.criteria
    ]
    return model.model_copy(update={"criteria": crit})


def test_the_paired_interval_equals_a_slow_bootstrap():
    rng = np.random.default_rng(3)
    n = 300
    won = rng.random(n) < 0.3
    a = np.round(rng.normal(50, 15, n) + 10 * won)  # ties on purpose
    b = np.round(a + rng.normal(0, 8, n))
    leads = pd.DataFrame(
        {"lead_id": [f"L{i}" for i in range(n)], "created_at": pd.Timestamp("2026-01-01"),
         "outcome": np.where(won, "won", "lost")}
    )  # fmt: skip
    data = prepare(leads, None)
    model = default_model()
    zeros = np.zeros(n)
    band = np.zeros(n, dtype=np.int8)
    found = challenge.challenge(
        data, (model, Scores(zeros, zeros, a, band)), (model, Scores(zeros, zeros, b, band)),
        None, bootstraps=200, seed=11,
    )  # fmt: skip
    draws = np.random.default_rng(11).integers(0, n, size=(200, n))
    slow = [roc_auc_score(won[d], b[d]) - roc_auc_score(won[d], a[d]) for d in draws]
    auc = found.figures["auc"]
    assert auc.live == pytest.approx(roc_auc_score(won, a))
    assert auc.candidate == pytest.approx(roc_auc_score(won, b))
    assert (auc.low, auc.high) == pytest.approx(tuple(np.percentile(slow, [2.5, 97.5])))
    ready = a >= model.sales_ready_threshold
    rate = found.figures["ready_win_rate"]
    assert rate.live == pytest.approx(won[ready].mean())
    assert found.figures["nurtured_wins"].live == (won & ~ready).sum()


def test_the_window_is_the_closed_leads_created_since(demo_dataset, model):
    since = pd.Timestamp("2026-06-01")
    found = challenge.challenge(
        demo_dataset, _scored(demo_dataset, model), _scored(demo_dataset, model), since,
        bootstraps=50,
    )  # fmt: skip
    closed = demo_dataset.outcome != OPEN
    expected = closed & (demo_dataset.created_ns >= since.value)
    assert found.leads == expected.sum()
    assert found.won == (expected & (demo_dataset.outcome == WON)).sum()
    assert found.figures["auc"].difference == 0
    assert found.figures["auc"].low == found.figures["auc"].high == 0  # the same model
    assert found.passed
    assert found.routing.moved == 0


def test_the_gate_refuses_a_worse_candidate_and_lets_a_better_one_through(demo_dataset, model):
    since = pd.Timestamp("2026-03-01")
    good, bad = _scored(demo_dataset, model), _scored(demo_dataset, _worse(model))
    refused = challenge.challenge(demo_dataset, good, bad, since, bootstraps=300)
    assert not refused.passed
    assert refused.refusals[0].startswith("it ranks the closed leads worse: AUC")
    assert refused.figures["auc"].high < 0
    allowed = challenge.challenge(demo_dataset, bad, good, since, bootstraps=300)
    assert allowed.passed
    assert allowed.figures["auc"].low > 0
    record = allowed.to_dict()
    assert record["figures"]["auc"]["difference"] == pytest.approx(
        allowed.figures["auc"].difference
    )
    assert record["closed_leads"] == allowed.leads


def test_too_few_closed_leads_refuse_nothing_and_say_so(demo_dataset, model):
    since = pd.Timestamp("2026-10-15")  # the last days of the demo: a handful closed
    found = challenge.challenge(
        demo_dataset, _scored(demo_dataset, model), _scored(demo_dataset, _worse(model)), since,
        bootstraps=50,
    )  # fmt: skip
    assert found.leads < challenge.MIN_CLOSED
    assert not found.enough
    assert found.passed
