"""The target outcome: won deals or reaching a stage; the stage order from the data's own
words, every figure read against it, and models without a target unchanged."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from model.cli import main
from model.core.dataset import LOST, OPEN, WON
from model.core.spec import ModelError, Target, default_model, parse_model
from model.core.target import default_order, retarget, unordered
from tests.conftest import tiny_dataset

SALESFORCE = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted",
              "Closed - Not Converted"]  # fmt: skip


def stage_target(order: list[str], stage: str) -> Target:
    return Target(outcome="stage", stage=stage, stage_order=order)


def test_the_stage_order_comes_from_the_datas_own_words(demo_dataset) -> None:
    assert default_order(demo_dataset) == [
        "New", "Working", "Qualified", "Opportunity", "Negotiation", "Closed Won"
    ]  # fmt: skip
    leads = [
        {"lead_id": f"L{i}", "created_at": "2026-01-01", "stage": s}
        for i, s in enumerate([*SALESFORCE, "Nurture pool"])
    ]
    data = tiny_dataset(leads)
    order = default_order(data)
    assert order[:3] == ["Open - Not Contacted", "Working - Contacted", "Closed - Converted"]
    assert "Closed - Not Converted" not in order  # says it ended, not how far it got
    assert unordered(data, stage_target(order[:3], "Working - Contacted")) == ["Nurture pool"]


def test_reaching_a_stage_counts_as_won_and_closing_without_it_as_lost() -> None:
    stages = ["New", "Opportunity", "Negotiation", "Opportunity", "Closed Lost", "Closed Won"]
    outcomes = ["open", "open", "lost", "lost", "lost", "won"]
    leads = [
        {"lead_id": f"L{i}", "created_at": "2026-01-01", "stage": s, "outcome": o}
        for i, (s, o) in enumerate(zip(stages, outcomes, strict=True))
    ]
    data = tiny_dataset(leads)
    order = ["New", "Working", "Opportunity", "Negotiation", "Closed Won"]
    moved = retarget(data, stage_target(order, "opportunity"))  # case does not matter
    assert moved.outcome.tolist() == [OPEN, WON, WON, WON, LOST, WON]
    assert data.outcome.tolist() == [OPEN, OPEN, LOST, LOST, LOST, WON]  # untouched
    assert moved.name != data.name  # caches keep the two apart
    back = retarget(moved, Target())
    assert back.outcome.tolist() == data.outcome.tolist()
    assert back.name == data.name
    with pytest.raises(ValueError, match="has no stage column"):
        retarget(tiny_dataset([{"lead_id": "L", "created_at": "2026-01-01"}]),
                 stage_target(order, "New"))  # fmt: skip


def test_a_model_without_a_target_keeps_its_exact_json_and_a_bad_target_is_named() -> None:
    model = default_model()
    assert "target" not in model.to_dict()
    aimed = parse_model({**model.to_dict(), "target": stage_target(["A", "B"], "B").model_dump()})
    assert parse_model(aimed.to_json()) == aimed
    assert aimed != model
    assert aimed.rules_key() == model.rules_key()  # the hit matrix does not change
    with pytest.raises(ModelError, match="'Opp' is not in the stage order"):
        parse_model({**model.to_dict(), "target": {"outcome": "stage", "stage": "Opp",
                                                   "stage_order": ["New"]}})  # fmt: skip


def test_the_command_reads_the_models_target(tmp_path, capsys) -> None:
    assert main(["demo-data", "--out", str(tmp_path / "d"), "--leads", "3000", "--seed", "2"]) == 0
    model = default_model().to_dict()
    won, aimed = tmp_path / "won.json", tmp_path / "opp.json"
    won.write_text(json.dumps(model))
    order = ["New", "Working", "Qualified", "Opportunity", "Negotiation", "Closed Won"]
    model["target"] = {"outcome": "stage", "stage": "Opportunity", "stage_order": order}
    aimed.write_text(json.dumps(model))
    figures = {}
    for path in (won, aimed):
        capsys.readouterr()
        assert main(["replay", "--model", str(path), "--leads", str(tmp_path / "d"), "--json"]) == 0
        figures[path.stem] = json.loads(capsys.readouterr().out)
    wins = {k: sum(b["won"] for b in f["bands"]) for k, f in figures.items()}
    assert wins["opp"] > 2 * wins["won"]


def test_the_model_page_tunes_against_a_stage_and_every_page_says_so(open_app) -> None:
    at: AppTest = open_app("pages/replay.py")
    assert "Tuned against won deals" in " ".join(c.value for c in at.caption)
    at.switch_page("pages/model.py").run()
    at.radio(key="target_outcome").set_value("stage").run()
    assert not at.exception
    assert at.selectbox(key="target_stage").value == "Opportunity"
    assert any("reaching 'Opportunity' or later" in e.label for e in at.expander)
    assert at.text_area(key="target_order").value.splitlines()[0] == "New"
    model = at.session_state["model"]
    assert model.target.stage == "Opportunity"
    for page in ("replay", "thresholds", "calibration", "leads", "feedback", "revisions"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        said = " ".join(c.value for c in at.caption)
        assert "Tuned against reaching 'Opportunity' or later" in said, page
    at.switch_page("pages/model.py").run()
    at.selectbox(key="target_stage").set_value("Negotiation").run()
    assert at.session_state["model"].target.stage == "Negotiation"
    at.radio(key="target_outcome").set_value("won").run()
    assert at.session_state["model"].target == Target()
