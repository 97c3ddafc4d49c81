"""Accounts page: each account scored from its people (the leads of one company rolled up
by a rule the team picks, role weights included), account bands and how those accounts
closed, and the accounts to work first."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from model.analysis import accounts
from model.core.spec import AccountRollup, ModelError, parse_model
from ui import caches, components, sidebar, state, target

NO_ROLE = "(no role column)"


def main() -> None:
    state.require_router()
    st.title("Accounts")
    target.note()
    data, model, as_of = caches.dataset(), st.session_state["model"], st.session_state["as_of"]
    st.caption(
        "Four people from one account in a week beat one person: each account's score is "
        "rolled up from its leads' scores (each as of its decision moment). An account is "
        "won once any of its leads is won."
    )
    if not sidebar.read_only():
        _settings(data, model)
    model = st.session_state["model"]
    if model.accounts is None:
        st.info(
            "This model scores leads alone. Pick the column naming each lead's company above "
            "and press *Score accounts*; the roll-up is saved with the model's next revision."
        )
        return
    try:
        found, lead_auc = caches.accounts(data, model, as_of)
    except ModelError as exc:
        st.error(f"No account scores on this data: {exc}.")
        return
    _figures(found, model, lead_auc)


def _settings(data, model) -> None:
    """The roll-up's settings, starting from the model's own; applied to the model in
    force as an unsaved edit."""
    rollup = model.accounts
    keys = accounts.key_columns(data)
    if not keys:
        st.warning("These leads have no text or number column that could name an account.")
        return
    with st.expander("How accounts are scored", expanded=rollup is None):
        left, mid, right = st.columns(3)
        key = left.selectbox(
            "Account column",
            keys,
            index=keys.index(rollup.key) if rollup and rollup.key in keys else 0,
            key="account_key",
            help="The column naming each lead's company or account (Company Name, Account ID).",
        )
        base = rollup or AccountRollup(key=key)  # the model's, else the defaults
        rule = mid.selectbox(
            "Account score",
            list(accounts.ROLLUP_WORDS),
            index=list(accounts.ROLLUP_WORDS).index(base.rollup),
            format_func=accounts.ROLLUP_WORDS.get,
            key="account_rollup",
        )
        cap = right.number_input("Cap", 1.0, 1000.0, float(base.cap), key="account_cap")
        k = right.number_input("k (top people)", 1, 100, int(base.k), key="account_k")
        engaged_at = mid.number_input(
            "Engaged from score", 0.0, 100.0, float(base.engaged_at), key="account_engaged_at"
        )
        roles = [NO_ROLE, *accounts.role_columns(data, key)]
        role = left.selectbox(
            "Buying-group role column",
            roles,
            index=roles.index(base.role) if base.role in roles else 0,
            key="account_role",
        )
        weights, required = _roles(data, base, None if role == NO_ROLE else role)
        bands = st.data_editor(
            pd.DataFrame([b.model_dump() for b in base.bands]),
            key="account_bands",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "name": st.column_config.TextColumn("account band", required=True),
                "min_score": st.column_config.NumberColumn("from score", min_value=0, step=1),
                "action": st.column_config.TextColumn("routing action", width="medium"),
                "sales_ready": st.column_config.CheckboxColumn("handed to sales"),
            },
        )
        chosen = {
            "key": key, "rollup": rule, "cap": cap, "k": int(k), "engaged_at": engaged_at,
            "role": None if role == NO_ROLE else role, "role_weights": weights,
            "required_roles": required, "bands": bands.dropna(how="all").to_dict("records"),
        }  # fmt: skip
        go, stop = st.columns(2)
        if go.button("Score accounts", key="account_apply", type="primary"):
            _apply(model, chosen)
        if rollup is not None and stop.button("Score leads alone", key="account_stop"):
            _apply(model, None)


def _roles(data, base: AccountRollup, role: str | None) -> tuple[dict[str, float], list[str]]:
    """Weights per role level, and the roles an account needs an engaged person in."""
    if role is None:
        return {}, []
    levels = [str(c) for c in data.column(role).categories]
    edited = st.data_editor(
        pd.DataFrame({"role": levels, "weight": [base.weight(v) for v in levels]}),
        key=f"account_weights_{role}",
        hide_index=True,
        disabled=["role"],
        column_config={"weight": st.column_config.NumberColumn(min_value=0, max_value=100)},
    )
    weights = {r: float(w) for r, w in zip(edited["role"], edited["weight"], strict=True) if w != 1}
    required = st.multiselect(
        "Roles an account needs an engaged person in (coverage)",
        levels,
        default=[r for r in base.required_roles if r in levels],
        key=f"account_required_{role}",
    )
    return weights, required


def _apply(model, chosen: dict | None) -> None:
    try:
        updated = parse_model({**model.to_dict(), "accounts": chosen})
    except ModelError as exc:
        st.error(f"Accounts not scored: {exc}")
        return
    state.load_draft(updated)
    st.rerun()


def _figures(found: accounts.Accounts, model, lead_auc: float) -> None:
    rollup = model.accounts
    st.info(accounts.verdict(found, lead_auc))
    for line in accounts.band_warnings(found, model):
        st.warning(line)
    cols = st.columns(4)
    cols[0].metric("Accounts", f"{found.n_accounts:,}")
    in_account = int((found.lead_account != accounts.NO_ACCOUNT).sum())
    share = in_account / max(len(found.lead_account), 1)
    cols[1].metric(
        "Leads in an account",
        f"{in_account:,}",
        f"{share:.1%} of leads",
        delta_color="off",
        delta_arrow="off",
    )
    cols[2].metric("Handed to sales", f"{accounts.handed_to_sales(found, model):,}")
    a = accounts.account_auc(found)
    cols[3].metric("Account AUC (closed)", "–" if math.isnan(a) else f"{a:.3f}")
    st.markdown(f"**Account bands** ({accounts.ROLLUP_WORDS[rollup.rollup].lower()})")
    components.table(accounts.account_bands(found, model), percent=["win rate (closed)"])
    st.caption(
        "Accounts per band, how many have closed and how many of those were won: the hot "
        "band should win clearly more often than the rest."
    )
    frame = accounts.account_frame(found, model)
    st.markdown("**Accounts to work first**")
    shares = ["role coverage"] if "role coverage" in frame else []
    components.table(frame.head(50), percent=shares, decimals={"score": 1, "engaged people": 1})
    components.csv_download(
        "Download every account (CSV)", frame, "accounts.csv", key="download_accounts"
    )


main()
