"""Analytic forward FLOPs per sample of the recurrent and attention layers of a model.

Counts multiply-adds as 2 FLOPs over the matrix products that dominate cost: gate
projections of RNN/LSTM/GRU cells, and the Q/K/V/output projections, score and context
products and feed-forward layers of transformer blocks. Embeddings, norms, activations and
heads are excluded; the figure is for comparing how cost grows with sequence length.
"""

from __future__ import annotations

import keras

from zoo.layers import TransformerBlock

_GATES = {keras.layers.SimpleRNN: 1, keras.layers.LSTM: 4, keras.layers.GRU: 3}


def _recurrent_flops(layer: keras.layers.RNN, steps: int) -> int:
    gates = next(g for cls, g in _GATES.items() if isinstance(layer, cls))
    units = layer.units
    inputs = layer.cell.kernel.shape[0]
    return 2 * steps * gates * units * (inputs + units)


def _block_flops(block: TransformerBlock, steps: int) -> int:
    width = block.ff2.units
    projections = 4 * steps * width * width
    attention = 2 * steps * steps * width
    feed_forward = 2 * steps * width * block.ff_dim
    return 2 * (projections + attention + feed_forward)


def forward_flops(model: keras.Model, seq_len: int) -> int:
    """Analytic forward FLOPs for one sample of ``seq_len`` steps (recurrent + attention)."""
    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, tuple(_GATES)):
            total += _recurrent_flops(layer, seq_len)
        elif isinstance(layer, TransformerBlock):
            total += _block_flops(layer, seq_len)
    return total
