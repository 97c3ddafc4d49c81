"""Scoring model spec: JSON round-trip, defaults and validation messages."""

from __future__ import annotations

import copy
import json

import pytest

from model.core.spec import DEFAULT_MODEL_PATH, ModelError, ScoringModel, load_model, parse_model
from tests.conftest import tiny_model

PRICING = {
    "id": "pricing_visit",
    "label": "Pricing page view",
    "group": "engagement",
    "points": 6,
    "rule": {"events": ["pricing_page_view"], "op": "count", "max_count": 3},
}


def _with(criterion: dict) -> dict:
    return {
        "criteria": [criterion],
        "bands": [
            {"name": "A", "min_score": 60, "sales_ready": True},
            {"name": "B", "min_score": 0},
        ],
    }


def test_default_model_round_trips_through_json(model: ScoringModel) -> None:
    again = parse_model(model.to_json())
    assert again == model
    assert json.loads(again.to_json()) == json.loads(model.to_json())


def test_default_model_covers_the_issue(model: ScoringModel) -> None:
    assert 18 <= len(model.criteria) <= 30
    assert {c.group for c in model.criteria} == {"fit", "engagement"}
    assert any(c.points < 0 for c in model.criteria)
    assert [(b.name, b.min_score) for b in model.bands] == [("A", 75), ("B", 50), ("C", 0)]
    assert model.sales_ready_threshold == 75
    assert model.caps.fit == 50
    assert model.floor == pytest.approx(37.5)


def test_defaults_fill_caps_and_decay() -> None:
    m = parse_model(_with(PRICING))
    assert (m.caps.fit, m.caps.engagement) == (50, 50)
    assert m.decay.mode == "none"
    assert m.decay.floor_fraction == 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"points": "ten"}, r"criterion 'pricing_visit': points must be a number, got 'ten'"),
        ({"colour": "red"}, r"criterion 'pricing_visit': unknown field 'colour'"),
        ({"group": "fitt"}, r"criterion 'pricing_visit': group must be 'fit' or 'engagement'"),
        ({"rule": {"attribute": "industry", "op": "in"}}, r"op 'in' needs 'values'"),
        ({"rule": {"foo": 1}}, r"rule needs either 'attribute' or 'events'"),
        (
            {"rule": {"attribute": "employees", "op": "between", "low": 9, "high": 1}},
            r"'low' \(9.0\) is above 'high' \(1.0\)",
        ),
        (
            {"rule": {"attribute": "industry", "op": "equals", "value": "x", "values": ["y"]}},
            r"op 'equals' does not use 'values'",
        ),
        ({"rule": {"events": ["x"], "max_count": 0}}, r"rule.max_count"),
        (
            {"rule": {"attribute": "last_touch", "op": "days_since", "low": "2025-01-01"}},
            r"'days_since' counts days: 'low' and 'high' are numbers of days",
        ),
        (
            {"rule": {"attribute": "last_touch", "op": "days_since", "low": -3}},
            r"'days_since' counts days before the decision moment: 0 or more",
        ),
        ({"rule": {"attribute": "last_touch", "op": "days_since"}}, r"needs 'low', 'high'"),
    ],
)
def test_validation_errors_name_criterion_and_field(change: dict, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_model(_with({**PRICING, **change}))


def test_unknown_top_level_field_is_refused() -> None:
    with pytest.raises(ModelError, match="unknown field 'shoe_size'"):
        parse_model({**_with(PRICING), "shoe_size": 44})


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([{"name": "A", "min_score": 50, "sales_ready": True}], "lowest band must start at 0"),
        (
            [{"name": "A", "min_score": 0}, {"name": "B", "min_score": 50, "sales_ready": True}],
            "ordered from highest to lowest",
        ),
        (
            [{"name": "A", "min_score": 60}, {"name": "B", "min_score": 0}],
            "mark at least one band as sales-ready",
        ),
        (
            [{"name": "A", "min_score": 60}, {"name": "B", "min_score": 0, "sales_ready": True}],
            "is above the sales-ready band 'B'",
        ),
        (
            [{"name": "A", "min_score": 101, "sales_ready": True}, {"name": "B", "min_score": 0}],
            "band 'A': min_score",
        ),
    ],
)
def test_band_errors(bands: list[dict], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_model({"criteria": [PRICING], "bands": bands})


def test_duplicate_criterion_ids_are_refused() -> None:
    with pytest.raises(ModelError, match="repeated: pricing_visit"):
        parse_model({**_with(PRICING), "criteria": [PRICING, PRICING]})


def test_bad_json_and_bad_file_name_the_problem(tmp_path) -> None:
    with pytest.raises(ModelError, match="not valid JSON"):
        parse_model("{nope")
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({**_with(PRICING), "extra": 1}))
    with pytest.raises(ModelError, match=r"m\.json: unknown field 'extra'"):
        load_model(bad)


def test_rules_key_ignores_points_but_not_rules() -> None:
    a = tiny_model([PRICING])
    b = tiny_model([{**PRICING, "points": 99}])
    c = tiny_model([{**PRICING, "rule": {"events": ["pricing_page_view"], "max_count": 5}}])
    assert a.rules_key() == b.rules_key()
    assert a.rules_key() != c.rules_key()


def test_default_model_file_is_tidy() -> None:
    assert DEFAULT_MODEL_PATH.name == "default_model.json"
    assert load_model(DEFAULT_MODEL_PATH).name == "B2B inbound"


def test_rules_key_ignores_bands_so_threshold_moves_reuse_hits(model: ScoringModel) -> None:
    data = model.to_dict()
    data["bands"][0]["min_score"] = 65
    data["caps"]["fit"] = 40
    assert parse_model(data).rules_key() == model.rules_key()


@pytest.mark.parametrize("bad", ["Infinity", "-Infinity", "NaN", "1e400"])
@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("criteria", 0, "points"), "criterion 'pricing_visit': points"),
        (("criteria", 0, "rule", "max_count"), "criterion 'pricing_visit': rule.max_count"),
        (("caps", "fit"), "caps: fit"),
        (("decay", "half_life_days"), "decay: half_life_days"),
    ],
)
def test_non_finite_numbers_are_refused_naming_the_field(bad, path, where) -> None:
    """Infinity or NaN points once aborted the server (the kernels index bins by score)."""
    data = _with(copy.deepcopy(PRICING))  # the shared criterion stays as it is
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = "@@"
    text = json.dumps(data).replace('"@@"', bad)
    with pytest.raises(ModelError, match=f"{where} must be a finite number"):
        parse_model(text)


def test_points_beyond_a_thousand_are_refused() -> None:
    with pytest.raises(ModelError, match="points must be less than or equal to 1000"):
        parse_model(_with({**PRICING, "points": 1e9}))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xba\xff\x00binary", "not UTF-8 text"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_binary_and_deeply_nested_model_files_get_a_message(tmp_path, content, message) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=f"{path}: model .*{message}"):
        load_model(path)


def test_a_device_or_folder_is_not_read_as_a_model(tmp_path) -> None:
    with pytest.raises(ModelError, match="not a model file"):
        load_model(tmp_path)
    with pytest.raises(ModelError, match="not a model file"):
        load_model("/dev/zero")


def test_a_days_since_rule_round_trips_through_the_editor_tables() -> None:
    """The Model page's tables read and write a 'days since' rule as they do a range."""
    from model.core import tables
    from model.store.columns import describe_rule

    rule = {"attribute": "First Conversion Date", "op": "days_since", "low": 30, "high": 90}
    model = parse_model(_with({**PRICING, "rule": rule}))
    criteria = tables.criteria_table(model)
    back = tables.model_from_tables(criteria, tables.bands_table(model), name=model.name or "m",
                                    caps=model.caps.model_dump(), decay=model.decay.model_dump())  # fmt: skip
    assert back.criteria == model.criteria
    assert describe_rule(back.criteria[0].rule) == "First Conversion Date 30–90 days ago"
