"""The work queue in the store: grid cells as rows, claimed by workers under a lease.

``enqueue`` writes a grid's cells as queued rows, keyed by the resume key. A worker ``claim``-s
one cell atomically and, while it runs, renews its lease with ``heartbeat``; ``complete`` writes
the record and the cell's done mark in one transaction, and only while the worker still holds
the lease, so no cell is ever stored twice. A lease that expires (the worker was killed, or its
machine lost) puts the cell back in the queue, up to the cell's ``max_attempts``; after that the
cell fails with the reason. ``release`` hands held cells back (Ctrl-C).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, func, select, tuple_, update

from results import schema
from results.record import RunRecord, utc_now
from results.schema import RESUME_KEY

#: cells written per INSERT (SQLite allows 32,766 bound values a statement)
_CHUNK = 500


@dataclass(frozen=True)
class Cell:
    """One grid cell: a run's resume key, and what a worker needs to run it.

    Attributes:
        spec: plain data the worker reads: ``budget`` and ``hparams`` dicts, ``backend``,
            ``device`` and ``data_dir``.
        attempts: how many times the cell has been claimed, this claim included.
    """

    model: str
    dataset: str
    seed: int
    suite: str
    hparams_hash: str
    spec: dict[str, Any] = field(default_factory=dict, compare=False)
    attempts: int = field(default=0, compare=False)

    @property
    def key(self) -> tuple:
        """The resume key: (model, dataset, seed, suite, hparams_hash)."""
        return (self.model, self.dataset, self.seed, self.suite, self.hparams_hash)

    def label(self) -> str:
        """``model / dataset / seed N``, as progress lines name a cell."""
        return f"{self.model} / {self.dataset} / seed {self.seed}"


def failed_record(cell: Cell, error: str, status: str = "failed", **fields: Any) -> RunRecord:
    """The record of a cell whose worker never produced one (``failed``: a crash or a lost
    lease; ``timeout``; ``oom``), built from the cell alone."""
    spec = cell.spec
    return RunRecord(
        model=cell.model, dataset=cell.dataset, seed=cell.seed, suite=cell.suite,
        backend=spec.get("backend", ""), device=spec.get("device", ""),
        hparams_hash=cell.hparams_hash, status=status, error=error,
        started_at=utc_now(),
        hparams=json.dumps(spec.get("hparams") or {}, sort_keys=True),
        budget=json.dumps(spec.get("budget") or {}, sort_keys=True),
        attempt=cell.attempts, **fields)


def insert_run(connection: Connection, record: RunRecord) -> int:
    """Insert ``record`` on ``connection``'s transaction; its row id."""
    result = connection.execute(schema.runs.insert().values(**record.to_row()))
    return int(result.inserted_primary_key[0])


def _is(cell: Cell) -> Any:
    """WHERE clause matching ``cell``'s row."""
    return and_(*(schema.cells.c[k] == v for k, v in zip(RESUME_KEY, cell.key, strict=True)))


def _held(cell: Cell, worker: str) -> Any:
    """WHERE clause matching ``cell``'s row while ``worker`` holds it."""
    return and_(_is(cell), schema.cells.c.worker == worker, schema.cells.c.status == "running")


def _cell(row: Any) -> Cell:
    return Cell(row.model, row.dataset, row.seed, row.suite, row.hparams_hash,
                json.loads(row.spec or "{}"), row.attempts or 0)


class WorkQueue:
    """Queue operations of :class:`results.store.Store` (which provides ``engine`` and
    ``dialect``)."""

    engine: Any
    dialect: Any

    def enqueue(self, cells: Sequence[Cell], max_attempts: int = 2) -> None:
        """Write ``cells`` as queued rows, in order. A cell already queued, running or done
        is left alone; a failed one is queued again with its attempts reset."""
        if max_attempts < 1:
            raise ValueError(f"max attempts {max_attempts} is not allowed; use 1 or more")
        table = schema.cells
        with self.dialect.write(self.engine) as connection:
            now = connection.execute(select(self.dialect.now())).scalar_one()
            start = connection.execute(select(func.coalesce(func.max(table.c.position), 0))
                                       ).scalar_one() + 1
            rows = [{**dict(zip(RESUME_KEY, cell.key, strict=True)), "position": start + i,
                     "spec": json.dumps(cell.spec, sort_keys=True), "status": "queued",
                     "attempts": 0, "max_attempts": max_attempts, "enqueued_at": now}
                    for i, cell in enumerate(cells)]
            for i in range(0, len(rows), _CHUNK):
                chunk = rows[i:i + _CHUNK]
                connection.execute(self.dialect.insert_new(table, chunk, RESUME_KEY))
                keys = [tuple(r[k] for k in RESUME_KEY) for r in chunk]
                connection.execute(
                    update(table).where(tuple_(*(table.c[k] for k in RESUME_KEY)).in_(keys),
                                        table.c.status == "failed")
                    .values(status="queued", attempts=0, max_attempts=max_attempts,
                            worker=None, error=None, lease_expires=None, enqueued_at=now))

    def claim(self, worker: str, lease_s: float, keys: Iterable[tuple] | None = None
              ) -> Cell | None:
        """Claim the first queued cell (of ``keys`` only, if given) for ``worker`` for
        ``lease_s`` seconds; ``None`` if none is queued. Expired leases are reaped first."""
        table = schema.cells
        with self.dialect.write(self.engine) as connection:
            self._reap(connection)
            query = select(table).where(table.c.status == "queued")
            if keys is not None:
                query = query.where(tuple_(*(table.c[k] for k in RESUME_KEY)).in_(list(keys)))
            row = connection.execute(self.dialect.claimable(
                query.order_by(table.c.position).limit(1))).first()
            if row is None:
                return None
            cell = _cell(row)
            now = self.dialect.now()
            connection.execute(update(table).where(_is(cell)).values(
                status="running", worker=worker, attempts=table.c.attempts + 1,
                lease_expires=now + lease_s, claimed_at=now))
            return Cell(*cell.key, cell.spec, cell.attempts + 1)

    def _reap(self, connection: Connection) -> None:
        """Requeue cells whose lease expired; fail those out of attempts, with a record."""
        table = schema.cells
        expired = connection.execute(self.dialect.claimable(
            select(table).where(table.c.status == "running",
                                table.c.lease_expires < self.dialect.now()))).all()
        for row in expired:
            cell = _cell(row)
            if row.attempts < row.max_attempts:
                connection.execute(update(table).where(_is(cell)).values(
                    status="queued", worker=None, lease_expires=None))
                continue
            error = (f"WorkerLost: the lease of worker {row.worker} expired on attempt "
                     f"{row.attempts} of {row.max_attempts} (killed, or its machine lost)")
            run_id = insert_run(connection, failed_record(cell, error, worker=row.worker))
            connection.execute(update(table).where(_is(cell)).values(
                status="failed", error=error, run_id=run_id, lease_expires=None,
                finished_at=self.dialect.now()))

    def heartbeat(self, cell: Cell, worker: str, lease_s: float) -> bool:
        """Renew ``worker``'s lease on ``cell``; ``False`` if it no longer holds it."""
        table = schema.cells
        with self.dialect.write(self.engine) as connection:
            result = connection.execute(update(table).where(
                _held(cell, worker))
                .values(lease_expires=self.dialect.now() + lease_s))
            return result.rowcount == 1

    def complete(self, cell: Cell, worker: str, record: RunRecord) -> bool:
        """Store ``record`` and mark ``cell`` done (or failed) in one transaction, if
        ``worker`` still holds it; ``False`` (nothing written) if its lease was lost."""
        table = schema.cells
        with self.dialect.write(self.engine) as connection:
            held = connection.execute(select(table.c.worker).where(
                _held(cell, worker))
                .with_for_update()).first()
            if held is None:
                return False
            run_id = insert_run(connection, record)
            connection.execute(update(table).where(_is(cell)).values(
                status="done" if record.status == "ok" else "failed", error=record.error,
                run_id=run_id, lease_expires=None, finished_at=self.dialect.now()))
            return True

    def release(self, cells: Iterable[Cell], worker: str) -> None:
        """Hand ``worker``'s ``cells`` back to the queue, this claim not counted."""
        table = schema.cells
        with self.dialect.write(self.engine) as connection:
            for cell in cells:
                connection.execute(update(table).where(
                    _held(cell, worker))
                    .values(status="queued", worker=None, lease_expires=None,
                            attempts=table.c.attempts - 1))

    def expire(self, cells: Iterable[Cell], worker: str) -> None:
        """End ``worker``'s leases on ``cells`` now (a worker known to be dead), so the next
        claim requeues or fails them without waiting out the lease."""
        table = schema.cells
        with self.dialect.write(self.engine) as connection:
            for cell in cells:
                connection.execute(update(table).where(
                    _held(cell, worker))
                    .values(lease_expires=self.dialect.now() - 1))

    def cells(self, keys: Iterable[tuple] | None = None, status: str | None = None
              ) -> list[tuple[Cell, str, str | None]]:
        """``(cell, status, worker)`` of every queue row (of ``keys`` and ``status`` only, if
        given), in queue order."""
        table = schema.cells
        query = select(table).order_by(table.c.position)
        if status is not None:
            query = query.where(table.c.status == status)
        if keys is not None:
            query = query.where(tuple_(*(table.c[k] for k in RESUME_KEY)).in_(list(keys)))
        with self.engine.connect() as connection:
            return [(_cell(row), row.status, row.worker)
                    for row in connection.execute(query).all()]

    def durations(self) -> pd.DataFrame:
        """``model``, ``dataset``, ``hparams_hash``, ``suite``, ``run_id`` and ``seconds``
        (claim to done) of every finished cell."""
        table = schema.cells
        query = select(table.c.model, table.c.dataset, table.c.hparams_hash, table.c.suite,
                       table.c.run_id,
                       (table.c.finished_at - table.c.claimed_at).label("seconds")).where(
            table.c.status == "done", table.c.claimed_at.is_not(None),
            table.c.finished_at.is_not(None))
        with self.engine.connect() as connection:
            return pd.read_sql_query(query, connection)

    def records(self, keys: Iterable[tuple]) -> list[RunRecord]:
        """The stored records of the finished cells among ``keys``, in queue order."""
        cells, runs = schema.cells, schema.runs
        query = (select(runs).join(cells, cells.c.run_id == runs.c.id)
                 .where(tuple_(*(cells.c[k] for k in RESUME_KEY)).in_(list(keys)))
                 .order_by(cells.c.position))
        with self.engine.connect() as connection:
            return [RunRecord.from_row(row._asdict())
                    for row in connection.execute(query).all()]
