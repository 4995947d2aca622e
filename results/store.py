"""The results store: SQLite, one transaction per record, a schema version in the file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from results.record import RunRecord

SCHEMA_VERSION = 2  # 2 added the datasets table
APPLICATION = "seqzoo"
DEFAULT_PATH = Path("seqzoo-results") / "seqzoo.sqlite"
RESUME_KEY = ("model", "dataset", "seed", "suite", "hparams_hash")
DATASETS_TABLE = ("CREATE TABLE IF NOT EXISTS datasets "
                  "(fingerprint TEXT PRIMARY KEY, name TEXT, info TEXT)")


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
            self._db = sqlite3.connect(self.path)
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
        with self._db:
            self._db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.executemany("INSERT INTO meta VALUES (?, ?)",
                                 [("application", APPLICATION),
                                  ("schema_version", str(SCHEMA_VERSION))])
            self._db.execute(f"CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, {columns})")
            self._db.execute(DATASETS_TABLE)

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
        if version < SCHEMA_VERSION:  # additive migration from version 1
            with self._db:
                self._db.execute(DATASETS_TABLE)
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                                 (str(SCHEMA_VERSION),))

    def add(self, record: RunRecord) -> None:
        """Insert one record in its own transaction."""
        row = record.to_row()
        names = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        with self._db:
            self._db.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", list(row.values()))

    def add_dataset(self, name: str, fingerprint: str, info: dict[str, Any]) -> None:
        """Keep a dataset's provenance (``Dataset.info()``) once per fingerprint."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO datasets VALUES (?, ?, ?)",
                             (fingerprint, name, json.dumps(info, sort_keys=True, default=str)))

    def datasets(self) -> dict[str, dict[str, Any]]:
        """Provenance of every dataset seen, keyed by fingerprint."""
        rows = self._db.execute("SELECT fingerprint, info FROM datasets").fetchall()
        return {fingerprint: json.loads(info) for fingerprint, info in rows}

    def runs(self, **equals: object) -> pd.DataFrame:
        """All runs as a DataFrame, optionally filtered by column equality."""
        where = " AND ".join(f'"{k}" = ?' for k in equals)
        query = "SELECT * FROM runs" + (f" WHERE {where}" if where else "") + " ORDER BY id"
        frame = pd.read_sql_query(query, self._db, params=list(equals.values()))
        if "is_baseline" in frame:
            frame["is_baseline"] = frame["is_baseline"].astype(bool)
        return frame

    def completed(self) -> set[tuple]:
        """Resume keys (model, dataset, seed, suite, hparams_hash) of runs with status ok."""
        cols = ", ".join(f'"{c}"' for c in RESUME_KEY)
        return set(self._db.execute(f"SELECT {cols} FROM runs WHERE status = 'ok'").fetchall())

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
