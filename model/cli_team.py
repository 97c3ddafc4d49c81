"""`leadscore roles`, `leadscore api-keys` and `leadscore serve`: the commands an IT team
hosting the app for a sales floor runs on the server. Whoever has a shell there holds the
store already, so these are not role-checked; every change they make names its author."""

from __future__ import annotations

import argparse
import json
import sys

DB_HELP = "SQLAlchemy URL (default: LEADSCORE_DB_URL or the user store)"


def add_parsers(sub) -> None:
    """Add the three commands to the `leadscore` parser."""
    _roles_parser(sub)
    _keys_parser(sub)
    serve = sub.add_parser("serve", help="the scoring API over each model's live revision")
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8600)
    serve.add_argument("--workers", type=int, default=1, help="processes (uvicorn workers)")
    serve.set_defaults(run=_serve)


def _store(args: argparse.Namespace):
    from model.cli import _store  # the command's one way to open the store (--db)

    return _store(args)


def _roles_parser(sub) -> None:
    roles = sub.add_parser("roles", help="who may do what once sign-in is configured")
    roles.add_argument("--db", help=DB_HELP)
    verbs = roles.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list", help="every e-mail or domain with a role")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=_roles_list)
    grant = verbs.add_parser("grant", help="give an e-mail or @domain a role (none: remove)")
    grant.add_argument("subject", help="ann@acme.com, or @acme.com for the whole domain")
    grant.add_argument("role", choices=["viewer", "editor", "approver", "none"])
    grant.add_argument("--author", required=True)
    grant.set_defaults(run=_roles_grant)


def _roles_list(args: argparse.Namespace) -> int:
    from model.store.revisions import stamp

    held = _store(args).roles()
    if args.json:
        out = [
            {"subject": s, "role": r, "by": by, "at": at.isoformat()}
            for s, (r, by, at) in held.items()
        ]
        print(json.dumps(out, indent=2))
        return 0
    for subject, (role, by, at) in held.items():
        print(f"{subject:<32}{role:<10}{by:<24}{stamp(at)}")
    return 0


def _roles_grant(args: argparse.Namespace) -> int:
    kept = _store(args).set_role(args.subject, args.role, author=args.author)
    print(f"{kept}: {args.role}")
    return 0


def _keys_parser(sub) -> None:
    keys = sub.add_parser("api-keys", help="keys for the scoring API (kept hashed)")
    keys.add_argument("--db", help=DB_HELP)
    verbs = keys.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list", help="every key, newest first (never the key itself)")
    ls.set_defaults(run=_keys_list)
    create = verbs.add_parser("create", help="a new key, printed once")
    create.add_argument("name", help="what calls with it, e.g. 'website form'")
    create.add_argument("--author", required=True)
    create.set_defaults(run=_keys_create)
    revoke = verbs.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("key_id")
    revoke.add_argument("--author", required=True)
    revoke.set_defaults(run=_keys_revoke)


def _keys_list(args: argparse.Namespace) -> int:
    from model.store.revisions import stamp

    for k in _store(args).api_keys():
        revoked = f"revoked {stamp(k['revoked_at'])}" if k["revoked_at"] else "working"
        print(
            f"{k['key_id']:<10}{k['name']:<28}{k['author']:<24}{stamp(k['created_at'])}  {revoked}"
        )
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    key = _store(args).create_api_key(args.name, author=args.author)
    print(key.token)
    print("Copy it now: only its SHA-256 is kept, it cannot be shown again.", file=sys.stderr)
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    _store(args).revoke_api_key(args.key_id, author=args.author)
    print(f"{args.key_id}: revoked")
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Each worker opens the store from LEADSCORE_DB_URL (set from --db here)."""
    import os

    import uvicorn

    store = _store(args)  # opened (and migrated) once, before any worker starts
    os.environ["LEADSCORE_DB_URL"] = store.url
    print(f"Scoring API on http://{args.host}:{args.port} (store: {store.location}); "
          "OpenAPI at /docs and /openapi.json", flush=True)  # fmt: skip
    uvicorn.run("model.api:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="warning")  # fmt: skip
    return 0
