"""One store shared by a team: the same tests on SQLite and on a real PostgreSQL server.
Several processes writing at once lose nothing and refuse stale saves."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from model.core.feedback import Feedback
from model.core.spec import default_model
from model.store.access import Actor, Forbidden
from model.store.revisions import RevisionStore
from model.store.signed import SignedStore

ROOT = Path(__file__).resolve().parent.parent
NAME = default_model().name


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """An empty store on SQLite, or in a new database of the session's PostgreSQL; every
    store the test opens is closed after it."""
    opened: list[RevisionStore] = []
    init = RevisionStore.__init__

    def tracked(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(RevisionStore, "__init__", tracked)
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'team.db'}"
    else:
        from tests import pg

        server = request.getfixturevalue("postgres")
        yield pg.fresh_database(server, f"team_{abs(hash(request.node.name)) % 10**8}")
    for store in opened:
        store.close()


def run_all(script: str, url: str, who: list[str], rounds: int) -> list[list[str]]:
    """Start one process per name, all at once; each prints one line per write."""
    procs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), url, w, str(rounds)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for w in who
    ]  # fmt: skip
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(who), [err for _, err in outputs]
    return [line.split() for out, _ in outputs for line in out.splitlines()]


SAVER = """
    import random, sys, time
    from model.core.spec import default_model, parse_model
    from model.store.revisions import Conflict, RevisionStore

    url, who, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = RevisionStore(url)
    base = default_model().to_dict()
    for i in range(rounds):
        latest = store.latest(base["name"])
        data = dict(base, criteria=[dict(c) for c in base["criteria"]])
        data["criteria"][0]["points"] = float(i)
        time.sleep(random.random() * 0.01)
        try:
            r = store.save(parse_model(data), author=who, note=f"{who} {i}",
                           parent=latest.number if latest else None)
            print("saved", r.number, flush=True)
        except Conflict as exc:
            assert "Not saved" in str(exc)
            print("conflict", flush=True)
"""


@pytest.mark.slow
def test_three_people_saving_at_once_lose_nothing_and_stale_saves_are_refused(
    shared_url,
) -> None:
    RevisionStore(shared_url)  # created once: the writers race on saves, not on set-up
    rounds, people = 40, ["ann", "raj", "lee"]
    lines = run_all(SAVER, shared_url, people, rounds)
    assert len(lines) == len(people) * rounds
    assert any(x[0] == "conflict" for x in lines)  # the race really happened
    saved = sorted(int(x[1]) for x in lines if x[0] == "saved")
    stored = RevisionStore(shared_url).revisions(NAME)
    assert [r.number for r in stored] == list(range(1, len(stored) + 1))  # no gap, no dupe
    assert saved == [r.number for r in stored]
    assert all(r.parent == (r.number - 1 or None) for r in stored)
    for r in stored:
        who, i = r.note.split()
        assert r.author == who
        assert r.model.criteria[0].points == float(i)  # no torn row


APPENDER = """
    import sys
    from model.core.feedback import Feedback
    from model.store.revisions import RevisionStore

    url, who, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = RevisionStore(url)
    name = store.model_names()[0]
    for i in range(rounds):
        store.add_feedback(name, [Feedback(f"{who}-{i}", "accepted")], author=who)
        store.make_live(name, 1 + i % 2, author=who)
        store.set_role(f"{who}{i}@acme.com", "viewer", author=who)
        print("wrote", i, flush=True)
"""


@pytest.mark.slow
def test_verdicts_go_lives_and_roles_from_several_processes_are_all_kept(shared_url) -> None:
    store = RevisionStore(shared_url)
    store.save(default_model(), author="it", note="", parent=None)
    store.save(default_model(), author="it", note="", parent=1)
    rounds, people = 25, ["ann", "raj", "lee"]
    assert len(run_all(APPENDER, shared_url, people, rounds)) == rounds * len(people)
    given = {f.lead_id for f in store.feedback(NAME)}
    assert given == {f"{w}-{i}" for w in people for i in range(rounds)}
    assert len(store.roles()) == rounds * len(people)
    assert sum(r.status == "live" for r in store.revisions(NAME)) == 1


def test_everything_the_app_keeps_round_trips_on_the_shared_store(shared_url) -> None:
    """Revisions, go-lives, reviews, feedback, calibrations, shadows, roles and keys, as
    the app writes them through the signed store, read back by a second connection."""
    store = RevisionStore(shared_url)
    store.set_role("boss@acme.com", "approver", author="it")
    boss = SignedStore(store, Actor("boss@acme.com", "Boss", "approver"))
    boss.save(default_model(), author="x", note="first", parent=None)
    boss.save(default_model(), author="x", note="second", parent=1)
    boss.make_live(NAME, 1, author="x")
    boss.set_shadow(NAME, 2, author="x")
    boss.record_review(NAME, reviewer="x", note="ok", ready_to_opportunity=0.25)
    boss.add_feedback(NAME, [Feedback("L1", "rejected", "Wrong person")], author="x")
    boss.save_calibration(NAME, 1, '{"method": "isotonic"}', author="x")
    key = boss.create_api_key("site", author="x")
    viewer = SignedStore(store, Actor("vic@acme.com", "Vic", "viewer"))
    with pytest.raises(Forbidden):
        viewer.make_live(NAME, 2, author="x")
    other = RevisionStore(shared_url)
    assert [r.author for r in other.revisions(NAME)] == ["boss@acme.com"] * 2
    assert other.live(NAME).number == 1
    assert other.shadow(NAME).number == 2
    assert other.reviews(NAME)[-1].reviewer == "boss@acme.com"
    assert other.feedback(NAME)[0].author == "boss@acme.com"
    assert other.calibration(NAME, 1)[1] == "boss@acme.com"
    assert other.check_api_key(key.token) == "site"
    assert other.role_of("BOSS@acme.com") == "approver"
    assert other.live_marker() != (0, 0)


def test_the_scoring_api_serves_from_the_shared_store(shared_url) -> None:
    """What one server makes live, an API process on the same store serves at once."""
    from fastapi.testclient import TestClient

    from model.api import create_app

    app_side, api_side = RevisionStore(shared_url), RevisionStore(shared_url)
    app_side.save(default_model(), author="it", note="", parent=None)
    app_side.make_live(NAME, 1, author="it")
    key = app_side.create_api_key("site", author="it").token
    with TestClient(create_app(api_side), headers={"X-API-Key": key}) as client:
        lead = {"lead": {"attributes": {"employees": 900}}}
        assert client.post("/v1/score", json=lead).json()["revision"] == 1
        app_side.save(default_model(), author="it", note="", parent=1)
        app_side.make_live(NAME, 2, author="it")
        assert client.post("/v1/score", json=lead).json()["revision"] == 2
        app_side.revoke_api_key(key.split("_")[1], author="it")
        assert client.post("/v1/score", json=lead).status_code == 401
