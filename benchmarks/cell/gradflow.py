"""Gradient flow: how strongly the loss at the output reaches back to each input step.

For a batch ``x`` of ``(B, T, F)`` features, :func:`gradient_norms` returns, per step ``t``,
the batch mean of ``||d loss / d x_t||``; read from the end, entry ``d`` of the reversed curve
is the step ``d`` steps before the output. A vanishing gradient shows as a curve that falls
with distance. Keras 3 has no backend-neutral autodiff, so a small adapter per backend takes
the gradient: ``tf.GradientTape``, ``jax.grad`` over ``model.stateless_call``, or torch's
``backward``. :class:`GradientFlow` measures it at initialisation and after training inside
a benchmark run, and hands both curves to the run's record.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def _loss(model: keras.Model) -> Any:
    """The model's compiled loss as ``f(y, output) -> scalar`` (batch mean)."""
    loss = model.loss if callable(model.loss) else keras.losses.get(model.loss)
    return lambda y, output: keras.ops.mean(loss(y, output))


def _tensorflow(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = _loss(model)(y, model(inputs, training=False))
    return tape.gradient(loss, inputs).numpy()


def _jax(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    import jax

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def loss(inputs: Any) -> Any:
        output, _ = model.stateless_call(trainable, frozen, inputs, training=False)
        return _loss(model)(y, output)

    return np.asarray(jax.grad(loss)(x))


def _torch(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    import torch

    inputs = torch.tensor(x, requires_grad=True)
    _loss(model)(torch.tensor(y), model(inputs, training=False)).backward()
    return inputs.grad.detach().cpu().numpy()


ADAPTERS = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}


def gradient_norms(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per input step, the batch mean of ``||d loss / d x_t||`` (shape ``(T,)``).

    ``x`` must be a float features input ``(B, T, F)``: the gradient is taken with respect to
    the model's input values, through its stem.
    """
    if x.ndim != 3 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"gradient flow needs float features (B, T, F), got {x.dtype} "
                         f"{x.shape}")
    grads = ADAPTERS[keras.backend.backend()](model, x.astype("float32"), y)
    return np.linalg.norm(grads, axis=-1).mean(axis=0)


class GradientFlow(keras.callbacks.Callback):
    """Measures :func:`gradient_norms` on a fixed batch at the start and end of training.

    After ``fit``, :meth:`extra` holds ``{"gradient_flow": {"init": [...], "trained":
    [...]}}``, each a list of T norms ordered by input step (the last is next to the output).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.x, self.y = x, y
        self.curves: dict[str, list[float]] = {}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.curves["init"] = gradient_norms(self.model, self.x, self.y).tolist()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.curves["trained"] = gradient_norms(self.model, self.x, self.y).tolist()

    def extra(self) -> dict[str, Any]:
        """What the run's record keeps in its ``extra`` field."""
        return {"gradient_flow": self.curves}
