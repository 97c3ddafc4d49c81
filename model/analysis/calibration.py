"""Lead confidence: scores turned into calibrated win probabilities (0-100 %).

The calibration is a table of 101 probabilities, one per whole score 0-100, fitted on
closed leads scored as of their decision moment (isotonic by default, or logistic). It is
reported out of fold, so the reliability shown was measured on leads the fit never saw,
then refitted on all closed leads for use. A table is all it takes to use it anywhere:
the app, the forecast, a saved revision or a SQL CASE.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from model.analysis import backtest
from model.analysis.stats import wilson
from model.core.dataset import OPEN, WON, Dataset
from model.core.words import METHODS
from model.format import confidence as confidence_words

if TYPE_CHECKING:
    from model.core.scoring import Scores

Method = Literal["isotonic", "logistic"]
SCORES = np.arange(101)
CLIP = (0.001, 0.999)  # never promise 0 % or 100 %
BASELINE = np.clip(SCORES / 100.0, *CLIP)  # the raw score read as a probability
STAGE_ORDER = (
    "new", "open", "contacted", "working", "nurturing", "engaged", "mql", "qualified", "sql",
    "discovery", "demo", "opportunity", "proposal", "negotiation", "commit", "closed won",
    "won",
)  # fmt: skip
WON_STAGES = frozenset({"closed won", "won"})


class CalibrationError(ValueError):
    """Too little data to calibrate; the message says what is missing."""


@dataclass(frozen=True)
class Calibration:
    """Score -> confidence for whole scores 0-100, optionally one table per pipeline stage."""

    method: Method
    table: np.ndarray
    n_closed: int
    n_won: int
    first_created: str
    last_created: str
    fitted_at: str
    stage_tables: dict[str, np.ndarray] = field(default_factory=dict)
    stage_closed: dict[str, int] = field(default_factory=dict)
    # The evidence: closed and won leads the fit saw at each whole score 0-100 (empty in
    # files saved before they were kept).
    closed_at_score: tuple[int, ...] = ()
    won_at_score: tuple[int, ...] = ()

    def confidence(self, score: np.ndarray, stage: np.ndarray | None = None) -> np.ndarray:
        """Per lead: the stage's table where there is one, else the overall table."""
        idx = score_index(score)
        out = self.table[idx]
        if stage is not None and self.stage_tables:
            names = _stage_names(stage)
            for name, table in self.stage_tables.items():
                pick = names == name
                out[pick] = table[idx[pick]]
        return out

    def describe(self) -> str:
        """'isotonic, fitted on 16,500 closed leads (1,650 won) created 2024-11-02 to ...'."""
        span = (
            f"created {self.first_created} to {self.last_created}"
            if self.first_created
            else "without created dates"
        )
        return (
            f"{self.method}, fitted on {self.n_closed:,} closed leads ({self.n_won:,} won) {span}"
        )

    def to_json(self) -> str:
        data = {
            "method": self.method,
            "table": [round(float(p), 6) for p in self.table],
            "n_closed": self.n_closed,
            "n_won": self.n_won,
            "first_created": self.first_created,
            "last_created": self.last_created,
            "fitted_at": self.fitted_at,
            "stage_tables": {
                k: [round(float(p), 6) for p in v] for k, v in self.stage_tables.items()
            },
            "stage_closed": self.stage_closed,
            "closed_at_score": list(self.closed_at_score),
            "won_at_score": list(self.won_at_score),
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Calibration:
        """A saved calibration; a file that is not one, or whose confidences are not
        probabilities, is refused naming the key."""
        try:
            data: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"calibration JSON is not valid JSON: {exc.msg}") from None
        except (UnicodeDecodeError, RecursionError):
            raise CalibrationError("this is not a calibration file (not JSON text)") from None
        if not isinstance(data, dict):
            raise CalibrationError("this is not a calibration file (not a JSON object)")
        missing = sorted({"method", "table", "n_closed"} - set(data))
        extra = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        if missing or extra:
            said = [f"missing {', '.join(missing)}"] if missing else []
            said += [f"unknown key {', '.join(extra)}"] if extra else []
            raise CalibrationError(f"this is not a calibration file ({'; '.join(said)})")
        data["table"] = _confidences(data["table"], "table")
        stages = data.get("stage_tables") or {}
        if not isinstance(stages, dict):
            raise CalibrationError("calibration: stage_tables must be an object of tables")
        data["stage_tables"] = {
            str(k): _confidences(v, f"stage_tables.{k}") for k, v in stages.items()
        }
        if not isinstance(data.get("stage_closed") or {}, dict):
            raise CalibrationError("calibration: stage_closed must be an object of counts")
        for key in ("closed_at_score", "won_at_score"):
            data[key] = _counts(data.get(key) or [], key)
        try:
            return cls(**data)
        except TypeError as exc:
            raise CalibrationError(f"this is not a calibration file ({exc})") from None


@dataclass(frozen=True)
class CalibrationReport:
    """The calibration for use, and how well it did out of fold against score / 100."""

    calibration: Calibration
    metrics: dict[str, float]
    baseline: dict[str, float]
    reliability: pd.DataFrame
    baseline_reliability: pd.DataFrame
    stage_notes: list[str]
    # How the table does on leads it never saw: in time order first when dates exist
    # (fitted on older leads, measured on the newest), random folds beside; per row the
    # metrics, score/100's metrics on the same leads, and the won and lost counts.
    backtests: tuple[dict, ...] = ()


def _counts(values: Any, key: str) -> tuple[int, ...]:
    """101 lead counts, one per whole score (or none), or CalibrationError naming the key."""
    try:
        counts = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise CalibrationError(f"calibration: {key} must be a list of lead counts") from None
    if counts.size and (
        counts.shape != (101,)
        or not np.all(np.isfinite(counts))
        or (counts < 0).any()
        or not np.all(counts == np.round(counts))
    ):
        raise CalibrationError(f"calibration: {key} must be 101 whole, non-negative counts")
    return tuple(int(c) for c in counts)


def _confidences(values: Any, key: str) -> np.ndarray:
    """101 probabilities, one per whole score, or CalibrationError naming the key."""
    try:
        table = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise CalibrationError(f"calibration: {key} must be 101 numbers") from None
    if table.shape != (101,):
        raise CalibrationError(
            f"calibration: {key} must hold 101 confidences (scores 0-100), got {table.size}"
        )
    bad = ~np.isfinite(table) | (table < 0) | (table > 1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise CalibrationError(
            f"calibration: {key} holds {table[k]:g} for score {k}; a "
            "confidence is a probability from 0 to 1"
        )
    return table


def score_index(score: np.ndarray) -> np.ndarray:
    """Whole score 0-100 of each lead: the calibration table's row."""
    return np.clip(np.floor(np.asarray(score, dtype=np.float64)), 0, 100).astype(np.intp)


def fit_table(idx: np.ndarray, won: np.ndarray, method: Method) -> np.ndarray:
    """Fit whole score -> P(won) on leads at whole scores `idx` and evaluate it at every
    whole score 0-100."""
    return fit_counts(np.bincount(idx, won, minlength=101), np.bincount(idx, minlength=101), method)


def fit_counts(n_won: np.ndarray, n_all: np.ndarray, method: Method) -> np.ndarray:
    """`fit_table` from the won and all leads at each whole score 0-100 (scikit-learn is
    imported here: commands that only read a saved calibration never load it)."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    # Both fits see the same 101-row problem. For isotonic, each score's win rate weighted
    # by its leads is what scikit-learn makes of repeated x itself, which took four times
    # as long at 1M leads.
    if method == "isotonic":
        seen = n_all > 0
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        rate = n_won[seen] / n_all[seen]
        table = iso.fit(SCORES[seen], rate, sample_weight=n_all[seen]).predict(SCORES)
    elif method == "logistic":
        n_lost = n_all - n_won
        x = np.concatenate([SCORES, SCORES])[:, None] / 100.0
        y = np.repeat([1, 0], 101)
        fit = LogisticRegression(C=1e4, max_iter=1000).fit(
            x, y, sample_weight=np.concatenate([n_won, n_lost])
        )
        table = fit.predict_proba(SCORES[:, None] / 100.0)[:, 1]
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return np.clip(table, *CLIP)


def brier(p: np.ndarray, won: np.ndarray, leads: np.ndarray | None = None) -> float:
    """Mean squared gap between confidence and outcome (0 perfect, 0.25 a coin at 50 %).
    `leads`: how many leads each row stands for (one confidence, one outcome), else one."""
    return float(np.average((p - won) ** 2, weights=leads))


def log_loss(p: np.ndarray, won: np.ndarray, leads: np.ndarray | None = None) -> float:
    """Mean negative log-likelihood of the outcomes (confidence kept inside 0.1-99.9 %)."""
    q = np.clip(p, *CLIP)
    return float(-np.average(np.where(won, np.log(q), np.log1p(-q)), weights=leads))


def ece(
    p: np.ndarray, won: np.ndarray, leads: np.ndarray | None = None, *, bins: int = 10
) -> float:
    """Expected calibration error: |observed - predicted| per equal-width confidence bin,
    weighted by the bin's share of leads."""
    b, n = _bins(p, bins), _leads(p, leads)
    observed = np.bincount(b, won * n, minlength=bins)
    gap = np.abs(observed - np.bincount(b, p * n, minlength=bins))
    return float(gap.sum() / max(n.sum(), 1))


def _bins(p: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width confidence bin of each probability (1.0 in the top bin)."""
    return np.minimum((p * bins).astype(np.intp), bins - 1)


def _leads(p: np.ndarray, leads: np.ndarray | None) -> np.ndarray:
    return np.ones(len(p)) if leads is None else np.asarray(leads, dtype=np.float64)


def metrics(p: np.ndarray, won: np.ndarray, leads: np.ndarray | None = None) -> dict[str, float]:
    return {
        "brier": brier(p, won, leads),
        "log_loss": log_loss(p, won, leads),
        "ece": ece(p, won, leads),
    }


def reliability(
    p: np.ndarray, won: np.ndarray, leads: np.ndarray | None = None, *, bins: int = 10
) -> pd.DataFrame:
    """Per confidence bin: mean predicted, observed win rate with a 95 % Wilson interval."""
    b, each = _bins(p, bins), _leads(p, leads)
    n = np.rint(np.bincount(b, each, minlength=bins)).astype(np.int64)
    w = np.rint(np.bincount(b, won * each, minlength=bins)).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        predicted = np.bincount(b, p * each, minlength=bins) / n
        observed = w / n
    low, high = wilson(w, n)
    frame = pd.DataFrame(
        {
            "bin": [f"{i * 100 // bins}–{(i + 1) * 100 // bins} %" for i in range(bins)],
            "predicted": predicted,
            "observed": observed,
            "leads": n,
            "won": w,
            "low": low,
            "high": high,
        }
    )
    return frame[frame["leads"] > 0].reset_index(drop=True)


def calibrate(
    data: Dataset,
    scores: Scores,
    *,
    method: Method = "isotonic",
    folds: int = 5,
    seed: int = 0,
    by_stage: bool = False,
    min_stage_closed: int = 200,
) -> CalibrationReport:
    """Fit score -> confidence on the closed leads, report it out of fold, refit on all."""
    closed = data.outcome != OPEN
    idx, won = score_index(scores.score[closed]), data.outcome[closed] == WON
    n_won = int(won.sum())
    if min(n_won, len(won) - n_won) < folds:
        raise CalibrationError(
            f"calibration needs at least {folds} won and {folds} lost leads, "
            f"this data has {n_won} won and {len(won) - n_won} lost"
        )
    key = idx * 2 + won  # each closed lead's (whole score, outcome) cell
    backtests, oof = _backtests(data, key, method, folds, seed)
    every = np.bincount(key, minlength=202).reshape(101, 2)  # [lost, won] per whole score
    base = _cells(every[None], BASELINE[None])
    created = data.created_ns[closed]  # only its first and last day are written
    stage_tables, stage_closed, notes = {}, {}, []
    if by_stage:
        stage_tables, stage_closed, notes = _stage_fits(data, scores, method, min_stage_closed)
    cal = Calibration(
        method=method,
        table=fit_counts(every[:, 1], every.sum(axis=1), method),
        n_closed=len(won),
        n_won=n_won,
        first_created=f"{pd.Timestamp(int(created.min())):%Y-%m-%d}" if data.has_dates else "",
        last_created=f"{pd.Timestamp(int(created.max())):%Y-%m-%d}" if data.has_dates else "",
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        stage_tables=stage_tables,
        stage_closed=stage_closed,
        closed_at_score=tuple(int(c) for c in every.sum(axis=1)),
        won_at_score=tuple(int(c) for c in every[:, 1]),
    )
    return CalibrationReport(
        calibration=cal,
        metrics=metrics(*oof),
        baseline=metrics(*base),
        reliability=reliability(*oof),
        baseline_reliability=reliability(*base),
        stage_notes=notes,
        backtests=backtests,
    )


Cells = tuple[np.ndarray, np.ndarray, np.ndarray]  # confidence, won, leads per cell


def _backtests(
    data: Dataset, key: np.ndarray, method: Method, folds: int, seed: int
) -> tuple[tuple[dict, ...], Cells]:
    """Each backtest plan's figures, and the random folds' out-of-fold cells. Leads are
    counted per (test part, whole score, outcome), each part's training leads too, so no
    lead is gathered per fold: at 1M leads 0.05 s instead of 0.39 s."""
    rows, oof = [], None
    for how, test, train, first in _parts(data, key, folds, seed):
        tables = np.stack([fit_counts(t[:, 1], t.sum(axis=1), method) for t in train])
        cells = _cells(test, tables)
        measured = test.sum(axis=0)
        n_won = int(measured[:, 1].sum())
        rows.append(
            {
                "how": how,
                "measured": backtest.describe(how, first, len(test), folds),
                "metrics": metrics(*cells),
                "baseline": metrics(*_cells(measured[None], BASELINE[None])),
                "won": n_won,
                "lost": int(measured.sum()) - n_won,
            }
        )
        if how == "random":
            oof = cells
    return tuple(rows), oof


def _parts(
    data: Dataset, key: np.ndarray, folds: int, seed: int
) -> Iterator[tuple[str, np.ndarray, np.ndarray, str]]:
    """The backtest plans as counts: (how, test counts per part, training counts per part,
    first day measured), "time" first when there are dates and older leads to fit on."""
    if data.has_dates:
        window, firsts, era = backtest.closed_windows(data)
        if len(firsts):
            test = _part_counts(window, key, len(firsts))
            train = np.cumsum(_part_counts(era, key, len(firsts) + 1), axis=0)[:-1]
            yield "time", test, train, f"{pd.Timestamp(int(firsts[0])):%Y-%m-%d}"
    test = _part_counts(backtest.closed_folds(data, folds, seed), key, folds)
    yield "random", test, test.sum(axis=0) - test, ""


def _part_counts(part: np.ndarray, key: np.ndarray, parts: int) -> np.ndarray:
    """Leads per (part, whole score, outcome [lost, won]); a part of -1 is left out."""
    code = part * 202 + key
    if len(part) and part.min() < 0:
        code = code[part >= 0]
    return np.bincount(code, minlength=parts * 202).reshape(parts, 101, 2)


def _cells(counts: np.ndarray, tables: np.ndarray) -> Cells:
    """(confidence, won, leads) of each (part, score, outcome) cell holding leads: what
    the metrics read instead of one row per lead, each part read with its own table."""
    held = counts > 0
    p = np.broadcast_to(tables[:, :, None], counts.shape)[held]
    won = np.broadcast_to(np.array([False, True]), counts.shape)[held]
    return p, won, counts[held]


def confidence_table(cal: Calibration, *, width: int = 5) -> pd.DataFrame:
    """Score ranges -> confidence, to hand to sales: '75–79 → 28 %' (a range when the
    confidence changes inside the score range), with the closed leads behind each row
    and the 95 % interval of their win rate; no confidence where no closed lead scored."""
    closed = np.asarray(cal.closed_at_score or [0] * 101, dtype=np.int64)
    won = np.asarray(cal.won_at_score or [0] * 101, dtype=np.int64)
    known = bool(cal.closed_at_score)
    rows = []
    for start in range(0, 101, width):
        stop = min(start + width - 1, 100)
        p = cal.table[start : stop + 1]
        n, w = int(closed[start : stop + 1].sum()), int(won[start : stop + 1].sum())
        lo, hi = (confidence_words(float(x), sign=False) for x in (p.min(), p.max()))
        shown = f"{lo} %" if lo == hi else f"{lo}–{hi} %"
        interval = wilson(w, n) if n else (np.nan, np.nan)
        rows.append(
            {
                "scores": f"{start}–{stop}" if stop > start else f"{start}",
                "confidence": shown if n or not known else "—",
                "closed_leads": n if known else None,
                "won": w if known else None,
                "interval": (
                    f"{100 * interval[0]:.0f}–{100 * interval[1]:.0f} %"
                    if n
                    else "no closed lead scored here"
                    if known
                    else ""
                ),
                "low": float(p.min()),
                "high": float(p.max()),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------- stages


def stage_rank(names: np.ndarray) -> np.ndarray:
    """Position of each stage name in the usual funnel order; -1 when unknown."""
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return np.array([order.get(n, -1) for n in names], dtype=np.intp)


def _stage_names(stage: np.ndarray) -> np.ndarray:
    return pd.Series(stage, dtype="string").str.strip().str.lower().fillna("").to_numpy(object)


def _stage_fits(
    data: Dataset, scores: Scores, method: Method, min_closed: int
) -> tuple[dict[str, np.ndarray], dict[str, int], list[str]]:
    """One table per stage an open lead can be in, fitted on the closed leads that got at
    least that far (a won lead passed every stage); too few of them: the overall table."""
    if "stage" not in data.leads.columns:
        return {}, {}, ["There is no stage column, so one calibration serves every lead."]
    names = _stage_names(data.leads["stage"].to_numpy())
    rank = stage_rank(names)
    won = data.outcome == WON
    reached = np.where(won, len(STAGE_ORDER), np.maximum(rank, 0))  # every lead was new once
    closed = data.outcome != OPEN
    tables, counts, notes = {}, {}, []
    open_stages = pd.unique(names[data.outcome == OPEN])
    for name in sorted(open_stages, key=lambda s: stage_rank(np.array([s]))[0]):
        r = stage_rank(np.array([name]))[0]
        label = name or "(blank)"
        if r < 0:
            notes.append(f"Stage {label!r} is not a known funnel stage: overall calibration.")
            continue
        pick = closed & (reached >= r)
        n, n_won = int(pick.sum()), int(won[pick].sum())
        if n < min_closed or min(n_won, n - n_won) < 10:
            notes.append(
                f"Stage {label!r}: {n:,} closed leads got this far ({n_won:,} won), too few "
                f"(needs {min_closed:,} with 10 won and 10 lost): overall calibration."
            )
            continue
        tables[name] = fit_table(score_index(scores.score[pick]), won[pick], method)
        counts[name] = n
    return tables, counts, notes
