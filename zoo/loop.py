"""A loop over time whose per-step output differs from its carried state, on every backend.

``keras.ops.scan`` on TensorFlow requires the step's output to have the carry's structure, so a
loop that carries a large state but emits a small output (Mamba's sequential form carries a
``(B, E, N)`` state and emits ``(B, E)``; the sLSTM carries four states and emits one) would
have to stack its whole state at every step. :func:`scan_outputs` lifts that: on TensorFlow it
runs its own ``tf.while_loop`` with a ``TensorArray`` per output and ``maximum_iterations`` set
(without it XLA cannot compile the loop's gradient, as ``keras.ops.scan``'s TensorFlow loop
cannot be compiled inside ``model.fit``); elsewhere it is ``keras.ops.scan``, which JAX
(``lax.scan``) and PyTorch already allow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops, tree

Step = Callable[[Any, Any], tuple[Any, Any]]


def scan_outputs(step: Step, init: Any, xs: Any) -> tuple[Any, Any]:
    """``carry, y_t = step(carry, x_t)`` over axis 0 of ``xs``: the last carry and the
    stacked outputs (time first)."""
    if keras.backend.backend() != "tensorflow":
        return ops.scan(step, init, xs)
    import tensorflow as tf

    flat = [tf.convert_to_tensor(x) for x in tree.flatten(xs)]
    steps = flat[0].shape[0] or tf.shape(flat[0])[0]  # static where known: XLA needs it
    arrays = [tf.TensorArray(x.dtype, size=steps, element_shape=x.shape[1:]).unstack(x)
              for x in flat]

    def inputs(i: Any) -> Any:
        return tree.pack_sequence_as(xs, [a.read(i) for a in arrays])

    carry, first = step(init, inputs(0))  # the first step fixes the outputs' structure
    outputs = [tf.TensorArray(y.dtype, size=steps, element_shape=y.shape).write(0, y)
               for y in tree.flatten(first)]

    def body(i: Any, carry: Any, outputs: list[Any]) -> tuple[Any, Any, list[Any]]:
        carry, y = step(carry, inputs(i))
        return i + 1, carry, [o.write(i, v) for o, v in zip(outputs, tree.flatten(y),
                                                            strict=True)]

    _, carry, outputs = tf.while_loop(lambda i, *_: i < steps, body, (1, carry, outputs),
                                      maximum_iterations=steps)
    return carry, tree.pack_sequence_as(first, [o.stack() for o in outputs])
