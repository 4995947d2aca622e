"""Check a zoo entry's search space against the model before any trial runs."""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner

import zoo
from tuning.hypermodel import search_space_of


def candidate_values(hp: Any) -> list[Any]:
    """The values of one hyperparameter worth building: every choice, or both ends."""
    if isinstance(hp, keras_tuner.engine.hyperparameters.Choice):
        return list(hp.values)
    if isinstance(hp, keras_tuner.engine.hyperparameters.Boolean):
        return [False, True]
    if isinstance(hp, keras_tuner.engine.hyperparameters.Fixed):
        return [hp.value]
    return [hp.min_value, hp.max_value]


def check_search_space(model_id: str, task: zoo.TaskSpec) -> None:
    """Raise a one-line ``ValueError`` unless every value of ``model_id``'s search space builds.

    The space must name only hyperparameters the model takes; each value (every choice, the
    ends of each range) is built for ``task`` with the other hyperparameters at their zoo
    defaults, and the space's own defaults are built together.
    """
    hp = keras_tuner.HyperParameters()
    search_space_of(model_id)(hp)
    takes = zoo.get_model_info(model_id).defaults
    for param in hp.space:
        if param.name not in takes:
            raise ValueError(f"search space of {model_id!r} names {param.name!r}, which the "
                             f"model does not take; it takes: {', '.join(takes)}")
    trials = [{p.name: value} for p in hp.space for value in candidate_values(p)]
    for values in [*trials, dict(hp.values)]:
        try:
            zoo.build_model(model_id, task, **values)
        except Exception as error:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(f"search space of {model_id!r}: {shown} is rejected by the "
                             f"model ({reason})") from None
        finally:
            keras.backend.clear_session()
