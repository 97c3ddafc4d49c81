"""Backtest splits: fit on older leads, measure on the newest, and random folds beside.

DESIGN's rule: evaluation is in time order whenever dates exist, with random folds shown
beside it, never instead. Suggestions, the boosted ceiling and calibration all take their
splits from here, so the figures they show are measured on the same leads.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from model.core.dataset import OPEN, WON, Dataset

TEST_SHARE = 0.3  # the newest closed leads a backtest measures on
WINDOWS = 3  # rolling origins over that share
NOISE = 40  # fewer won or lost leads than this in the test window: the figures are noise
T = TypeVar("T")


def time_windows(created_ns: np.ndarray, share: float = TEST_SHARE, windows: int = WINDOWS):
    """Rolling origin: the newest `share` of leads in `windows` consecutive slices, each
    measured by a fit on every lead older than the slice. Positions into created_ns."""
    return [
        (np.flatnonzero(created_ns < first), test)
        for test, first in _window_tests(created_ns, share, windows)
    ]


def _window_tests(created_ns: np.ndarray, share: float, windows: int):
    """Each window of `time_windows`: its leads and its first created moment, for the
    windows with older leads to fit on."""
    order = np.argsort(created_ns, kind="stable")
    start = round(len(order) * (1 - share))
    oldest = created_ns.min(initial=np.iinfo(np.int64).max)
    for test in np.array_split(order[start:], windows):
        first = created_ns[test].min() if len(test) else oldest  # an empty slice: none
        if first > oldest:
            yield test, first


def random_folds(won: np.ndarray, folds: int, seed: int):
    """Stratified random folds: (train, test) positions into won."""
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(won, won))


def fold_of(won: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each lead's test fold in `random_folds(won, folds, seed)`, as one array."""
    fold = np.empty(len(won), dtype=np.intp)
    for f, (_, test) in enumerate(random_folds(won, folds, seed)):
        fold[test] = f
    return fold


# What is worked out once per dataset object: a retargeted or scoped dataset is another
# object, with outcomes of its own.
_KEPT: weakref.WeakKeyDictionary[Dataset, dict] = weakref.WeakKeyDictionary()


def _kept(data: Dataset, key: tuple, make: Callable[[], T]) -> T:
    """`make()` for this dataset and key, made once (two sessions asking at once may both
    make it; either result is the same)."""
    per = _KEPT.setdefault(data, {})
    if key not in per:
        per[key] = make()
    return per[key]


def closed_folds(data: Dataset, folds: int = 5, seed: int = 0) -> np.ndarray:
    """`fold_of` the data's closed leads, worked out once per dataset: the leak check and
    calibration measure on the same folds (0.1 s of sorting at 1M leads, paid once)."""

    def make() -> np.ndarray:
        fold = fold_of(data.outcome[data.outcome != OPEN] == WON, folds, seed)
        fold.flags.writeable = False
        return fold

    return _kept(data, ("folds", folds, seed), make)


def closed_windows(data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`time_windows` over the data's closed leads as arrays, worked out once per dataset:
    each lead's test window (-1: in none), each window's first created moment, and each
    lead's era, the number of those moments at or before its own. A lead is in window w's
    training leads (created before it) exactly when its era is at most w."""

    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        created = data.created_ns[data.outcome != OPEN]
        window = np.full(len(created), -1, dtype=np.intp)
        firsts = []
        for w, (test, first) in enumerate(_window_tests(created, TEST_SHARE, WINDOWS)):
            window[test] = w
            firsts.append(first)
        firsts = np.array(firsts, dtype=np.int64)
        era = np.searchsorted(firsts, created, side="right")
        for kept in (window, firsts, era):
            kept.flags.writeable = False
        return window, firsts, era

    return _kept(data, ("windows",), make)


def plans(created_ns: np.ndarray | None, won: np.ndarray, folds: int, seed: int):
    """[(how, splits)] over closed leads: "time" first when there are dates (and older
    leads to fit on), "random" beside it."""
    out = [("random", random_folds(won, folds, seed))]
    windows = time_windows(created_ns) if created_ns is not None else []
    if windows:  # leads all created on one day have no older leads to fit on
        out.insert(0, ("time", windows))
    return out


def newest(created_ns: np.ndarray, share: float = TEST_SHARE) -> np.ndarray:
    """Positions of the newest `share` of leads by created date: the window a backtest
    measures on (the same leads as `time_windows`)."""
    order = np.argsort(created_ns, kind="stable")
    return np.sort(order[round(len(order) * (1 - share)) :])


def describe(how: str, first_created: str, n_windows: int, folds: int) -> str:
    """How a split plan measured, in a sentence."""
    if how == "time":
        return (
            f"fitted on older leads, measured on the newest {TEST_SHARE:.0%} "
            f"(created from {first_created}, {n_windows} rolling windows)"
        )
    return f"{folds} random folds"
