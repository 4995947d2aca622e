"""A seqzoo plugin for the backend parity follow-up: on TensorFlow, the optimizer reads each
sparse gradient (``tf.IndexedSlices``, an ``Embedding``'s) as the dense tensor it stands for,
as JAX and PyTorch compute it. Keras's Adam then squares the summed gradient of a token that
occurs several times in a batch, instead of summing its per-occurrence squares.

    seqzoo run --suite parity --backend tensorflow --plugin tf_dense_gradients.py ...
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from keras.src.optimizers.base_optimizer import BaseOptimizer

_apply = BaseOptimizer.apply


def dense_apply(self: BaseOptimizer, grads: list[Any], trainable_variables: Any = None) -> Any:
    """``BaseOptimizer.apply`` on the gradients made dense."""
    grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    return _apply(self, grads, trainable_variables)


BaseOptimizer.apply = dense_apply
