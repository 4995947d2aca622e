"""The results store: SQLAlchemy 2 Core over SQLite (a path, the default) or PostgreSQL (a URL).

Both give the same schema, the same migrations and the same DataFrames. The work queue that
hands grid cells to workers lives in the same database (see :mod:`results.queue`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, inspect, select, tuple_
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError

from results import schema
from results.dialects import DIALECTS
from results.queue import WorkQueue, insert_run
from results.record import RunRecord
from results.schema import APPLICATION, RESUME_KEY, SCHEMA_VERSION, known_table

DEFAULT_PATH = Path("seqzoo-results") / "seqzoo.sqlite"
URL_HELP = "a file path (SQLite), sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"

__all__ = ["DEFAULT_PATH", "RESUME_KEY", "SCHEMA_VERSION", "Store", "StoreError"]


class StoreError(ValueError):
    """A store that cannot be used: a bad URL, an unreachable server, refused credentials, an
    unwritable path, a database that is not seqzoo's, or a newer schema."""


def parse_location(location: str | Path) -> URL:
    """The SQLAlchemy URL of a store given as a path or a URL; :class:`StoreError` if neither."""
    text_ = str(location)
    if "://" not in text_:
        return URL.create("sqlite", database=text_)
    try:
        url = make_url(text_)
    except (ArgumentError, ValueError):
        raise StoreError(f"store {text_!r} is not a valid URL; use {URL_HELP}") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend not in DIALECTS:
        raise StoreError(f"store URL dialect {backend!r} is not supported; use {URL_HELP}")
    if backend == "postgresql" and "+" in url.drivername and driver != "psycopg":
        raise StoreError(f"store URL driver {driver!r} is not supported; seqzoo talks to "
                         "PostgreSQL through psycopg 3: postgresql+psycopg://...")
    if backend == "sqlite" and not url.database:
        raise StoreError("store sqlite:// has no file; workers share a store through a file: "
                         "sqlite:///PATH")
    return url


class Store(WorkQueue):
    """A results store: runs, dataset provenance, tuning rows and the work queue.

    Args:
        location: a SQLite file path (created with its folder if missing) or a database URL
            (``sqlite:///PATH``, ``postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB``).
        create: ``False`` reads a SQLite file that does not exist, or a database without
            tables, as an empty store held in memory, and creates neither file, folder nor
            schema: for ``--dry-run``, which writes nothing.

    Example:
        >>> store = Store("seqzoo-results/seqzoo.sqlite")
        >>> store.add(record); store.runs(dataset="mr_polarity")
    """

    def __init__(self, location: str | Path = DEFAULT_PATH, create: bool = True) -> None:
        url = parse_location(location)
        self.dialect = DIALECTS[url.get_backend_name()]
        #: where the store is, for messages: the file path, or the URL without its password
        self.path: Path | str = (Path(url.database) if self.dialect.name == "sqlite"
                                 else url.render_as_string(hide_password=True))
        try:
            in_memory = not create and self._empty(url)
            if in_memory:  # the empty store is read from memory, in SQLite
                self.dialect = DIALECTS["sqlite"]
            elif isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = self.dialect.engine(URL.create("sqlite") if in_memory else url)
            with self.dialect.write(self.engine) as connection:
                self.dialect.lock_schema(connection)
                self._open(connection)
        except OSError as error:
            raise StoreError(f"store path {self.path} is not writable ({error.strerror})"
                             ) from None
        except SQLAlchemyError as error:
            raise self._error(error) from None

    def _empty(self, url: URL) -> bool:
        """Whether the store does not exist yet: a missing SQLite file, or a database without
        tables. Looking writes nothing."""
        if isinstance(self.path, Path):
            return not self.path.exists()
        engine = self.dialect.engine(url)
        try:
            with engine.connect() as connection:
                return not inspect(connection).get_table_names()
        finally:
            engine.dispose()

    def _error(self, error: SQLAlchemyError) -> StoreError:
        """One line for why the database could not be opened."""
        reason = str(getattr(error, "orig", None) or error).strip()
        lines = [line.strip() for line in reason.splitlines() if line.strip()]
        first = lines[0].removeprefix("connection failed: ") if lines else type(error).__name__
        if self.dialect.name == "sqlite":
            if isinstance(error, OperationalError) and "unable to open" in first:
                return StoreError(f"store path {self.path} is not writable ({first})")
            if isinstance(error, DatabaseError):
                return StoreError(f"store {self.path} is not a seqzoo database ({first})")
        return StoreError(f"cannot open store {self.path}: {first}")

    def _open(self, connection: Connection) -> None:
        """Create the schema in an empty database, check a seqzoo one, migrate an older one."""
        tables = set(inspect(connection).get_table_names())
        if "meta" not in tables:
            if tables:
                raise StoreError(f"store {self.path} is not a seqzoo database (it holds tables "
                                 f"{', '.join(sorted(tables)[:5])}); use a new file or database")
            schema.metadata.create_all(connection)
            connection.execute(schema.meta.insert(), [
                {"key": "application", "value": APPLICATION},
                {"key": "schema_version", "value": str(SCHEMA_VERSION)}])
            return
        meta = dict(connection.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
        if meta.get("application") != APPLICATION:
            raise StoreError(f"store {self.path} is not a seqzoo database")
        version = int(meta.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {version}, newer than this "
                             f"seqzoo's {SCHEMA_VERSION}; upgrade seqzoo")
        if version < SCHEMA_VERSION:
            self._migrate(connection)

    def _migrate(self, connection: Connection) -> None:
        """Additive migration: missing tables are created, missing ``runs`` columns added."""
        schema.metadata.create_all(connection)
        have = {c["name"] for c in inspect(connection).get_columns("runs")}
        for column in schema.runs.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f'ALTER TABLE runs ADD COLUMN "{column.name}" {kind}')
        connection.execute(schema.meta.update().where(schema.meta.c.key == "schema_version")
                           .values(value=str(SCHEMA_VERSION)))

    # -- runs and keyed tables ------------------------------------------------------------------

    def add(self, record: RunRecord) -> int:
        """Insert one record in its own transaction; its row id."""
        with self.dialect.write(self.engine) as connection:
            return insert_run(connection, record)

    def add_dataset(self, name: str, fingerprint: str, info: dict[str, Any]) -> None:
        """Keep a dataset's provenance (``Dataset.info()``) once per fingerprint."""
        self.put("datasets", {"fingerprint": fingerprint, "name": name,
                              "info": json.dumps(info, sort_keys=True, default=str)})

    def datasets(self) -> dict[str, dict[str, Any]]:
        """Provenance of every dataset seen, keyed by fingerprint."""
        table = schema.keyed["datasets"]
        with self.engine.connect() as connection:
            rows = connection.execute(select(table.c.fingerprint, table.c.info)).all()
        return {fingerprint: json.loads(info) for fingerprint, info in rows}

    def put(self, table: str, row: dict[str, Any]) -> None:
        """Insert ``row`` into one of the keyed tables, replacing a row with the same key, in
        its own transaction."""
        target = known_table(table)
        keys = [c.name for c in target.primary_key.columns]
        with self.dialect.write(self.engine) as connection:
            connection.execute(self.dialect.upsert(target, [row], keys))

    def rows(self, table: str, **equals: object) -> pd.DataFrame:
        """The rows of one of the keyed tables as a DataFrame, filtered by column equality, in
        key order."""
        target = known_table(table)
        return self._frame(target, equals, list(target.primary_key.columns))

    def runs(self, **equals: object) -> pd.DataFrame:
        """All runs, in the order they were stored, optionally filtered by column equality."""
        frame = self._frame(schema.runs, equals, [schema.runs.c.id])
        frame["is_baseline"] = frame["is_baseline"].astype(bool)
        return frame

    def _frame(self, table: Any, equals: dict[str, object], order: list[Any]) -> pd.DataFrame:
        query = select(table).where(*(table.c[k] == v for k, v in equals.items()))
        with self.engine.connect() as connection:
            return pd.read_sql_query(query.order_by(*order), connection)

    def completed(self) -> set[tuple]:
        """Resume keys (model, dataset, seed, suite, hparams_hash) of runs with status ok,
        each followed by the backend and device kind the run recorded."""
        runs = schema.runs
        with self.engine.connect() as connection:
            rows = connection.execute(select(*(runs.c[k] for k in (*RESUME_KEY, "backend",
                                                                   "device")))
                                      .where(runs.c.status == "ok")).all()
        return {tuple(row) for row in rows}

    def retire(self, ids: list[int]) -> int:
        """Delete the runs ``ids`` and their queue cells in one transaction, so that a grid
        planned next runs those cells again (a reference row whose model code changed); how
        many runs were deleted."""
        if not ids:
            return 0
        runs, cells = schema.runs, schema.cells
        with self.dialect.write(self.engine) as connection:
            keys = [tuple(row) for row in connection.execute(
                select(*(runs.c[k] for k in RESUME_KEY)).where(runs.c.id.in_(ids))).all()]
            if keys:
                connection.execute(delete(cells).where(
                    tuple_(*(cells.c[k] for k in RESUME_KEY)).in_(keys)))
            return connection.execute(delete(runs).where(runs.c.id.in_(ids))).rowcount

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

