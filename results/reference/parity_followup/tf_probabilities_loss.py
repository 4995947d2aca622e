"""A seqzoo plugin for the backend parity follow-up: TensorFlow's cross-entropy reads the
softmax's clipped probabilities, as the JAX and PyTorch backends do, instead of recovering the
logits from the softmax op.

    seqzoo run --suite parity --backend tensorflow --plugin tf_probabilities_loss.py ...
"""

from __future__ import annotations

from typing import Any

import keras.src.backend.tensorflow.nn as tf_nn


def probabilities(output: Any, from_logits: bool, op_type: str, fn_name: str
                  ) -> tuple[Any, bool]:
    """What ``_get_logits`` returns when no logits are recovered: its arguments unchanged."""
    return output, from_logits


tf_nn._get_logits = probabilities
