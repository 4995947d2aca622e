"""Every zoo model's search space builds at every value and trains one trial (lstm in the
default run, the rest with ``-m slow``); every tuner runs a search."""

from __future__ import annotations

import json
import math

import keras_tuner
import pytest
from shapes import TINY_BUDGET as TINY
from shapes import TINY_TASKS

import zoo
from tuning import TUNERS
from tuning.space import candidate_values, check_search_space

#: the model whose search runs a trial in the default run (each search takes ~30 s here)
TRIAL_IN_DEFAULT_RUN = "lstm"


@pytest.mark.parametrize("model", [
    pytest.param(m, marks=[] if m in ("lstm", "mamba") else pytest.mark.slow)
    for m in zoo.list_models()])
def test_search_space_builds_at_every_value(model) -> None:
    check_search_space(model, TINY_TASKS["tokens->classes"])


@pytest.mark.parametrize("model", [
    pytest.param(m, marks=[] if m == TRIAL_IN_DEFAULT_RUN else pytest.mark.slow)
    for m in zoo.list_models()])
def test_search_space_builds_and_trains_one_trial(model, search) -> None:
    store, search_id = search([model])
    (trial,) = store.rows("tuning_trials", search_id=search_id).to_dict("records")
    assert trial["status"] == "COMPLETED" and math.isfinite(trial["score"])
    (execution,) = store.rows("tuning_executions", search_id=search_id).to_dict("records")
    assert execution["status"] == "ok" and execution["score"] == trial["score"]
    values = json.loads(execution["hparams"])
    hp = keras_tuner.HyperParameters()
    zoo.get_model_info(model).search_space(hp)
    for param in hp.space:  # the trial's values come from the model's own space
        allowed, value = candidate_values(param), values[param.name]
        choice = isinstance(param, keras_tuner.engine.hyperparameters.Choice)
        assert value in allowed if choice else min(allowed) <= value <= max(allowed)
    assert 1e-4 <= values["learning_rate"] <= 1e-2


@pytest.mark.slow  # ~30 s each; the default run's lstm trial completes a random search
@pytest.mark.parametrize("tuner", sorted(TUNERS))
def test_every_tuner_completes_its_budget(tuner, search) -> None:
    budget = ({"trials": None, "max_epochs": 3, "budget": TINY.replace(epochs=3)}
              if tuner == "hyperband" else {"trials": 2})
    store, search_id = search(["gru"], tuner=tuner, **budget)
    trials = store.rows("tuning_trials", search_id=search_id)
    assert len(trials) >= 2 and set(trials["status"]) == {"COMPLETED"}
    assert trials["trial_id"].is_unique
    (outcome,) = store.rows("tuning_models", search_id=search_id).to_dict("records")
    assert outcome["status"] == "ok" and outcome["best_trial"] in set(trials["trial_id"])
