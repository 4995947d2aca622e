"""What every causal sequence mixer shares: the base class, and the small parts several use.

A mixer maps ``(B, T, D) -> (B, T, D)`` causally in parallel over time (``call``) and offers
the same computation one step at a time (``step``) for streaming. Its ``form`` names how
``call`` runs (a scan form, an FFT convolution, a quadratic parallel form or a loop), and is
what the leaderboard's kernel column shows.

The shared parts: a width-K causal depthwise convolution (Mamba, mLSTM, sLSTM, Hawk), a
block-diagonal ("headwise") linear map (xLSTM's ``LinearHeadwiseExpand``, recurrentgemma's
``BlockDiagonalLinear``), and a per-head layer norm (xLSTM's ``MultiHeadLayerNorm``).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from zoo.checks import one_of
from zoo.scan import FORMS
from zoo.timeaxis import shift


def dense(units: int, name: str, bias: bool = True) -> keras.layers.Dense:
    """A ``Dense`` layer with the zoo's naming."""
    return keras.layers.Dense(units, use_bias=bias, name=name)


def check_scan(scan: str, forms: tuple[str, ...] = FORMS) -> str:
    """``scan`` if it is ``auto`` or one of ``forms`` (default: the linear scan's,
    :data:`zoo.scan.FORMS`), else ``ValueError``."""
    return one_of("scan", scan, ("auto", *forms))


def scan_form(kind: str, scan: str, forms: tuple[str, ...] = FORMS) -> str:
    """The form a mixer of ``kind`` runs: ``scan`` itself, or for ``"auto"`` the form
    measured fastest on the active backend and device (:mod:`zoo.fast`), else the first of
    ``forms`` (the linear scan's doubling form)."""
    if check_scan(scan, forms) != "auto":
        return scan
    from zoo.fast import current_device, measured_scan

    return measured_scan(kind, keras.backend.backend(), current_device()) or forms[0]


class Mixer(keras.layers.Layer):
    """A causal sequence mixer with a parallel ``call`` and a streaming ``step``."""

    #: how ``call`` runs, for the kernel column (a scan form, ``fft``, ``parallel``, ``loop``)
    form = "parallel"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # causal: right padding never reaches a real step

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        """The state before the first step."""
        raise NotImplementedError

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """``(B, D)`` input of one step -> ``(B, D)`` output and the next state."""
        raise NotImplementedError


class CausalConv:
    """A width-``K`` causal depthwise convolution over ``(B, T, C)``, with its step form.

    ``y_t = b + sum_k w[k] x_{t - K + 1 + k}`` (``w[K-1]`` weighs the current step); the
    weights belong to ``layer`` (``conv_w`` of ``(K, C)``, ``conv_b`` of ``(C,)``).
    """

    def __init__(self, layer: keras.layers.Layer, width: int, channels: int,
                 initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros") -> None:
        self.width = width
        self.w = layer.add_weight(name="conv_w", shape=(width, channels), initializer=initializer)
        self.b = layer.add_weight(name="conv_b", shape=(channels,),
                                  initializer=bias_initializer)

    def __call__(self, x: Any) -> Any:
        steps, last = x.shape[1], self.width - 1
        out = x * self.w[last] + self.b
        for lag in range(1, min(self.width, steps)):  # x_{t - lag}: x moved ``lag`` steps later
            out = out + shift(x, lag) * self.w[last - lag]
        return out

    def initial_state(self, batch: int) -> Any:
        """The last ``K - 1`` inputs before the first step (zeros)."""
        return ops.zeros((batch, self.width - 1, self.w.shape[1]))

    def step(self, x: Any, window: Any) -> tuple[Any, Any]:
        """One step ``(B, C)``: the output and the next window."""
        full = ops.concatenate([window, ops.expand_dims(x, 1)], axis=1)  # (B, K, C)
        return ops.sum(full * self.w, axis=1) + self.b, full[:, 1:]


def headwise(layer: keras.layers.Layer, name: str, heads: int, width: int,
             bias: bool = False, initializer: Any = "glorot_uniform") -> tuple[Any, Any]:
    """Weights of a block-diagonal map of ``width`` in ``heads`` blocks: ``(H, w, w)`` and a
    ``(H, w)`` bias (or ``None``)."""
    size = width // heads
    kernel = layer.add_weight(name=name, shape=(heads, size, size), initializer=initializer)
    offset = layer.add_weight(name=f"{name}_bias", shape=(heads, size),
                              initializer="zeros") if bias else None
    return kernel, offset


def block_diagonal(kernel: Any) -> Any:
    """The ``(H * i, H * j)`` matrix whose diagonal blocks are ``kernel``'s ``(H, i, j)``.

    A product with it is one matrix product, as fast as a dense layer's; the blocks'
    ``einsum`` over a heads axis, which it replaces, took twice as long on TensorFlow's CPU
    kernels (its transposes and their gradients). The zeros off the blocks add exact zeros.
    """
    heads, rows, cols = kernel.shape
    eye = ops.eye(heads, dtype=kernel.dtype)
    return ops.reshape(ops.einsum("hij,hg->higj", kernel, eye), (heads * rows, heads * cols))


def apply_headwise(x: Any, kernel: Any, offset: Any = None) -> Any:
    """``x`` of ``(..., H * w)`` through the block-diagonal ``kernel`` (and bias)."""
    y = ops.matmul(x, block_diagonal(kernel))
    if offset is not None:
        y = y + ops.reshape(offset, (-1,))
    return y


def head_norm(x: Any, heads: int, scale: Any, eps: float = 1e-5) -> Any:
    """Layer norm within each of ``heads`` groups of the last axis, times ``scale``."""
    split = ops.reshape(x, (*ops.shape(x)[:-1], heads, x.shape[-1] // heads))
    mean = ops.mean(split, axis=-1, keepdims=True)
    var = ops.mean(ops.square(split - mean), axis=-1, keepdims=True)
    normed = (split - mean) * ops.rsqrt(var + eps)
    return ops.reshape(normed, ops.shape(x)) * scale
