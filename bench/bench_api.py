"""The scoring API on loopback under a bounded load: p50 / p99 of a single-lead call and
leads per second in batches of 1,000, each against the engine scoring the same leads in
this process (the baseline). Printed, never asserted (`make bench-api`).

Goals on this 2-core machine: p99 <= 20 ms for one lead, >= 50,000 leads/s batched.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from pydantic import TypeAdapter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.api import Lead, score_batch
from model.core.spec import default_model
from model.ingest import demo
from model.store.revisions import RevisionStore
from tests.e2e.browser import free_port

SINGLE_CALLS, BATCHES, BATCH = 1_000, 20, 1_000
LEADS = TypeAdapter(list[Lead])


def leads(n: int) -> list[dict]:
    """Demo leads as a web form posts them: attributes and their events."""
    data = demo.generate(n, seed=11)
    events = {k: g for k, g in data.events.groupby("lead_id", sort=False)}
    out = []
    for row in data.leads.head(n).itertuples(index=False):
        row = row._asdict()
        mine = events.get(row["lead_id"])
        out.append({
            "lead_id": str(row["lead_id"]),
            "created_at": row["created_at"].isoformat() + "Z",
            "attributes": {k: _plain(v) for k, v in row.items()
                           if k not in ("lead_id", "created_at", "outcome", "closed_at")},
            "events": [] if mine is None else [
                {"event_type": t, "occurred_at": o.isoformat() + "Z"}
                for t, o in zip(mine["event_type"], mine["occurred_at"], strict=True)
            ],
        })  # fmt: skip
    return out


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v if isinstance(v, str | int | float | bool) or v is None else str(v)


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "model.cli", "serve", "--port", str(port), "--db", url,
         "--workers", str(workers)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API did not start")


def single(client: httpx.Client, sample: list[dict]) -> list[float]:
    """Milliseconds per single-lead call, after 30 warm-ups."""
    times = []
    for i in range(SINGLE_CALLS + 30):
        body = {"lead": sample[i % len(sample)]}
        start = time.perf_counter()
        response = client.post("/v1/score", json=body)
        elapsed = (time.perf_counter() - start) * 1000
        response.raise_for_status()
        if i >= 30:
            times.append(elapsed)
    return times


def batched(client: httpx.Client, sample: list[dict], explain: bool) -> float:
    """Leads per second over BATCHES calls of BATCH leads (after one warm-up)."""
    body = {"leads": sample[:BATCH]}
    query = "" if explain else "?explain=false"
    client.post(f"/v1/score{query}", json=body).raise_for_status()
    start = time.perf_counter()
    for _ in range(BATCHES):
        client.post(f"/v1/score{query}", json=body).raise_for_status()
    return BATCHES * BATCH / (time.perf_counter() - start)


def engine_ms(sample: list[dict], n: int, explain: bool) -> float:
    """The baseline: the same leads parsed and scored in this process, no HTTP."""
    model, parsed = default_model(), LEADS.validate_python(sample[:n])
    now = datetime.now(UTC)
    score_batch(parsed, model, None, now, explain=explain)
    runs = []
    for _ in range(9 if n > 1 else 200):
        start = time.perf_counter()
        score_batch(LEADS.validate_python(sample[:n]), model, None, now, explain=explain)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    sample = leads(BATCH)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        store = RevisionStore(url)
        model = default_model()
        store.save(model, author="bench", note="", parent=None)
        store.make_live(model.name, 1, author="bench")
        key = store.create_api_key("bench", author="bench").token
        workers = int(os.environ.get("API_WORKERS", "1"))
        port = free_port()
        proc = serve(url, port, workers)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                              headers={"X-API-Key": key}, timeout=60) as client:  # fmt: skip
                times = single(client, sample)
                rate = batched(client, sample, explain=True)
                bare = batched(client, sample, explain=False)
                no_events = [{**x, "events": []} for x in sample]
                form = batched(client, no_events, explain=True)
        finally:
            proc.terminate()
            proc.wait(30)
    one = engine_ms(sample, 1, True)
    thousand = engine_ms(sample, BATCH, True)
    p50, p99 = np.percentile(times, [50, 99])
    print(f"Scoring API on loopback, {workers} worker(s), default model, demo leads "
          f"(about {sum(len(x['events']) for x in sample) / len(sample):.0f} events each)")  # fmt: skip
    print(f"  single lead, {SINGLE_CALLS:,} calls: p50 {p50:5.1f} ms, p99 {p99:5.1f} ms "
          f"(goal p99 <= 20 ms); in-process engine {one:.1f} ms, "
          f"p50 = {p50 / one:.1f}x the engine")  # fmt: skip
    print(f"  batches of {BATCH:,}, explanations on:  {rate:8,.0f} leads/s (goal >= 50,000); "
          f"in-process engine {BATCH / thousand * 1000:8,.0f} leads/s, "
          f"{rate / (BATCH / thousand * 1000):.2f}x")  # fmt: skip
    print(f"  batches of {BATCH:,}, explain=false:    {bare:8,.0f} leads/s")
    print(f"  batches of {BATCH:,}, no events (form fills): {form:8,.0f} leads/s")


if __name__ == "__main__":
    main()
