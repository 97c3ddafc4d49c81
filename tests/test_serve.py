"""`leadscore roles`, `leadscore api-keys` and a real `leadscore serve` on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from model.cli import main
from model.core.spec import default_model
from model.store.revisions import RevisionStore
from tests.e2e.browser import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_roles_and_keys_from_the_command_line(capsys, revision_store_url) -> None:
    assert main(["roles", "grant", "Boss@Acme.com", "approver", "--author", "it"]) == 0
    assert main(["roles", "grant", "acme.com", "viewer", "--author", "it"]) == 0
    assert main(["roles", "grant", "nobody", "viewer", "--author", "it"]) == 2
    assert "neither an e-mail" in capsys.readouterr().err
    assert main(["roles", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["subject"], r["role"]) for r in listed] == [
        ("@acme.com", "viewer"),
        ("boss@acme.com", "approver"),
    ]
    assert main(["api-keys", "create", "web form", "--author", "it"]) == 0
    token = capsys.readouterr().out.strip()
    store = RevisionStore()
    assert store.check_api_key(token) == "web form"
    key_id = token.split("_")[1]
    assert main(["api-keys", "revoke", key_id, "--author", "it"]) == 0
    assert store.check_api_key(token) is None
    assert main(["api-keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


@pytest.mark.slow
def test_serve_scores_over_http_and_follows_the_live_revision(revision_store_url) -> None:
    store = RevisionStore()
    model = default_model()
    store.save(model, author="ann", note="", parent=None)
    store.make_live(model.name, 1, author="ann")
    key = store.create_api_key("site", author="ann").token
    port = free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "model.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "LEADSCORE_DB_URL": revision_store_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        _exercise(server, f"http://127.0.0.1:{port}", store, key)


def _exercise(server: subprocess.Popen, url: str, store: RevisionStore, key: str) -> None:
    model = default_model()
    try:
        assert "Scoring API on" in server.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        headers = {"X-API-Key": key}
        lead = {"lead": {"lead_id": "w1", "attributes": {"employees": 900, "industry": "SaaS"},
                         "events": [{"event_type": "demo_request",
                                     "occurred_at": "2026-12-01T10:00:00Z"}]},
                "as_of": "2026-12-02T00:00:00Z"}  # fmt: skip
        first = httpx.post(f"{url}/v1/score", json=lead, headers=headers).json()
        assert first["revision"] == 1
        assert [s["criterion"] for s in first["results"][0]["explanation"]] == [
            "industry_software",
            "mid_market",
            "demo_request",
        ]
        raised = model.to_dict() | {"baseline": 10}
        store.save(type(model).model_validate(raised), author="ann", note="", parent=1)
        store.make_live(model.name, 2, author="ann")
        second = httpx.post(f"{url}/v1/score", json=lead, headers=headers).json()
        assert second["revision"] == 2
        assert second["results"][0]["score"] == first["results"][0]["score"] + 10
        assert httpx.post(f"{url}/v1/score", json=lead).status_code == 401
        assert "/v1/score" in httpx.get(f"{url}/openapi.json").json()["paths"]
    finally:
        server.terminate()
        server.wait(timeout=30)
