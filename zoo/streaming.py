"""Streaming inference for the mixer families: one step at a time, O(1) per step.

A :class:`Streamer` runs a built model of the mixer families (``mingru``, ``minlstm``, ``s4d``,
``mamba``, ``lru``, ``hawk``, ``mlstm``, ``slstm``, ``xlstm``) on one new step at a time: the
stem and head are per-step layers, each block keeps its mixer's state
(:meth:`zoo.block.LinearRNNBlock.step`), and the mean + last pooling is kept as a running
sum. After step t the prediction equals the parallel model's on the first t steps.

Example:
    >>> streamer = Streamer(model)             # batch 1 by default
    >>> for frame in frames:                   # (num_features,) or a token id each
    ...     prediction = streamer.step(frame[None])
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from zoo.block import LinearRNNBlock


class Streamer:
    """Step-by-step inference over a built linear-recurrent zoo model.

    Args:
        model: a zoo model whose backbone is :class:`LinearRNNBlock` layers.
        batch: how many independent streams are fed side by side.

    Raises:
        ValueError: the model has no streaming mode (not a linear-recurrent family).
    """

    def __init__(self, model: keras.Model, batch: int = 1) -> None:
        self.blocks = [layer for layer in model.layers if isinstance(layer, LinearRNNBlock)]
        if not self.blocks:
            raise ValueError(f"model {model.name!r} has no streaming mode; the mixer families "
                             "(mingru, minlstm, s4d, mamba, lru, hawk, mlstm, slstm, xlstm) "
                             "have one")
        names = {layer.name for layer in model.layers}
        stem = ["stem_embedding"] if "stem_embedding" in names else ["stem_norm",
                                                                      "stem_projection"]
        self.stem = [model.get_layer(n) for n in stem]
        self.norm = model.get_layer("final_norm")
        self.head = model.get_layer("head_classes" if "head_classes" in names
                                    else "head_forecast")
        self.states = [block.initial_state(batch) for block in self.blocks]
        self.total: Any = 0.0
        self.steps = 0

    def step(self, x: Any) -> np.ndarray:
        """Feed one step (``(batch,)`` token ids or ``(batch, features)``); the prediction."""
        h = ops.expand_dims(ops.convert_to_tensor(x), 1)
        for layer in self.stem:
            h = layer(h)
        h = h[:, 0]
        for i, block in enumerate(self.blocks):
            h, self.states[i] = block.step(h, self.states[i])
        h = self.norm(h)
        self.total, self.steps = self.total + h, self.steps + 1
        return ops.convert_to_numpy(self.head(ops.concatenate([self.total / self.steps, h], -1)))
