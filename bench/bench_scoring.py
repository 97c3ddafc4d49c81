"""Scoring speed at 1M leads / 10M events, with its baselines measured in the same run.

Run with `make bench` (or `python bench/bench_scoring.py --leads 200000` for a quick look,
`--targets-only` for the lines with a target). Prints the median of several runs after
warm-ups, each with its target and its ratio to the in-app engine. Nothing here is
asserted: the numbers are for the README and reviews.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from model import charts
from model.analysis import handoff, replay
from model.analysis.summaries import band_table, preview
from model.core.dataset import AsOf, Dataset, prepare
from model.core.hits import build_hits
from model.core.scoring import score, score_bins
from model.core.spec import ScoringModel, default_model
from model.export import sqlgen
from model.ingest import demo

# On this machine the first few rebuilds after generating the data run up to twice as slow
# as every later one (seen in repeated runs; not compaction, /proc/vmstat shows none).
WARMUP = 3


def median_ms(work: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of `repeat` runs after `warmup` runs, in milliseconds."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def make_data(n_leads: int, n_events: int, seed: int) -> tuple[demo.DemoData, Dataset]:
    data = demo.generate(n_leads, seed=seed)
    rng = np.random.default_rng(seed)
    if len(data.events) > n_events:
        keep = np.sort(rng.choice(len(data.events), n_events, replace=False))
        data = demo.DemoData(data.leads, data.events.iloc[keep].reset_index(drop=True))
    return data, prepare(data.leads, data.events, name="bench")


# --------------------------------------------------------------------------- baselines


def pandas_replay(leads: pd.DataFrame, events: pd.DataFrame, model: ScoringModel) -> pd.Series:
    """Vectorised pandas: merge, filter, decay, groupby; attributes with isin / between."""
    created = leads.set_index("lead_id")["created_at"]
    ev = events.assign(created_at=events["lead_id"].map(created).to_numpy())
    decision = ev["created_at"] + pd.Timedelta(days=14)
    ev = ev[ev["occurred_at"] < decision]
    age_days = (decision[ev.index] - ev["occurred_at"]).dt.total_seconds() / 86_400
    ev = ev.assign(w=np.exp2(-age_days / model.decay.half_life_days), n=1.0)
    per = ev.groupby(["lead_id", "event_type"], observed=True)[["w", "n"]].sum()
    fit = pd.Series(0.0, index=leads["lead_id"])
    eng = fit.copy()
    und = fit.copy()
    for c in model.criteria:
        if c.on_events:
            part = per[per.index.get_level_values("event_type").isin(c.rule.events)]
            sums = part.groupby(level="lead_id").sum().reindex(fit.index, fill_value=0.0)
            cap = c.rule.max_count or np.inf
            eng += c.points * sums["w"].clip(upper=cap)
            und += c.points * sums["n"].clip(upper=cap)
        else:
            fit += c.points * _pandas_attribute(leads, c.rule).to_numpy()
    eng = eng.clip(upper=model.caps.engagement)
    und = und.clip(upper=model.caps.engagement)
    eng = np.maximum(eng, np.minimum(und, model.floor))
    return (fit.clip(upper=model.caps.fit) + eng).clip(0, 100)


def _pandas_attribute(leads: pd.DataFrame, rule) -> pd.Series:
    col = leads[rule.attribute]
    if rule.op == "between":
        return col.between(rule.low if rule.low is not None else -np.inf, rule.high or np.inf)
    if rule.op == "is_true":
        return col.fillna(False).astype(bool)
    wanted = [rule.value] if rule.op == "equals" else rule.values
    return col.isin(wanted)


def naive_apply(leads: pd.DataFrame, events: pd.DataFrame, model: ScoringModel) -> pd.Series:
    """What a spreadsheet-minded script does: DataFrame.apply(axis=1) with Python loops."""
    by_lead = {
        k: list(zip(g["occurred_at"], g["event_type"], strict=True))
        for k, g in events.groupby("lead_id", observed=True)
    }
    h = model.decay.half_life_days

    def one(row: pd.Series) -> float:
        decision = row["created_at"] + pd.Timedelta(days=14)
        fit = eng = und = 0.0
        for c in model.criteria:
            if c.on_events:
                ws = [
                    0.5 ** ((decision - t).total_seconds() / 86_400 / h)
                    for t, kind in by_lead.get(row["lead_id"], [])
                    if kind in c.rule.events and t < decision
                ]
                cap = c.rule.max_count or np.inf
                eng += c.points * min(sum(ws), cap)
                und += c.points * min(len(ws), cap)
            elif _python_attribute(c.rule, row[c.rule.attribute]):
                fit += c.points
        eng = max(min(eng, model.caps.engagement), min(und, model.caps.engagement, model.floor))
        return min(max(min(fit, model.caps.fit) + eng, 0), 100)

    return leads.apply(one, axis=1)


def _python_attribute(rule, value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if rule.op == "between":
        low = -np.inf if rule.low is None else rule.low
        high = np.inf if rule.high is None else rule.high
        return low <= value <= high
    if rule.op == "is_true":
        return bool(value)
    wanted = [rule.value] if rule.op == "equals" else rule.values
    return value in wanted


def duckdb_connection(raw: demo.DemoData) -> duckdb.DuckDBPyConnection:
    """The demo frames as tables leads and events, the shape the SQL export expects."""
    con = duckdb.connect()
    con.register("leads", raw.leads)
    con.register("events", raw.events)
    return con


def glsm_ms_per_lead(hits, model: ScoringModel, sample: int) -> float | None:
    """glsm's per-lead scoring of the same criteria, in its own environment (.venv-glsm:
    glsm pins old numpy and pydantic); None when that environment is absent."""
    python = Path(__file__).resolve().parent.parent / ".venv-glsm" / "bin" / "python"
    if not python.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        spec, matrix = Path(tmp) / "spec.json", Path(tmp) / "hits.npy"
        spec.write_text(json.dumps({"criteria": [[c.id, c.points] for c in model.criteria]}))
        fired = [hits.fired(k, slice(0, sample)) for k in range(len(model.criteria))]
        np.save(matrix, np.column_stack(fired).astype(np.int8))
        done = subprocess.run(
            [python, Path(__file__).with_name("glsm_peer.py"), spec, matrix],
            capture_output=True,
            text=True,
            check=True,
        )
    return float(done.stdout.split()[-1])


# --------------------------------------------------------------------------- run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--targets-only",
        action="store_true",
        help="only the in-app lines that have a target (about a minute)",
    )
    args = parser.parse_args()
    scale = args.leads / 1_000_000

    t0 = time.perf_counter()
    raw, data = make_data(args.leads, args.events, args.seed)
    print(
        f"data: {data.n_leads:,} leads, {data.n_events:,} events "
        f"(generated and prepared in {time.perf_counter() - t0:.1f} s)"
    )
    model = default_model()
    as_of = AsOf()
    hits = build_hits(data, model, as_of)
    scores = score(hits, model)

    def full_replay() -> object:
        h = build_hits(data, model, as_of)
        return preview(data, score(h, model), model)

    def rescore() -> object:
        return preview(data, score(hits, model), model)

    view = preview(data, scores, model)

    def histogram() -> bytes:
        """The Model page's histogram as sent: its spec as JSON and its rows as Arrow."""
        rows, spec = charts.score_histogram_spec(view.histogram, model, width=1)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, pa.schema(pa.Table.from_pandas(rows).schema)) as out:
            out.write_table(pa.Table.from_pandas(rows))
        return json.dumps(spec).encode() + sink.getvalue().to_pybytes()

    rows = []

    def add(name: str, ms: float, target: str = "", base: float | None = None) -> None:
        ratio = "" if base is None else f"{ms / base:,.1f}x"
        rows.append((name, ms, target, ratio))
        print(f"  {name:<58} {ms:>10,.1f} ms  {target:<10} {ratio}", flush=True)

    print(
        f"\nmedian of {args.repeat} runs after {WARMUP} warm-ups (in-app) or one (peers); "
        "ratio = time / in-app engine"
    )
    hits_ms = median_ms(lambda: build_hits(data, model, as_of), repeat=args.repeat, warmup=WARMUP)
    add("in-app: hit matrix (stage 1, created+14d, half-life decay)", hits_ms)
    replay_ms = median_ms(full_replay, repeat=args.repeat, warmup=WARMUP)
    add("in-app: full as-of replay incl. band + bucket tables", replay_ms, "<= 100 ms", replay_ms)
    rescore_ms = median_ms(rescore, repeat=args.repeat, warmup=WARMUP)
    add("in-app: points-only re-score incl. band + bucket tables", rescore_ms, "<= 25 ms")
    hist_ms = median_ms(histogram, repeat=args.repeat, warmup=WARMUP)
    add(
        f"in-app: histogram chart sent to the page ({len(histogram()) / 1e3:.0f} KB)",
        hist_ms,
        "<= 10 ms",
    )

    if args.targets_only:
        return
    sample = min(20_000, args.leads)
    raw_fig_ms = median_ms(
        lambda: go.Figure(go.Histogram(x=scores.score[:1_000_000])).to_json(), repeat=1
    )
    raw_size = len(go.Figure(go.Histogram(x=scores.score)).to_json()) / 1e6
    add(f"peer: raw per-lead histogram figure ({raw_size:.1f} MB)", raw_fig_ms, "", hist_ms)

    pandas_ms = median_ms(lambda: pandas_replay(raw.leads, raw.events, model), repeat=1)
    add("peer: vectorised pandas replay (merge, groupby)", pandas_ms, "", replay_ms)

    con = duckdb_connection(raw)
    sql = sqlgen.to_sql(model, "duckdb", as_of=as_of) + " ORDER BY lead_id"
    duck_ms = median_ms(lambda: con.execute(sql).fetchnumpy(), repeat=max(1, args.repeat // 2))
    add("peer: the model as SQL (sqlgen) run by DuckDB", duck_ms, "", replay_ms)
    _check_equal(con.execute(sql).fetchnumpy(), data, scores, model)

    glsm_ms = glsm_ms_per_lead(hits, model, sample=5_000)
    if glsm_ms is None:
        print("  glsm: skipped (make bench creates .venv-glsm with it)")
    else:
        add(
            "peer: glsm NonPredictive, lead by lead, 5k leads scaled to all",
            glsm_ms * args.leads,
            "",
            rescore_ms,
        )

    leads_s = raw.leads.head(sample)
    events_s = raw.events[raw.events["lead_id"].isin(leads_s["lead_id"])]
    apply_ms = median_ms(lambda: naive_apply(leads_s, events_s, model), repeat=1)
    add(
        f"peer: naive DataFrame.apply(axis=1), {sample:,} leads scaled to all",
        apply_ms * args.leads / sample,
        "",
        replay_ms,
    )

    print("\nreplay and thresholds on every generated event (about 15 a lead)")
    raw_full, full = make_data(args.leads, 10**12, args.seed)
    full_hits = build_hits(full, model, as_of)
    print(f"data: {full.n_leads:,} leads, {full.n_events:,} events")
    report_ms = median_ms(
        lambda: replay.report(full, build_hits(full, model, as_of), model), repeat=args.repeat
    )
    add("in-app: Replay page figures, hit matrix included", report_ms, "", report_ms)
    full_scores = score(full_hits, model)
    proposed = ScoringModel.model_validate(
        {
            **model.to_dict(),
            "bands": [
                {**b.model_dump(), "min_score": m}
                for b, m in zip(model.bands, (65, 45, 0), strict=True)
            ],
        }
    )

    def threshold_change() -> object:
        counts, won_value = score_bins(full_scores.score, full.outcome, full.won_value)
        return replay.threshold_sweep(full, full_scores), band_table(counts, won_value, proposed)

    add(
        "in-app: threshold change (sweep + band table, no hit matrix)",
        median_ms(threshold_change, repeat=args.repeat),
        "",
        report_ms,
    )
    full_replay_ms = median_ms(
        lambda: score(build_hits(full, model, as_of), model), repeat=args.repeat
    )
    add("in-app: as-of scores, hit matrix included", full_replay_ms, "", full_replay_ms)
    add(
        "in-app: hand-off replay (Thresholds), score after each event",
        median_ms(
            lambda: handoff.score_timeline(full, full_hits, model, moments_only=True),
            repeat=args.repeat,
        ),
        "",
        full_replay_ms,
    )
    con = duckdb_connection(raw_full)
    sql = sqlgen.to_sql(model, "duckdb", as_of=as_of) + " ORDER BY lead_id"
    add(
        "peer: the model as SQL (sqlgen) run by DuckDB, every event",
        median_ms(lambda: con.execute(sql).fetchnumpy(), repeat=1),
        "",
        full_replay_ms,
    )
    _check_equal(con.execute(sql).fetchnumpy(), full, full_scores, model)

    summary = {name: round(ms, 1) for name, ms, _, _ in rows}
    print(
        "\njson:",
        json.dumps({"leads": args.leads, "events": data.n_events, "scale": scale, "ms": summary}),
    )


def _check_equal(duck: dict, data: Dataset, scores, model: ScoringModel) -> None:
    order = np.argsort(data.lead_ids)
    diff = float(np.max(np.abs(duck["score"] - scores.score[order])))
    bands_equal = bool(np.all(duck["band"] == scores.band_names(model)[order]))
    print(f"    DuckDB vs engine: max |score difference| {diff:.2e}, bands equal: {bands_equal}")


if __name__ == "__main__":
    main()
