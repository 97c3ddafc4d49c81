"""Source taxonomy and credit rules, on hand-worked examples and the demo data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis import attribution
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from tests.conftest import tiny_model

AS_OF = AsOf("created_plus_days", days=14)


def test_credit_rules_on_hand_worked_touches():
    lead = np.array([0, 1, 1, 2, 2, 2, 2, 2])
    assert attribution.credit(lead, "first").tolist() == [1, 1, 0, 1, 0, 0, 0, 0]
    assert attribution.credit(lead, "last").tolist() == [1, 0, 1, 0, 0, 0, 0, 1]
    assert attribution.credit(lead, "linear") == pytest.approx(
        [1, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2]
    )
    assert attribution.credit(lead, "position") == pytest.approx(
        [1, 0.5, 0.5, 0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]
    )
    for rule in attribution.RULES:
        assert np.bincount(lead, attribution.credit(lead, rule)) == pytest.approx([1, 1, 1])
    with pytest.raises(ValueError, match="credit rule must be one of"):
        attribution.credit(lead, "u-shaped")


def _touched():
    """Three leads created 1 Jan; a touches web then email (and an event after its decision
    on 15 Jan), b touches web, c is never touched."""
    leads = pd.DataFrame(
        {
            "lead_id": ["a", "b", "c"],
            "outcome": ["won", "lost", "open"],
            "created_at": pd.to_datetime(["2026-01-01"] * 3),
            "value": [100, 50, 10],
        }
    )
    events = pd.DataFrame(
        [
            ("a", "2026-01-02", "visit", "web"),
            ("a", "2026-01-03", "click", "email"),
            ("b", "2026-01-02", "visit", "web"),
            ("a", "2026-02-01", "visit", "event"),
        ],
        columns=["lead_id", "occurred_at", "event_type", "channel"],
    ).assign(occurred_at=lambda e: pd.to_datetime(e["occurred_at"]))
    return prepare(leads, events, name="touched")


def test_credit_table_counts_touches_before_the_decision_only():
    data = _touched()
    model = tiny_model([])
    scores = score(build_hits(data, model, AS_OF), model)
    first = attribution.credit_table(data, scores, AS_OF, "first").set_index("category")
    assert first.loc["web", "leads"] == 2  # a and b first came by web
    assert first.loc["web", "won"] == 1
    assert first.loc[attribution.NO_TOUCH, "leads"] == 1  # c; a's event touch was too late
    assert "event" not in first.index
    linear = attribution.credit_table(data, scores, AS_OF, "linear").set_index("category")
    assert linear.loc["email", "won"] == 0.5
    assert linear.loc["email", "revenue_won"] == 50
    assert linear["leads"].sum() == pytest.approx(3)
    side = attribution.all_rules(data, scores, AS_OF)
    assert side.filter(like=": leads").sum().tolist() == pytest.approx([3, 3, 3, 3])


def test_taxonomy_guess_and_unmapped_values(demo_dataset, model):
    values = list(attribution.source_values(demo_dataset).index)
    taxonomy = attribution.guess_taxonomy([*values, "congress", "carrier pigeon"])
    assert taxonomy["trade show"] == taxonomy["congress"] == "Events"
    assert "carrier pigeon" not in taxonomy
    taxonomy.pop("press")
    assert attribution.unmapped(demo_dataset, taxonomy) == ["press"]
    scores = score(build_hits(demo_dataset, model, AS_OF), model)
    table = attribution.group_table(
        demo_dataset, scores, attribution.categories(demo_dataset, taxonomy)
    )
    assert table["leads"].sum() == demo_dataset.n_leads
    assert attribution.UNMAPPED in set(table["category"])
    assert ((table["low"] <= table["win_rate"]) & (table["win_rate"] <= table["high"])).all()


def test_taxonomy_versions_are_kept(tmp_path):
    attribution.save_taxonomy(tmp_path, {"a": "X"})
    attribution.save_taxonomy(tmp_path, {"a": "Y"})
    assert len(list(tmp_path.glob("taxonomy-*.json"))) == 2
    assert attribution.load_taxonomy(tmp_path) == {"a": "Y"}


def test_score_by_group_draws_the_largest_categories_and_the_rest_as_one():
    from model.core.scoring import Scores

    groups = np.array([*list("aaaaabbbbcccdde"), "f", "g", "h"])
    s = np.linspace(0, 99, len(groups))
    scores = Scores(s, s, s, np.zeros(len(groups), dtype=np.int8))
    shares = attribution.score_by_group(scores, groups, top=3)
    lines = shares["category"].unique().tolist()
    assert sorted(lines) == ["a", "b", "c", "the other 5 categories"]
    rest = shares[shares["category"] == "the other 5 categories"]
    assert rest["share"].sum() == pytest.approx(1.0)  # one line for d, d, e, f, g, h
    few = attribution.score_by_group(scores, groups[:12], top=3)  # a, b, c: nothing grouped
    assert sorted(few["category"].unique()) == ["a", "b", "c"]
