"""The SQL export on DuckDB at 1M leads / 10M events, against a hand-written query of the
same model on the same tables, and what a warehouse would scan per run at 10x that.

Run with `make bench-sql` (or `python bench/bench_sql.py --leads 200000` for a quick look).
The tables are DuckDB's own (as a warehouse holds them), not pandas frames scanned through
a view. Times scoring into a table; prints medians after a warm-up and each line's ratio to the hand-written query;
nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scoring import make_data, median_ms

from model.core.dataset import AsOf
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel, default_model
from model.export import sqlgen

# The default model as a data engineer who knows the demo data would write it for DuckDB:
# levels compared as they are stored (no trimming, no case folding, no placeholders),
# booleans read as booleans, one decay weight per event. The floor: 0.5 x 75 = 37.5.
HAND_WRITTEN = """
WITH ev AS (
  SELECT e.lead_id, e.event_type,
    CAST(epoch_ns(l.created_at) + 14 * 86400000000000 - epoch_ns(e.occurred_at) AS DOUBLE) AS age
  FROM events e JOIN leads l USING (lead_id)
  WHERE e.event_type IN ('pricing_page_view', 'product_page_view', 'demo_request',
    'webinar_attended', 'ebook_download', 'whitepaper_download', 'newsletter_signup',
    'email_click_offer', 'email_open_info', 'social_follow', 'careers_page_view')
), per AS (
  SELECT lead_id, event_type, sum(pow(2, -age / (60 * 86400000000000))) AS d, count(*) AS r
  FROM ev WHERE age > 0 GROUP BY ALL
), eng AS (
  SELECT lead_id,
    6 * least(sum(CASE WHEN event_type = 'pricing_page_view' THEN d ELSE 0 END), 3)
    + 2 * least(sum(CASE WHEN event_type = 'product_page_view' THEN d ELSE 0 END), 5)
    + 20 * least(sum(CASE WHEN event_type = 'demo_request' THEN d ELSE 0 END), 1)
    + 8 * least(sum(CASE WHEN event_type = 'webinar_attended' THEN d ELSE 0 END), 2)
    + 4 * least(sum(CASE WHEN event_type IN ('ebook_download', 'whitepaper_download') THEN d ELSE 0 END), 3)
    + 3 * least(sum(CASE WHEN event_type = 'newsletter_signup' THEN d ELSE 0 END), 1)
    + 5 * least(sum(CASE WHEN event_type = 'email_click_offer' THEN d ELSE 0 END), 3)
    + 1 * least(sum(CASE WHEN event_type = 'email_open_info' THEN d ELSE 0 END), 5)
    + 3 * least(sum(CASE WHEN event_type = 'social_follow' THEN d ELSE 0 END), 1)
    - 10 * least(sum(CASE WHEN event_type = 'careers_page_view' THEN d ELSE 0 END), 1) AS decayed,
    6 * least(sum(CASE WHEN event_type = 'pricing_page_view' THEN r ELSE 0 END), 3)
    + 2 * least(sum(CASE WHEN event_type = 'product_page_view' THEN r ELSE 0 END), 5)
    + 20 * least(sum(CASE WHEN event_type = 'demo_request' THEN r ELSE 0 END), 1)
    + 8 * least(sum(CASE WHEN event_type = 'webinar_attended' THEN r ELSE 0 END), 2)
    + 4 * least(sum(CASE WHEN event_type IN ('ebook_download', 'whitepaper_download') THEN r ELSE 0 END), 3)
    + 3 * least(sum(CASE WHEN event_type = 'newsletter_signup' THEN r ELSE 0 END), 1)
    + 5 * least(sum(CASE WHEN event_type = 'email_click_offer' THEN r ELSE 0 END), 3)
    + 1 * least(sum(CASE WHEN event_type = 'email_open_info' THEN r ELSE 0 END), 5)
    + 3 * least(sum(CASE WHEN event_type = 'social_follow' THEN r ELSE 0 END), 1)
    - 10 * least(sum(CASE WHEN event_type = 'careers_page_view' THEN r ELSE 0 END), 1) AS undecayed
  FROM per GROUP BY lead_id
), parts AS (
  SELECT l.lead_id,
    least(
      (CASE WHEN industry IN ('Software', 'SaaS', 'IT Services') THEN 10 ELSE 0 END)
      + (CASE WHEN industry = 'Financial Services' THEN 5 ELSE 0 END)
      + (CASE WHEN employees BETWEEN 200 AND 5000 THEN 8 ELSE 0 END)
      + (CASE WHEN employees >= 5001 THEN 5 ELSE 0 END)
      + (CASE WHEN annual_revenue >= 10000000 THEN 4 ELSE 0 END)
      + (CASE WHEN job_level IN ('C-level', 'VP', 'Director') THEN 8 ELSE 0 END)
      + (CASE WHEN job_function IN ('IT', 'Operations', 'Engineering') THEN 4 ELSE 0 END)
      + (CASE WHEN country IN ('United States', 'Canada', 'United Kingdom', 'Germany')
         THEN 3 ELSE 0 END)
      + (CASE WHEN budget_confirmed THEN 8 ELSE 0 END)
      + (CASE WHEN decision_maker THEN 6 ELSE 0 END)
      + (CASE WHEN need = 'High' THEN 5 ELSE 0 END)
      + (CASE WHEN timeline = '0-3 months' THEN 6 ELSE 0 END)
      + (CASE WHEN job_level = 'Student' THEN -15 ELSE 0 END)
      + (CASE WHEN email_type = 'competitor' THEN -30 ELSE 0 END)
      + (CASE WHEN email_type = 'personal' THEN -5 ELSE 0 END), 50) AS fit,
    greatest(least(coalesce(decayed, 0), 50), least(coalesce(undecayed, 0), 37.5)) AS engagement
  FROM leads l LEFT JOIN eng USING (lead_id)
)
SELECT lead_id, fit, engagement, least(greatest(fit + engagement, 0), 100) AS score,
  CASE WHEN fit + engagement >= 75 THEN 'A' WHEN fit + engagement >= 50 THEN 'B' ELSE 'C' END
    AS band
FROM parts
"""

# BigQuery's logical bytes per value (its on-demand price is per byte scanned): 8 for a
# number or a time, 1 for a boolean, 2 + the UTF-8 length for a string.
FIXED_BYTES = {"BIGINT": 8, "DOUBLE": 8, "TIMESTAMP": 8, "BOOLEAN": 1, "INTEGER": 8}


def scanned_bytes(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> float:
    """Logical bytes a warehouse reads for `columns` of `table`, BigQuery's way."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
    total = 0.0
    for column in columns:
        kind = types[column]
        if kind in FIXED_BYTES:
            total += FIXED_BYTES[kind] * con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        else:
            length = f"sum(2 + octet_length(CAST({column} AS VARCHAR)::BLOB))"
            total += con.execute(f"SELECT {length} FROM {table}").fetchone()[0]
    return total


def materialise(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Score into a table, as a warehouse run does (fetching 1M rows into Python would
    time the fetch, not the query)."""
    con.execute(f"CREATE OR REPLACE TABLE scores AS {sql}")


def read_columns(model: ScoringModel) -> tuple[list[str], list[str]]:
    attrs = sorted({c.rule.attribute for c in model.criteria if not c.on_events})
    return ["lead_id", "created_at", *attrs], ["lead_id", "occurred_at", "event_type"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raw, data = make_data(args.leads, args.events, seed=1)
    con = duckdb.connect()
    con.register("l0", raw.leads)
    con.register("e0", raw.events)
    con.execute("CREATE TABLE leads AS SELECT * FROM l0")
    con.execute("CREATE TABLE events AS SELECT * FROM e0")
    model = default_model()
    print(f"data: {data.n_leads:,} leads, {data.n_events:,} events (DuckDB tables)")

    hand_ms = median_ms(lambda: materialise(con, HAND_WRITTEN), repeat=args.repeat)
    rows = [("hand-written DuckDB query of the default model", hand_ms)]
    for as_of in ("created+14d", "2026-03-01"):
        sql = sqlgen.to_sql(model, "duckdb", as_of=as_of)
        ms = median_ms(lambda sql=sql: materialise(con, sql), repeat=args.repeat)
        rows.append((f"sqlgen's query, as of {as_of}", ms))
        _check(con, sql, data, model, AsOf.parse(as_of))
    _check(con, HAND_WRITTEN, data, model, AsOf.parse("created+14d"), name="hand-written")
    start = time.perf_counter()
    sqlgen.to_sql(model, "bigquery")
    rows.append(("writing the query (sqlglot, BigQuery)", 1e3 * (time.perf_counter() - start)))
    print(f"\n{'work':58} {'median':>10} {'x hand':>8}")
    for name, ms in rows:
        print(f"{name:58} {ms:8.0f} ms {ms / hand_ms:7.2f}x")

    lead_cols, event_cols = read_columns(model)
    scale = 10_000_000 / data.n_leads
    leads_gb = scanned_bytes(con, "leads", lead_cols) * scale / 1e9
    events_gb = scanned_bytes(con, "events", event_cols) * (100_000_000 / data.n_events) / 1e9
    print(
        f"\nscanned per run at 10M leads / 100M events (logical bytes, BigQuery's way): "
        f"leads {leads_gb:.2f} GB ({len(lead_cols)} columns), events {events_gb:.2f} GB, "
        f"total {leads_gb + events_gb:.2f} GB"
    )


def _check(con, sql, data, model, as_of, name="sqlgen") -> None:
    got = con.execute(f"SELECT lead_id, score FROM ({sql}) ORDER BY lead_id").fetchnumpy()
    engine = score(build_hits(data, model, as_of), model)
    order = np.argsort(data.lead_ids)
    diff = float(np.max(np.abs(got["score"] - engine.score[order])))
    print(f"  {name} vs engine, {as_of.describe()}: max |score difference| {diff:.1e}")


if __name__ == "__main__":
    main()
