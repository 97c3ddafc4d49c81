"""Stage 1 + stage 2: every rule type, caps, decay and floor, bands, explanations, as-of."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hyp

from model.core import hits as hits_module
from model.core.dataset import AsOf, Dataset
from model.core.hits import attribute_mask, build_hits, unknown_levels
from model.core.scoring import band_index, explain, score, score_bins
from model.core.spec import ModelError, ScoringModel, default_model, parse_model
from tests.conftest import tiny_dataset, tiny_model
from ui.caches import HitCache

T0 = "2025-01-01 00:00:00"
LEADS = [
    {"lead_id": "a", "created_at": T0, "industry": "Software", "employees": 200,
     "vip": True, "phone": "", "closed": pd.Timestamp("2025-03-01")},
    {"lead_id": "b", "created_at": T0, "industry": " saas ", "employees": 5000,
     "vip": False, "phone": "555", "closed": pd.Timestamp("2025-06-30")},
    {"lead_id": "c", "created_at": T0, "industry": "Select", "employees": 5001,
     "vip": None, "phone": None, "closed": pd.NaT},
    {"lead_id": "d", "created_at": T0, "industry": "Retail", "employees": None,
     "vip": True, "phone": "N/A", "closed": pd.Timestamp("2025-07-01")},
]  # fmt: skip


def _crit(cid: str, points: float, rule: dict, group: str = "fit") -> dict:
    return {"id": cid, "label": cid, "group": group, "points": points, "rule": rule}


def _fired(rule: dict) -> list[str]:
    data = tiny_dataset(LEADS)
    m = tiny_model([_crit("x", 1, rule)])
    mask = attribute_mask(data, m.criteria[0].rule)
    return [lead for lead, hit in zip(data.lead_ids, mask, strict=True) if hit]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"attribute": "industry", "op": "equals", "value": "software"}, ["a"]),
        ({"attribute": "industry", "op": "in", "values": ["Software", "SaaS"]}, ["a", "b"]),
        ({"attribute": "employees", "op": "between", "low": 200, "high": 5000}, ["a", "b"]),
        ({"attribute": "employees", "op": "between", "low": 5001}, ["c"]),
        ({"attribute": "employees", "op": "between", "high": 200}, ["a"]),
        ({"attribute": "employees", "op": "equals", "value": 5000}, ["b"]),
        ({"attribute": "vip", "op": "is_true"}, ["a", "d"]),
        ({"attribute": "phone", "op": "is_missing"}, ["a", "c", "d"]),
        ({"attribute": "industry", "op": "is_missing"}, ["c"]),
        ({"attribute": "employees", "op": "is_missing"}, ["d"]),
        ({"attribute": "closed", "op": "between", "low": "2025-03-01", "high": "2025-06-30"},
         ["a", "b"]),
        ({"attribute": "created_at", "op": "between", "low": "2024-12-31"}, ["a", "b", "c", "d"]),
    ],
)  # fmt: skip
def test_attribute_rules(rule: dict, expected: list[str]) -> None:
    assert _fired(rule) == expected


def test_days_since_counts_back_from_each_leads_decision_moment() -> None:
    """A date 10 days before creation is 24 days old at created+14d and 10 days old at
    created+0d; a date after the decision moment was not known then; blank never counts."""
    touch = ["2024-12-22", "2024-11-01", "2025-01-20", None]
    data = tiny_dataset([{**lead, "touch": pd.Timestamp(t) if t else pd.NaT}
                         for lead, t in zip(LEADS, touch, strict=True)])  # fmt: skip
    recent = {"attribute": "touch", "op": "days_since", "high": 30}
    older = {"attribute": "touch", "op": "days_since", "low": 30}
    m = tiny_model([_crit("recent", 5, recent), _crit("older", 3, older)])

    def fired(as_of: str) -> list[list[str]]:
        hits = build_hits(data, m, AsOf.parse(as_of))
        return [list(data.lead_ids[hits.fired(k)]) for k in (0, 1)]

    assert fired("created+14d") == [["a"], ["b"]]
    assert fired("created+0d") == [["a"], ["b"]]  # c's date is after the decision either way
    assert fired("created+25d") == [["c"], ["a", "b"]]  # 35 days old: a moved on; c known
    assert fired("2025-01-21") == [["c"], ["a", "b"]]  # a fixed snapshot counts alike
    with pytest.raises(ModelError, match="'days_since' needs a date attribute"):
        build_hits(data, tiny_model([_crit("x", 1, {**recent, "attribute": "employees"})]), AsOf())


def test_rule_on_unknown_attribute_names_criterion_and_columns() -> None:
    m = tiny_model([_crit("size", 5, {"attribute": "headcount", "op": "between", "low": 1})])
    with pytest.raises(ModelError, match=r"criterion 'size': attribute 'headcount' is not a"):
        build_hits(tiny_dataset(LEADS), m, AsOf())


def test_between_on_text_is_a_clear_error() -> None:
    m = tiny_model([_crit("x", 5, {"attribute": "industry", "op": "between", "low": 1})])
    with pytest.raises(ModelError, match="'between' needs a number or date attribute"):
        build_hits(tiny_dataset(LEADS), m, AsOf())


EVENTS = [
    ("a", "2024-12-20", "pricing_page_view"),  # before created_at: counts
    ("a", "2025-01-05", "pricing_page_view"),
    ("a", "2025-01-10", "pricing_page_view"),
    ("a", "2025-01-11", "pricing_page_view"),
    ("a", "2025-01-15 00:00:00", "pricing_page_view"),  # exactly at created+14d: never counts
    ("a", "2025-02-01", "pricing_page_view"),  # after: never counts
    ("b", "2025-01-02", "careers_page_view"),
    ("b", "2025-01-03", "ebook_download"),
    ("b", "2025-01-04", "whitepaper_download"),
    ("c", "2025-01-14 23:59:59", "demo_request"),
]


def _scores(criteria: list[dict], as_of: AsOf | None = None, **extra: object) -> pd.DataFrame:
    data = tiny_dataset(LEADS, EVENTS)
    m = tiny_model(criteria, **extra)
    s = score(build_hits(data, m, as_of or AsOf()), m)
    return pd.DataFrame(
        {"fit": s.fit, "engagement": s.engagement, "score": s.score, "band": s.band_names(m)},
        index=data.lead_ids,
    )


def test_event_counts_respect_the_decision_moment_and_max_count() -> None:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")
    assert _scores([pricing])["engagement"].tolist() == [40, 0, 0, 0]
    capped = _crit("p", 10, {"events": ["pricing_page_view"], "max_count": 3}, "engagement")
    assert _scores([capped])["engagement"].tolist() == [30, 0, 0, 0]


def test_one_criterion_counts_several_event_types() -> None:
    content = _crit("c", 4, {"events": ["ebook_download", "whitepaper_download"]}, "engagement")
    assert _scores([content])["engagement"].tolist() == [0, 8, 0, 0]


def test_two_criteria_on_one_event_type_both_count_it() -> None:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")
    pages = _crit("pages", 1, {"events": ["pricing_page_view", "careers_page_view"]}, "engagement")
    assert _scores([pricing, pages])["engagement"].tolist() == [44, 1, 0, 0]
    hits = build_hits(tiny_dataset(LEADS, EVENTS), tiny_model([pricing, pages]), AsOf())
    assert hits.events_used == 5  # each event once, however many criteria count it


def test_the_order_of_events_in_the_file_does_not_matter() -> None:
    """Stage 1 stops at the first event at or after a lead's decision moment, so it relies
    on the dataset sorting each lead's events by time, whatever order the file has."""
    m = tiny_model([_crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")])
    in_order = build_hits(tiny_dataset(LEADS, EVENTS), m, AsOf())
    shuffled = build_hits(tiny_dataset(LEADS, EVENTS[::-1]), m, AsOf())
    np.testing.assert_array_equal(shuffled.counts, in_order.counts)
    assert (shuffled.events_used, shuffled.events_excluded) == (4, 2)


def test_undecayed_counts_widen_to_float64_when_a_lead_could_overflow_uint16(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")
    floor = {"mode": "half_life", "half_life_days": 1, "floor_fraction": 0.9}
    m = tiny_model([pricing], decay=floor)  # lead a's engagement is its undecayed 40
    data = tiny_dataset(LEADS, EVENTS)
    narrow = build_hits(data, m, AsOf())
    assert narrow.raw_counts.dtype == np.uint16
    monkeypatch.setattr(hits_module, "RAW16_LIMIT", data.max_lead_events)
    wide = build_hits(data, m, AsOf())
    assert wide.raw_counts.dtype == np.float64
    np.testing.assert_array_equal(wide.raw_counts, narrow.raw_counts)
    assert score(wide, m).engagement[0] == score(narrow, m).engagement[0] == 40


def test_a_fractional_cap_holds_for_undecayed_counts_too() -> None:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"], "max_count": 2.5}, "engagement")
    floor = {"mode": "half_life", "half_life_days": 1, "floor_fraction": 0.9}
    assert _scores([pricing], decay=floor).loc["a", "engagement"] == 25  # floor: 2.5 x 10


def test_event_one_second_before_the_decision_counts() -> None:
    demo = _crit("d", 20, {"events": ["demo_request"]}, "engagement")
    assert _scores([demo])["engagement"].tolist() == [0, 0, 20, 0]


def test_fixed_date_policy_uses_only_events_before_that_date() -> None:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")
    s = _scores([pricing], AsOf.parse("2025-01-10"))
    assert s["engagement"].tolist() == [20, 0, 0, 0]
    s = _scores([pricing], AsOf.parse("2025-03-01"), caps={"engagement": 100})
    assert s["engagement"].tolist() == [60, 0, 0, 0]


def test_negative_points_caps_and_clipping() -> None:
    crits = [
        _crit("sw", 40, {"attribute": "industry", "op": "in", "values": ["software", "saas"]}),
        _crit("big", 30, {"attribute": "employees", "op": "between", "low": 200}),
        _crit("careers", -90, {"events": ["careers_page_view"]}, "engagement"),
        _crit("p", 20, {"events": ["pricing_page_view"]}, "engagement"),
    ]
    s = _scores(crits)
    assert s.loc["a", "fit"] == 50  # 70 capped at the default fit cap of 50
    assert s.loc["a", "engagement"] == 50  # 80 capped at 50
    assert s.loc["a", "score"] == 100
    assert s.loc["b", "engagement"] == -90  # caps are upper caps only
    assert s.loc["b", "score"] == 0  # 50 - 90 clipped to 0
    s = _scores(crits, caps={"fit": 100, "engagement": 100})
    assert s.loc["a", "score"] == 100  # 70 + 80 clipped to 100
    assert s.loc["a", "fit"] == 70


def _decayed(mode: dict) -> float:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")
    return _scores([pricing], decay={**mode, "floor_fraction": 0})["engagement"]["a"]


def test_half_life_decay() -> None:
    # events on 2024-12-20, 01-05, 01-10, 01-11: ages 26, 10, 5, 4 days at 01-15
    ages = np.array([26, 10, 5, 4])
    assert _decayed({"mode": "half_life", "half_life_days": 10}) == pytest.approx(
        10 * np.sum(0.5 ** (ages / 10))
    )


def test_linear_decay() -> None:
    ages = np.array([26, 10, 5, 4])
    expected = 10 * np.sum(np.clip(1 - 0.6 * ages / 30, 0, 1))
    assert _decayed({"mode": "linear", "percent_per_30_days": 60}) == pytest.approx(expected)
    assert _decayed({"mode": "none"}) == 40


def test_floor_keeps_decayed_engagement_up_to_half_the_threshold() -> None:
    pricing = _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement")
    slow = {"mode": "half_life", "half_life_days": 1, "floor_fraction": 0.5}
    s = _scores([pricing], decay=slow)
    assert s.loc["a", "engagement"] == 37.5  # decayed ~0.7, undecayed 40, floor 0.5 x 75
    low = {"mode": "half_life", "half_life_days": 1, "floor_fraction": 0.9}
    assert _scores([pricing], decay=low).loc["a", "engagement"] == 40  # undecayed was lower


def test_bands_at_exact_boundaries() -> None:
    m = tiny_model([_crit("x", 1, {"attribute": "vip", "op": "is_true"})])
    s = np.array([0, 49.999, 50, 74.5, 75, 100])
    assert [m.bands[i].name for i in band_index(s, m)] == ["C", "C", "B", "B", "A", "A"]


def test_points_change_does_not_need_new_hits(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    before = score(hits, model)
    data = model.to_dict()
    data["criteria"][0]["points"] = 30
    changed = ScoringModel.model_validate(data)
    after = score(hits, changed)
    fired = hits.fired(0)
    assert np.all(after.score[~fired] == before.score[~fired])
    assert np.all(after.score[fired] >= before.score[fired])
    assert np.any(after.score[fired] > before.score[fired])


def test_hits_refuse_a_model_with_other_rules(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    data = model.to_dict()
    data["criteria"][0]["rule"]["values"] = ["Retail"]
    with pytest.raises(ValueError, match="rebuild"):
        score(hits, ScoringModel.model_validate(data))


def test_explanations_sum_exactly_to_the_score(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    scores = score(hits, model)
    adjusted = {"Fit cap": 0, "Engagement cap": 0, "Decay floor": 0, "Clipped to 0–100": 0}
    for i in range(0, demo_dataset.n_leads, 41):
        e = explain(hits, model, i, scores)
        assert sum(v for _, v in e.steps) == pytest.approx(scores.score[i], abs=1e-9)
        assert e.score == scores.score[i]
        assert e.band == model.bands[scores.band[i]].name
        for name, _ in e.steps:
            if name in adjusted:
                adjusted[name] += 1
    assert all(count > 0 for name, count in adjusted.items() if name != "Engagement cap")


def test_explanation_lists_raw_and_decayed_points(
    demo_dataset: Dataset, model: ScoringModel
) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    e = explain(hits, model, 3)
    ev = e.criteria[e.criteria["group"] == "engagement"]
    assert (ev["points"].abs() <= ev["raw_points"].abs() + 1e-12).all()
    assert set(e.criteria["criterion"]) <= {c.id for c in model.criteria}


def _reference_scores(data: Dataset, model: ScoringModel, as_of: AsOf, leads: range) -> np.ndarray:
    """Slow, obviously-correct scorer: Python loops over leads, criteria and events."""
    frame = data.leads
    events = pd.DataFrame(
        {
            "lead": data.ev_lead,
            "t": data.ev_ns,
            "type": np.array(data.event_types)[data.ev_type],
        }
    )
    by_lead = {k: g for k, g in events.groupby("lead")}
    out = []
    for i in leads:
        decision = as_of.decision_ns(data.created_ns[i : i + 1])[0]
        fit = eng = raw_eng = 0.0
        for c in model.criteria:
            if c.on_events:
                g = by_lead.get(i, events.iloc[:0])
                g = g[g["type"].isin(c.rule.events) & (g["t"] < decision)]
                ages = (decision - g["t"].to_numpy()) / 86_400e9
                decay = c.decay or model.decay  # the criterion's own, else the model's
                w = {
                    "none": np.ones_like(ages),
                    "half_life": 0.5 ** (ages / decay.half_life_days),
                    "linear": np.clip(1 - decay.percent_per_30_days / 3000 * ages, 0, 1),
                }[decay.mode]
                cap = c.rule.max_count or np.inf
                dec, raw = min(w.sum(), cap), min(len(ages), cap)
                if c.group == "fit":
                    fit += c.points * raw
                else:
                    eng += c.points * dec
                    raw_eng += c.points * raw
            else:
                v = frame[c.rule.attribute].iloc[i]
                hit = _reference_attribute(c.rule, v)
                if c.group == "fit":
                    fit += c.points * hit
                else:
                    eng += c.points * hit
                    raw_eng += c.points * hit
        fit = min(fit, model.caps.fit)
        eng = min(eng, model.caps.engagement)
        fading = [
            c for c in model.criteria if c.on_events and (c.decay or model.decay).mode != "none"
        ]
        if fading:
            eng = max(eng, min(min(raw_eng, model.caps.engagement), model.floor))
        out.append(min(max(fit + eng, 0), 100))
    return np.array(out)


def _reference_attribute(rule, v) -> bool:
    missing = v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v)
    if isinstance(v, str) and v.strip().lower() in {"", "select", "n/a", "-"}:
        missing = True
    if rule.op == "is_missing":
        return missing
    if missing:
        return False
    if rule.op == "is_true":
        return bool(v) if not isinstance(v, str) else v.lower() in {"true", "yes", "1"}
    if rule.op == "between":
        return (rule.low is None or v >= rule.low) and (rule.high is None or v <= rule.high)
    wanted = [rule.value] if rule.op == "equals" else rule.values
    return str(v).strip().lower() in {str(w).lower() for w in wanted}


@pytest.mark.parametrize(
    ("decay", "as_of"),
    [
        ({"mode": "none"}, "created+14d"),
        ({"mode": "half_life", "half_life_days": 20, "floor_fraction": 0.5}, "created+14d"),
        ({"mode": "linear", "percent_per_30_days": 40, "floor_fraction": 0.3}, "created+30d"),
        ({"mode": "half_life", "half_life_days": 45, "floor_fraction": 0.5}, "2025-09-30"),
    ],
)
def test_vectorised_engine_equals_the_slow_reference(
    demo_dataset: Dataset, model: ScoringModel, decay: dict, as_of: str
) -> None:
    data = model.to_dict()
    data["decay"] = decay
    m = ScoringModel.model_validate(data)
    policy = AsOf.parse(as_of)
    fast = score(build_hits(demo_dataset, m, policy), m).score
    sample = range(0, demo_dataset.n_leads, 37)
    slow = _reference_scores(demo_dataset, m, policy, sample)
    np.testing.assert_allclose(fast[sample.start :: sample.step], slow, rtol=0, atol=1e-9)


def test_as_of_parsing() -> None:
    assert str(AsOf.parse("created+14d")) == "created+14d"
    assert AsOf.parse("created + 30d").days == 30
    assert str(AsOf.parse("2025-06-30")) == "2025-06-30"
    with pytest.raises(ValueError, match="created\\+Nd"):
        AsOf.parse("next tuesday")


def test_excluded_events_are_counted() -> None:
    data = tiny_dataset(LEADS, EVENTS)
    m = tiny_model([_crit("p", 1, {"events": ["pricing_page_view"]}, "engagement")])
    hits = build_hits(data, m, AsOf())
    assert hits.events_excluded == 2
    assert hits.events_used == 4
    assert build_hits(data, m, AsOf.parse("2025-01-10")).events_excluded == 5


def test_event_type_absent_from_the_data_scores_zero() -> None:
    crits = [
        _crit("ghost", 10, {"events": ["never_seen"]}, "engagement"),
        _crit("p", 10, {"events": ["pricing_page_view"]}, "engagement"),
    ]
    decay = {"mode": "half_life", "half_life_days": 30, "floor_fraction": 0.5}
    for extra in ({}, {"decay": decay}):
        s = _scores(crits, AsOf.parse("2024-01-01"), **extra)
        assert s["engagement"].tolist() == [0, 0, 0, 0]


def test_fixed_snapshot_keeps_only_leads_created_before_it(
    demo_data, demo_dataset: Dataset, model: ScoringModel
) -> None:
    from model.core.dataset import existing_at, prepare

    as_of = AsOf.parse("2025-06-30")
    scoped = existing_at(demo_dataset, as_of)
    before = demo_data.leads["created_at"] < pd.Timestamp("2025-06-30")
    assert scoped.n_leads == int(before.sum()) < demo_dataset.n_leads
    rebuilt = prepare(
        demo_data.leads[before],
        demo_data.events[demo_data.events["lead_id"].isin(demo_data.leads.loc[before, "lead_id"])],
    )
    assert scoped.n_events == rebuilt.n_events
    np.testing.assert_array_equal(
        score(build_hits(scoped, model, as_of), model).score,
        score(build_hits(rebuilt, model, as_of), model).score,
    )
    assert existing_at(demo_dataset, AsOf()) is demo_dataset


@pytest.mark.parametrize(
    "variant", ["events_in_fit", "attributes_only", "events_only", "over_16_attributes"]
)
def test_engine_equals_the_slow_reference_on_other_model_shapes(
    demo_dataset: Dataset, model: ScoringModel, variant: str
) -> None:
    """Stage 2's one-pass kernel has a branch per shape: event points in the fit group, no
    code words, no event columns, and more than one code word."""
    data = model.to_dict()
    criteria = data["criteria"]
    if variant == "events_in_fit":
        for c in criteria:
            c["group"] = "fit" if "events" in c["rule"] else c["group"]
    elif variant == "attributes_only":
        data["criteria"] = [c for c in criteria if "events" not in c["rule"]]
    elif variant == "events_only":
        data["criteria"] = [c for c in criteria if "events" in c["rule"]]
    else:
        attrs = [c for c in criteria if "events" not in c["rule"]]
        data["criteria"] = criteria + [{**c, "id": f"{c['id']}_again"} for c in attrs]
    m = ScoringModel.model_validate(data)
    hits = build_hits(demo_dataset, m, AsOf())
    assert len(hits.codes) == {"events_only": 0, "over_16_attributes": 2}.get(variant, 1)
    sample = range(0, demo_dataset.n_leads, 53)
    slow = _reference_scores(demo_dataset, m, AsOf(), sample)
    fast = score(hits, m).score[sample.start :: sample.step]
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-9)


def test_bands_and_bins_agree_with_plain_numpy_on_the_demo(
    demo_dataset: Dataset, model: ScoringModel
) -> None:
    """Without decay, scores are whole numbers and many sit exactly on a band boundary."""
    data = model.to_dict()
    data["decay"] = {"mode": "none"}
    m = ScoringModel.model_validate(data)
    s = score(build_hits(demo_dataset, m, AsOf()), m)
    on_boundary = np.isin(s.score, [b.min_score for b in m.bands])
    assert on_boundary.sum() > 100
    np.testing.assert_array_equal(s.band, band_index(s.score, m))
    counts, won = score_bins(s.score, demo_dataset.outcome, demo_dataset.won_value)
    bins = s.score.astype(np.intp)
    for o in range(3):
        expected = np.bincount(bins[demo_dataset.outcome == o], minlength=101)
        np.testing.assert_array_equal(counts[o], expected)
    expected_won = np.bincount(bins, weights=demo_dataset.won_value, minlength=101)
    np.testing.assert_allclose(won, expected_won, rtol=1e-12)
    assert won.sum() > 0
    assert np.isnan(
        score_bins(s.score, demo_dataset.outcome)[1]
    ).all()  # no value column: unknown, not $0


def test_hit_cache_keeps_recent_matrices_within_its_budget(
    demo_dataset: Dataset, model: ScoringModel
) -> None:
    built: list[str] = []

    def builder(policy: str):
        def build():
            built.append(policy)
            return build_hits(demo_dataset, model, AsOf.parse(policy))

        return build

    one = build_hits(demo_dataset, model, AsOf()).nbytes
    n_ev = sum(c.on_events for c in model.criteria)
    assert one > n_ev * demo_dataset.n_leads * (8 + 2)  # decayed float64, undecayed uint16
    cache = HitCache(max_bytes=int(2.5 * one))
    first = cache.get("created+7d", builder("created+7d"))
    assert cache.get("created+7d", builder("created+7d")) is first
    for policy in ("created+14d", "created+7d", "created+30d"):
        cache.get(policy, builder(policy))
    assert built == ["created+7d", "created+14d", "created+30d"]
    assert len(cache) == 2  # 14d was the least recently used
    assert cache.nbytes <= cache.max_bytes
    cache.get("created+14d", builder("created+14d"))
    assert built[-1] == "created+14d"
    tiny = HitCache(max_bytes=1)
    assert tiny.get("a", builder("created+7d")).n_leads == demo_dataset.n_leads
    assert len(tiny) == 1  # the newest is kept even over budget


def test_non_finite_scores_stay_inside_the_bins() -> None:
    """A NaN or infinite score (from hits or points no parser saw) counts in bin 0 or 100,
    never outside the count array."""
    score = np.array([np.nan, np.inf, -np.inf, 50.0, 100.0])
    outcome = np.zeros(5, dtype=np.intp)
    counts, _ = score_bins(score, outcome)
    assert counts[0].sum() == 5
    assert counts[0, 0] == 2  # NaN and -inf
    assert counts[0, 100] == 2  # inf and 100


def test_a_level_no_lead_has_is_named_with_the_nearest_one() -> None:
    """'Sofware' never matches and would score nothing in silence: named, with a guess."""
    rule = {"attribute": "industry", "op": "in", "values": ["Sofware", " SAAS ", "Select"]}
    m = tiny_model([_crit("soft", 5, rule), _crit("n", 1, {"attribute": "employees",
                                                          "op": "equals", "value": 7})])  # fmt: skip
    (line,) = unknown_levels(tiny_dataset(LEADS), m)
    assert line == ("criterion 'soft' asks for industry 'Sofware', 'Select', which no lead has: "
                    "did you mean 'Software'?")  # fmt: skip


# ------------------------------------------------------------------ decay per criterion

OWN_DECAYS = [
    None,
    {"mode": "none"},
    {"mode": "half_life", "half_life_days": 3},
    {"mode": "half_life", "half_life_days": 120},
    {"mode": "linear", "percent_per_30_days": 60},
]


def with_own_decays(model: ScoringModel, picks: list[int], model_decay: dict) -> ScoringModel:
    """`model` with each engagement event criterion given OWN_DECAYS[pick] in turn."""
    data = model.to_dict()
    data["decay"] = {**data["decay"], **model_decay}
    engagement = [
        c for c in data["criteria"] if "events" in c["rule"] and c["group"] == "engagement"
    ]
    for c, pick in zip(engagement, picks, strict=False):
        if OWN_DECAYS[pick] is not None:
            c["decay"] = OWN_DECAYS[pick]
    return ScoringModel.model_validate(data)


@pytest.mark.parametrize(
    ("model_decay", "as_of"),
    [
        ({"mode": "none"}, "created+30d"),
        ({"mode": "half_life", "half_life_days": 30}, "2025-09-30"),
    ],
)
def test_each_criterion_fades_at_its_own_rate_as_the_slow_reference_says(
    demo_dataset: Dataset, model: ScoringModel, model_decay: dict, as_of: str
) -> None:
    """A demo request that never fades beside email opens with a 3-day half-life, on a
    model that does not decay (the floor still applies) and on one that does."""
    m = with_own_decays(model, [1, 2, 3, 4, 0, 2, 3, 4, 1, 2], model_decay)
    assert m.decays
    policy = AsOf.parse(as_of)
    fast = score(build_hits(demo_dataset, m, policy), m).score
    sample = range(0, demo_dataset.n_leads, 41)
    slow = _reference_scores(demo_dataset, m, policy, sample)
    np.testing.assert_allclose(fast[sample.start :: sample.step], slow, rtol=0, atol=1e-9)
    plain = score(build_hits(demo_dataset, model, policy), model).score
    assert not np.allclose(fast, plain)  # the criteria's own decays changed scores


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=hyp.lists(hyp.integers(0, len(OWN_DECAYS) - 1), min_size=10, max_size=10),
    model_mode=hyp.sampled_from(["none", "half_life", "linear"]),
    days=hyp.sampled_from(["created+7d", "created+60d"]),
)
def test_random_criterion_decays_score_as_the_slow_reference(
    demo_dataset: Dataset, picks: list[int], model_mode: str, days: str
) -> None:
    m = with_own_decays(default_model(), picks, {"mode": model_mode})
    policy = AsOf.parse(days)
    fast = score(build_hits(demo_dataset, m, policy), m).score
    sample = range(3, demo_dataset.n_leads, 211)
    slow = _reference_scores(demo_dataset, m, policy, sample)
    np.testing.assert_allclose(fast[sample.start :: sample.step], slow, rtol=0, atol=1e-9)


def test_only_engagement_event_criteria_take_a_decay_of_their_own(model: ScoringModel) -> None:
    data = model.to_dict()
    data["criteria"][0]["decay"] = {"mode": "half_life", "half_life_days": 7}
    with pytest.raises(
        ModelError,
        match=r"industry_software.*only an engagement criterion that counts events fades",
    ):
        parse_model(data)
    data["criteria"][0].pop("decay")
    data["criteria"][17]["decay"] = {"mode": "half_life", "half_life_days": 0}
    with pytest.raises(ModelError, match="half_life_days"):
        parse_model(data)


def test_a_lead_is_found_by_its_id_and_event_types_are_counted_once() -> None:
    data = tiny_dataset(
        [
            {"lead_id": "L-7", "created_at": "2024-01-01"},
            {"lead_id": "7", "created_at": "2024-01-02"},
        ],
        [("7", "2024-01-03", "visit"), ("L-7", "2024-01-03", "demo"), ("7", "2024-01-04", "visit")],
    )
    assert data.where_lead("7") == 1
    assert data.where_lead("L-7") == 0
    assert data.where_lead("L-8") is None
    assert dict(zip(data.event_types, data.type_counts, strict=True)) == {"demo": 1, "visit": 2}
    assert data.type_counts is data.type_counts  # counted once
