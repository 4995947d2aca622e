"""keras-tuner's tuners, each recording every trial it ends; the registry of tuner names."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import keras_tuner

from tuning.hypermodel import ZooHyperModel

TrialRecorder = Callable[[dict[str, Any]], None]


class _Recording:
    """Mixin over a keras-tuner ``Tuner``: the hypermodel learns which trial runs, and every
    ended trial (status and score as the oracle settled them) goes to ``trial_recorder``."""

    hypermodel: ZooHyperModel
    oracle: Any
    tuner_id: str
    trial_recorder: TrialRecorder | None = None

    def on_trial_begin(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """Start the trial's clock and reset the hypermodel's execution count."""
        super().on_trial_begin(trial)  # type: ignore[misc]
        self._trial_start = time.perf_counter()
        self.hypermodel.begin_trial(trial.trial_id)

    def on_trial_end(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """End the trial with the oracle, then record it as the oracle scored it."""
        super().on_trial_end(trial)  # type: ignore[misc]
        seconds = time.perf_counter() - self._trial_start
        ended = self.oracle.get_trial(trial.trial_id)
        if self.trial_recorder is not None:
            message = (ended.message or "").strip().splitlines()
            started = datetime.now(timezone.utc) - timedelta(seconds=seconds)
            self.trial_recorder({
                "trial_id": trial.trial_id, "tuner_id": self.tuner_id,
                "status": str(ended.status), "score": ended.score,
                "hparams": json.dumps(ended.hyperparameters.values, sort_keys=True),
                "started_at": started.isoformat(timespec="seconds"),
                "wall_seconds": seconds, "message": message[-1] if message else None,
            })


class RecordingRandomSearch(_Recording, keras_tuner.RandomSearch):
    """keras-tuner's ``RandomSearch`` that records each trial."""


class RecordingHyperband(_Recording, keras_tuner.Hyperband):
    """keras-tuner's ``Hyperband`` that records each trial."""


class RecordingBayesianOptimization(_Recording, keras_tuner.BayesianOptimization):
    """keras-tuner's ``BayesianOptimization`` that records each trial."""


TUNERS = {"random": RecordingRandomSearch, "hyperband": RecordingHyperband,
          "bayesian": RecordingBayesianOptimization}


def make_tuner(name: str, hypermodel: ZooHyperModel, directory: str | Path, *, trials: int,
               max_epochs: int, executions: int, seed: int,
               trial_recorder: TrialRecorder | None = None) -> keras_tuner.Tuner:
    """A recording tuner called ``name`` over ``hypermodel``, its project in
    ``directory/<model id>``; never overwrites an existing project (it is reloaded)."""
    if name not in TUNERS:
        raise ValueError(f"unknown tuner {name!r}; choose one of {', '.join(TUNERS)}")
    budget: dict[str, Any] = ({"max_epochs": max_epochs, "factor": 3} if name == "hyperband"
                              else {"max_trials": trials})
    tuner = TUNERS[name](hypermodel, objective=hypermodel.objective, seed=seed,
                         executions_per_trial=executions, directory=str(directory),
                         project_name=hypermodel.model_id, overwrite=False, **budget)
    tuner.trial_recorder = trial_recorder
    return tuner
