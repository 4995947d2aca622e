"""``ZooHyperModel``: a zoo entry's own search space as a keras-tuner ``HyperModel``."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import keras
import keras_tuner
import numpy as np

import zoo
from benchmarks.cell.harness import Budget, error_line, fit_model, training_data
from benchmarks.cell.metrics import PRIMARY
from benchmarks.cell.settings import seed_everything
from benchmarks.data import Dataset, get_dataset

#: the learning-rate range every model is tuned over (log-uniform), beside its own space
LEARNING_RATE = (1e-4, 1e-2)

Recorder = Callable[[dict[str, Any]], None]


def objective_for(kind: str) -> keras_tuner.Objective:
    """The tuning objective of a task kind: its primary metric on the validation split."""
    metric, higher = PRIMARY[kind]
    return keras_tuner.Objective(f"val_{metric}", "max" if higher else "min")


def search_space_of(model_id: str) -> Callable[[Any], dict[str, Any]]:
    """The registered search space of ``model_id``; ``ValueError`` if it declares none."""
    space = zoo.get_model_info(model_id).search_space
    if space is None:
        tunable = [m for m in zoo.list_models() if zoo.get_model_info(m).search_space]
        raise ValueError(f"model {model_id!r} declares no search space; models with one: "
                         f"{', '.join(tunable)}")
    return space


class ZooHyperModel(keras_tuner.HyperModel):
    """A zoo model's search space plus the learning rate, trained as the harness trains.

    ``build(hp)`` samples the entry's registered ``search_space(hp)`` and a log-uniform
    ``learning_rate``, and compiles the model as :func:`zoo.create_model` does. ``fit``
    trains on the dataset's own train/val splits through :func:`benchmarks.cell.harness.fit_model`
    (same budget, early stopping and metrics as every benchmark run) and returns the
    validation metrics of the epoch whose weights early stopping keeps.

    Execution ``k`` of every trial is seeded with ``seed + k``, so trials differ only in their
    hyperparameters. A ``recorder`` receives one plain row per execution (hyperparameters,
    per-epoch history, score, status, wall time); :mod:`tuning.search` stores them.

    Args:
        model_id: a zoo model id with a search space.
        dataset: a dataset id or an opened :class:`~benchmarks.data.Dataset`.
        budget: the training budget of every execution (default: ``Budget()``).
        seed: the base training seed.
        recorder: called with each execution's row.

    Example:
        >>> hypermodel = ZooHyperModel("lstm", "mr_polarity", Budget(epochs=2))
        >>> tuner = keras_tuner.RandomSearch(hypermodel, objective=hypermodel.objective,
        ...                                  max_trials=3)
        >>> tuner.search()
    """

    def __init__(self, model_id: str, dataset: str | Dataset, budget: Budget | None = None,
                 seed: int = 0, recorder: Recorder | None = None) -> None:
        self.space = search_space_of(model_id)
        super().__init__(name=model_id, tunable=True)
        self.model_id = model_id
        self.data = get_dataset(dataset) if isinstance(dataset, str) else dataset
        self.task = self.data.task_spec()
        zoo.get_model_info(model_id).check_task(self.task)
        self.objective = objective_for(self.task.kind)
        self.budget, self.seed, self.recorder = budget or Budget(), seed, recorder
        self.trial_id: str | None = None
        self.execution = 0
        self._splits: tuple | None = None

    def begin_trial(self, trial_id: str) -> None:
        """Mark the start of a trial: executions are counted (and seeded) from 0."""
        self.trial_id, self.execution = trial_id, 0

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Build and compile the model for the sampled hyperparameters."""
        values = self.space(hp)
        low, high = LEARNING_RATE
        learning_rate = hp.Float("learning_rate", low, high, sampling="log",
                                 default=min(max(self.budget.learning_rate, low), high))
        seed_everything(self.seed + self.execution,
                        deterministic_ops=zoo.jit_choice(self.model_id) is not True)
        try:
            return zoo.create_model(self.model_id, self.task, learning_rate=learning_rate,
                                    **values)
        except Exception as error:
            self._record(hp, time.perf_counter(), status="failed", error=error)
            raise

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, *args: Any,
            callbacks: list[keras.callbacks.Callback] | None = None, epochs: int | None = None,
            initial_epoch: int = 0, **kwargs: Any) -> dict[str, float]:
        """Train ``model`` on the dataset's splits; the kept epoch's validation metrics.

        ``epochs``/``initial_epoch`` come from Hyperband; ``callbacks`` from the tuner.
        """
        if args or kwargs.keys() - {"verbose"}:
            raise ValueError("ZooHyperModel trains on its dataset's own splits; call "
                             "tuner.search() without data arguments")
        if self._splits is None:
            self._splits = training_data(self.data, self.budget)
        start = time.perf_counter()
        try:
            history, _ = fit_model(model, *self._splits, self.budget, callbacks, epochs,
                                   initial_epoch)
        except Exception as error:
            self._record(hp, start, status="failed", error=error)
            raise
        logs = history.history
        kept = int(np.nanargmin(logs["val_loss"])) if np.isfinite(logs["val_loss"]).any() else -1
        metrics = {name: float(values[kept]) for name, values in logs.items()
                   if name.startswith("val_")}
        score = metrics.get(self.objective.name, math.nan)
        finite = all(math.isfinite(v) for v in logs.get("loss", []) + logs["val_loss"])
        self._record(hp, start, status="ok" if finite else "diverged", score=score,
                     history=logs, error=None if finite else "loss became NaN or inf")
        return {self.objective.name: score, **metrics}

    def _record(self, hp: keras_tuner.HyperParameters, start: float, status: str,
                score: float | None = None, history: dict[str, list[float]] | None = None,
                error: BaseException | str | None = None) -> None:
        """Hand one execution's row to the recorder; count the execution."""
        if self.recorder is not None and self.trial_id is not None:
            seconds = time.perf_counter() - start
            started = datetime.now(timezone.utc) - timedelta(seconds=seconds)
            if isinstance(error, BaseException):
                error = error_line(error)
            self.recorder({
                "trial_id": self.trial_id, "execution": self.execution,
                "seed": self.seed + self.execution, "status": status, "error": error,
                "score": score, "hparams": json.dumps(hp.values, sort_keys=True),
                "epochs_run": len((history or {}).get("loss", [])),
                "history": json.dumps({k: [float(v) for v in vs]
                                       for k, vs in (history or {}).items()}),
                "started_at": started.isoformat(timespec="seconds"), "wall_seconds": seconds,
            })
        self.execution += 1
