"""Length extrapolation: a model trained at one length, tested at longer ones, same weights.

The induction-heads probe trains at one length and asks whether what was learnt holds at
longer ones (Gu & Dao 2023, Table 11). A zoo model is built for one ``seq_len``, so
:func:`at_length` builds the same architecture for the longer length and carries the weights
over. Every family's weights are independent of the length except learned absolute positions
(the transformer's position table): there the trained rows are carried over and the rows for
positions never seen in training keep their initialisation, as such a model would have them,
and the result says so. :class:`Extrapolation` runs this after training inside a benchmark
run and hands the accuracies to the run's record (``extra["extrapolation"]``).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import zoo
from benchmarks.cell.metrics import labeling_metrics

#: sequences per predict call scale down with the length (quadratic forms stay in memory)
TOKENS_PER_BATCH = 32_768


def at_length(model: Any, task: zoo.TaskSpec) -> tuple[keras.Model, list[str]]:
    """``model`` (a zoo model) rebuilt for ``task`` (another ``seq_len``) with its weights;
    and the layers whose weights grew with the length (their new rows untrained)."""
    if task == model.zoo_task:
        return model, []
    new = zoo.build_model(model.zoo_id, task, **model.zoo_hparams)
    grown = []
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        target = new.get_layer(layer.name)
        fresh = target.get_weights()
        carried = []
        for old, init in zip(weights, fresh, strict=True):
            if old.shape == init.shape:
                carried.append(old)
            elif old.shape[1:] == init.shape[1:] and old.shape[0] < init.shape[0]:
                carried.append(np.concatenate([old, init[old.shape[0]:]]))
                grown.append(layer.name)
            else:
                raise ValueError(f"layer {layer.name!r} has weights of shape {old.shape} at "
                                 f"length {model.zoo_task.seq_len} and {init.shape} at "
                                 f"{task.seq_len}: they depend on the length")
        target.set_weights(carried)
    return new, sorted(set(grown))


def accuracy_at(model: Any, data: Any) -> dict[str, Any]:
    """Test accuracy of ``model``'s weights on labelling dataset ``data`` (any length)."""
    task = data.task_spec()
    built, grown = at_length(model, task)
    x, y = data.load("test")
    probs = built.predict(x, batch_size=max(1, TOKENS_PER_BATCH // task.seq_len), verbose=0)
    result: dict[str, Any] = {"accuracy": labeling_metrics(y, probs, task.num_outputs)[
        "accuracy"], "n": len(x)}
    if grown:
        result["note"] = (f"layer {', '.join(grown)}: its rows for positions beyond "
                          f"{model.zoo_task.seq_len} never trained")
    return result


class Extrapolation(keras.callbacks.Callback):
    """After training, the accuracy of the trained weights on each of ``datasets`` (dataset
    ids of the same probe at other lengths); a length that fails is its one-line error."""

    def __init__(self, datasets: list[str]) -> None:
        super().__init__()
        self.datasets = datasets
        self.results: dict[str, dict[str, Any]] = {}

    def on_train_end(self, logs: Any = None) -> None:
        """Evaluate at every length (the best weights are back: early stopping ran first)."""
        from benchmarks.cell.harness import error_line
        from benchmarks.data import get_dataset

        for spec in self.datasets:
            data = get_dataset(spec)
            length = str(data.task_spec().seq_len)
            try:
                self.results[length] = accuracy_at(self.model, data)
            except Exception as error:  # e.g. out of memory at the longest length: a note
                self.results[length] = {"error": error_line(error)}

    def extra(self) -> dict[str, Any]:
        """``{"extrapolation": {length: {"accuracy", "n"[, "note"] | "error"}}}``."""
        return {"extrapolation": self.results}
