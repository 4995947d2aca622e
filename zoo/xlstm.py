"""xLSTM's two cells (Beck et al. 2024, arXiv 2405.04517), as NX-AI/xlstm writes them.

Shape legend: B batch, T steps, D model width, E = expand * D the mLSTM's inner width, H heads,
d = width / H the head size, K conv width.

- ``mlstm``: the pre-up-projection block's layer (``xlstm/blocks/mlstm/layer.py``):
  ``x, z = up(x)`` to 2E; ``c = silu(conv(x))``; ``q, k`` from ``c`` and ``v`` from ``x``
  by block-diagonal maps (blocks of 4); per head the gate pre-activations ``i~, f~`` from
  ``[q, k, v]``; the matrix memory ``C_t = f' C_{t-1} + i' v_t k_t^T`` (k scaled by
  ``1/sqrt(d)``), the normaliser ``n_t = f' n_{t-1} + i' k_t``, ``h~ = C_t q_t /
  max(|n_t^T q_t|, exp(-m_t))`` with the stabiliser ``m_t = max(log sigmoid(f~) + m_{t-1}, i~)``;
  a per-head layer norm, a learnable skip from ``c``, the output gate ``silu(z)`` (the
  reference block's form of the paper's ``sigma(o~)``), and the down-projection. Training runs
  the stabilised parallel form (``parallel_stabilized_simple``: ``log D = log F + I~`` with the
  row-wise max), O(T^2) like attention, or the chunkwise form (the parallel form within chunks
  of 64 steps, the carried memory across them), O(T), whichever was measured fastest here;
  ``step`` is ``recurrent_step_stabilized_simple``.
- ``slstm``: the post-up-projection block's layer (``xlstm/blocks/slstm/layer.py``): ``i, f``
  from ``silu(conv(x))``, ``z, o`` from ``x``, all block-diagonal per head, plus the
  block-diagonal recurrent ``R y_{t-1}`` and bias; the exponential-gated update
  (``slstm_forward_pointwise``): ``m_t = max(log sigmoid(f~) + m_{t-1}, i~)``,
  ``i' = exp(i~ - m_t)``, ``f' = exp(log sigmoid(f~) + m_{t-1} - m_t)``,
  ``c_t = f' c + i' tanh(z~)``, ``n_t = f' n + i'``, ``y_t = sigmoid(o~) c_t / n_t``; then a
  per-head layer norm. It is nonlinear in ``y``, so it runs as a loop over time
  (:func:`zoo.loop.scan_outputs`) with every input projection hoisted out of the loop. The
  first step takes ``m = i~`` as the reference does (its ``n == 0`` branch), here by starting
  from ``m_0 = -1e30``.

The block around each (pre-norm residual; the sLSTM's gated MLP of factor 4/3) is
:class:`zoo.block.LinearRNNBlock`.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from zoo.loop import scan_outputs
from zoo.mixer import (
    CausalConv,
    Mixer,
    apply_headwise,
    block_diagonal,
    head_norm,
    headwise,
    scan_form,
)

EPS = 1e-6
#: the sLSTM's stabiliser before the first step: its first step takes m = i~
M_START = -1e30
#: how the mLSTM runs over time: the quadratic parallel form (the default where nothing was
#: measured), or chunks of CHUNK steps
MLSTM_FORMS = ("parallel", "chunkwise")
CHUNK = 64


def small_init(width: int) -> keras.initializers.Initializer:
    """xLSTM's ``small_init_init_``: normal with std ``sqrt(2 / (5 D))``."""
    return keras.initializers.RandomNormal(stddev=math.sqrt(2.0 / (5.0 * width)))


def _split_heads(x: Any, heads: int) -> Any:
    """``(B, T, H*d) -> (B, H, T, d)``."""
    return ops.transpose(ops.reshape(x, (*ops.shape(x)[:2], heads, x.shape[-1] // heads)),
                         (0, 2, 1, 3))


def parallel_mlstm(q: Any, k: Any, v: Any, i_pre: Any, f_pre: Any) -> Any:
    """The stabilised parallel mLSTM: ``(B, H, T, d)`` queries, keys, values and ``(B, H, T)``
    gate pre-activations -> ``h~`` of ``(B, H, T, d)``."""
    steps, size = q.shape[2], q.shape[3]
    cum = ops.cumsum(ops.log_sigmoid(f_pre), axis=-1)  # (B, H, T)
    causal = np.tril(np.ones((steps, steps), dtype=bool))
    log_f = ops.where(causal, ops.expand_dims(cum, -1) - ops.expand_dims(cum, -2),
                      float("-inf"))
    log_d = log_f + ops.expand_dims(i_pre, -2)  # (B, H, T, T)
    row_max = ops.max(log_d, axis=-1, keepdims=True)
    weights = ops.matmul(q, ops.swapaxes(k, -1, -2)) / math.sqrt(size) * ops.exp(log_d - row_max)
    normaliser = ops.maximum(ops.abs(ops.sum(weights, axis=-1, keepdims=True)),
                             ops.exp(-row_max))
    return ops.matmul(weights / (normaliser + EPS), v)


def chunkwise_mlstm(q: Any, k: Any, v: Any, i_pre: Any, f_pre: Any, chunk: int = 64) -> Any:
    """The stabilised mLSTM in chunks of ``chunk`` steps (NX-AI/xlstm's chunkwise form):
    within a chunk the parallel form's ``log D`` (plus the decayed carried memory), across
    chunks a loop that carries ``C`` ``(B, H, d, d)``, ``n`` ``(B, H, d)`` and the stabiliser
    ``m`` ``(B, H)``. Memory grows as ``T x chunk`` instead of the parallel form's ``T^2``, and
    in exact arithmetic the output equals :func:`parallel_mlstm`'s: the row maxima it
    stabilises with are the same. ``(B, H, T, d)`` and ``(B, H, T)`` -> ``(B, H, T, d)``."""
    steps, size = q.shape[2], q.shape[3]
    count = -(-steps // chunk)
    pad = count * chunk - steps
    if pad:  # the padding writes nothing (i~ -> -inf) and forgets nothing (f~ -> +inf)
        q, k, v = (ops.pad(p, ((0, 0), (0, 0), (0, pad), (0, 0))) for p in (q, k, v))
        i_pre = ops.pad(i_pre, ((0, 0), (0, 0), (0, pad)), constant_values=M_START)
        f_pre = ops.pad(f_pre, ((0, 0), (0, 0), (0, pad)), constant_values=60.0)

    def chunks(x: Any) -> Any:  # (B, H, n*Q, ...) -> (n, B, H, Q, ...)
        shape = ops.shape(x)
        x = ops.reshape(x, (shape[0], shape[1], count, chunk, *x.shape[3:]))
        return ops.moveaxis(x, 2, 0)

    k = k / math.sqrt(size)
    log_f = ops.reshape(ops.log_sigmoid(f_pre), (*ops.shape(f_pre)[:2], count, chunk))
    cum = ops.moveaxis(ops.cumsum(log_f, axis=-1), 2, 0)  # within each chunk: (n, B, H, Q)
    causal = np.tril(np.ones((chunk, chunk), dtype=bool))

    def step(state: tuple[Any, Any, Any], xs: tuple[Any, ...]) -> tuple[Any, Any]:
        memory, norm, m = state
        qc, kc, vc, ic, bc = xs
        log_d = ops.where(causal, ops.expand_dims(bc, -1) - ops.expand_dims(bc, -2)
                          + ops.expand_dims(ic, -2), float("-inf"))  # (B, H, Q, Q)
        carried = bc + ops.expand_dims(m, -1)  # the memory's decay to each step: (B, H, Q)
        row_max = ops.maximum(ops.max(log_d, axis=-1), carried)
        weights = ops.matmul(qc, ops.swapaxes(kc, -1, -2)) * ops.exp(
            log_d - ops.expand_dims(row_max, -1))
        decay = ops.expand_dims(ops.exp(carried - row_max), -1)  # (B, H, Q, 1)
        numerator = ops.matmul(weights, vc) + decay * ops.matmul(qc, memory)
        denominator = (ops.sum(weights, axis=-1, keepdims=True)
                       + decay * ops.matmul(qc, ops.expand_dims(norm, -1)))
        h = numerator / (ops.maximum(ops.abs(denominator),
                                     ops.exp(-ops.expand_dims(row_max, -1))) + EPS)
        last = bc[..., -1]  # the chunk's whole decay: (B, H)
        write = ops.expand_dims(last, -1) - bc + ic  # each step's weight at the chunk's end
        m_new = ops.maximum(last + m, ops.max(write, axis=-1))
        keep = ops.exp(last + m - m_new)
        scaled = kc * ops.expand_dims(ops.exp(write - ops.expand_dims(m_new, -1)), -1)
        memory = (ops.expand_dims(ops.expand_dims(keep, -1), -1) * memory
                  + ops.matmul(ops.swapaxes(scaled, -1, -2), vc))
        norm = ops.expand_dims(keep, -1) * norm + ops.sum(scaled, axis=-2)
        return (memory, norm, m_new), h

    batch, heads = ops.shape(q)[0], ops.shape(q)[1]
    init = (ops.zeros((batch, heads, size, size), q.dtype), ops.zeros((batch, heads, size),
                                                                      q.dtype),
            ops.full((batch, heads), M_START, q.dtype))
    _, h = scan_outputs(step, init, (chunks(q), chunks(k), chunks(v), chunks(i_pre), cum))
    h = ops.reshape(ops.moveaxis(h, 0, 2), (batch, heads, count * chunk, size))
    return h[:, :, :steps]


class MLSTM(Mixer):
    """The mLSTM layer of xLSTM's pre-up-projection block.

    Args:
        heads: H, the memory heads (must divide E).
        expand: E / D, the up-projection factor (2 in the paper).
        d_conv: K, the causal convolution width.
        qkv_block: the block size of the block-diagonal q, k, v maps (4 in the reference).
        scan: ``parallel`` (:func:`parallel_mlstm`, O(T^2)), ``chunkwise``
            (:func:`chunkwise_mlstm`, chunks of :data:`CHUNK` steps, O(T)) or ``auto`` (the
            form measured fastest on this backend and device).
    """

    def __init__(self, heads: int = 4, expand: int = 2, d_conv: int = 4, qkv_block: int = 4,
                 scan: str = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heads, self.expand, self.d_conv, self.qkv_block = heads, expand, d_conv, qkv_block
        self.scan, self.form = scan, scan_form("mlstm", scan, MLSTM_FORMS)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        inner = self.expand * width
        if inner % self.heads or inner % self.qkv_block:
            raise ValueError(f"heads={self.heads} and qkv_block={self.qkv_block} must divide "
                             f"the inner width {inner}")
        self.up = keras.layers.Dense(2 * inner, use_bias=False, name="proj_up",
                                     kernel_initializer=small_init(width))
        self.up.build(input_shape)
        self.conv = CausalConv(self, self.d_conv, inner)
        blocks = inner // self.qkv_block
        self.q_proj, self.k_proj, self.v_proj = (
            headwise(self, name, blocks, inner, initializer=small_init(width))
            for name in ("q_proj", "k_proj", "v_proj"))
        self.igate = keras.layers.Dense(self.heads, name="igate", kernel_initializer="zeros",
                                        bias_initializer=keras.initializers.RandomNormal(
                                            stddev=0.1))
        self.igate.build((None, 3 * inner))
        self.fgate = keras.layers.Dense(
            self.heads, name="fgate", kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(np.linspace(3.0, 6.0, self.heads)))
        self.fgate.build((None, 3 * inner))
        self.out_scale = self.add_weight(name="outnorm", shape=(inner,), initializer="ones")
        self.skip = self.add_weight(name="learnable_skip", shape=(inner,), initializer="ones")
        self.down = keras.layers.Dense(width, use_bias=False, name="proj_down",
                                       kernel_initializer=small_init(width))
        self.down.build((None, inner))

    def _branches(self, conv: Any, x: Any) -> tuple[Any, Any, Any, Any, Any]:
        """``q, k, v`` (``(..., E)``) and the gate pre-activations (``(..., H)``)."""
        q, k = apply_headwise(conv, *self.q_proj), apply_headwise(conv, *self.k_proj)
        v = apply_headwise(x, *self.v_proj)
        gates = ops.concatenate([q, k, v], axis=-1)
        return q, k, v, self.igate(gates), self.fgate(gates)

    def _output(self, h: Any, conv: Any, z: Any) -> Any:
        h = head_norm(h, self.heads, self.out_scale) + self.skip * conv
        return self.down(h * ops.silu(z))

    def call(self, u: Any) -> Any:
        x, z = ops.split(self.up(u), 2, axis=-1)
        conv = ops.silu(self.conv(x))
        q, k, v, i_pre, f_pre = self._branches(conv, x)
        heads = [_split_heads(p, self.heads) for p in (q, k, v)]
        gates = ops.moveaxis(i_pre, -1, 1), ops.moveaxis(f_pre, -1, 1)
        h = (chunkwise_mlstm(*heads, *gates, chunk=CHUNK) if self.form == "chunkwise"
             else parallel_mlstm(*heads, *gates))
        h = ops.reshape(ops.transpose(h, (0, 2, 1, 3)), ops.shape(conv))
        return self._output(h, conv, z)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        size = self.out_scale.shape[0] // self.heads
        return (self.conv.initial_state(batch), ops.zeros((batch, self.heads, size, size)),
                ops.zeros((batch, self.heads, size)), ops.zeros((batch, self.heads)))

    def step(self, u: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        x, z = ops.split(self.up(u), 2, axis=-1)
        conv, window = self.conv.step(x, state[0])
        conv = ops.silu(conv)
        q, k, v, i_pre, f_pre = self._branches(conv, x)
        size = self.out_scale.shape[0] // self.heads
        q, k, v = (ops.reshape(p, (-1, self.heads, size)) for p in (q, k, v))
        memory, norm, m = state[1:]
        log_f = ops.log_sigmoid(f_pre)
        m_new = ops.maximum(log_f + m, i_pre)
        forget = ops.expand_dims(ops.exp(log_f + m - m_new), -1)
        write = ops.expand_dims(ops.exp(i_pre - m_new), -1)
        k = k / math.sqrt(size)
        memory = (ops.expand_dims(forget, -1) * memory
                  + ops.expand_dims(write, -1) * ops.expand_dims(k, -1) * ops.expand_dims(v, -2))
        norm = forget * norm + write * k
        numerator = ops.sum(ops.expand_dims(q, -1) * memory, axis=-2)  # q^T C: (B, H, d)
        denominator = ops.maximum(ops.abs(ops.sum(q * norm, axis=-1, keepdims=True)),
                                  ops.exp(-ops.expand_dims(m_new, -1))) + EPS
        h = ops.reshape(numerator / denominator, ops.shape(conv))
        return self._output(h, conv, z), (window, memory, norm, m_new)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "heads": self.heads, "expand": self.expand,
                "d_conv": self.d_conv, "qkv_block": self.qkv_block, "scan": self.scan}


class SLSTM(Mixer):
    """The sLSTM layer of xLSTM's post-up-projection block.

    Args:
        heads: H, the heads of the block-diagonal input and recurrent maps (must divide D).
        d_conv: K, the causal convolution width before the input and forget gates.
    """

    form = "loop"

    def __init__(self, heads: int = 4, d_conv: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heads, self.d_conv = heads, d_conv

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        if width % self.heads:
            raise ValueError(f"heads={self.heads} must divide the width {width}")
        size = width // self.heads
        self.conv = CausalConv(self, self.d_conv, width)
        self.gates = [headwise(self, f"{g}gate", self.heads, width, initializer=small_init(width))
                      for g in "ifzo"]
        # recurrent_weight_init="zeros"; bias_init="powerlaw_blockdependent" (first block)
        self.recurrent = self.add_weight(name="recurrent_kernel",
                                         shape=(self.heads, size, 4 * size), initializer="zeros")
        ramp = np.arange(size) / max(size - 1, 1)
        bias = np.zeros((4, width), dtype="float32")
        bias[1] = np.tile(-(-5.0 + 12.0 * ramp ** 0.3), self.heads)
        self.bias = self.add_weight(name="bias", shape=(4, width),
                                    initializer=keras.initializers.Constant(bias))
        self.out_scale = self.add_weight(name="group_norm", shape=(width,), initializer="ones")

    def _inputs(self, x: Any, conv: Any) -> tuple[Any, ...]:
        """The input parts of the four gate pre-activations (``W x + b``), each ``(..., D)``."""
        sources = (conv, conv, x, x)
        return tuple(apply_headwise(s, *w) + self.bias[g]
                     for g, (s, w) in enumerate(zip(sources, self.gates, strict=True)))

    def _cell(self, state: tuple[Any, ...], inputs: tuple[Any, ...], recurrent: Any
              ) -> tuple[Any, ...]:
        """One sLSTM step: state ``(y, c, n, m)``, the four input parts and the recurrent
        weights as one block-diagonal ``(D, 4D)`` matrix (:func:`block_diagonal`, built once
        outside the loop) -> new state."""
        y, c, n, m = state
        heads, size = self.heads, self.recurrent.shape[1]
        mixed = ops.reshape(ops.matmul(y, recurrent), (-1, heads, 4 * size))  # (B, H, 4d)
        parts = ops.split(mixed, 4, axis=-1)
        i_raw, f_raw, z_raw, o_raw = (w + ops.reshape(r, ops.shape(w))
                                      for w, r in zip(inputs, parts, strict=True))
        log_f = ops.log_sigmoid(f_raw) + m
        m_new = ops.maximum(i_raw, log_f)
        i_gate, f_gate = ops.exp(i_raw - m_new), ops.exp(log_f - m_new)
        c = f_gate * c + i_gate * ops.tanh(z_raw)
        n = f_gate * n + i_gate
        return ops.sigmoid(o_raw) * c / n, c, n, m_new

    def call(self, x: Any) -> Any:
        inputs = self._inputs(x, ops.silu(self.conv(x)))
        recurrent = block_diagonal(self.recurrent)

        def step(state: tuple[Any, ...], xs: tuple[Any, ...]) -> tuple[Any, Any]:
            new = self._cell(state, xs, recurrent)
            return new, new[0]

        zeros = ops.zeros_like(inputs[0][:, 0])
        start = (zeros, zeros, zeros, zeros + M_START)
        _, ys = scan_outputs(step, start, tuple(ops.moveaxis(p, 1, 0) for p in inputs))
        return head_norm(ops.moveaxis(ys, 0, 1), self.heads, self.out_scale)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        zeros = ops.zeros((batch, self.out_scale.shape[0]))
        return self.conv.initial_state(batch), zeros, zeros, zeros, zeros + M_START

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        conv, window = self.conv.step(x, state[0])
        new = self._cell(state[1:], self._inputs(x, ops.silu(conv)),
                         block_diagonal(self.recurrent))
        return head_norm(new[0], self.heads, self.out_scale), (window, *new)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "heads": self.heads, "d_conv": self.d_conv}
