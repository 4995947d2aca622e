"""The record schema and the SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from results.record import STATUSES, RunRecord, hparams_hash
from results.schema import KEYED as TABLES
from results.store import SCHEMA_VERSION, Store, StoreError


def _record(**kw) -> RunRecord:
    base = dict(model="lstm", dataset="mr_polarity", seed=0, suite="smoke", backend="tensorflow",
                device="cpu", hparams_hash="abc", accuracy=0.75, params=1000)
    return RunRecord(**{**base, **kw})


def test_schema_is_flat_and_typed() -> None:
    types = RunRecord.column_types()
    assert list(types) == RunRecord.columns()
    assert types["seed"] == "INTEGER" and types["accuracy"] == "REAL" and types["model"] == "TEXT"
    for required in ("model", "dataset", "seed", "suite", "backend", "device", "status", "error",
                     "accuracy", "macro_f1", "mae", "rmse", "rel_mae", "params", "train_seconds",
                     "train_samples_per_s", "latency_p50_ms", "latency_p95_ms",
                     "infer_samples_per_s", "peak_host_mib", "peak_device_mib",
                     "flops_per_sample", "achieved_gflops", "kernel", "hparams",
                     "keras_version", "backend_version", "python_version", "device_name",
                     "git_revision", "dataset_fingerprint", "started_at", "hparams_hash"):
        assert required in types
    assert all(isinstance(v, (str, int, float, bool, type(None)))
               for v in _record().to_row().values())


def test_bad_status_rejected() -> None:
    with pytest.raises(ValueError, match="status='lost' is not allowed"):
        _record(status="lost")
    assert STATUSES == ("ok", "failed", "diverged", "oom", "timeout")


def test_hparams_hash_is_stable_and_order_free() -> None:
    assert hparams_hash({"a": 1, "b": 2}) == hparams_hash({"b": 2, "a": 1})
    assert hparams_hash({"a": 1}) != hparams_hash({"a": 2})


def test_round_trip(tmp_path) -> None:
    store = Store(tmp_path / "sub" / "s.sqlite")
    store.add(_record())
    store.add(_record(model="gru", status="failed", error="ValueError: boom", accuracy=None))
    frame = Store(tmp_path / "sub" / "s.sqlite").runs()
    assert list(frame["model"]) == ["lstm", "gru"]
    assert frame.loc[0, "accuracy"] == 0.75 and frame.loc[0, "params"] == 1000
    assert frame.loc[1, "error"] == "ValueError: boom"
    assert list(store.runs(model="gru")["status"]) == ["failed"]


def test_a_store_opened_without_create_reads_a_missing_file_as_empty(tmp_path) -> None:
    """``--dry-run`` opens the store this way: nothing is written, not even the folder."""
    missing = tmp_path / "new" / "s.sqlite"
    store = Store(missing, create=False)
    assert store.runs().empty and store.completed() == set() and store.path == missing
    assert not missing.parent.exists()
    Store(missing).add(_record())
    assert list(Store(missing, create=False).runs()["model"]) == ["lstm"]


def test_a_store_opened_without_create_writes_no_schema_on_either_dialect(
        store_location) -> None:
    """An empty PostgreSQL database stays empty under ``--dry-run``, as a missing file stays
    missing; once a run has made the store, the same call reads it."""
    store = Store(store_location, create=False)
    assert store.runs().empty and store.completed() == set()
    if store_location.endswith(".sqlite"):
        assert not Path(store_location).exists()
    else:
        engine = create_engine(store_location)
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == []
        engine.dispose()
    Store(store_location).add(_record())
    assert list(Store(store_location, create=False).runs()["model"]) == ["lstm"]


def test_completed_keys_only_ok(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.add(_record(seed=0))
    store.add(_record(seed=1, status="failed", error="x"))
    assert store.completed() == {("lstm", "mr_polarity", 0, "smoke", "abc", "tensorflow", "cpu")}


def test_not_a_seqzoo_database(tmp_path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="is not a seqzoo database"):
        Store(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="is not a seqzoo database"):
        Store(junk)


def test_newer_schema_refused(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                   (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer than this seqzoo"):
        Store(path)


def test_unwritable_path(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="is not writable"):
        Store(blocker / "s.sqlite")


def test_older_schema_gains_the_new_tables_and_keeps_its_runs(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).add(_record())
    with sqlite3.connect(path) as db:  # make it a version-2 store: no tuning tables
        for table in TABLES:
            if table.startswith("tuning_"):
                db.execute(f"DROP TABLE {table}")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store = Store(path)
    assert len(store.runs()) == 1 and store.rows("tuning_trials").empty
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),)


def test_put_replaces_a_row_with_the_same_key(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    row = {"search_id": "s", "model": "lstm", "trial_id": "0", "status": "RUNNING"}
    store.put("tuning_trials", row)
    store.put("tuning_trials", {**row, "status": "COMPLETED"})
    assert list(store.rows("tuning_trials")["status"]) == ["COMPLETED"]
    with pytest.raises(ValueError, match="unknown table 'trials'"):
        store.put("trials", row)
