"""Accounts scored from their people: each lead's score rolled up to the account it
belongs to by the model's rule, with buying-group role weights and coverage, account
bands, and an account outcome (won when any of its leads is won) for account replay.

Vectorised: the account key is factorised once per dataset, every roll-up is a bincount
or one sort, so 1M leads roll up in well under a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.stats import auc
from model.core.dataset import LOST, OPEN, WON, Column, Dataset
from model.core.spec import AccountRollup, ModelError, ScoringModel
from model.core.words import ROLES

NO_ACCOUNT = -1


@dataclass(frozen=True)
class Accounts:
    """One row per account (in key order), and each lead's account (NO_ACCOUNT without)."""

    names: np.ndarray  # the key as first written in the data, per account
    lead_account: np.ndarray  # per lead: its account's row, or NO_ACCOUNT
    score: np.ndarray
    people: np.ndarray  # leads per account
    engaged: np.ndarray  # weighted count of people scoring engaged_at or more
    coverage: np.ndarray  # share of required roles with an engaged person; NaN without
    band: np.ndarray  # index into the rollup's bands
    outcome: np.ndarray  # WON if any lead won, else OPEN if any is open, else LOST

    @property
    def n_accounts(self) -> int:
        return len(self.names)


def account_keys(data: Dataset, rollup: AccountRollup) -> tuple[np.ndarray, np.ndarray]:
    """Per lead, its account's row (NO_ACCOUNT when the key is blank or a placeholder),
    and the account names: keys are matched trimmed and case-blind, as the SQL does."""
    col = _key_column(data, rollup)
    if col.kind == "text":
        used = np.unique(col.values[~col.missing])  # placeholders and blanks: no account
        written = pd.Series(col.categories[used], dtype=object)
        codes, _ = pd.factorize(_folded(written), sort=True)
        table = np.full(len(col.categories) + 1, NO_ACCOUNT, dtype=np.intp)
        table[used] = codes
        first = written.groupby(codes).first().to_numpy(object)  # as first written
        return table[col.values], first
    lead_account = np.full(data.n_leads, NO_ACCOUNT, dtype=np.intp)
    keys, lead_account[~col.missing] = np.unique(col.values[~col.missing], return_inverse=True)
    return lead_account, np.array([_number_key(x) for x in keys], dtype=object)


def _key_column(data: Dataset, rollup: AccountRollup) -> Column:
    col = _column(data, rollup.key, "account key")
    if col.kind not in ("text", "number"):
        raise ModelError(
            f"account key '{rollup.key}' is a {col.kind} column: pick the column naming each "
            "lead's company or account (Company Name, Account ID)"
        )
    return col


def _folded(text: pd.Series) -> np.ndarray:
    """Keys as they are matched: case-blind (the column's text is already trimmed)."""
    return text.astype("string").str.lower().to_numpy(object)


def one_account_keys(data: Dataset, rollup: AccountRollup, lead: int) -> tuple:
    """One lead's account alone, as `account_keys` would find it: each lead's row (0 for
    the lead's account, else NO_ACCOUNT) and the account's name; None without a key."""
    col = _key_column(data, rollup)
    if col.missing[lead]:
        return None
    if col.kind == "text":
        folded = _folded(pd.Series(col.categories, dtype=object))
        same = np.append(folded == folded[col.values[lead]], False)  # the missing code: no
        name = col.categories[int(np.argmax(same))]  # the first written, as account_keys
        people = same[col.values]
    else:
        people = ~col.missing & (col.values == col.values[lead])
        name = _number_key(col.values[lead])
    return np.where(people, 0, NO_ACCOUNT).astype(np.intp), np.array([name], dtype=object)


def _number_key(x: float) -> str:
    """A number key as warehouses write an integer id: '1000005', not '1000005.0'."""
    return str(int(x)) if np.isfinite(x) and float(x).is_integer() else repr(float(x))


def _column(data: Dataset, name: str, what: str) -> Column:
    try:
        return data.column(name)
    except ModelError as exc:
        raise ModelError(f"{what}: {exc}") from None


def role_weights(data: Dataset, rollup: AccountRollup) -> np.ndarray:
    """Per lead, the weight of its buying-group role (1 without a role or a weight)."""
    if rollup.role is None:
        return np.ones(data.n_leads)
    col = _column(data, rollup.role, "role")
    if col.kind != "text":
        raise ModelError(f"role '{rollup.role}' is a {col.kind} column: pick a text column")
    per_code = np.array([rollup.weight(str(c)) for c in col.categories] + [1.0])
    return per_code[col.values]


def roll_up(data: Dataset, score: np.ndarray, model: ScoringModel) -> Accounts:
    """The model's account scores from the leads' `score` (as of their decision moments)."""
    rollup = model.accounts
    if rollup is None:
        raise ModelError("this model scores leads alone: give it an account roll-up")
    return _rolled(data, score, rollup, *account_keys(data, rollup))


def one_account(data: Dataset, score: np.ndarray, model: ScoringModel, lead: int):
    """The roll-up of one lead's account only (a lead's explanation), without rolling up
    every account on each redraw; None when the lead's key is blank."""
    found = one_account_keys(data, model.accounts, lead)
    return None if found is None else _rolled(data, score, model.accounts, *found)


def _rolled(data, score, rollup: AccountRollup, lead_account, names) -> Accounts:
    """The accounts' figures from each lead's account row (NO_ACCOUNT: none)."""
    n = len(names)
    has = lead_account != NO_ACCOUNT
    acc, s = lead_account[has], np.asarray(score, np.float64)[has]
    w = role_weights(data, rollup)[has]
    weighted = w * s
    engaged_flag = s >= rollup.engaged_at
    engaged = np.bincount(acc, weights=w * engaged_flag, minlength=n)
    if rollup.rollup == "sum_capped":
        total = np.minimum(np.bincount(acc, weights=weighted, minlength=n), rollup.cap)
    elif rollup.rollup == "max":
        total = np.zeros(n)
        np.maximum.at(total, acc, weighted)
    elif rollup.rollup == "top_k_mean":
        total = _top_k_sum(acc, weighted, rollup.k, n) / rollup.k
    else:
        total = engaged
    return Accounts(
        names=names,
        lead_account=lead_account,
        score=total,
        people=np.bincount(acc, minlength=n),
        engaged=engaged,
        coverage=_coverage(data, rollup, acc, engaged_flag, has, n),
        band=_band(total, rollup),
        outcome=_account_outcome(acc, data.outcome[has], n),
    )


def _band(score: np.ndarray, rollup: AccountRollup) -> np.ndarray:
    """Each account's band: the first, from the top, whose min_score it reaches."""
    rising = np.array([b.min_score for b in rollup.bands[:-1]][::-1], dtype=np.float64)
    return (len(rising) - np.searchsorted(rising, score, side="right")).astype(np.intp)


def _top_k_sum(acc: np.ndarray, x: np.ndarray, k: int, n: int) -> np.ndarray:
    """Per account, the sum of its k largest values: one sort by account, then value."""
    order = np.lexsort((-x, acc))
    starts = np.searchsorted(acc[order], np.arange(n))
    rank = np.arange(len(order)) - starts[acc[order]]
    keep = order[rank < k]
    return np.bincount(acc[keep], weights=x[keep], minlength=n)


def _coverage(data, rollup, acc, engaged_flag, has, n) -> np.ndarray:
    """Share of the required roles with at least one engaged person in the account."""
    if not rollup.required_roles:
        return np.full(n, np.nan)
    col = _column(data, rollup.role, "role")
    covered = np.zeros(n)
    for role in rollup.required_roles:
        of_role = col.level_hits([role])[col.values][has] & engaged_flag
        covered += np.bincount(acc[of_role], minlength=n) > 0
    return covered / len(rollup.required_roles)


def _account_outcome(acc: np.ndarray, outcome: np.ndarray, n: int) -> np.ndarray:
    """WON when any lead won, else OPEN while any lead is open, else LOST."""
    won = np.bincount(acc, weights=outcome == WON, minlength=n) > 0
    still_open = np.bincount(acc, weights=outcome == OPEN, minlength=n) > 0
    return np.where(won, WON, np.where(still_open, OPEN, LOST))


def account_frame(accounts: Accounts, model: ScoringModel) -> pd.DataFrame:
    """One row per account, best first: what the Accounts page lists and downloads."""
    bands = model.accounts.bands
    frame = pd.DataFrame(
        {
            "account": accounts.names,
            "score": accounts.score,
            "band": [bands[b].name for b in accounts.band],
            "people": accounts.people,
            "engaged people": accounts.engaged,
            "role coverage": accounts.coverage,
            "outcome": np.array(["won", "lost", "open"])[accounts.outcome],
        }
    )
    if not model.accounts.required_roles:
        frame = frame.drop(columns="role coverage")
    return frame.sort_values(["score", "account"], ascending=[False, True], ignore_index=True)


def account_bands(accounts: Accounts, model: ScoringModel) -> pd.DataFrame:
    """Per account band: accounts, closed ones, won, and the win rate of the closed."""
    bands = model.accounts.bands
    n = len(bands)
    closed = accounts.outcome != OPEN
    count = np.bincount(accounts.band, minlength=n)
    closed_n = np.bincount(accounts.band[closed], minlength=n)
    won = np.bincount(accounts.band[accounts.outcome == WON], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(closed_n > 0, won / closed_n, np.nan)
    return pd.DataFrame(
        {
            "band": [b.name for b in bands],
            "from score": [b.min_score for b in bands],
            "action": [b.action for b in bands],
            "accounts": count,
            "closed": closed_n,
            "won": won,
            "win rate (closed)": rate,
        }
    )


def handed_to_sales(accounts: Accounts, model: ScoringModel) -> int:
    """Accounts in a band marked as handed to sales."""
    ready = [i for i, b in enumerate(model.accounts.bands) if b.sales_ready]
    return int(np.isin(accounts.band, ready).sum())


def band_warnings(accounts: Accounts, model: ScoringModel) -> list[str]:
    """What would make the account bands useless to sales: scores stuck at the cap, or a
    hand-off band that holds nobody or most accounts (each rule has its own scale)."""
    rollup, n = model.accounts, max(accounts.n_accounts, 1)
    said = []
    at_cap = float(np.mean(accounts.score >= rollup.cap)) if rollup.rollup == "sum_capped" else 0
    if at_cap >= 0.5:
        said.append(
            f"{at_cap:.0%} of accounts are at the cap of {rollup.cap:g}: raise the cap, or "
            "take the mean of the top k, so that the score still tells them apart."
        )
    handed = handed_to_sales(accounts, model) / n
    if handed == 0:
        said.append("No account reaches a band handed to sales: lower its score.")
    elif handed > 0.5:
        said.append(
            f"{handed:.0%} of accounts are handed to sales: raise the hand-off band's score."
        )
    return said


def account_auc(accounts: Accounts) -> float:
    """How well account scores rank closed accounts: won vs lost (NaN without both)."""
    return auc(accounts.score, accounts.outcome)


KEY_NAME = re.compile(r"compan|account|organi[sz]ation|firm|employer|domain", re.IGNORECASE)
ROLE_NAME = re.compile(r"role|persona|buying", re.IGNORECASE)
ROLLUP_WORDS = {
    "sum_capped": "Sum of its people's scores, capped",
    "max": "Its best person's score",
    "top_k_mean": "Mean of its top k people",
    "engaged_people": "Number of engaged people",
}


def key_columns(data: Dataset) -> list[str]:
    """Lead columns that can name an account (text or whole numbers), likeliest first:
    those named like a company or an account, then the rest in file order."""
    columns = [c for c in data.attributes if c not in ROLES]
    named = [c for c in columns if KEY_NAME.search(str(c))]
    usable = [c for c in columns if data.column(c).kind in ("text", "number")]
    return [c for c in named if c in usable] + [c for c in usable if c not in named]


def role_columns(data: Dataset, key: str) -> list[str]:
    """Text columns with a few levels that can hold a buying-group role, likeliest first."""
    few = [
        c
        for c in data.attributes
        if c not in ROLES
        and c != key
        and data.column(c).kind == "text"
        and len(data.column(c).categories) <= 30
    ]
    return sorted(few, key=lambda c: not ROLE_NAME.search(str(c)))


def verdict(accounts: Accounts, lead_auc: float) -> str:
    """One sentence a sales manager can read aloud: how well account scores rank the
    closed accounts, against single leads."""
    closed = int((accounts.outcome != OPEN).sum())
    won = int((accounts.outcome == WON).sum())
    a = account_auc(accounts)
    if np.isnan(a):
        return (
            f"{accounts.n_accounts:,} accounts, {closed:,} of them closed: too few won and lost "
            "accounts to say how well account scores rank them."
        )
    than = "" if np.isnan(lead_auc) else f", against {lead_auc:.3f} for single leads"
    return (
        f"Account scores rank the {closed:,} closed accounts ({won:,} won) with AUC {a:.3f}{than}."
    )
