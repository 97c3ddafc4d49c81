"""The `leadscore` command: make demo data, score leads with a model."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Light at the top (`--help` needs no numpy or pandas; listing revisions or writing SQL
# never loads the engine's numba, scikit-learn or plotly): each command imports what it runs.
from model import cli_team
from model.core import words

if TYPE_CHECKING:  # names in signatures only
    from model.analysis import replay, suggest
    from model.core.dataset import AsOf
    from model.store.revisions import RevisionStore

CONFLICT_EXIT = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; errors exit 2 with one clear line on stderr."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `leadscore score ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except (ValueError, OSError, RuntimeError) as exc:  # data, model, SQL, store errors
        return _failed(args.command, exc)


def _failed(command: str, exc: Exception) -> int:
    """One clear line on stderr: exit 3 when a save was refused because another came first,
    2 for bad input or an unusable store; any other RuntimeError is a bug and raises."""
    from model.store.revisions import Conflict, StoreError

    if isinstance(exc, Conflict):
        print(f"leadscore {command}: {exc}", file=sys.stderr)
        return CONFLICT_EXIT
    if isinstance(exc, RuntimeError) and not isinstance(exc, StoreError):
        raise exc
    print(f"leadscore {command}: error: {exc}", file=sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadscore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser(
        "demo-data", help="write deterministic demo leads.csv and events.csv, kept as Parquet too"
    )
    gen.add_argument("--out", required=True, type=Path, help="folder to write into")
    gen.add_argument("--leads", type=_positive_int, default=20_000, help="number of leads")
    gen.add_argument("--seed", type=int, default=7, help="random seed (same seed, same bytes)")
    gen.set_defaults(run=_demo_data)

    warm = sub.add_parser(
        "warm-up",
        help="prepare the demo set and compile the engine, so the app's first page is quick",
    )
    warm.add_argument(
        "--demo-dir",
        type=Path,
        default=None,
        help="the app's demo folder (default: LEADSCORE_DEMO_DIR, else data/demo)",
    )
    warm.set_defaults(run=_warm_up)

    sc = sub.add_parser("score", help="score leads with a model, as of a decision moment")
    _model_and_data(sc, model_required=False)
    sc.add_argument(
        "--models",
        type=Path,
        metavar="DIR",
        help="a folder of model JSONs instead of --model: one row per lead and model that "
        "applies to it (each model's applies_to), with the model's name",
    )
    sc.add_argument("--out", type=Path, help="CSV to write (default: stdout); never an input")
    sc.add_argument("--force", action="store_true", help="replace an existing --out file")
    sc.add_argument(
        "--engine",
        choices=["python", "duckdb"],
        default="python",
        help="python: the app's engine (in parts when large); duckdb: the SQL "
        "export run by DuckDB, spilling to disk",
    )
    sc.add_argument(
        "--parts",
        type=_positive_int,
        help="score in this many parts (default: one per 256 MB of input)",
    )
    sc.add_argument(
        "--shadow",
        type=_positive_int,
        metavar="N",
        help="also score with revision N of the same model from the store, beside --model "
        "(shadow_score, shadow_band, shadow_revision); it routes nothing",
    )
    sc.add_argument(
        "--db", help="SQLAlchemy URL of the store for --shadow (default: LEADSCORE_DB_URL)"
    )
    sc.set_defaults(run=_score)

    rp = sub.add_parser("replay", help="how the model ranks closed leads, as of the decision")
    _model_and_data(rp)
    rp.add_argument("--compare", type=Path, help="a second model JSON to compare with")
    rp.add_argument("--bucket", type=int, default=10, choices=[5, 10], help="bucket width")
    rp.add_argument("--json", action="store_true", help="print one JSON object")
    rp.set_defaults(run=_replay)
    cal = sub.add_parser("calibrate", help="scores -> calibrated confidence, out of fold")
    _model_and_data(cal)
    cal.add_argument("--method", choices=words.METHODS, default="isotonic")
    cal.add_argument("--folds", type=_positive_int, default=5)
    cal.add_argument("--json", action="store_true", help="print one JSON object")
    cal.set_defaults(run=_calibrate)

    sg = sub.add_parser("suggest", help="points the history suggests, and leakage flags")
    _model_and_data(sg)
    sg.add_argument("--out", type=Path, help="write the suggested model JSON here")
    sg.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="keep a column flagged as recorded after the outcome (repeatable)",
    )
    sg.add_argument(
        "--sales-ready-share",
        type=_share,
        metavar="SHARE",
        help="propose the sales-ready line at this top share of leads (0-1), "
        "instead of where win rates reach twice the average",
    )
    sg.add_argument("--json", action="store_true", help="print one JSON object")
    sg.set_defaults(run=_suggest)
    sq = sub.add_parser("export-sql", help="the model as one SQL query for your warehouse")
    sq.add_argument("--model", required=True, type=Path, help="scoring model JSON")
    sq.add_argument(
        "--dialect",
        choices=list(words.DIALECTS),
        default="duckdb",
        help="; ".join(f"{k}: {v}" for k, v in words.DIALECT_NAMES.items()),
    )
    sq.add_argument("--leads-table", default="leads", help="table of leads (schema.name ok)")
    sq.add_argument("--events-table", default="events", help="table of events")
    sq.add_argument("--as-of", default="created+14d", help="created+Nd or YYYY-MM-DD")
    sq.add_argument("--calibration", type=Path, help="calibration JSON: adds a confidence")
    sq.add_argument(
        "--accounts",
        action="store_true",
        help="the model's account roll-up (one row per account) instead of lead scores",
    )
    sq.add_argument("--out", type=Path, help="file to write (default: stdout)")
    sq.set_defaults(run=_export_sql)
    db = sub.add_parser(
        "export-dbt", help="the model as a dbt model: its SQL, its tests, the calibration seed"
    )
    db.add_argument("--model", required=True, type=Path, help="scoring model JSON")
    db.add_argument("--out", required=True, type=Path, help="the dbt project folder")
    db.add_argument("--name", default="lead_scores", help="the dbt model's name")
    db.add_argument(
        "--dialect",
        choices=list(words.DIALECTS),
        default="duckdb",
        help="the warehouse the dbt project builds in",
    )
    db.add_argument("--as-of", default="created+14d", help="created+Nd or YYYY-MM-DD")
    db.add_argument("--source", help="read source(SOURCE, 'leads'|'events') instead of ref()")
    db.add_argument("--calibration", type=Path, help="calibration JSON: a seed and a confidence")
    db.set_defaults(run=_export_dbt)
    imp = sub.add_parser("import", help="map a CRM export to a dataset the app reads")
    imp.add_argument(
        "--leads", required=True, type=Path, help="CSV (any delimiter), Excel or Parquet"
    )
    imp.add_argument("--sheet", help="the Excel sheet to read (default: the first)")
    imp.add_argument("--events", type=Path, help="an activity log (optional)")
    imp.add_argument(
        "--accounts",
        type=Path,
        help="accounts / companies file whose columns are joined onto each lead (with --on)",
    )
    imp.add_argument(
        "--on",
        metavar="COLUMN[=ACCOUNT_COLUMN]",
        help="the leads' account column, and the accounts' key if named otherwise",
    )
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help=f"roles: {', '.join(words.ROLES)}; events: event_lead_id, "
        "event_occurred_at, event_type. What you map wins over every guess; "
        "ROLE= (nothing after =) leaves the role empty",
    )
    imp.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="leave a column out of the dataset (repeatable)",
    )
    imp.add_argument("--won", help="outcome values meaning won, comma-separated")
    imp.add_argument("--lost", help="outcome values meaning lost, comma-separated")
    imp.add_argument(
        "--missing",
        action="append",
        default=[],
        metavar="TEXT",
        help="another placeholder that means missing (repeatable)",
    )
    imp.add_argument(
        "--missing-created",
        choices=list(words.CREATED_POLICIES),
        default="fallback",
        help="leads without a created date: "
        + "; ".join(f"{k}: {v}" for k, v in words.CREATED_POLICIES.items()),
    )
    imp.add_argument("--name", help="dataset name (default: the file name)")
    imp.add_argument("--out", required=True, type=Path, help="folder to write")
    imp.set_defaults(run=_import)

    st = sub.add_parser("starter-model", help="zero-point criteria from a dataset's columns")
    st.add_argument("--data", required=True, type=Path, help="a dataset folder (or leads file)")
    st.add_argument("--out", required=True, type=Path, help="model JSON to write")
    st.set_defaults(run=_starter)
    _revisions_parser(sub)
    _feedback_parser(sub)
    cli_team.add_parsers(sub)
    cmp = sub.add_parser(
        "compare", help="the live revision against a candidate on recent, closed leads"
    )
    cmp.add_argument("--live", action="store_true", required=True, help="compare with the live one")
    cmp.add_argument("--candidate", required=True, type=_positive_int, help="revision number")
    cmp.add_argument("--leads", required=True, type=Path, help="leads or a dataset folder")
    cmp.add_argument("--events", type=Path, help="events CSV or Parquet")
    cmp.add_argument("--as-of", default="created+14d", help="created+Nd or YYYY-MM-DD")
    cmp.add_argument("--since", help="leads created since YYYY-MM-DD (default: 90 days)")
    cmp.add_argument("--name", help="model name (needed when the store holds several)")
    cmp.add_argument("--db", help="SQLAlchemy URL (default: LEADSCORE_DB_URL or the user store)")
    cmp.add_argument("--json", action="store_true", help="the figures as JSON")
    cmp.set_defaults(run=_compare)
    return parser


def _import(args: argparse.Namespace) -> int:
    from model import services
    from model.ingest import importer, readers

    notes: list[str] = []  # what the reading left out (a report's footer)
    leads = readers.read_any(args.leads, args.leads.name, sheet=args.sheet, notes=notes)
    events = readers.read_any(args.events, args.events.name, notes=notes) if args.events else None
    account_columns: frozenset[str] = frozenset()
    if args.accounts:
        if not args.on:
            raise ValueError("--accounts needs --on COLUMN: the leads' column naming the account")
        accounts = readers.read_any(args.accounts, args.accounts.name, notes=notes)
        lead_key, _, account_key = args.on.partition("=")
        joined = importer.join_accounts(
            leads,
            accounts,
            on=lead_key.strip(),
            key=account_key.strip() or None,
            name=args.accounts.name,
        )
        leads, account_columns = joined.leads, joined.columns
        for line in joined.messages:
            print(f"warning: {line}", file=sys.stderr)
    for line in notes:
        print(f"note: {line}", file=sys.stderr)
    roles, event_roles = _mapped_roles(args.map)
    mapping = importer.guess_mapping(
        leads,
        events,
        mapped=roles,
        events_mapped=event_roles,
        drop=tuple(args.drop),
        attributes_only=account_columns,
    )
    unknown = [c for c in args.drop if c not in leads.columns]
    if unknown:
        raise ValueError(f"--drop names columns the file does not have: {unknown}")
    outcome = mapping.roles.get("outcome")
    if outcome:
        mapping.won = _values(args.won) if args.won else mapping.won
        mapping.lost = _values(args.lost) if args.lost else mapping.lost
    mapping.missing += [m.strip().lower() for m in args.missing]
    mapping.created_policy = args.missing_created
    done = services.import_dataset(
        leads,
        mapping,
        events,
        name=args.name or args.leads.stem,
        leads_name=args.leads.name,
        events_name=args.events.name if args.events else "events",
        out=args.out,
    )
    print(importer.provenance_text(mapping), file=sys.stderr)
    print(done.report.text(), file=sys.stderr)
    if not done.ok:
        return 2
    for line in done.built.facts():
        print(f"note: {line}", file=sys.stderr)
    print(f"wrote {importer.closing_line(done.built.leads)} to {done.folder}", file=sys.stderr)
    _keep_prepared(done.folder)
    return 0


def _mapped_roles(items: list[str]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """--map ROLE=COLUMN items as lead roles and event roles (ROLE= clears a role)."""
    roles: dict[str, str | None] = {}
    events: dict[str, str | None] = {}
    for item in items:
        role, sep, column = item.partition("=")
        role, column = role.strip(), column.strip()
        if not sep:
            raise ValueError(f"--map wants ROLE=COLUMN, got {item!r}")
        if role == "event_type" or role.startswith("event_"):
            events["event_type" if role == "event_type" else role.removeprefix("event_")] = (
                column or None
            )
        elif role in words.ROLES:
            roles[role] = column or None
        else:
            raise ValueError(f"--map: unknown role {role!r} (roles: {', '.join(words.ROLES)})")
    return roles, events


def _values(text: str) -> list[str]:
    return [v.strip().lower() for v in text.split(",") if v.strip()]


def _load(leads: Path, events: Path | None = None):
    """A dataset as every command reads it; what loading found goes to stderr."""
    from model import services

    data = services.open_dataset(leads, events)
    for line in data.notes:
        print(f"note: {line}", file=sys.stderr)
    return data


def _warn_model(data, model) -> None:
    """Event types and attribute levels the model names that the data lacks, on stderr."""
    from model import services

    for line in services.model_warnings(data, model):
        print(f"warning: {line}", file=sys.stderr)


def _as_of(text: str, data) -> AsOf:
    """The as-of policy asked for; a dataset without created dates is scored as it is now."""
    from model import services

    return services.decision_moment(text, data)


def _starter(args: argparse.Namespace) -> int:
    from model.ingest import starter

    data = _load(args.data)
    name = f"Starter model ({args.data.name})"
    model = starter.starter_model(data.leads, events=starter.events_of(data), name=name)
    args.out.write_text(model.to_json())
    print(f"wrote {len(model.criteria)} zero-point criteria to {args.out}", file=sys.stderr)
    return 0


def _export_sql(args: argparse.Namespace) -> int:
    from model.core.dataset import AsOf
    from model.core.spec import load_model
    from model.export import sqlgen

    model = load_model(args.model)
    where = (args.dialect, args.leads_table, args.events_table, AsOf.parse(args.as_of))
    if args.accounts:
        if args.calibration:
            raise ValueError("--accounts scores accounts: a calibration applies to leads only")
        sql = sqlgen.to_sql_accounts(model, *where)
    else:
        sql = sqlgen.to_sql(model, *where, confidence=_calibration_table(args.calibration))
    _write_or_print(sql, args.out)
    return 0


def _write_or_print(text: str, out: Path | None) -> None:
    if out:
        out.write_text(text)
    else:
        print(text, end="")


def _export_dbt(args: argparse.Namespace) -> int:
    from model.core.spec import load_model
    from model.export import dbt

    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"{args.out}: not a folder (the dbt project to write into)")
    files = dbt.write(
        load_model(args.model),
        args.out,
        name=args.name,
        dialect=args.dialect,
        as_of=args.as_of,
        source=args.source,
        confidence=_calibration_table(args.calibration),
    )
    for path in (files.model, files.properties, *files.tests, files.seed):
        if path is not None:
            print(args.out / path)
    return 0


def _calibration_table(path: Path | None):
    """The score -> confidence table of a calibration JSON file, or None without one."""
    if path is None:
        return None
    from model.analysis import calibration

    if not path.is_file():
        raise ValueError(f"{path}: not a calibration file (missing, a folder or a device)")
    return calibration.Calibration.from_json(path.read_bytes()).table


def _feedback_parser(sub) -> None:
    """`leadscore feedback import|list`: reps' verdicts on handed-off leads, append-only."""
    fb = sub.add_parser("feedback", help="sales feedback on handed-off leads (append-only)")
    fb.add_argument("--db", help="SQLAlchemy URL (default: LEADSCORE_DB_URL or the user store)")
    verbs = fb.add_subparsers(dest="verb", required=True)
    imp = verbs.add_parser("import", help="add the verdicts of a CRM export (all or none)")
    imp.add_argument("file", type=Path, help="CSV or Excel: lead id, verdict, reason, ...")
    imp.add_argument("--author", required=True, help="who imports (a rep named in the file wins)")
    imp.set_defaults(run=_feedback_import)
    ls = verbs.add_parser("list", help="every verdict entered, oldest first")
    ls.add_argument("--json", action="store_true", help="one JSON list, for scripts")
    ls.set_defaults(run=_feedback_list)
    for verb in (imp, ls):
        verb.add_argument("--name", help="model name (needed when the store holds several)")


def _feedback_import(args: argparse.Namespace) -> int:
    from model import services

    store = _store(args)
    name = _model_name(store, args.name)
    added = services.import_feedback(store, name, args.file, args.file.name, author=args.author)
    print(f"{name}: {added:,} verdicts added from {args.file}")
    return 0


def _feedback_list(args: argparse.Namespace) -> int:
    from model.store.revisions import stamp

    store = _store(args)
    rows = store.feedback(_model_name(store, args.name))
    if args.json:
        keys = ("lead_id", "verdict", "reason", "note", "author", "live_number")
        out = [
            {**{k: getattr(f, k) for k in keys}, "given_at": f.given_at.isoformat(),
             "entered_at": f.entered_at.isoformat()}
            for f in rows
        ]  # fmt: skip
        print(json.dumps(out, indent=2))
        return 0
    for f in rows:
        print(
            f"{f.lead_id:<16}{f.verdict:<10}{f.reason or '-':<22}{f.author:<16}{stamp(f.given_at)}"
        )
    return 0


def _revisions_parser(sub) -> None:
    """`leadscore revisions list|show|save|live|export`: the app's revision store."""
    rev = sub.add_parser("revisions", help="the append-only revision store the app uses")
    rev.add_argument("--db", help="SQLAlchemy URL (default: LEADSCORE_DB_URL or the user store)")
    verbs = rev.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list", help="every revision, oldest first")
    ls.add_argument("--json", action="store_true", help="one JSON object per model, for scripts")
    ls.set_defaults(run=_rev_list)
    show = verbs.add_parser("show", help="one revision: its notes and what changed")
    show.add_argument("number", type=_positive_int)
    show.add_argument("--json", action="store_true", help="print the model JSON only")
    show.set_defaults(run=_rev_show)
    save = verbs.add_parser("save", help="save a model JSON as a new revision")
    save.add_argument("--model", required=True, type=Path, help="scoring model JSON")
    save.add_argument("--author", required=True)
    save.add_argument("--note", required=True, help="why: what changed and who asked")
    save.add_argument(
        "--parent",
        type=_parent,
        help="the revision it was edited from, or "
        "'latest' (retried a few times when another save wins the race)",
    )
    save.add_argument(
        "--criterion-note",
        action="append",
        default=[],
        metavar="ID=TEXT",
        help="sales feedback on one criterion (repeatable)",
    )
    save.set_defaults(run=_rev_save)
    live = verbs.add_parser("live", help="make a revision the live one")
    live.add_argument("number", type=_positive_int)
    live.add_argument("--author", required=True)
    live.add_argument("--leads", type=Path, help="history for the gate: leads or a dataset folder")
    live.add_argument("--events", type=Path, help="events CSV or Parquet")
    live.add_argument("--as-of", default="created+14d", help="created+Nd or YYYY-MM-DD")
    live.add_argument("--since", help="compare on leads created since YYYY-MM-DD (90 days)")
    live.add_argument("--override", help="make it live although the gate refuses: the reason")
    live.set_defaults(run=_rev_live)
    shadow = verbs.add_parser("shadow", help="run a candidate in shadow beside the live one")
    shadow.add_argument("number", type=_positive_int, nargs="?", help="the candidate revision")
    shadow.add_argument("--stop", action="store_true", help="stop the shadow run")
    shadow.add_argument("--author", required=True)
    shadow.set_defaults(run=_rev_shadow)
    export = verbs.add_parser("export", help="the versioned columns as a workbook or CSV")
    export.add_argument("--xlsx", type=Path, help="Excel workbook to write")
    export.add_argument("--csv", type=Path, help="CSV of the versioned columns to write")
    export.set_defaults(run=_rev_export)
    for verb in (ls, show, live, shadow, export):
        verb.add_argument("--name", help="model name (needed when the store holds several)")


def _score_models(args: argparse.Namespace) -> int:
    """`score --models DIR`: every model of the folder on the leads it applies to."""
    from model.analysis import portfolio
    from model.core.cells import inert_frame
    from model.core.spec import load_model

    if args.shadow or args.engine != "python" or args.parts:
        raise ValueError("--models scores with the python engine in one part, without --shadow")
    files = sorted(args.models.glob("*.json")) if args.models.is_dir() else []
    if not files:
        raise ValueError(f"{args.models}: no model JSON files in this folder")
    models = [load_model(f) for f in files]
    names = [m.name for m in models]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{args.models}: two files hold the model named {twice[0]!r}")
    data = _load(args.leads, args.events)
    as_of = _as_of(args.as_of, data)
    frame = portfolio.score_models(data, models, as_of)
    found = portfolio.overlaps(data, [portfolio.Entry(m.name, "", m) for m in models])
    inert_frame(frame).to_csv(args.out or sys.stdout, index=False, lineterminator="\n")
    print(
        f"scored {data.n_leads:,} leads with {len(models)} models ({len(frame):,} rows, "
        f"{as_of.describe()}); {len(found.leads('overlap')):,} leads claimed by two models "
        f"or more, {found.uncovered:,} by none",
        file=sys.stderr,
    )
    return 0


def _model_and_data(parser: argparse.ArgumentParser, *, model_required: bool = True) -> None:
    """The arguments every scoring command shares: model, leads, events, as-of policy."""
    parser.add_argument("--model", required=model_required, type=Path, help="scoring model JSON")
    parser.add_argument(
        "--leads", required=True, type=Path, help="leads CSV or Parquet, or a dataset folder"
    )
    parser.add_argument("--events", type=Path, help="events CSV or Parquet")
    parser.add_argument("--as-of", default="created+14d", help="created+Nd or YYYY-MM-DD")


def _parent(text: str) -> int | str:
    return "latest" if text.strip().lower() == "latest" else _positive_int(text)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, got {text}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, got {text}")
    return value


@contextlib.contextmanager
def _stdout():
    yield sys.stdout


def _demo_data(args: argparse.Namespace) -> int:
    from model.ingest import demo

    start = time.perf_counter()
    data = demo.generate(args.leads, seed=args.seed)
    leads_path, events_path = demo.write(data, args.out)
    kept = demo.keep_parquet(args.out)  # so the app's first start reads no CSV
    print(
        f"wrote {len(data.leads):,} leads to {leads_path} and {len(data.events):,} events to "
        f"{events_path}, {'and' if kept else 'but not'} kept as Parquet beside them, in "
        f"{time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    _keep_prepared(Path(args.out), tables=kept)
    return 0


def _keep_prepared(folder: Path, tables: dict | None = None) -> None:
    """Prepare a folder just written for the app's first start (checked and indexed once,
    here, instead of while someone waits), saying how long it took."""
    from model.ingest import catalog, prepared

    start = time.perf_counter()
    catalog.keep_prepared(folder, tables=tables)
    took = f"{time.perf_counter() - start:.1f} s"
    where = prepared.cache_folder()
    if catalog.is_prepared(folder):
        print(f"prepared for the app's first start in {took} (kept in {where})", file=sys.stderr)
    else:
        print(
            f"note: no prepared copy could be kept in {where}; the app's first start "
            "checks the dataset itself",
            file=sys.stderr,
        )


def _warm_up(args: argparse.Namespace) -> int:
    from model import services
    from model.ingest import demo

    start = time.perf_counter()
    folder = args.demo_dir or demo.demo_folder()

    def say(_fraction: float, text: str) -> None:
        print(f"  {time.perf_counter() - start:5.1f} s  {text}", file=sys.stderr, flush=True)

    try:
        data = services.warm_up(folder, say)
    except OSError as exc:  # the install goes on: the app's first page prepares it then
        raise OSError(f"cannot prepare the demo set in {folder}: {exc}") from exc
    print(
        f"ready: {data.n_leads:,} demo leads in {folder}, prepared and compiled in "
        f"{time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


def _check_out(out: Path | None, inputs: list[Path | None], force: bool) -> None:
    """An output is never one of the inputs, and replaces an existing file only with --force."""
    if out is None:
        return
    for path in (p for p in inputs if p is not None and p.exists()):
        inside = path.is_dir() and out.resolve().is_relative_to(path.resolve())
        if out.resolve() == path.resolve() or inside:
            raise ValueError(f"--out {out} is an input of this command; pick another file")
    if out.exists() and not force:
        raise ValueError(f"--out {out} exists; pass --force to replace it")


def _score(args: argparse.Namespace) -> int:
    from model import services
    from model.core.cells import inert_frame
    from model.core.dataset import AsOf
    from model.core.spec import load_model
    from model.export import batch
    from model.ingest.catalog import dataset_files

    if (args.model is None) == (args.models is None):
        raise ValueError("give one of --model FILE (one model) or --models DIR (several)")
    _check_out(args.out, [args.leads, args.events, args.model], args.force)
    if args.models is not None:
        return _score_models(args)
    model = load_model(args.model)
    as_of = AsOf.parse(args.as_of)
    leads, events = args.leads, args.events
    if leads.is_dir():
        leads, found = dataset_files(leads)
        events = events or found
    if args.shadow and (args.engine == "duckdb" or (args.parts or 1) > 1):
        raise ValueError(
            "--shadow scores with the python engine in one part: drop --engine/--parts"
        )
    if args.engine == "duckdb":
        n = batch.score_with_duckdb(model, leads, events, as_of, args.out)
        print(f"scored {n:,} leads with DuckDB ({as_of.describe()})", file=sys.stderr)
        return 0
    parts = 1 if args.shadow else args.parts or batch.parts_for(leads, events)
    if parts > 1:
        with open(args.out, "w", newline="") if args.out else _stdout() as out:
            batch.score_in_parts(model, leads, events, as_of, out, parts=parts)
        return 0
    data = _load(leads, events)
    as_of = _as_of(args.as_of, data)
    _warn_model(data, model)
    frame = services.score_dataset(data, model, as_of)
    if args.shadow:
        frame = services.with_shadow(frame, data, _store(args), model, args.shadow, as_of)
    if args.out:
        inert_frame(frame).to_csv(args.out, index=False, lineterminator="\n")
        print(f"scored {len(frame):,} leads ({as_of.describe()}) into {args.out}", file=sys.stderr)
    else:
        inert_frame(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _replay(args: argparse.Namespace) -> int:
    import pandas as pd

    from model import services
    from model.analysis import suggest
    from model.core.hits import build_hits
    from model.core.spec import load_model

    models = {"A": load_model(args.model)}
    if args.compare:
        models["B"] = load_model(args.compare)
    full = _load(args.leads, args.events)
    as_of = _as_of(args.as_of, full)
    data = services.at_decision(full, as_of, models["A"])
    for m in models.values():
        _warn_model(full, m)
    reports = {
        k: services.replay_report(data, m, as_of, width=args.bucket) for k, m in models.items()
    }
    out = _replay_json(reports["A"])
    out["leakage"] = _leak_records(suggest.leakage(data, build_hits(data, models["A"], as_of)))
    if "B" in reports:
        out["compare"] = _replay_json(reports["B"])
        out["compare"]["delta_auc"] = out["compare"]["auc"] - out["auc"]
        compared = services.compare(reports["A"], reports["B"], models["A"], models["B"], data)
        if compared.newest is not None:  # the same two models on the newest closed leads
            newest = compared.newest
            out["compare"]["newest"] = {
                "leads": compared.newest_leads,
                **json.loads(newest.to_json(orient="index")),
            }
    if args.json:
        print(json.dumps(_no_nan(out), indent=2, allow_nan=False))
    else:
        _print_replay(out, as_of, data.n_leads)
        _print_leaks(pd.DataFrame(out["leakage"], columns=suggest.LEAK_COLUMNS))
    return 0


def _closed_replay(args: argparse.Namespace):
    """Model, data scoped to the as-of policy, and its hits: what calibrate and suggest use."""
    from model import services
    from model.core.hits import build_hits
    from model.core.spec import load_model

    model = load_model(args.model)
    full = _load(args.leads, args.events)
    as_of = _as_of(args.as_of, full)
    data = services.at_decision(full, as_of, model)
    _warn_model(full, model)
    return model, data, build_hits(data, model, as_of), as_of


def _calibrate(args: argparse.Namespace) -> int:
    from model.analysis import calibration, suggest
    from model.core.scoring import score

    model, data, hits, as_of = _closed_replay(args)
    rep = calibration.calibrate(data, score(hits, model), method=args.method, folds=args.folds)
    table = calibration.confidence_table(rep.calibration)
    leaks = suggest.leakage(data, hits)
    if args.json:
        out = {
            **rep.metrics,
            "baseline": rep.baseline,
            "table": table[
                ["scores", "confidence", "closed_leads", "won", "interval", "low", "high"]
            ].to_dict("records"),
            "fitted_on": rep.calibration.describe(),
            "backtests": list(rep.backtests),
            "leakage": _leak_records(leaks),
        }
        print(json.dumps(_no_nan(out), indent=2, allow_nan=False))
        return 0
    print(
        f"Calibration ({rep.calibration.describe()}), {as_of.describe()}; "
        f"out of fold, {args.folds} folds:"
    )
    print(f"{'':<22}{'Brier':>8}{'log loss':>10}{'ECE':>8}")
    for name, m in (("calibrated", rep.metrics), ("baseline score/100", rep.baseline)):
        print(f"{name:<22}{m['brier']:>8.4f}{m['log_loss']:>10.4f}{m['ece']:>8.4f}")
    for b in rep.backtests:
        m = b["metrics"]
        print(
            f"  {b['measured']}: Brier {m['brier']:.4f}, log loss {m['log_loss']:.4f}, ECE "
            f"{m['ece']:.4f} (score/100: Brier {b['baseline']['brier']:.4f}); "
            f"{b['won']:,} won, {b['lost']:,} lost"
        )
    print("\nscores  confidence  closed leads  won, 95 % interval")
    for row in table.itertuples():
        print(f"{row.scores:<8}{row.confidence:<12}{row.closed_leads or 0:>12,}  {row.interval}")
    _print_leaks(leaks)
    return 0


def _suggest(args: argparse.Namespace) -> int:
    import numpy as np

    from model.analysis import backtest, suggest

    model, data, hits, as_of = _closed_replay(args)
    result = suggest.suggest(
        data, hits, model, keep=frozenset(args.keep), sales_ready_share=args.sales_ready_share
    )
    ceiling = suggest.ceiling_auc(data, as_of, exclude=suggest.left_out(result.leaks))
    if args.out:
        args.out.write_text(result.model.to_json())
    if args.json:
        print(json.dumps(_no_nan(_suggest_json(result, ceiling)), indent=2, allow_nan=False))
        return 0
    print(f"Suggested model on closed leads, {as_of.describe()}:")
    for e in result.evaluations:
        print(
            f"  AUC {e.description}: current {e.current:.3f}, suggested {e.suggested:.3f} "
            f"(unrounded fit {e.unrounded:.3f}), boosted ceiling {ceiling.get(e.how, np.nan):.3f}"
            f"; measured on {e.won:,} won and {e.lost:,} lost"
        )
        if e.noise:
            print(
                f"  warning: under {backtest.NOISE} won or lost leads measured on: these "
                "figures are noise"
            )
    low, high = result.clipped
    print(
        f"  baseline {result.model.baseline:g} points; {low:.1%} of leads below 0 and "
        f"{high:.1%} above 100 before the clip"
    )
    print("Proposed bands (current start -> suggested start: share of leads, win rate):")
    for b in result.bands.itertuples():
        won = f"{b.win_rate:6.1%} won" if b.closed_leads else "no closed leads"
        print(
            f"  {b.band:<10} {b.current_from:>3} -> {b.suggested_from:>3}: {b.share:6.1%} of "
            f"leads, {won}{'  (sales-ready)' if b.sales_ready else ''}"
        )
    print("Criteria (current -> suggested points; closed leads hit, win rate, 95 % interval):")
    for r in result.table.itertuples():
        print(
            f"  {r.current:>+6g} -> {r.suggested:>+6g}  {r.label}  ({r.closed_leads:,} leads, "
            f"{r.win_rate:.1%} won, {r.low:.1%}-{r.high:.1%})"
        )
    for label in result.dropped:
        print(f"  not in the suggestion: {label}")
    _print_leaks(result.leaks)
    if args.out:
        print(f"wrote the suggested model to {args.out}", file=sys.stderr)
    return 0


def _suggest_json(result: suggest.Suggestion, ceiling: dict[str, float]) -> dict:

    head = result.headline
    return {
        "auc_current": head.current,
        "auc_suggested": head.suggested,
        "auc_unrounded": head.unrounded,
        "auc_ceiling": ceiling.get(head.how),
        "evaluations": [
            {**vars(e), "noise": e.noise, "ceiling": ceiling.get(e.how)} for e in result.evaluations
        ],
        "baseline": result.model.baseline,
        "clipped_low": result.clipped[0],
        "clipped_high": result.clipped[1],
        "bands": result.bands.to_dict("records"),
        "points": result.table.to_dict("records"),
        "dropped": list(result.dropped),
        "leakage": _leak_records(result.leaks),
    }


def _no_nan(value):
    """JSON has no NaN: a figure that cannot be computed is null."""
    import numpy as np

    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def _leak_records(leaks) -> list[dict]:
    return json.loads(leaks.to_json(orient="records"))


def _print_leaks(leaks) -> None:
    from model.analysis import suggest

    for line in suggest.leak_lines(leaks):
        print(f"warning: {line}")


def _replay_json(rep: replay.Report) -> dict:
    """The figures of one replay as plain JSON-ready values (NaN kept as null)."""

    def records(frame) -> list[dict]:
        return json.loads(frame.to_json(orient="records"))

    return {
        "auc": rep.summary["auc"],
        "lift_top10": rep.summary["lift_top10"],
        "capture_top10": rep.summary["capture_top10"],
        "lift_top20": rep.summary["lift_top20"],
        "capture_top20": rep.summary["capture_top20"],
        "bands": records(rep.bands),
        "buckets": records(rep.buckets.drop(columns="start")),
        "falling_buckets": [list(p) for p in rep.falling],
    }


def _print_replay(out: dict, as_of: AsOf, n_leads: int) -> None:

    print(f"Replay of {n_leads:,} leads, {as_of.describe()}; win rates of closed leads.")
    for key, figures in [("A", out), *([("B", out["compare"])] if "compare" in out else [])]:
        print(
            f"\nModel {key}: AUC {figures['auc']:.3f}, top 10 %: lift "
            f"{figures['lift_top10']:.2f}, {figures['capture_top10']:.1%} of wins"
        )
        print(f"{'band':<8}{'leads':>10}{'won':>8}{'win rate':>10}{'revenue won':>16}")
        for b in figures["bands"]:
            rate = "-" if b["win_rate"] is None else f"{b['win_rate']:.1%}"
            revenue = "-" if b["revenue_won"] is None else f"{b['revenue_won']:,.0f}"  # no values
            print(f"{b['band']:<8}{b['leads']:>10,}{b['won']:>8,}{rate:>10}{revenue:>16}")
        print(f"{'bucket':<8}{'closed':>10}{'won':>8}{'win rate':>10}")
        for b in figures["buckets"]:
            rate = "-" if b["win_rate"] is None else f"{b['win_rate']:.1%}"
            print(f"{b['bucket']:<8}{b['leads']:>10,}{b['won']:>8,}{rate:>10}")
        for low, high in figures["falling_buckets"]:
            print(f"warning: win rate falls from bucket {low} to {high}")


def _store(args: argparse.Namespace) -> RevisionStore:
    from model.store.revisions import RevisionStore

    return RevisionStore(args.db)


def _model_name(store: RevisionStore, name: str | None) -> str:
    """The --name given, or the only model in the store."""

    names = store.model_names()
    if name:
        if name not in names:
            raise ValueError(f"no model named {name!r} in {store.location} (has: {names})")
        return name
    if len(names) == 1:
        return names[0]
    if not names:
        raise ValueError(f"{store.location} holds no revisions yet")
    raise ValueError(f"{store.location} holds several models, pick one with --name: {names}")


def _rev_list(args: argparse.Namespace) -> int:
    from model.store.revisions import stamp

    store = _store(args)
    names = [args.name] if args.name else store.model_names()
    if args.json:
        print(json.dumps([_revisions_json(store, name) for name in names], indent=2))
        names = []
    for name in names:
        print(name)
        for r in store.revisions(name):
            parent = f"from v{r.parent}" if r.parent else "first"
            print(
                f"  {r.label:<5}{r.status:<9}{stamp(r.created_at):<22}{r.author:<16}"
                f"{parent:<9}{r.note}"
            )
    for problem in store.unreadable.values():
        print(f"leadscore revisions: warning: {problem}; listed without it", file=sys.stderr)
    return 0


def _revisions_json(store: RevisionStore, name: str) -> dict:
    """One model's revisions as plain values: what `revisions list` prints, for scripts."""
    return {
        "model": name,
        "revisions": [
            {"number": r.number, "status": r.status, "author": r.author, "parent": r.parent,
             "created_at": r.created_at.isoformat(), "note": r.note,
             "live_since": r.live_since.isoformat() if r.live_since else None}
            for r in store.revisions(name)
        ],
    }  # fmt: skip


def _rev_show(args: argparse.Namespace) -> int:
    from model.store import columns as versions

    store = _store(args)
    r = store.get(_model_name(store, args.name), args.number)
    if args.json:
        print(r.model.to_json(), end="")
        return 0
    print(f"{r.model_name} {r.describe()}")
    if r.parent:
        print(f"changes from v{r.parent}:")
        parent = store.get(r.model_name, r.parent).model
        for line in versions.diff_models(parent, r.model, r.criterion_notes) or ["none"]:
            print(f"  {line}")
    for c in r.model.criteria:
        print(f"  {c.points:>+6g}  {c.label}  [{versions.describe_rule(c.rule)}]")
    return 0


def _rev_save(args: argparse.Namespace) -> int:
    from model import services
    from model.core.spec import load_model
    from model.store.revisions import Conflict

    notes = {}
    for item in args.criterion_note:
        cid, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"--criterion-note wants ID=TEXT, got {item!r}")
        notes[cid.strip()] = text
    store, model = _store(args), load_model(args.model)
    try:
        r = services.save_revision(
            store,
            model,
            author=args.author,
            note=args.note,
            parent=args.parent,
            criterion_notes=notes,
        )
    except Conflict as exc:
        hint = "" if args.parent == "latest" else " (or pass --parent latest)"
        raise Conflict(f"{exc} Run the save again{hint}.", exc.latest) from None
    print(
        f"saved {r.model_name} {r.label} (draft); make it live with "
        f"`leadscore revisions live {r.number} --author NAME`"
    )
    return 0


GATE_EXIT = 4  # the gate refused: the candidate is worse than the live revision


def _compare(args: argparse.Namespace) -> int:
    """Champion vs challenger: exit 0 when the candidate would pass the gate, 4 when not."""
    import pandas as pd

    from model import services
    from model.analysis import challenge

    store = _store(args)
    name = _model_name(store, args.name)
    if store.live(name) is None:
        print(f"no revision of {name} is live: nothing to compare with", file=sys.stderr)
        return 2
    data = _load(args.leads, args.events)
    since = pd.Timestamp(args.since) if args.since else challenge.default_since(data)
    candidate = store.get(name, args.candidate).model
    found = services.challenge_live(store, data, name, candidate, _as_of(args.as_of, data), since)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        print(found.table().to_string(index=False, float_format=lambda x: f"{x:.3f}"))
        print("; ".join(found.refusals) or "the candidate passes the gate")
    if not found.enough:
        print(
            f"only {found.leads:,} closed leads in the period: the figures are noise",
            file=sys.stderr,
        )
    return 0 if found.passed else GATE_EXIT


def _rev_live(args: argparse.Namespace) -> int:
    """Make a revision live through the gate: with a live revision already, the candidate
    is compared with it on the history given (--leads), refused with exit 4 and the
    figures when worse beyond its interval, unless --override gives a reason."""
    import pandas as pd

    from model import services
    from model.analysis import challenge
    from model.store.revisions import Decision

    store = _store(args)
    name = _model_name(store, args.name)
    if store.live(name) is not None and args.leads is None and not args.override:
        print(
            f"{name} {store.live(name).label} is live: the gate compares the candidate with it "
            "on history; pass --leads (and --events), or --override REASON",
            file=sys.stderr,
        )
        return 2
    data = _load(args.leads, args.events) if args.leads else None
    if data is None:
        first = store.live(name) is None  # recorded as the app records it: a first go-live
        decision = Decision("no_live", args.override or "", {}) if first else None
        r = store.make_live(
            name, args.number, author=args.author, decision=decision or _override(args.override)
        )
        why = f"override: {args.override}" if args.override else "nothing was live to compare with"
        print(f"{r.model_name} {r.label} is live ({why})")
        return 0
    as_of = _as_of(args.as_of, data)
    since = pd.Timestamp(args.since) if args.since else challenge.default_since(data)
    try:
        r, found = services.gated_make_live(
            store, data, name, args.number, author=args.author, as_of=as_of, since=since,
            override=args.override,
        )  # fmt: skip
    except services.GateRefused as refused:
        print(json.dumps(refused.challenge.to_dict(), indent=2))
        print(f"Not made live: {refused}. Use --override REASON to go ahead.", file=sys.stderr)
        return GATE_EXIT
    if found is not None:
        print(json.dumps(found.to_dict(), indent=2))
    print(f"{r.model_name} {r.label} is live", file=sys.stderr if found else sys.stdout)
    return 0


def _rev_shadow(args: argparse.Namespace) -> int:
    """Mark a candidate as shadow (it scores beside the live revision), or --stop."""
    if (args.number is None) == (not args.stop):
        raise ValueError("give the revision to run in shadow, or --stop (not both)")
    store = _store(args)
    name = _model_name(store, args.name)
    store.set_shadow(name, None if args.stop else args.number, author=args.author)
    print(f"{name}: shadow run stopped" if args.stop else f"{name} v{args.number} runs in shadow")
    return 0


def _override(reason: str | None):
    from model.store.revisions import Decision

    return Decision("override", reason, {}) if reason else None


def _rev_export(args: argparse.Namespace) -> int:
    from model.core.cells import inert_frame
    from model.store import columns as versions

    if not args.xlsx and not args.csv:
        raise ValueError("say where to write: --xlsx FILE and/or --csv FILE")
    store = _store(args)
    columns = versions.versioned_columns(store.revisions(_model_name(store, args.name)))
    if args.xlsx:
        args.xlsx.write_bytes(versions.workbook(columns))
    if args.csv:
        inert_frame(columns.table).to_csv(args.csv, index=False, lineterminator="\n")
    written = " and ".join(str(p) for p in (args.xlsx, args.csv) if p)
    print(f"wrote {len(columns.revisions)} revisions to {written}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
