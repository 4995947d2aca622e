"""The store's tables as SQLAlchemy Core metadata, one definition for SQLite and PostgreSQL.

Schema history (migrations are additive: new tables, new nullable columns):
- 1: ``meta`` and ``runs``;
- 2: ``datasets``;
- 3: the ``tuning_*`` tables;
- 4: the ``cells`` work queue, and the worker columns of :class:`RunRecord` (``worker``,
  ``attempt``, ``threads``, ``gpu``, ``host_mib_at_start``);
- 5: the ``precision`` column of :class:`RunRecord`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from results.record import RunRecord

SCHEMA_VERSION = 5
APPLICATION = "seqzoo"
#: the columns that identify a run for resume, and a queued cell
RESUME_KEY = ("model", "dataset", "seed", "suite", "hparams_hash")

_TYPES: dict[str, type[TypeEngine]] = {"INTEGER": BigInteger, "REAL": Double, "TEXT": Text,
                                       "BOOLEAN": Boolean}

#: tables beside ``runs`` and ``cells``: (column, type) pairs, then the primary key. A row
#: written again under the same key replaces the old one, so a retried tuning trial is never
#: counted twice.
KEYED: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "datasets": ((("fingerprint", "TEXT"), ("name", "TEXT"), ("info", "TEXT")),
                 ("fingerprint",)),
    "tuning_searches": ((("search_id", "TEXT"), ("created_at", "TEXT"), ("objective", "TEXT"),
                         ("direction", "TEXT"), ("settings", "TEXT")), ("search_id",)),
    "tuning_models": ((("search_id", "TEXT"), ("model", "TEXT"), ("status", "TEXT"),
                       ("error", "TEXT"), ("best_trial", "TEXT"), ("best_hparams", "TEXT"),
                       ("default_hash", "TEXT"), ("tuned_hash", "TEXT"),
                       ("search_seconds", "REAL")), ("search_id", "model")),
    "tuning_trials": ((("search_id", "TEXT"), ("model", "TEXT"), ("trial_id", "TEXT"),
                       ("tuner_id", "TEXT"), ("status", "TEXT"), ("score", "REAL"),
                       ("hparams", "TEXT"), ("started_at", "TEXT"), ("wall_seconds", "REAL"),
                       ("message", "TEXT")), ("search_id", "model", "trial_id")),
    "tuning_executions": ((("search_id", "TEXT"), ("model", "TEXT"), ("trial_id", "TEXT"),
                           ("execution", "INTEGER"), ("tuner_id", "TEXT"), ("seed", "INTEGER"),
                           ("status", "TEXT"), ("error", "TEXT"), ("score", "REAL"),
                           ("hparams", "TEXT"), ("epochs_run", "INTEGER"), ("history", "TEXT"),
                           ("started_at", "TEXT"), ("wall_seconds", "REAL")),
                          ("search_id", "model", "trial_id", "execution")),
}

#: the work queue: one row per grid cell, keyed like a run. ``status`` is queued, running,
#: done (an ok record) or failed (a record that is not ok, or a lease lost too often);
#: ``lease_expires`` and the other times are seconds since the epoch on the database's clock.
CELL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("model", "TEXT"), ("dataset", "TEXT"), ("seed", "INTEGER"), ("suite", "TEXT"),
    ("hparams_hash", "TEXT"), ("position", "INTEGER"), ("spec", "TEXT"), ("status", "TEXT"),
    ("attempts", "INTEGER"), ("max_attempts", "INTEGER"), ("worker", "TEXT"),
    ("lease_expires", "REAL"), ("enqueued_at", "REAL"), ("claimed_at", "REAL"),
    ("finished_at", "REAL"), ("error", "TEXT"), ("run_id", "INTEGER"),
)

metadata = MetaData()
meta = Table("meta", metadata, Column("key", Text, primary_key=True), Column("value", Text))
runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *(Column(name, _TYPES[sql]) for name, sql in RunRecord.column_types().items()),
    sqlite_autoincrement=True,
)
cells = Table("cells", metadata, *(Column(n, _TYPES[t]) for n, t in CELL_COLUMNS),
              PrimaryKeyConstraint(*RESUME_KEY))
keyed: dict[str, Table] = {
    name: Table(name, metadata, *(Column(n, _TYPES[t]) for n, t in columns),
                PrimaryKeyConstraint(*key))
    for name, (columns, key) in KEYED.items()
}


def known_table(name: str) -> Table:
    """One of the :data:`KEYED` tables; ``ValueError`` listing them if unknown."""
    if name not in keyed:
        raise ValueError(f"unknown table {name!r}; tables: {', '.join(keyed)}")
    return keyed[name]
