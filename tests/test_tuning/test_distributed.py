"""keras-tuner's chief/worker mode through ``seqzoo tune --role``: one chief, two workers
(about 95 s on 2 cores, so behind the ``slow`` marker)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from results.store import Store

TRIALS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_chief_and_two_workers_on_loopback(tmp_path, prepared) -> None:
    prepared("mr_polarity")
    argv = [sys.executable, "-m", "benchmarks.cli", "tune", "--models", "gru", "--dataset",
            "mr_polarity", "--trials", str(TRIALS), "--epochs", "1", "--batch-size", "128",
            "--rerun-seeds", "0", "--store", str(tmp_path / "s.sqlite"),
            "--dir", str(tmp_path / "dir"), "--out", str(tmp_path / "report")]
    env = {**os.environ, "KERASTUNER_ORACLE_IP": "127.0.0.1",
           "KERASTUNER_ORACLE_PORT": str(_free_port())}
    env.pop("KERASTUNER_TUNER_ID", None)
    chief = subprocess.Popen([*argv, "--role", "chief"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    workers = [subprocess.Popen([*argv, "--role", "worker"],
                                env={**env, "KERASTUNER_TUNER_ID": f"worker{i}"},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for i in range(2)]
    try:
        outputs = [p.communicate(timeout=480)[0] for p in (*workers, chief)]
    finally:
        for p in (*workers, chief):
            p.kill()
    assert [p.returncode for p in (*workers, chief)] == [0, 0, 0], outputs[-1][-2000:]

    store = Store(tmp_path / "s.sqlite")
    trials = store.rows("tuning_trials")
    assert sorted(trials["trial_id"]) == [str(i) for i in range(TRIALS)]  # each exactly once
    assert set(trials["status"]) == {"COMPLETED"}
    assert set(trials["tuner_id"]) <= {"worker0", "worker1"}
    executions = store.rows("tuning_executions")
    assert sorted(executions["trial_id"]) == sorted(trials["trial_id"])
    (outcome,) = store.rows("tuning_models").to_dict("records")
    assert outcome["best_trial"] == trials.loc[trials["score"].idxmax(), "trial_id"]
    assert len(store.runs()) >= 1  # the chief re-ran the default and tuned configs
    assert (tmp_path / "report" / "tuning.md").exists()
