"""AppTests for the Accounts page: the demo's companies found as the account column, a
roll-up applied to the model in force, its figures, role weights and coverage, a refused
setting that changes nothing, and the account in a lead's explanation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/accounts.py")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def frame(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_demos_companies_are_scored_as_accounts(at: AppTest) -> None:
    assert "This model scores leads alone" in at.info[0].value
    assert at.selectbox(key="account_key").value == "company_name"  # guessed by its name
    at.button(key="account_apply").click().run()
    assert not at.exception
    rollup = at.session_state["model"].accounts
    assert (rollup.key, rollup.rollup, rollup.k) == ("company_name", "top_k_mean", 3)
    assert int(metric(at, "Accounts").replace(",", "")) > 5000
    assert metric(at, "Leads in an account") == "20,000"
    assert not at.warning  # the default rule spreads the demo's accounts over the bands
    handed = int(metric(at, "Handed to sales").replace(",", ""))
    assert 0 < handed < 0.3 * int(metric(at, "Accounts").replace(",", ""))
    assert at.info[0].value.startswith("Account scores rank the")
    bands = frame(at, "win rate (closed)")
    assert bands["band"].tolist() == ["Hot account", "Warm account", "Cold account"]
    assert bands["accounts"].sum() == int(metric(at, "Accounts").replace(",", ""))
    top = frame(at, "engaged people")
    assert top["score"].is_monotonic_decreasing
    assert at.get("download_button")[0].proto.label == "Download every account (CSV)"


def test_a_sum_at_its_cap_is_said_so(at: AppTest) -> None:
    at.selectbox(key="account_rollup").set_value("sum_capped").run()
    at.button(key="account_apply").click().run()
    warnings = " ".join(w.value for w in at.warning)
    assert "of accounts are at the cap of 100: raise the cap" in warnings
    assert "of accounts are handed to sales: raise the hand-off band's score" in warnings


def test_top_k_roles_and_coverage_change_the_figures(at: AppTest) -> None:
    at.button(key="account_apply").click().run()
    before = frame(at, "engaged people")["score"].tolist()
    at.number_input(key="account_k").set_value(2).run()
    at.selectbox(key="account_role").set_value("job_level").run()
    at.session_state["account_weights_job_level"] = {
        "edited_rows": {0: {"weight": 2.0}}, "added_rows": [], "deleted_rows": []
    }  # fmt: skip
    at.multiselect(key="account_required_job_level").set_value(["C-level", "VP"]).run()
    at.button(key="account_apply").click().run()
    assert not at.exception
    rollup = at.session_state["model"].accounts
    assert (rollup.rollup, rollup.k, rollup.role) == ("top_k_mean", 2, "job_level")
    assert rollup.required_roles == ["C-level", "VP"]
    assert list(rollup.role_weights.values()) == [2.0]
    top = frame(at, "role coverage")
    assert top["score"].tolist() != before
    assert top["role coverage"].between(0, 100).all()  # shown as a percentage
    assert top["role coverage"].max() == 100


def test_a_refused_setting_changes_nothing_and_says_why(at: AppTest) -> None:
    at.session_state["account_bands"] = {
        "edited_rows": {2: {"min_score": 10}}, "added_rows": [], "deleted_rows": []
    }  # fmt: skip
    at.button(key="account_apply").click().run()
    assert not at.exception
    assert "lowest band must start at 0" in at.error[0].value
    assert at.session_state["model"].accounts is None


def test_scoring_leads_alone_again_and_the_account_in_a_leads_explanation(at: AppTest) -> None:
    at.button(key="account_apply").click().run()
    at.switch_page("pages/model.py").run()
    assert not at.exception
    line = next(c.value for c in at.caption if "Account **" in c.value)
    assert "people" in line
    assert "engaged" in line
    at.switch_page("pages/accounts.py").run()
    at.button(key="account_stop").click().run()
    assert at.session_state["model"].accounts is None
    assert "This model scores leads alone" in at.info[0].value
