"""Metrics of the task kinds that Keras's own do not cover."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from zoo.task import IGNORE


@keras.saving.register_keras_serializable(package="seqzoo")
class LabeledAccuracy(keras.metrics.Mean):
    """Accuracy over the labelled positions of a ``labeling`` task: ``y_true`` is ``(B, T)``
    class ids with :data:`zoo.task.IGNORE` where a position has no label, ``y_pred`` the
    ``(B, T, C)`` class probabilities; a position without a label counts for nothing."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add the batch's labelled positions (weighted by ``sample_weight`` if given)."""
        y_true = ops.cast(y_true, "int32")
        labelled = ops.cast(ops.not_equal(y_true, IGNORE), "float32")
        if sample_weight is not None:
            labelled = labelled * ops.cast(sample_weight, "float32")
        hits = ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true),
                        "float32")
        super().update_state(hits, sample_weight=labelled)
