"""The store on both dialects: same rows and DataFrames, the work queue's claims, leases,
completion and release, concurrent claimers, bad URLs and migration of a v3 file."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time

import pandas as pd
import pytest

from results.queue import Cell
from results.record import RunRecord
from results.schema import SCHEMA_VERSION
from results.store import Store, StoreError


def _cells(n: int, suite: str = "q") -> list[Cell]:
    return [Cell("lstm", "mr_polarity", seed, suite, "h1",
                 {"budget": {"epochs": 1}, "backend": "tensorflow", "device": "cpu"})
            for seed in range(n)]


def _record(cell: Cell, **kw) -> RunRecord:
    return RunRecord(model=cell.model, dataset=cell.dataset, seed=cell.seed, suite=cell.suite,
                     backend="tensorflow", device="cpu", hparams_hash=cell.hparams_hash,
                     accuracy=0.5 + cell.seed / 100, params=10, **kw)


def test_same_rows_and_frames_on_both_dialects(tmp_path, postgres_url) -> None:
    frames = []
    for location in (str(tmp_path / "s.sqlite"), postgres_url):
        store = Store(location)
        for cell in _cells(3):
            store.add(_record(cell))
        store.put("tuning_trials", {"search_id": "s", "model": "m", "trial_id": "1",
                                    "status": "RUNNING"})
        store.put("tuning_trials", {"search_id": "s", "model": "m", "trial_id": "1",
                                    "status": "COMPLETED", "score": 0.5})
        store.add_dataset("mr_polarity", "fp", {"source": "x"})
        assert store.completed() == {("lstm", "mr_polarity", s, "q", "h1", "tensorflow", "cpu")
                                     for s in range(3)}
        assert store.datasets() == {"fp": {"source": "x"}}
        assert list(store.rows("tuning_trials")["status"]) == ["COMPLETED"]
        frames.append((store.runs().drop(columns=["started_at"]), store.rows("tuning_trials")))
        store.close()
    pd.testing.assert_frame_equal(frames[0][0], frames[1][0], check_dtype=False)
    pd.testing.assert_frame_equal(frames[0][1], frames[1][1], check_dtype=False)


def test_claims_follow_queue_order_and_complete_once(store_location) -> None:
    store = Store(store_location)
    cells = _cells(3)
    store.enqueue(cells)
    store.enqueue(cells)  # enqueueing again changes nothing
    assert [status for _, status, _ in store.cells()] == ["queued"] * 3
    first = store.claim("w1", 60)
    second = store.claim("w2", 60, keys=[cells[2].key])
    assert (first.seed, first.attempts, second.seed) == (0, 1, 2)
    assert store.heartbeat(first, "w1", 60) and not store.heartbeat(first, "w2", 60)
    assert not store.complete(first, "w2", _record(first))  # not w2's cell: nothing written
    assert store.complete(first, "w1", _record(first))
    assert not store.complete(first, "w1", _record(first))  # already done
    store.release([second], "w2")
    statuses = {c.seed: (status, c.attempts) for c, status, _ in store.cells()}
    assert statuses == {0: ("done", 1), 1: ("queued", 0), 2: ("queued", 0)}
    assert len(store.runs()) == 1
    assert [r.seed for r in store.records([c.key for c in cells])] == [0]


def test_durations_are_claim_to_done_of_finished_cells_only(store_location) -> None:
    store = Store(store_location)
    cells = _cells(2)
    store.enqueue(cells)
    first = store.claim("w1", 60)
    time.sleep(0.05)
    store.complete(first, "w1", _record(first))
    store.claim("w1", 60)  # running, not finished: no duration yet
    durations = store.durations()
    assert list(durations[["model", "dataset", "hparams_hash"]].itertuples(index=False,
                                                                         name=None)) == \
        [("lstm", "mr_polarity", "h1")]
    assert 0.04 <= float(durations["seconds"].iloc[0]) < 60


def test_expired_lease_requeues_then_fails_with_a_record(store_location) -> None:
    store = Store(store_location)
    cell = _cells(1)[0]
    store.enqueue([cell], max_attempts=2)
    assert store.claim("lost-1", 1).attempts == 1
    time.sleep(1.2)
    again = store.claim("lost-2", 1)  # the first lease expired: queued again, claimed again
    assert again.attempts == 2 and not store.heartbeat(cell, "lost-1", 1)
    time.sleep(1.2)
    assert store.claim("w3", 60) is None  # out of attempts: failed, not handed out
    [(row, status, _)] = store.cells()
    assert status == "failed" and row.attempts == 2
    [record] = store.records([cell.key])
    assert record.status == "failed" and "WorkerLost" in record.error
    assert "attempt 2 of 2" in record.error and record.attempt == 2
    store.enqueue([cell])  # a rerun queues a failed cell again
    assert store.claim("w4", 60).attempts == 1


def test_expire_ends_a_dead_workers_lease_now(store_location) -> None:
    store = Store(store_location)
    cell = _cells(1)[0]
    store.enqueue([cell])
    store.claim("dead", 3600)
    store.expire([cell], "dead")
    assert store.claim("alive", 60).attempts == 2


def _claim_all(location: str, worker: str, out: multiprocessing.Queue) -> None:
    store = Store(location)
    claimed = []
    while (cell := store.claim(worker, 60)) is not None:
        store.complete(cell, worker, _record(cell))
        claimed.append(cell.seed)
    out.put(claimed)


def test_concurrent_claimers_never_share_a_cell(store_location) -> None:
    store = Store(store_location)
    store.enqueue(_cells(40))
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=_claim_all, args=(store_location, f"w{i}", out))
               for i in range(4)]
    for process in workers:
        process.start()
    claimed = [out.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=60)
    seeds = sorted(s for part in claimed for s in part)
    assert seeds == list(range(40))  # every cell exactly once
    runs = store.runs()
    assert len(runs) == 40 and not runs.duplicated(["seed"]).any()


@pytest.mark.parametrize(("location", "message"), [
    ("mysql://u:p@localhost/db", "store URL dialect 'mysql' is not supported"),
    ("postgresql+psycopg2://u@localhost/db", "driver 'psycopg2' is not supported"),
    ("sqlite://", "has no file"),
    ("postgresql+psycopg://u@localhost:port/db", "is not a valid URL"),
    ("postgres ql://x", "is not a valid URL"),
])
def test_bad_store_urls(location, message) -> None:
    with pytest.raises(StoreError, match=message):
        Store(location)


def test_unreachable_server_names_host_and_port_quickly() -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(StoreError) as error:
        Store(f"postgresql+psycopg://u:secret@127.0.0.1:{port}/db")
    message = str(error.value)
    assert time.monotonic() - start < 10
    assert "127.0.0.1" in message and str(port) in message and "\n" not in message
    assert "secret" not in message


def test_wrong_credentials_and_newer_schema_on_postgres(postgres_url) -> None:
    from sqlalchemy.engine import make_url

    Store(postgres_url).close()
    wrong = make_url(postgres_url).set(password="wrong").render_as_string(hide_password=False)
    with pytest.raises(StoreError, match="password authentication failed") as error:
        Store(wrong)
    assert "\n" not in str(error.value) and "wrong" not in str(error.value).split("@")[0]
    from sqlalchemy import create_engine

    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' "
                                   "WHERE key = 'schema_version'")
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this seqzoo"):
        Store(postgres_url)


#: a schema-3 store as seqzoo 0.1 wrote it (before the queue and the worker columns)
V3_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO meta VALUES ('application', 'seqzoo'), ('schema_version', '3');
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "model" TEXT, "dataset" TEXT,
  "seed" INTEGER, "suite" TEXT, "backend" TEXT, "device" TEXT, "hparams_hash" TEXT,
  "status" TEXT, "error" TEXT, "started_at" TEXT, "primary_metric" TEXT, "accuracy" REAL,
  "macro_f1" REAL, "mae" REAL, "rmse" REAL, "rel_mae" REAL, "epochs_run" INTEGER,
  "best_val_loss" REAL, "params" INTEGER, "train_seconds" REAL, "train_samples_per_s" REAL,
  "latency_p50_ms" REAL, "latency_p95_ms" REAL, "infer_samples_per_s" REAL,
  "peak_host_mib" REAL, "peak_device_mib" REAL, "flops_per_sample" INTEGER,
  "achieved_gflops" REAL, "kernel" TEXT, "hparams" TEXT, "budget" TEXT, "is_baseline" INTEGER,
  "seqzoo_version" TEXT, "keras_version" TEXT, "backend_version" TEXT, "python_version" TEXT,
  "device_name" TEXT, "git_revision" TEXT, "dataset_fingerprint" TEXT,
  "dataset_version" TEXT, "extra" TEXT);
CREATE TABLE datasets (fingerprint TEXT, name TEXT, info TEXT, PRIMARY KEY (fingerprint));
CREATE TABLE tuning_searches (search_id TEXT, created_at TEXT, objective TEXT,
  direction TEXT, settings TEXT, PRIMARY KEY (search_id));
CREATE TABLE tuning_models (search_id TEXT, model TEXT, status TEXT, error TEXT,
  best_trial TEXT, best_hparams TEXT, default_hash TEXT, tuned_hash TEXT,
  search_seconds REAL, PRIMARY KEY (search_id, model));
CREATE TABLE tuning_trials (search_id TEXT, model TEXT, trial_id TEXT, tuner_id TEXT,
  status TEXT, score REAL, hparams TEXT, started_at TEXT, wall_seconds REAL, message TEXT,
  PRIMARY KEY (search_id, model, trial_id));
CREATE TABLE tuning_executions (search_id TEXT, model TEXT, trial_id TEXT,
  execution INTEGER, tuner_id TEXT, seed INTEGER, status TEXT, error TEXT, score REAL,
  hparams TEXT, epochs_run INTEGER, history TEXT, started_at TEXT, wall_seconds REAL,
  PRIMARY KEY (search_id, model, trial_id, execution));
INSERT INTO runs (model, dataset, seed, suite, backend, device, hparams_hash, status,
  accuracy, is_baseline, hparams, budget, extra)
  VALUES ('gru', 'mr_polarity', 0, 'quick', 'tensorflow', 'cpu', 'abc', 'ok', 0.7, 0,
          '{}', '{}', '{}');
INSERT INTO tuning_trials (search_id, model, trial_id, status) VALUES ('s', 'gru', '0', 'OK');
"""


def test_v3_store_file_is_migrated(tmp_path) -> None:
    path = tmp_path / "v3.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V3_SCHEMA)
    store = Store(path)
    runs = store.runs()
    assert list(runs["model"]) == ["gru"] and runs.loc[0, "accuracy"] == 0.7
    assert {"worker", "attempt", "threads", "gpu", "host_mib_at_start"} <= set(runs.columns)
    assert store.completed() == {("gru", "mr_polarity", 0, "quick", "abc", "tensorflow", "cpu")}
    assert list(store.rows("tuning_trials")["status"]) == ["OK"]
    cell = _cells(1)[0]
    store.enqueue([cell])  # the queue table exists now
    assert store.complete(store.claim("w", 60), "w", _record(cell, threads=2))
    assert store.runs()["threads"].tolist()[-1] == 2
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),)
