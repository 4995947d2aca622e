"""Analytic forward FLOPs per sample of the recurrent and attention layers of a model.

Counts multiply-adds as 2 FLOPs over the matrix products that dominate cost: gate
projections of RNN/LSTM/GRU cells; the Q/K/V/output projections, score and context products
and feed-forward layers of transformer blocks; and, for the linear-recurrent blocks, their
projections, MLP, causal convolution, and the scan's multiply-add per state element and step
(the mLSTM's parallel form adds its two T x T products, its chunkwise form two T x Q products
and the reads and writes of its (d x d) memory per chunk; S4D runs as an FFT convolution:
~2.5 n log2 n FLOPs per real FFT of length n, forward and inverse, plus the complex products;
its kernel is built once per batch and not counted).
Embeddings, norms, activations and heads are excluded; the figure is for comparing how cost
grows with sequence length.
"""

from __future__ import annotations

import math

import keras

from zoo.block import LinearRNNBlock
from zoo.gated import LRU, RGLRU
from zoo.layers import TransformerBlock
from zoo.linear_rnn import S4D, Mamba, MinRNN, fft_size
from zoo.xlstm import CHUNK, MLSTM, SLSTM

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


def _mlp_flops(block: LinearRNNBlock, width: int) -> int:
    """Per step: the GELU MLP's two products, or the gated MLP's three."""
    if not block.mlp_ratio:
        return 0
    hidden = max(1, round(block.mlp_ratio * width))
    return 2 * (3 if block.mlp_kind == "gated" else 2) * width * hidden


def _gated_flops(mixer: object, width: int, steps: int) -> int:
    """The newer mixers (:mod:`zoo.gated`, :mod:`zoo.xlstm`) over ``steps``."""
    if isinstance(mixer, LRU):  # complex B and C, the complex scan, the GLU readout
        states = mixer.d_state
        return steps * 2 * (2 * width * states + 4 * states + 2 * states * width
                            + width * 2 * width)
    if isinstance(mixer, RGLRU):  # two input maps, conv, block-diagonal gates, scan, output
        inner = mixer.a_param.shape[0]
        per_step = (2 * width * inner + mixer.d_conv * inner + 2 * inner * inner // mixer.heads
                    + 2 * inner + inner * width)
        return steps * 2 * per_step
    if isinstance(mixer, SLSTM):  # conv, four headwise input maps, headwise recurrence
        size = width // mixer.heads
        return steps * 2 * (mixer.d_conv * width + 4 * width * size + 4 * width * size)
    assert isinstance(mixer, MLSTM)
    inner = mixer.out_scale.shape[0]
    per_step = (width * 2 * inner + mixer.d_conv * inner + 3 * inner * mixer.qkv_block
                + 3 * inner * 2 * mixer.heads + inner * width)
    if mixer.form == "chunkwise":  # T x Q products in chunks; C read and written per chunk
        padded = -(-steps // CHUNK) * CHUNK
        size = inner // mixer.heads
        return 2 * steps * per_step + 4 * padded * CHUNK * inner + 4 * padded * size * inner
    return 2 * steps * per_step + 4 * steps * steps * inner  # q k^T and weights @ v: T x T


def _linear_rnn_flops(block: LinearRNNBlock, steps: int) -> int:
    mixer, width = block.mixer, block.norm.weights[0].shape[0]
    mlp = _mlp_flops(block, width)
    if isinstance(mixer, (LRU, RGLRU, SLSTM, MLSTM)):
        return _gated_flops(mixer, width, steps) + steps * mlp
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
