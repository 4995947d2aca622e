"""The shared model skeleton: input stem -> family backbone -> task head.

Stems and heads live here and nowhere else. A family supplies only a backbone: a function
``backbone(x, mask) -> (B, D)`` over the stem's ``(B, T, D)`` output and its padding mask.
For a ``labeling`` task, answered at every position, it is called with ``sequences=True`` and
returns its ``(B, T, D)`` features instead of pooling them; a backbone without that argument
(a plugin's, say) serves the pooled tasks only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from zoo.checks import positive_int, rate
from zoo.task import TaskSpec

Backbone = Callable[..., Any]


@keras.saving.register_keras_serializable(package="seqzoo")
class SeqModel(keras.Model):
    """A functional zoo model whose config is its zoo id, task and hyperparameters.

    ``get_config()`` returns exactly the builder arguments, and ``from_config`` rebuilds
    through the registry, so a ``.keras`` file reloads to the same architecture.
    """

    def set_identity(self, model_id: str, task: TaskSpec, hparams: dict[str, Any]) -> None:
        """Record the registry id, task and resolved hyperparameters this model was built from."""
        self.zoo_id = model_id
        self.zoo_task = task
        self.zoo_hparams = dict(hparams)

    def get_config(self) -> dict[str, Any]:
        return {"model_id": self.zoo_id, "task": self.zoo_task.to_dict(),
                "hparams": dict(self.zoo_hparams), "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> SeqModel:
        from zoo.registry import build_model

        return build_model(config["model_id"], TaskSpec(**config["task"]), **config["hparams"])


def stem(task: TaskSpec, width: int) -> tuple[Any, Any, Any]:
    """Input stem: returns ``(inputs, x, mask)`` with ``x`` of shape ``(B, T, width)``.

    Tokens: ``Embedding`` with id 0 as padding (the mask marks real tokens).
    Features: ``Normalization`` (identity until adapted to training data) then a ``Dense``
    projection; no mask.
    """
    positive_int("embed_dim", width)
    if task.input == "tokens":
        inputs = keras.Input((task.seq_len,), dtype="int32", name="tokens")
        x = keras.layers.Embedding(task.vocab_size, width, name="stem_embedding")(inputs)
        return inputs, x, ops.not_equal(inputs, 0)
    inputs = keras.Input((task.seq_len, task.num_features), name="features")
    x = keras.layers.Normalization(axis=-1, name="stem_norm")(inputs)
    x = keras.layers.Dense(width, name="stem_projection")(x)
    return inputs, x, None


def head(x: Any, task: TaskSpec, dropout: float) -> Any:
    """Task head on a pooled ``(B, D)`` vector (or, for ``labeling``, on every position of
    ``(B, T, D)``): softmax classes or linear horizon x targets."""
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    if task.kind != "forecasting":
        return keras.layers.Dense(task.num_outputs, activation="softmax", dtype="float32",
                                  name="head_classes")(x)
    return keras.layers.Dense(task.num_outputs, dtype="float32", name="head_forecast")(x)


def build_sequence_model(
    task: TaskSpec, backbone: Backbone, *, embed_dim: int, dropout: float, name: str
) -> SeqModel:
    """Assemble stem -> ``backbone`` -> head into a :class:`SeqModel` (uncompiled)."""
    rate("dropout", dropout)
    inputs, x, mask = stem(task, embed_dim)
    if not task.per_position:
        return SeqModel(inputs, head(backbone(x, mask), task, dropout), name=name)
    if "sequences" not in inspect.signature(backbone).parameters:
        raise ValueError(f"model {name!r} answers once per sequence: its backbone takes no "
                         "`sequences` argument, so it cannot serve a labeling task")
    return SeqModel(inputs, head(backbone(x, mask, sequences=True), task, dropout), name=name)


def adapt_stem(model: keras.Model, x_train: Any) -> None:
    """Fit a features model's input ``Normalization`` on training data (no-op for tokens)."""
    try:
        layer = model.get_layer("stem_norm")
    except ValueError:
        return
    layer.adapt(x_train)
