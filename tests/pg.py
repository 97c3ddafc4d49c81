"""A throwaway PostgreSQL server for the SQL-equality tests (Debian's postgresql package).

CI installs the package (.ci/run); on a developer's machine without it the tests that need
a server are skipped, saying why. In CI (CI=true) a server that cannot start is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, newest PostgreSQL first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server() -> Iterator[str]:
    """Start a server in a fresh folder under the system temp folder (one the postgres user
    can reach) on a free loopback port; yield its SQLAlchemy URL, then stop and remove it."""
    folder = Path(tempfile.mkdtemp(prefix="leadscore-pg-"))
    try:
        yield from _serve(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _serve(folder: Path) -> Iterator[str]:
    bindir = binaries()
    if bindir is None:
        raise RuntimeError(
            "no PostgreSQL server binaries (initdb) on this machine; "
            "`apt-get install postgresql` provides them"
        )
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    _run(
        [
            *run_as,
            bindir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run(
        [*run_as, bindir / "pg_ctl", "-D", data, "-o", options, "-w", "-l", folder / "log", "start"]
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )


def _run(command: list) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(
            f"{Path(command[-1 if len(command) < 5 else 4]).name} failed: "
            f"{(done.stderr or done.stdout).strip()[-300:]}"
        )


PG_TYPES = {
    "object": "TEXT",
    "string": "TEXT",
    "str": "TEXT",
    "category": "TEXT",
    "int64": "BIGINT",
    "float64": "DOUBLE PRECISION",
    "bool": "BOOLEAN",
}


def load_frame(url: str, name: str, frame: pd.DataFrame) -> None:
    """Create table `name` with the frame's columns and COPY the rows in."""
    import psycopg

    columns = []
    for col, dtype in frame.dtypes.items():
        kind = "TIMESTAMP" if str(dtype).startswith("datetime64") else PG_TYPES[str(dtype)]
        columns.append(f'"{col}" {kind}')
    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        conn.execute(f'CREATE TABLE "{name}" ({", ".join(columns)})')
        with conn.cursor().copy(f'COPY "{name}" FROM STDIN WITH (FORMAT csv, HEADER true)') as cp:
            # \r\n lines: fields holding a lone \r or \n are then quoted, as COPY wants
            cp.write(
                frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S.%f", lineterminator="\r\n")
            )


def query(url: str, sql: str) -> pd.DataFrame:
    """Run exported SQL as a warehouse client would, with no parameters: SQLAlchemy's
    text() would read a value such as ':0' inside a string literal as a bind parameter."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        cur = conn.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def fresh_database(url: str, name: str) -> str:
    """A new empty database on the server at `url`; its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"
