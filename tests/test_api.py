"""The scoring API: the engine's answers for the same leads, keys, live swaps, errors, and
a schemathesis run over its OpenAPI document (no 500 on any generated input)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from model.analysis.calibration import Calibration, calibrate
from model.api import ScoreResponse, create_app
from model.core.dataset import AsOf, Dataset, subset
from model.core.hits import build_hits
from model.core.scoring import explain, score
from model.core.spec import ScoringModel, default_model, parse_model
from model.ingest import catalog, importer, readers
from model.store.revisions import RevisionStore

MOMENT = "2026-01-01T00:00:00Z"


@pytest.fixture
def store(revision_store_url: str) -> RevisionStore:
    return RevisionStore()


@pytest.fixture
def live(store: RevisionStore) -> ScoringModel:
    """The default model saved and made live."""
    model = default_model()
    store.save(model, author="ann", note="", parent=None)
    store.make_live(model.name, 1, author="ann")
    return model


@pytest.fixture
def client(store: RevisionStore) -> TestClient:
    key = store.create_api_key("tests", author="ann").token
    return TestClient(create_app(store), headers={"X-API-Key": key})


def jsonable(value: object) -> object:
    """A frame cell as a CRM sends it in JSON: numbers, text, booleans or null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def as_json(data: Dataset, rows: np.ndarray, events: pd.DataFrame | None) -> list[dict]:
    """The leads at `rows` with their events, in the API's request shape."""
    by_lead = {} if events is None else dict(list(events.groupby("lead_id", sort=False)))
    attributes = [c for c in data.leads.columns if c not in ("lead_id", "created_at")]
    out = []
    for i in rows.tolist():
        lead = data.leads.iloc[i]
        mine = by_lead.get(lead["lead_id"])
        out.append(
            {
                "lead_id": str(lead["lead_id"]),
                "created_at": pd.Timestamp(data.created_ns[i]).isoformat() + "Z",
                "attributes": {a: jsonable(lead[a]) for a in attributes},
                "events": []
                if mine is None
                else [
                    {"event_type": t, "occurred_at": pd.Timestamp(o).isoformat() + "Z"}
                    for t, o in zip(mine["event_type"], mine["occurred_at"], strict=True)
                ],
            }
        )
    return out


def engine(data: Dataset, model: ScoringModel, moment: str):
    as_of = AsOf("fixed", date=pd.Timestamp(moment).tz_localize(None).as_unit("ns"))
    hits = build_hits(data, model, as_of)
    return hits, score(hits, model)


def test_the_api_gives_the_engines_scores_bands_and_explanations(
    live, client, demo_data, demo_dataset
) -> None:
    rows = np.random.default_rng(5).choice(demo_dataset.n_leads, 400, replace=False)
    rows.sort()
    data = subset(demo_dataset, np.isin(np.arange(demo_dataset.n_leads), rows), "picked")
    body = {"leads": as_json(data, np.arange(data.n_leads), demo_data.events), "as_of": MOMENT}
    got = client.post("/v1/score", json=body)
    assert got.status_code == 200, got.text
    answer = got.json()
    ScoreResponse.model_validate(answer)  # the answer is the documented shape
    assert (answer["model"], answer["revision"]) == (live.name, 1)
    results = answer["results"]
    hits, scores = engine(data, live, MOMENT)
    assert [r["lead_id"] for r in results] == list(data.lead_ids)
    np.testing.assert_allclose([r["score"] for r in results], scores.score, atol=1e-9)
    np.testing.assert_allclose([r["engagement"] for r in results], scores.engagement, atol=1e-9)
    assert [r["band"] for r in results] == list(scores.band_names(live))
    bands = {b.name: b for b in live.bands}
    assert all(r["action"] == bands[r["band"]].action for r in results)
    assert all(r["confidence"] is None for r in results)  # no calibration saved
    assert len({r["band"] for r in results}) > 1
    for i in (0, 17, 399):
        want = explain(hits, live, i, scores)
        steps = results[i]["explanation"]
        assert [s["criterion"] for s in steps] == list(want.criteria["criterion"])
        np.testing.assert_allclose([s["points"] for s in steps], want.criteria["points"])
        base = [want.steps[0]] if live.baseline else []
        expected = base + want.steps[len(base) + len(steps) :]
        got = results[i]["adjustments"]
        assert [a["name"] for a in got] == [name for name, _ in expected]
        np.testing.assert_allclose([a["points"] for a in got], [v for _, v in expected])
    for r in results:  # every explanation adds up to its score
        total = sum(s["points"] for s in r["explanation"])
        total += sum(a["points"] for a in r["adjustments"])
        assert total == pytest.approx(r["score"], abs=1e-9)
    assert any(r["adjustments"] for r in results)
    one = client.post("/v1/score", json={"lead": body["leads"][17], "as_of": MOMENT}).json()
    assert one["results"][0]["score"] == pytest.approx(scores.score[17], abs=1e-9)
    assert "explanation" in one["results"][0]
    bare = client.post("/v1/score?explain=false", json={"lead": body["leads"][0]}).json()
    assert bare["results"][0]["explanation"] is None


def test_a_real_export_sent_as_text_scores_as_its_import_does(
    store, client, shared_data, tmp_path
) -> None:
    """The UCI bank set, every value sent as the text a CRM form posts ('999', '4.857')."""
    path = shared_data / "bank-marketing" / "bank-additional-full.csv"
    whole = readers.read_any(path, path.name)
    picked = np.sort(np.random.default_rng(2).choice(len(whole), 3000, replace=False))
    frame = whole.iloc[picked].reset_index(drop=True)
    mapping = importer.guess_mapping(frame)
    leads = importer.apply_mapping(frame, mapping)
    folder = catalog.write_folder(leads, None, tmp_path, name="bank", mapping=mapping)
    data = catalog.load_dataset(folder)
    model = parse_model(
        {
            "name": "Bank",
            "criteria": [
                {"id": "prev_success", "label": "Earlier campaign won", "group": "fit",
                 "points": 35, "rule": {"attribute": "poutcome", "op": "equals", "value": "success"}},
                {"id": "contacted", "label": "Contacted before", "group": "fit", "points": 15,
                 "rule": {"attribute": "pdays", "op": "between", "high": 998}},
                {"id": "low_rate", "label": "Euribor under 1.5", "group": "fit", "points": 20,
                 "rule": {"attribute": "euribor3m", "op": "between", "high": 1.5}},
                {"id": "retired", "label": "Student or retired", "group": "fit", "points": 10,
                 "rule": {"attribute": "job", "op": "in", "values": ["student", "retired"]}},
                {"id": "cell", "label": "Mobile", "group": "fit", "points": 5,
                 "rule": {"attribute": "contact", "op": "equals", "value": "cellular"}},
            ],
            "bands": [{"name": "Call", "min_score": 30, "action": "Call today", "sales_ready": True},
                      {"name": "Nurture", "min_score": 0, "action": "Email"}],
        }
    )  # fmt: skip
    store.save(model, author="ann", note="", parent=None)
    store.make_live(model.name, 1, author="ann")
    raw = frame.astype(str)
    leads = [
        {"lead_id": str(data.lead_ids[i]), "attributes": raw.iloc[i].to_dict()}
        for i in range(len(raw))
    ]
    results = client.post("/v1/score", json={"leads": leads}).json()["results"]
    _, scores = engine(data, model, MOMENT)
    np.testing.assert_allclose([r["score"] for r in results], scores.score, atol=1e-9)
    assert sum(r["band"] == "Call" for r in results) == int((scores.band == 0).sum()) > 0


def test_confidence_is_the_saved_calibration_of_the_live_revision(
    store, live, client, demo_dataset
) -> None:
    hits = build_hits(demo_dataset, live, AsOf())
    cal = calibrate(demo_dataset, score(hits, live), method="isotonic", folds=3).calibration
    store.save_calibration(live.name, 1, cal.to_json(), author="ann")
    lead = {"lead_id": "x", "attributes": {"employees": 800, "job_level": "VP"}}
    result = client.post("/v1/score", json={"lead": lead}).json()["results"][0]
    kept = Calibration.from_json(cal.to_json())  # as saved: six decimals
    assert result["confidence"] == kept.confidence(np.array([result["score"]]))[0]
    listed = client.get("/v1/models").json()
    assert listed[0]["calibrated"] is True


def test_a_revision_made_live_is_served_without_a_restart(store, live, client) -> None:
    lead = {"lead": {"lead_id": "a", "attributes": {"employees": 800}}, "as_of": MOMENT}
    before = client.post("/v1/score", json=lead).json()
    data = live.to_dict()
    data["baseline"] = 20
    store.save(parse_model(data), author="ann", note="baseline 20", parent=1)
    store.make_live(live.name, 2, author="ann")
    after = client.post("/v1/score", json=lead).json()
    assert (before["revision"], after["revision"]) == (1, 2)
    assert after["results"][0]["score"] == pytest.approx(
        min(before["results"][0]["score"] + 20, 100)
    )
    assert client.get("/v1/models").json()[0]["revision"] == 2


def test_keys_are_checked_on_every_call(store, live) -> None:
    app = TestClient(create_app(store))
    lead = {"lead": {"attributes": {}}}
    assert app.post("/v1/score", json=lead).status_code == 401
    assert app.get("/v1/models", headers={"X-API-Key": "lsk_00_nope"}).status_code == 401
    key = store.create_api_key("crm", author="ann")
    bearer = {"Authorization": f"Bearer {key.token}"}
    assert app.post("/v1/score", json=lead, headers=bearer).status_code == 200
    store.revoke_api_key(key.key_id, author="ann")
    assert app.post("/v1/score", json=lead, headers=bearer).status_code == 401
    assert app.get("/healthz").json() == {"ok": True}
    assert "X-API-Key" in json.dumps(app.get("/openapi.json").json()["components"])


def test_bad_requests_are_refused_with_what_is_wrong(store, live, client) -> None:
    def post(body: dict) -> tuple[int, str]:
        got = client.post("/v1/score", json=body)
        return got.status_code, got.text

    assert post({})[0] == 422
    assert "not both" in post({"lead": {}, "leads": []})[1]
    assert "extra" in post({"lead": {"attributes": {}, "colour": "red"}})[1].lower()
    assert (
        post({"lead": {"events": [{"event_type": "demo", "occurred_at": "yesterday"}]}})[0] == 422
    )
    code, text = post({"model": "Nope", "lead": {}})
    assert code == 404
    assert "no live revision of a model named 'Nope'" in text
    other = default_model().to_dict() | {"name": "Second"}
    store.save(parse_model(other), author="ann", note="", parent=None)
    store.make_live("Second", 1, author="ann")
    code, text = post({"lead": {}})
    assert code == 422
    assert "several models are live" in text
    assert post({"model": "Second", "lead": {}})[0] == 200
    text_for_number = {"lead": {"attributes": {"employees": "lots"}}, "model": "Second"}
    assert post(text_for_number)[0] == 200  # unreadable: missing, as the import reads it


def test_nothing_live_is_a_404_not_a_crash(client) -> None:
    got = client.post("/v1/score", json={"lead": {}})
    assert got.status_code == 404
    assert "no model has a live revision" in got.text


def test_no_generated_request_gets_a_500(store, live) -> None:
    """Every operation of the OpenAPI document, with inputs schemathesis generates from it
    (valid and not), answers below 500; scored leads get one of the model's bands."""
    key = store.create_api_key("fuzz", author="ann").token
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(store))
    bands = {b.name for b in live.bands}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {"/v1/models", "/v1/score"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case) -> None:
            response = case.call(headers={"X-API-Key": key})
            assert response.status_code < 500, (case.body, response.text)
            if response.status_code == 200 and case.path == "/v1/score":
                answer = ScoreResponse.model_validate(response.json())
                assert {r.band for r in answer.results} <= bands

        call()


def test_moments_without_a_zone_are_utc(live, client) -> None:
    lead = {"attributes": {}, "events": [{"event_type": "demo_request",
                                          "occurred_at": "2025-12-31T23:00:00"}]}  # fmt: skip
    with_zone = client.post("/v1/score", json={"lead": lead, "as_of": MOMENT}).json()
    naive = client.post("/v1/score", json={"lead": lead, "as_of": "2026-01-01T00:00:00"}).json()
    assert with_zone["results"] == naive["results"]
    assert datetime.fromisoformat(naive["as_of"]) == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_store_that_cannot_be_read_is_a_503_that_says_so(store, live, client, monkeypatch):
    from model.store.revisions import StoreError

    def down(*_args, **_kwargs):
        raise StoreError("postgresql://db/leadscore: connection refused")

    monkeypatch.setattr(RevisionStore, "check_api_key", down)
    got = client.post("/v1/score", json={"lead": {}})
    assert got.status_code == 503
    assert "revision store is unavailable" in got.json()["detail"]
    assert "connection refused" in got.json()["detail"]
