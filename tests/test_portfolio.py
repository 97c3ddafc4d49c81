"""Several models side by side: which leads each covers, each scored as the single-model
engine scores its segment, the overview, and overlaps on data built with known ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis import portfolio
from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ModelError, default_model, parse_model
from model.store.revisions import RevisionStore


def named(name: str, applies_to: list[dict], **extra) -> object:
    return parse_model(
        {**default_model().to_dict(), "name": name, "applies_to": applies_to, **extra}
    )


SOFTWARE = [{"attribute": "industry", "op": "in", "values": ["software", "SaaS "]},
            {"attribute": "employees", "op": "between", "low": 200, "high": 5000}]  # fmt: skip
INDUSTRY = [
    {"attribute": "industry", "op": "in", "values": ["Financial Services", "Manufacturing"]}
]


def test_a_model_covers_the_leads_its_rules_name(demo_data, demo_dataset) -> None:
    model = named("Software", SOFTWARE)
    leads = demo_data.leads
    expected = leads["industry"].isin(["Software", "SaaS"]) & leads["employees"].between(200, 5000)
    assert (portfolio.covers(demo_dataset, model) == expected.to_numpy()).all()
    assert portfolio.covers(demo_dataset, default_model()).all()  # no rule: every lead
    with pytest.raises(ModelError, match="model 'x' applies to: attribute 'product' is not"):
        portfolio.covers(
            demo_dataset, named("x", [{"attribute": "product", "op": "equals", "value": "A"}])
        )


def test_each_model_scores_its_segment_as_the_single_model_engine(demo_data, demo_dataset) -> None:
    """Each model's rows equal the engine run on that segment built independently (pandas
    filter, then prepare), lead for lead."""
    models = [named("Software", SOFTWARE), named("Industry", INDUSTRY, decay={"mode": "none"})]
    got = portfolio.score_models(demo_dataset, models, AsOf.parse("created+14d"))
    leads, events = demo_data.leads, demo_data.events
    masks = [
        leads["industry"].isin(["Software", "SaaS"]) & leads["employees"].between(200, 5000),
        leads["industry"].isin(["Financial Services", "Manufacturing"]),
    ]
    for model, mask in zip(models, masks, strict=True):
        part = leads[mask.to_numpy()]
        alone = prepare(part, events[events["lead_id"].isin(part["lead_id"])], name=model.name)
        engine = score(build_hits(alone, model, AsOf.parse("created+14d")), model)
        rows = got[got["model"] == model.name].set_index("lead_id").loc[alone.lead_ids]
        np.testing.assert_allclose(rows["score"].to_numpy(), engine.score, atol=1e-12)
        assert (rows["band"].to_numpy() == engine.band_names(model)).all()
    assert len(got) == sum(int(m.sum()) for m in masks)


def test_overlaps_and_uncovered_leads_on_known_data() -> None:
    """12 leads: EU 0-5, US 6-9, APAC 10-11; product X on 0, 1, 6 and 10. EU and X both
    claim 0 and 1; US and X claim 6; APAC lead 11 has no model."""
    region = ["EU"] * 6 + ["US"] * 4 + ["APAC"] * 2
    product = ["X", "X", "Y", "Y", "Y", "Y", "X", "Y", "Y", "Y", "X", "Y"]
    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(12)],
                          "created_at": pd.Timestamp("2026-01-01"),
                          "region": region, "product": product})  # fmt: skip
    data = prepare(leads, None, name="known")
    entries = [
        portfolio.Entry("EU", "v1", named("EU", [{"attribute": "region", "op": "equals", "value": "eu"}])),
        portfolio.Entry("US", "v3", named("US", [{"attribute": "region", "op": "equals", "value": "US"}])),
        portfolio.Entry("X", "editor", named("X", [{"attribute": "product", "op": "equals", "value": "X"}])),
    ]  # fmt: skip
    found = portfolio.overlaps(data, entries)
    pairs = {(r["model a"], r["model b"]): r["leads both claim"] for _, r in found.pairs.iterrows()}
    assert pairs == {("EU", "X"): 2, ("US", "X"): 1}
    assert found.uncovered == 1
    assert found.leads("uncovered")["lead_id"].tolist() == ["L11"]
    assert found.leads("overlap")["lead_id"].tolist() == ["L0", "L1", "L6"]


def test_the_overview_names_each_models_coverage_and_figures(demo_dataset) -> None:
    entries = [
        portfolio.Entry("Everyone", "v2", default_model()),
        portfolio.Entry("Software", "editor", named("Software", SOFTWARE)),
    ]
    table = portfolio.overview(demo_dataset, entries, AsOf.parse("created+14d"))
    assert table["model"].tolist() == ["Everyone", "Software"]
    assert table.loc[0, "leads covered"] == demo_dataset.n_leads
    assert 0 < table.loc[1, "leads covered"] < demo_dataset.n_leads
    assert table.loc[1, "applies to"] == "industry in software, SaaS and employees 200 to 5,000"
    assert table["AUC"].between(0.5, 1).all()
    assert (table["sales-ready"] > 0).all()


def test_a_store_written_before_applicability_keeps_its_models(tmp_path) -> None:
    """A store holding a model saved as today's single-model code saves it (no coverage
    in its JSON) opens as it was; a second model saves beside it with its own numbers."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = RevisionStore(url)
    old.save(default_model(), author="Ann", note="the one model", parent=None)
    old.make_live(default_model().name, 1, author="Ann")
    before = old.get(default_model().name, 1)
    store = RevisionStore(url)
    segment = named("Software", SOFTWARE)
    store.save(segment, author="Raj", note="software line", parent=None)
    assert sorted(store.model_names()) == ["B2B inbound", "Software"]
    again = store.get("B2B inbound", 1)
    assert (again.model, again.status, again.note) == (before.model, "live", "the one model")
    assert again.model.applies_to == []
    assert store.get("Software", 1).model.applies_to == segment.applies_to
    assert store.live("Software") is None


def test_score_models_writes_one_row_per_lead_and_model(tmp_path, demo_data, capsys) -> None:
    from model.cli import main

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "everyone.json").write_text(default_model().to_json())
    (folder / "software.json").write_text(named("Software", SOFTWARE).to_json())
    demo_data.leads.head(3000).to_csv(tmp_path / "leads.csv", index=False)
    demo_data.events.to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "scores.csv"
    argv = ["score", "--models", str(folder), "--leads", str(tmp_path / "leads.csv"),
            "--events", str(tmp_path / "events.csv"), "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    said = capsys.readouterr().err
    rows = pd.read_csv(out, dtype={"lead_id": str})
    software = rows[rows["model"] == "Software"]
    assert (rows["model"] == "B2B inbound").sum() == 3000
    assert 0 < len(software) < 3000
    assert f"{len(software):,} leads claimed by two models or more, 0 by none" in said
    assert main([*argv[:1], "--model", str(folder / "everyone.json"), *argv[1:]]) == 2
    assert "give one of --model FILE (one model) or --models DIR" in capsys.readouterr().err
    (folder / "again.json").write_text(default_model().to_json())
    assert main([*argv[:-1], str(tmp_path / "other.csv")]) == 2
    assert "two files hold the model named 'B2B inbound'" in capsys.readouterr().err
