"""Tracking: a grid's runs in MLflow (a local SQLite tracking store, read back with
``mlflow.search_runs``) and per-run TensorBoard logs through Keras's callback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

mlflow = pytest.importorskip("mlflow")


def test_grid_runs_are_mlflow_runs_and_tensorboard_logs(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    command = [sys.executable, "-m", "benchmarks.cli", "run", "--models", "rnn,gru", "--datasets",
               "japanese_vowels", "--seeds", "0", "--epochs", "2", "--store",
               str(tmp_path / "s.sqlite"), "--mlflow", "--tensorboard", str(tmp_path / "tb")]
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not proc.stderr.strip(), proc.stderr[-2000:]  # MLflow's and alembic's INFO lines too
    assert "mlflow: 4 runs logged (0 already there)" in " ".join(proc.stdout.split())
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["seqzoo-adhoc"])
    assert len(runs) == 4 and set(runs["status"]) == {"FINISHED"}
    # rnn and gru share hyperparameters (so the hash): the resume key tells them apart
    assert set(runs["tags.seqzoo.model"]) == {"rnn", "gru", "majority", "features_logreg"}
    neural = runs[runs["tags.seqzoo.model"] == "rnn"]
    assert set(neural["tags.seqzoo.seed"]) == {"0"}
    assert set(neural["params.budget.epochs"]) == {"2"} and set(neural["params.hp.units"])
    assert (neural["metrics.accuracy"] > 0).all() and (neural["metrics.train_seconds"] > 0).all()
    for column in ("tags.seqzoo.key", "tags.seqzoo.dataset_fingerprint",
                   "tags.seqzoo.keras_version", "tags.seqzoo.suite"):
        assert runs[column].notna().all(), column
    history = mlflow.tracking.MlflowClient(uri).get_metric_history(neural["run_id"].iloc[0],
                                                                    "epoch.val_loss")
    assert [m.step for m in history] == [0, 1]
    # the same grid again: nothing runs, nothing is logged twice
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert "mlflow: 0 runs logged (4 already there)" in " ".join(again.stdout.split())
    events = list((tmp_path / "tb").rglob("events.out.tfevents.*"))
    assert {p.relative_to(tmp_path / "tb").parts[:4] for p in events} >= {
        ("adhoc", "japanese_vowels", "rnn", "seed0"), ("adhoc", "japanese_vowels", "gru", "seed0")}


def test_mlflow_with_a_bad_tracking_uri_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    from benchmarks.cli import main

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://x")
    store = tmp_path / "s.sqlite"
    assert main(["run", "--models", "rnn", "--datasets", "japanese_vowels", "--mlflow",
                 "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert "MLflow tracking URI 'nosuchscheme://x' cannot be used" in err and "\n" not in err
    assert not store.exists()
