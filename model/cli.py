"""The `leadscore` command: make demo data, score leads with a model."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from model import demo
from model.features import AsOf, build_hits
from model.io import DataError, load_dataset
from model.scoring import score, scored_frame
from model.spec import ModelError, load_model


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; errors exit 2 with one clear line on stderr."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `leadscore score ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except (ModelError, DataError, ValueError, OSError) as exc:
        print(f"leadscore {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadscore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("demo-data", help="write deterministic demo leads.csv and events.csv")
    gen.add_argument("--out", required=True, type=Path, help="folder to write into")
    gen.add_argument("--leads", type=_positive_int, default=20_000, help="number of leads")
    gen.add_argument("--seed", type=int, default=7, help="random seed (same seed, same bytes)")
    gen.set_defaults(run=_demo_data)

    sc = sub.add_parser("score", help="score leads with a model, as of a decision moment")
    sc.add_argument("--model", required=True, type=Path, help="scoring model JSON")
    sc.add_argument("--leads", required=True, type=Path, help="leads CSV or Parquet")
    sc.add_argument("--events", type=Path, help="events CSV or Parquet")
    sc.add_argument("--as-of", default="created+14d", help="created+Nd or YYYY-MM-DD")
    sc.add_argument("--out", type=Path, help="CSV to write (default: stdout)")
    sc.set_defaults(run=_score)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def _demo_data(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    data = demo.generate(args.leads, seed=args.seed)
    leads_path, events_path = demo.write(data, args.out)
    print(
        f"wrote {len(data.leads):,} leads to {leads_path} and {len(data.events):,} events to "
        f"{events_path} in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


def _score(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    as_of = AsOf.parse(args.as_of)
    data = load_dataset(args.leads, args.events)
    scores = score(build_hits(data, model, as_of), model)
    frame = scored_frame(data.lead_ids, scores, model)
    if args.out:
        frame.to_csv(args.out, index=False, lineterminator="\n")
        print(f"scored {len(frame):,} leads ({as_of.describe()}) into {args.out}", file=sys.stderr)
    else:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
