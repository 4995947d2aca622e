"""Runs in the tracker a user already has: MLflow (``--mlflow``) and TensorBoard
(``--tensorboard DIR``).

MLflow: every stored record of a grid becomes one MLflow run in experiment ``seqzoo-<suite>``:
params are the hyperparameters and the budget, metrics the quality and cost figures plus the
per-epoch history as steps, tags the resume key, suite, dataset fingerprint and provenance. The
parent process logs the records once the workers have stored them, so workers need no MLflow
and a SQLite tracking store sees one writer. A record already logged (same resume key and seed)
is not logged again, so ``--mlflow`` on a resumed grid logs just what is missing. The tracking
URI is ``$MLFLOW_TRACKING_URI``, else a SQLite store ``seqzoo-results/mlflow.db`` (recent MLflow
deprecates file stores).

TensorBoard: on the TensorFlow backend each worker adds Keras's ``TensorBoard`` callback, one
log folder per run under ``DIR/<suite>/<dataset>/<model>/seed<N>``. That callback writes through
TensorFlow's summary ops, so on the JAX and torch backends it is skipped with a one-line notice
(MLflow records the same per-epoch scalars on every backend).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from results.record import RunRecord

DEFAULT_MLFLOW_DB = "seqzoo-results/mlflow.db"
#: record fields logged as MLflow metrics (when not None)
METRICS = ("accuracy", "macro_f1", "mae", "rmse", "rel_mae", "best_val_loss", "epochs_run",
           "params", "train_seconds", "train_samples_per_s", "latency_p50_ms",
           "latency_p95_ms", "infer_samples_per_s", "peak_host_mib", "peak_device_mib",
           "flops_per_sample", "achieved_gflops")
#: record fields logged as MLflow tags (provenance)
TAGS = ("model", "dataset", "seed", "suite", "status", "error", "is_baseline", "backend",
        "device", "device_name", "kernel", "dataset_fingerprint", "dataset_version",
        "seqzoo_version", "keras_version", "backend_version", "python_version", "git_revision",
        "worker", "started_at")


def mlflow_uri() -> str:
    """``$MLFLOW_TRACKING_URI``, else the SQLite store under ``seqzoo-results/``."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    Path(DEFAULT_MLFLOW_DB).parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(DEFAULT_MLFLOW_DB).resolve()}"


class MlflowLogger:
    """Logs :class:`RunRecord` s to one MLflow experiment.

    Raises:
        ValueError: MLflow is not installed, or the tracking URI cannot be used (one line).
    """

    def __init__(self, experiment: str, uri: str | None = None) -> None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ValueError("--mlflow needs MLflow: pip install 'seqzoo[mlflow]'") from None
        for name in ("mlflow", "alembic"):  # their INFO lines about creating tables; MLflow
            logging.getLogger(name).setLevel(logging.WARNING)  # sets its level on import
        self.uri, self.experiment = uri or mlflow_uri(), experiment
        try:
            self.client = MlflowClient(self.uri)
            found = self.client.get_experiment_by_name(experiment)
            self.experiment_id = (found.experiment_id if found
                                  else self.client.create_experiment(experiment))
        except Exception as error:  # MLflow raises its own types for bad URIs and stores
            raise ValueError(f"MLflow tracking URI {self.uri!r} cannot be used: "
                             f"{str(error).splitlines()[0]}") from None

    def logged(self, record: RunRecord) -> bool:
        """Whether a run with this record's resume key (model, dataset, seed, suite,
        hyperparameter hash) is already there."""
        values = {"key": record.hparams_hash, "model": record.model,
                  "dataset": record.dataset, "seed": record.seed, "suite": record.suite}
        query = " and ".join(f"tags.`seqzoo.{k}` = '{v}'" for k, v in values.items())
        return bool(self.client.search_runs([self.experiment_id], query, max_results=1))

    def log(self, record: RunRecord) -> str | None:
        """Log ``record`` as one finished (or failed) run; its run id, or ``None`` if it was
        already logged."""
        from mlflow.entities import Metric, Param

        if self.logged(record):
            return None
        tags = {"seqzoo.key": record.hparams_hash,
                **{f"seqzoo.{k}": str(getattr(record, k)) for k in TAGS
                   if getattr(record, k) not in (None, "")}}
        run = self.client.create_run(self.experiment_id, run_name=run_name(record), tags=tags)
        now = int(time.time() * 1000)
        params = {**{f"hp.{k}": v for k, v in json.loads(record.hparams or "{}").items()},
                  **{f"budget.{k}": v for k, v in json.loads(record.budget or "{}").items()}}
        metrics = [Metric(k, float(getattr(record, k)), now, 0) for k in METRICS
                   if getattr(record, k) is not None]
        history = json.loads(record.extra or "{}").get("history", {})
        metrics += [Metric(f"epoch.{k}", float(v), now, step)
                    for k, values in history.items() for step, v in enumerate(values)]
        self.client.log_batch(run.info.run_id, metrics=metrics,
                              params=[Param(k, str(v)[:6000]) for k, v in params.items()])
        self.client.set_terminated(run.info.run_id,
                                   "FINISHED" if record.status == "ok" else "FAILED")
        return run.info.run_id


def run_name(record: RunRecord) -> str:
    """``model / dataset / seed N``."""
    return f"{record.model} / {record.dataset} / seed {record.seed}"


def log_records(logger: MlflowLogger, records: list[RunRecord], console: Any) -> None:
    """Log ``records`` (skipping those already there) and say where they went."""
    new = sum(logger.log(r) is not None for r in records)
    console.print(f"mlflow: {new} runs logged ({len(records) - new} already there) to "
                  f"experiment {logger.experiment!r} at {logger.uri}")


def tensorboard_dir(folder: str | None, backend: str, console: Any) -> str | None:
    """The absolute ``--tensorboard`` folder workers write to, or ``None`` (with a one-line
    notice) on a backend where Keras's TensorBoard callback cannot write."""
    if not folder:
        return None
    if backend != "tensorflow":
        console.print(f"tensorboard: skipped on the {backend} backend (Keras's TensorBoard "
                      "callback writes through TensorFlow); --mlflow records the same per-epoch "
                      "scalars on every backend")
        return None
    return str(Path(folder).resolve())


def tensorboard_callback(folder: str, suite: str, dataset: str, model: str, seed: int) -> Any:
    """Keras's ``TensorBoard`` callback writing one run's epoch scalars under ``folder``."""
    import keras

    parts = [re.sub(r"[^\w.=,-]+", "_", part) for part in (suite, dataset, model)]
    return keras.callbacks.TensorBoard(log_dir=str(Path(folder, *parts, f"seed{seed}")),
                                       write_graph=False, profile_batch=0)
