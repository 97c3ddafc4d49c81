"""AppTests for the Leads page: the hand-off list of a period with its CSV, and a lead's
score history with its crossings and trends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def at(open_app: Callable[..., AppTest]) -> AppTest:
    return open_app("pages/leads.py")


def crossings(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "crossed at" in d.value.columns)


def test_the_handoff_list_follows_the_period(at: AppTest) -> None:
    month = crossings(at)
    assert len(month) > 20
    assert (month["score then"] >= 75).all()
    assert {"7-day trend", "30-day trend"} <= set(month.columns)
    _start, stop = at.date_input(key="leads_period").value
    week = (stop - pd.Timedelta(days=6).to_pytimedelta(), stop)
    at.date_input(key="leads_period").set_value(week).run()
    assert not at.exception
    shorter = crossings(at)
    assert 0 < len(shorter) < len(month)
    assert (pd.to_datetime(shorter["crossed at"]).dt.date >= week[0]).all()
    metric = next(m for m in at.metric if m.label.startswith("Crossed 75"))
    assert metric.value == f"{len(shorter):,}"
    at.date_input(key="leads_period").set_value((date(2020, 1, 1), date(2020, 1, 2))).run()
    assert "No lead crossed the sales-ready line in this period" in at.info[0].value


def test_a_leads_history_shows_every_event_its_crossings_and_trend(at: AppTest) -> None:
    lead = crossings(at)["lead"].iloc[0]
    at.text_input(key="history_id").input(lead).run()
    assert not at.exception
    rows = next(d.value for d in at.dataframe if "points it added" in d.value.columns)
    assert rows["what"].iloc[-1] == "now (end of data)"
    assert "created" in rows["what"].tolist()
    assert rows["crossed"].str.contains("→ A").any()
    assert "Band crossings:" in "".join(m.value for m in at.markdown)
    labels = [m.label for m in at.metric]
    assert {"Score now", "Band now", "7-day trend", "30-day trend"} <= set(labels)
    at.text_input(key="history_id").input("NOPE").run()
    assert "No lead with id 'NOPE'" in at.warning[0].value
