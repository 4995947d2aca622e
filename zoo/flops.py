"""Analytic forward FLOPs per sample of the recurrent and attention layers of a model.

Counts multiply-adds as 2 FLOPs over the matrix products that dominate cost: gate
projections of RNN/LSTM/GRU cells; the Q/K/V/output projections, score and context products
and feed-forward layers of transformer blocks; and, for the linear-recurrent blocks, their
projections, MLP, causal convolution, and the scan's multiply-add per state element and step
(S4D runs as an FFT convolution: ~2.5 n log2 n FLOPs per real FFT of length n, forward and
inverse, plus the complex products; its kernel is built once per batch and not counted).
Embeddings, norms, activations and heads are excluded; the figure is for comparing how cost
grows with sequence length.
"""

from __future__ import annotations

import math

import keras

from zoo.layers import TransformerBlock
from zoo.linear_rnn import S4D, LinearRNNBlock, Mamba, MinRNN, fft_size

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


def _linear_rnn_flops(block: LinearRNNBlock, steps: int) -> int:
    mixer, width = block.mixer, block.norm.gamma.shape[0]
    mlp = 2 * 2 * width * block.mlp_ratio * width if block.mlp_ratio else 0
    if isinstance(mixer, MinRNN):
        per_step = 2 * width * mixer.proj.units + 2 * width
    elif isinstance(mixer, S4D):  # FFT convolution: real FFT in, products, inverse FFT
        size = fft_size(steps)
        fft = 2.5 * size * math.log2(size)
        convolution = width * (2 * fft + 6 * (size // 2 + 1))
        return int(convolution + steps * (2 * width * 2 * width + mlp))
    else:
        assert isinstance(mixer, Mamba)
        inner, state = mixer.skip.shape[0], mixer.d_state
        per_step = 2 * (width * 2 * inner + mixer.d_conv * inner
                        + inner * (mixer.rank + 2 * state) + mixer.rank * inner
                        + 2 * inner * state + inner * width)
    return steps * (per_step + mlp)


def forward_flops(model: keras.Model, seq_len: int) -> int:
    """Analytic forward FLOPs for one sample of ``seq_len`` steps (recurrent + attention)."""
    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, tuple(_GATES)):
            total += _recurrent_flops(layer, seq_len)
        elif isinstance(layer, TransformerBlock):
            total += _block_flops(layer, seq_len)
        elif isinstance(layer, LinearRNNBlock):
            total += _linear_rnn_flops(layer, seq_len)
    return total
