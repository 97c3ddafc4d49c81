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
    """AUC from scores sorted high to low, by groups of tied scores."""
    if not len(s):
        return float("nan")
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    won_g = np.add.reduceat(won.astype(np.int64), starts)
    return auc_of_groups(won_g, np.diff(np.r_[starts, len(s)]) - won_g)


def auc_of_groups(won_g: np.ndarray, lost_g: np.ndarray) -> float:
    """AUC from won and lost counts per group of tied scores, groups high to low: each win
    beats every loss below its group and half of the losses inside it."""
    n_won, n_lost = won_g.sum(), lost_g.sum()
    if n_won == 0 or n_lost == 0:
        return float("nan")
    lost_below = n_lost - np.cumsum(lost_g)
    return float((won_g * lost_below + 0.5 * won_g * lost_g).sum() / (n_won * n_lost))


def auc_difference(
    score_a: np.ndarray, score_b: np.ndarray, outcome: np.ndarray, *, level: float = 0.95
) -> tuple[float, float, float]:
    """AUC of B minus AUC of A on the same closed leads, with its interval: DeLong's
    variance of two correlated AUCs (the leads are paired, so the difference has an
    interval narrower than either AUC's). NaNs without won and lost leads.

    Sun & Xu (2014), "Fast implementation of DeLong's algorithm": per-lead placements from
    mid-ranks, their covariance across the two scores, one pass of sorting.
    """
    closed = outcome != OPEN
    won = outcome[closed] == WON
    m, n = int(won.sum()), int((~won).sum())
    if m < 2 or n < 2:
        return float("nan"), float("nan"), float("nan")
    aucs, v_won, v_lost = [], [], []
    for s in (score_a[closed], score_b[closed]):
        rank_all = _midranks(s)
        rank_won, rank_lost = _midranks(s[won]), _midranks(s[~won])
        aucs.append((rank_all[won].sum() - m * (m + 1) / 2) / (m * n))
        v_won.append((rank_all[won] - rank_won) / n)  # share of lost leads each win beats
        v_lost.append(1 - (rank_all[~won] - rank_lost) / m)
    cov_won, cov_lost = np.cov(np.vstack(v_won)), np.cov(np.vstack(v_lost))
    var = (cov_won[0, 0] + cov_won[1, 1] - 2 * cov_won[0, 1]) / m
    var += (cov_lost[0, 0] + cov_lost[1, 1] - 2 * cov_lost[0, 1]) / n
    diff = float(aucs[1] - aucs[0])
    half = NormalDist().inv_cdf(0.5 + level / 2) * float(np.sqrt(max(var, 0.0)))
    return diff, diff - half, diff + half


def _midranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties sharing their mean rank."""
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], len(x)]
    mean_rank = (starts + ends + 1) / 2  # ranks start+1 .. end, averaged
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks
