"""Statistics shared by every analysis: the Wilson interval of a win rate and the ROC AUC
of scores for won against lost leads (open leads ignored)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from model.core.dataset import OPEN, WON


def wilson(won: np.ndarray | int, n: np.ndarray | int, *, level: float = 0.95) -> tuple:
    """Wilson score interval for a win rate of `won` out of `n` (NaN where n is 0).

    >>> [round(x, 4) for x in wilson(5, 10)]
    [0.2366, 0.7634]
    """
    won = np.asarray(won, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = won / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def _ranked(score: np.ndarray, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed leads' scores and won flags, highest score first (one stable sort)."""
    closed = outcome != OPEN
    s = score[closed]
    order = np.argsort(-s, kind="stable")
    return s[order], outcome[closed][order] == WON


def auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """ROC AUC of score for won vs lost (open leads ignored); ties count one half."""
    return _auc_ranked(*_ranked(score, outcome))


def _auc_ranked(s: np.ndarray, won: np.ndarray) -> float:
    """AUC from scores sorted high to low: per group of tied scores, each win beats every
    loss below the group and half of the losses inside it."""
    n_won, n_lost = int(won.sum()), int(len(won) - won.sum())
    if n_won == 0 or n_lost == 0:
        return float("nan")
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    won_g = np.add.reduceat(won.astype(np.int64), starts)
    lost_g = np.diff(np.r_[starts, len(s)]) - won_g
    lost_below = n_lost - np.cumsum(lost_g)
    return float((won_g * lost_below + 0.5 * won_g * lost_g).sum() / (n_won * n_lost))
