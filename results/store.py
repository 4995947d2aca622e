"""The results store: SQLite, one transaction per record, a schema version in the file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from results.record import RunRecord

SCHEMA_VERSION = 3  # 2 added the datasets table, 3 the tuning tables
APPLICATION = "seqzoo"
DEFAULT_PATH = Path("seqzoo-results") / "seqzoo.sqlite"
RESUME_KEY = ("model", "dataset", "seed", "suite", "hparams_hash")
#: tables beside ``runs``: column definitions, then the primary key. A row written again under
#: the same key replaces the old one, so a retried tuning trial is never counted twice.
TABLES: dict[str, tuple[str, str]] = {
    "datasets": ("fingerprint TEXT, name TEXT, info TEXT", "fingerprint"),
    "tuning_searches": ("search_id TEXT, created_at TEXT, objective TEXT, direction TEXT, "
                        "settings TEXT", "search_id"),
    "tuning_models": ("search_id TEXT, model TEXT, status TEXT, error TEXT, best_trial TEXT, "
                      "best_hparams TEXT, default_hash TEXT, tuned_hash TEXT, "
                      "search_seconds REAL", "search_id, model"),
    "tuning_trials": ("search_id TEXT, model TEXT, trial_id TEXT, tuner_id TEXT, status TEXT, "
                      "score REAL, hparams TEXT, started_at TEXT, wall_seconds REAL, "
                      "message TEXT", "search_id, model, trial_id"),
    "tuning_executions": ("search_id TEXT, model TEXT, trial_id TEXT, execution INTEGER, "
                          "tuner_id TEXT, seed INTEGER, status TEXT, error TEXT, score REAL, "
                          "hparams TEXT, epochs_run INTEGER, history TEXT, started_at TEXT, "
                          "wall_seconds REAL", "search_id, model, trial_id, execution"),
}


def _known(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
    return table


class StoreError(ValueError):
    """A store that cannot be used: unwritable, not a seqzoo database, or a newer schema."""


class Store:
    """A SQLite results store.

    Args:
        path: the database file; created (with its folder) if missing.

    Example:
        >>> store = Store("seqzoo-results/seqzoo.sqlite")
        >>> store.add(record); store.runs(dataset="mr_polarity")
    """

    def __init__(self, path: str | Path = DEFAULT_PATH) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            exists = self.path.exists() and self.path.stat().st_size > 0
            # several tuning workers may write one file: wait for the lock, do not fail
            self._db = sqlite3.connect(self.path, timeout=120)
            if exists:
                self._check()
            else:
                self._create()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"store {self.path} is not a seqzoo database ({error})") from None
        except OSError as error:
            raise StoreError(f"store path {self.path} is not writable ({error.strerror})") from None

    def _create(self) -> None:
        columns = ", ".join(f'"{c}" {t}' for c, t in RunRecord.column_types().items())
        with self._db:  # IF NOT EXISTS: two processes may create the same new file at once
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)",
                                 [("application", APPLICATION),
                                  ("schema_version", str(SCHEMA_VERSION))])
            self._db.execute("CREATE TABLE IF NOT EXISTS runs "
                             f"(id INTEGER PRIMARY KEY AUTOINCREMENT, {columns})")
            self._create_tables()

    def _create_tables(self) -> None:
        for name, (columns, key) in TABLES.items():
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns}, "
                             f"PRIMARY KEY ({key}))")

    def _check(self) -> None:
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError:
            meta = {}
        if meta.get("application") != APPLICATION:
            raise StoreError(f"store {self.path} is not a seqzoo database")
        version = int(meta.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {version}, newer than this "
                             f"seqzoo's {SCHEMA_VERSION}; upgrade seqzoo")
        if version < SCHEMA_VERSION:  # additive migration: new tables only
            with self._db:
                self._create_tables()
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                                 (str(SCHEMA_VERSION),))

    def add(self, record: RunRecord) -> None:
        """Insert one record in its own transaction."""
        self._insert("INSERT", "runs", record.to_row())

    def add_dataset(self, name: str, fingerprint: str, info: dict[str, Any]) -> None:
        """Keep a dataset's provenance (``Dataset.info()``) once per fingerprint."""
        self.put("datasets", {"fingerprint": fingerprint, "name": name,
                              "info": json.dumps(info, sort_keys=True, default=str)})

    def datasets(self) -> dict[str, dict[str, Any]]:
        """Provenance of every dataset seen, keyed by fingerprint."""
        rows = self._db.execute("SELECT fingerprint, info FROM datasets").fetchall()
        return {fingerprint: json.loads(info) for fingerprint, info in rows}

    def put(self, table: str, row: dict[str, Any]) -> None:
        """Insert ``row`` into one of :data:`TABLES`, replacing a row with the same key, in its
        own transaction."""
        self._insert("INSERT OR REPLACE", _known(table), row)

    def rows(self, table: str, **equals: object) -> pd.DataFrame:
        """The rows of one of :data:`TABLES` as a DataFrame, filtered by column equality."""
        return self._select(_known(table), equals)

    def runs(self, **equals: object) -> pd.DataFrame:
        """All runs as a DataFrame, optionally filtered by column equality."""
        frame = self._select("runs", equals)
        if "is_baseline" in frame:
            frame["is_baseline"] = frame["is_baseline"].astype(bool)
        return frame

    def _insert(self, verb: str, table: str, row: dict[str, Any]) -> None:
        names = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        with self._db:
            self._db.execute(f"{verb} INTO {table} ({names}) VALUES ({marks})",
                             list(row.values()))

    def _select(self, table: str, equals: dict[str, object]) -> pd.DataFrame:
        """Rows in insertion order (``runs.id`` is its rowid), filtered by column equality."""
        where = " AND ".join(f'"{k}" = ?' for k in equals)
        query = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "") + " ORDER BY rowid"
        return pd.read_sql_query(query, self._db, params=list(equals.values()))

    def completed(self) -> set[tuple]:
        """Resume keys (model, dataset, seed, suite, hparams_hash) of runs with status ok."""
        cols = ", ".join(f'"{c}"' for c in RESUME_KEY)
        return set(self._db.execute(f"SELECT {cols} FROM runs WHERE status = 'ok'").fetchall())

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
