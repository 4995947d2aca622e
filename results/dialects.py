"""What differs between SQLite and PostgreSQL, in one place: one small class per dialect with the
same names (how to open, how to take the write lock, the database clock, claiming, upserts).

SQLite serialises writers with ``BEGIN IMMEDIATE`` (the write lock is taken when the
transaction starts, so a claim never upgrades a read lock and deadlocks); PostgreSQL claims with
``SELECT ... FOR UPDATE SKIP LOCKED`` so workers never wait on each other's rows. Lease times
always come from the database's clock, never a worker's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, create_engine, event, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.sql.elements import ColumnElement

#: seconds a SQLite writer waits for the lock before giving up
SQLITE_BUSY_SECONDS = 120
#: seconds to wait for a PostgreSQL server before giving up
CONNECT_TIMEOUT_SECONDS = 10


class Dialect:
    """The SQLite dialect; :class:`Postgres` overrides what differs."""

    name = "sqlite"
    insert = staticmethod(sqlite.insert)  # the dialect's INSERT with ON CONFLICT

    def engine(self, url: URL) -> Engine:
        """An engine whose write transactions start with ``BEGIN IMMEDIATE``."""
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, not pysqlite's

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            write = connection.get_execution_options().get("seqzoo_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextlib.contextmanager
    def write(self, engine: Engine) -> Iterator[Connection]:
        """A write transaction: committed on exit, rolled back on error."""
        with engine.connect() as connection:
            connection.execution_options(seqzoo_write=True)
            with connection.begin():
                yield connection

    def lock_schema(self, connection: Connection) -> None:
        """Serialise schema creation and migration (``BEGIN IMMEDIATE`` already does)."""

    def now(self) -> ColumnElement[float]:
        """The database clock, in seconds since the epoch."""
        return literal_column("((julianday('now') - 2440587.5) * 86400.0)")

    def claimable(self, select: Select) -> Select:
        """``select`` of queue rows made safe to claim under concurrency."""
        return select  # the transaction already holds SQLite's only write lock

    def upsert(self, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> Any:
        """INSERT that replaces the row with the same ``keys``."""
        statement = self.insert(table).values(list(rows))
        return statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: statement.excluded[c] for c in rows[0] if c not in keys})

    def insert_new(self, table: Table, rows: Sequence[dict[str, Any]],
                   keys: Sequence[str]) -> Any:
        """INSERT that keeps an existing row with the same ``keys``."""
        return self.insert(table).values(list(rows)).on_conflict_do_nothing(
            index_elements=list(keys))


class Postgres(Dialect):
    """PostgreSQL through psycopg 3."""

    name = "postgresql"
    insert = staticmethod(postgresql.insert)

    def engine(self, url: URL) -> Engine:
        """An engine that gives up on an unreachable server after a few seconds."""
        return create_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})

    @contextlib.contextmanager
    def write(self, engine: Engine) -> Iterator[Connection]:
        """A write transaction (READ COMMITTED; claims lock their rows)."""
        with engine.begin() as connection:
            yield connection

    def lock_schema(self, connection: Connection) -> None:
        """A transaction-scoped advisory lock, so two processes never migrate at once."""
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('seqzoo-schema'))")

    def now(self) -> ColumnElement[float]:
        """The server's clock (the real time, not the transaction's start)."""
        return literal_column("CAST(extract(epoch from clock_timestamp()) AS double precision)")

    def claimable(self, select: Select) -> Select:
        """Lock the chosen row and skip rows other workers are claiming."""
        return select.with_for_update(skip_locked=True)


DIALECTS: dict[str, Dialect] = {"sqlite": Dialect(), "postgresql": Postgres()}
