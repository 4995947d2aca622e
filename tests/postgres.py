"""A throwaway PostgreSQL server for the tests: ``initdb`` and ``pg_ctl`` in a temp dir, a Unix
socket and a private port, password authentication over TCP; or an existing server named by
``SEQZOO_TEST_POSTGRES_URL``."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

ENV_URL = "SEQZOO_TEST_POSTGRES_URL"
USER, PASSWORD = "seqzoo", "seqzoo-test"
SKIP_REASON = ("PostgreSQL tests skipped: no initdb/pg_ctl found (looked in $SEQZOO_PG_BIN, "
               "/usr/lib/postgresql/*/bin and PATH). Enable them by installing PostgreSQL "
               "(apt-get install postgresql) or by setting SEQZOO_TEST_POSTGRES_URL="
               "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB for an existing server")


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None``."""
    candidates = [os.environ.get("SEQZOO_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_server(binaries: Path) -> Iterator[URL]:
    """Start a private server; its admin URL; stopped and deleted on exit. As root, the
    server runs as ``nobody`` (``initdb`` refuses root)."""
    root = Path(tempfile.mkdtemp(prefix="seqzoo-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "nobody", "--"]
        shutil.chown(root, "nobody")
    (root / "pw").write_text(PASSWORD)
    port = _free_port()
    data, log = root / "data", root / "log"

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(root / "pw"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100", "start")
        yield URL.create("postgresql+psycopg", USER, PASSWORD, "127.0.0.1", port, "postgres")
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def new_database(admin: URL) -> URL:
    """A new empty database on the server of ``admin``; its URL."""
    name = f"seqzoo_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin.set(database=name)


def configured_url() -> URL | None:
    """``SEQZOO_TEST_POSTGRES_URL`` as a URL, if set."""
    text = os.environ.get(ENV_URL)
    return make_url(text).set(drivername="postgresql+psycopg") if text else None
