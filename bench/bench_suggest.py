"""Suggested points at 10k and 100k closed leads: what `leadscore suggest` makes a person
wait for (the suggestion with its backtest and random folds, then the boosted ceiling),
printed with its ratio to a plain scikit-learn one-hot logistic on the same five folds,
run in the same process. Targets (DESIGN.md): <= 5 s at 10k, <= 30 s at 100k.
`make bench-suggest`.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from model.analysis import backtest, suggest
from model.core.dataset import OPEN, WON, AsOf, prepare
from model.core.hits import build_hits
from model.core.spec import default_model
from model.ingest import demo

TARGETS = {10_000: 5.0, 100_000: 30.0}
AS_OF = AsOf("created_plus_days", days=14)


def reference(data) -> float:
    """Seconds for a one-hot logistic of won vs lost on the lead columns, five folds."""
    closed = np.flatnonzero(data.outcome != OPEN)
    won = data.outcome[closed] == WON
    columns = [c for c in data.leads.columns if c not in suggest.RESERVED and c != "lead_id"]
    frame = data.leads.iloc[closed][columns].astype(str)
    start = time.perf_counter()
    x = OneHotEncoder(handle_unknown="ignore", min_frequency=30).fit_transform(frame)
    for train, test in backtest.random_folds(won, 5, 0):
        LogisticRegression(max_iter=1000).fit(x[train], won[train]).predict_proba(x[test])
    return time.perf_counter() - start


def main() -> None:
    warnings.simplefilter("ignore")
    model = default_model()
    for closed_wanted, target in TARGETS.items():
        raw = demo.generate(int(closed_wanted / 0.85), seed=11)
        data = prepare(raw.leads, raw.events, name="bench")
        n_closed = int((data.outcome != OPEN).sum())
        start = time.perf_counter()
        hits = build_hits(data, model, AS_OF)
        result = suggest.suggest(data, hits, model)
        fitted = time.perf_counter() - start
        suggest.ceiling_auc(data, AS_OF, exclude=suggest.left_out(result.leaks))
        total = time.perf_counter() - start
        base = reference(data)
        print(
            f"suggest, {n_closed:,} closed leads: {total:.1f} s in all ({fitted:.1f} s the "
            f"suggestion, {total - fitted:.1f} s the ceiling); target <= {target:.0f} s "
            f"{'(met)' if total <= target else '(MISSED)'}; {total / base:.1f}x a plain one-hot "
            f"logistic on five folds ({base:.1f} s); AUC {result.headline.description}: "
            f"{result.auc_suggested:.3f}"
        )


if __name__ == "__main__":
    main()
