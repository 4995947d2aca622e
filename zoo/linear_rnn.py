"""Parallel-in-time recurrent mixers and the residual block around them.

Shape legend: B batch, T steps, D model width, E = expand * D (Mamba's inner width), N state
size per channel (S4D keeps N/2 complex pairs), K causal convolution width, R = ceil(D / 16)
Mamba's step-size rank.

Every mixer maps ``(B, T, D) -> (B, T, D)`` causally, in parallel over time (``call``): the
input-dependent recurrences through :func:`zoo.scan.parallel_scan`, S4D (time-invariant) as
the equivalent causal convolution with its kernel, by FFT, O(T log T). Each offers the same
computation one step at a time (``step``), O(1) in T, for streaming at batch 1. Because every
mixer is causal, right-padded steps never change earlier outputs; the pooling after the blocks
reads the mask.

- ``mingru`` (Feng et al. 2024): ``z = sigmoid(W_z x)``, ``h~ = W_h x``,
  ``h = (1 - z) h + z h~``.
- ``minlstm`` (Feng et al. 2024): ``f, i = sigmoid(W_f x), sigmoid(W_i x)``, normalised
  ``f' = f / (f + i)``, ``i' = i / (f + i)``, ``h = f' h + i' W_h x``.
- ``s4d`` (Gu et al. 2022): per channel a diagonal complex SSM, ``A = -exp(A_re_log) + i A_im``
  (S4D-Lin: ``A_im = pi n``; S4D-Inv: ``A_im = N/pi (N/(2n+1) - 1)``), learned step
  ``dt = exp(log_dt)``, zero-order hold ``A_bar = exp(dt A)``, ``B_bar = (A_bar - 1) / A B``,
  ``y = 2 Re(C h) + D u``, then GELU and a GLU output projection. In parallel,
  ``y = K * u + D u`` with ``K_l = 2 Re(C A_bar^l B_bar)``, the S4 convolution view.
- ``mamba`` (Gu & Dao 2023): ``x, z = in_proj(u)``; ``x = silu(causal_depthwise_conv(x))``;
  input-dependent ``dt = softplus(dt_proj(x W_dt))``, ``B_t = x W_B``, ``C_t = x W_C``;
  diagonal real ``A = -exp(A_log)`` (S4D-Real init ``1..N``); ``h = exp(dt A) h + dt B_t x``;
  ``y = (C_t h + D x) * silu(z)``; ``out_proj``.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from zoo.checks import one_of
from zoo.scan import parallel_scan

KINDS = ("mingru", "minlstm", "s4d", "mamba")
S4D_INITS = ("lin", "inv")


def fft_size(steps: int) -> int:
    """The FFT length of S4D's causal convolution over ``steps``: a power of two >= 2 steps,
    so the circular convolution never wraps a late input onto an early output."""
    return 1 << (2 * steps - 1).bit_length()


def _dense(units: int, name: str, bias: bool = True) -> keras.layers.Dense:
    return keras.layers.Dense(units, use_bias=bias, name=name)


class _Mixer(keras.layers.Layer):
    """A causal sequence mixer with a parallel ``call`` and a streaming ``step``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # causal: right padding never reaches a real step

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        """The state before the first step."""
        raise NotImplementedError

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """``(B, D)`` input of one step -> ``(B, D)`` output and the next state."""
        raise NotImplementedError


class MinRNN(_Mixer):
    """minGRU or minLSTM over width ``D`` (its hidden size is the model width)."""

    def __init__(self, cell: str = "mingru", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cell = one_of("cell", cell, ("mingru", "minlstm"))

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        gates = 2 if self.cell == "mingru" else 3  # [z, h~] or [f, i, h~]
        self.proj = _dense(gates * width, "gates")
        self.proj.build(input_shape)

    def _coefficients(self, x: Any) -> tuple[Any, Any]:
        """``(a, b)`` of ``h = a h + b`` from the input alone."""
        parts = ops.split(self.proj(x), 2 if self.cell == "mingru" else 3, axis=-1)
        if self.cell == "mingru":
            z = ops.sigmoid(parts[0])
            return 1.0 - z, z * parts[1]
        f, i = ops.sigmoid(parts[0]), ops.sigmoid(parts[1])
        total = f + i
        return f / total, i / total * parts[2]

    def call(self, x: Any) -> Any:
        return parallel_scan(*self._coefficients(x))

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        return (ops.zeros((batch, self.proj.units // (2 if self.cell == "mingru" else 3))),)

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        a, b = self._coefficients(x)
        h = a * state[0] + b
        return h, (h,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cell": self.cell}


class S4D(_Mixer):
    """Diagonal state-space layer: ``D`` independent complex SSMs of state size ``d_state``.

    Args:
        d_state: N; the layer keeps N/2 complex pairs and reads out twice their real part.
        init: ``lin`` (S4D-Lin) or ``inv`` (S4D-Inv) imaginary parts of A.
        dt_min, dt_max: the range of the initial step sizes (log-uniform).
    """

    def __init__(self, d_state: int = 32, init: str = "lin", dt_min: float = 1e-3,
                 dt_max: float = 1e-1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.d_state, self.init = d_state, one_of("init", init, S4D_INITS)
        self.dt_min, self.dt_max = dt_min, dt_max

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width, pairs = input_shape[-1], max(1, self.d_state // 2)
        n = np.arange(pairs, dtype="float32")
        imag = (math.pi * n if self.init == "lin"
                else self.d_state / math.pi * (self.d_state / (2 * n + 1) - 1))
        const = keras.initializers.Constant
        self.log_dt = self.add_weight(name="log_dt", shape=(width,), initializer=(
            keras.initializers.RandomUniform(math.log(self.dt_min), math.log(self.dt_max))))
        self.a_re_log = self.add_weight(name="a_re_log", shape=(width, pairs),
                                        initializer=const(math.log(0.5)))
        self.a_im = self.add_weight(name="a_im", shape=(width, pairs),
                                    initializer=const(np.tile(imag, (width, 1))))
        self.b = self.add_weight(name="b", shape=(2, width, pairs), initializer=const(
            np.stack([np.ones((width, pairs)), np.zeros((width, pairs))]).astype("float32")))
        self.c = self.add_weight(name="c", shape=(2, width, pairs),
                                 initializer=keras.initializers.RandomNormal(stddev=0.5 ** 0.5))
        self.skip = self.add_weight(name="skip", shape=(width,), initializer="ones")
        self.out = _dense(2 * width, "glu")
        self.out.build(input_shape)

    def _discrete(self) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        """Zero-order hold: ``(A_bar, B_bar)`` as (real, imaginary) pairs of ``(D, N/2)``."""
        dt = ops.expand_dims(ops.exp(self.log_dt), -1)
        a_re, a_im = -ops.exp(self.a_re_log), self.a_im
        decay = ops.exp(dt * a_re)
        bar_re, bar_im = decay * ops.cos(dt * a_im), decay * ops.sin(dt * a_im)
        # (A_bar - 1) / A = (A_bar - 1) * conj(A) / |A|^2, then times B
        norm = a_re * a_re + a_im * a_im
        q_re = ((bar_re - 1.0) * a_re + bar_im * a_im) / norm
        q_im = (bar_im * a_re - (bar_re - 1.0) * a_im) / norm
        b_re, b_im = self.b[0], self.b[1]
        return (bar_re, bar_im), (q_re * b_re - q_im * b_im, q_re * b_im + q_im * b_re)

    def _readout(self, h: tuple[Any, Any], u: Any) -> Any:
        """``GLU(GELU(2 Re(C h) + D u))`` for ``h`` of ``(..., D, N/2)`` pairs."""
        return self._readout_y(2.0 * ops.sum(h[0] * self.c[0] - h[1] * self.c[1], axis=-1), u)

    def _readout_y(self, y: Any, u: Any) -> Any:
        """``GLU(GELU(y + D u))`` for the SSM's output ``y`` of ``(..., D)``."""
        left, right = ops.split(self.out(ops.gelu(y + self.skip * u)), 2, axis=-1)
        return left * ops.sigmoid(right)

    def kernel(self, steps: int) -> Any:
        """The layer's convolution kernel ``K_l = 2 Re(C A_bar^l B_bar)``, ``(D, steps)``:
        ``y_t = sum_l K_l u_{t-l}`` is the recurrence unrolled (``A_bar^l = exp(l dt A)``)."""
        (_, _), (br, bi) = self._discrete()
        cb_re = self.c[0] * br - self.c[1] * bi
        cb_im = self.c[0] * bi + self.c[1] * br
        dt = ops.expand_dims(ops.exp(self.log_dt), -1)
        lags = ops.arange(steps, dtype=br.dtype)  # (T,)
        decay = ops.exp(ops.expand_dims(dt * -ops.exp(self.a_re_log), -1) * lags)
        angle = ops.expand_dims(dt * self.a_im, -1) * lags  # (D, N/2, T)
        power_re, power_im = decay * ops.cos(angle), decay * ops.sin(angle)
        return 2.0 * ops.sum(ops.expand_dims(cb_re, -1) * power_re
                             - ops.expand_dims(cb_im, -1) * power_im, axis=1)

    def call(self, x: Any) -> Any:
        steps = x.shape[1]
        if steps is None:
            raise ValueError("S4D needs a static sequence length; build the model with "
                             "TaskSpec(seq_len=...)")
        size = fft_size(steps)
        u = ops.moveaxis(x, 1, -1)  # (B, D, T)
        u_re, u_im = ops.rfft(u, fft_length=size)
        k_re, k_im = ops.rfft(self.kernel(steps), fft_length=size)
        y = ops.irfft((u_re * k_re - u_im * k_im, u_re * k_im + u_im * k_re),
                      fft_length=size)[..., :steps]
        return self._readout_y(ops.moveaxis(y, -1, 1), x)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        shape = (batch, *self.a_im.shape)
        return (ops.zeros(shape), ops.zeros(shape))

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        (ar, ai), (br, bi) = self._discrete()
        u = ops.expand_dims(x, -1)
        h = (ar * state[0] - ai * state[1] + u * br, ar * state[1] + ai * state[0] + u * bi)
        return self._readout(h, x), h

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "d_state": self.d_state, "init": self.init,
                "dt_min": self.dt_min, "dt_max": self.dt_max}


class Mamba(_Mixer):
    """The selective SSM mixer of a Mamba block.

    Args:
        d_state: N, the state size per inner channel.
        expand: E / D, the inner width factor.
        d_conv: K, the causal depthwise convolution width.
        dt_min, dt_max: the range of the initial step sizes (log-uniform).
    """

    def __init__(self, d_state: int = 16, expand: int = 2, d_conv: int = 4,
                 dt_min: float = 1e-3, dt_max: float = 1e-1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.d_state, self.expand, self.d_conv = d_state, expand, d_conv
        self.dt_min, self.dt_max = dt_min, dt_max

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        inner, rank = self.expand * width, math.ceil(width / 16)
        self.rank = rank
        self.in_proj = _dense(2 * inner, "in_proj", bias=False)
        self.in_proj.build(input_shape)
        self.conv_w = self.add_weight(name="conv_w", shape=(self.d_conv, inner))
        self.conv_b = self.add_weight(name="conv_b", shape=(inner,), initializer="zeros")
        self.x_proj = _dense(rank + 2 * self.d_state, "x_proj", bias=False)
        self.x_proj.build((None, inner))
        self.dt_proj = keras.layers.Dense(inner, name="dt_proj",
                                          bias_initializer=self._dt_bias)
        self.dt_proj.build((None, rank))
        self.a_log = self.add_weight(name="a_log", shape=(inner, self.d_state),
                                     initializer=keras.initializers.Constant(np.log(np.tile(
                                         np.arange(1, self.d_state + 1, dtype="float32"),
                                         (inner, 1)))))
        self.skip = self.add_weight(name="skip", shape=(inner,), initializer="ones")
        self.out_proj = _dense(width, "out_proj", bias=False)
        self.out_proj.build((None, inner))

    def _dt_bias(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        """Inverse softplus of step sizes log-uniform in [dt_min, dt_max]."""
        dt = ops.exp(keras.random.uniform(shape, math.log(self.dt_min), math.log(self.dt_max)))
        return ops.cast(dt + ops.log(-ops.expm1(-dt)), dtype or "float32")

    def _selective(self, x: Any) -> tuple[Any, Any, Any]:
        """``(A_bar, B_bar x, C)`` for conv outputs ``x`` of ``(..., E)``: decays and inputs
        of ``(..., E, N)``, readout ``(..., N)``."""
        dt_raw, b, c = ops.split(self.x_proj(x), [self.rank, self.rank + self.d_state], -1)
        dt = ops.expand_dims(ops.softplus(self.dt_proj(dt_raw)), -1)
        a_bar = ops.exp(dt * -ops.exp(self.a_log))
        return a_bar, dt * ops.expand_dims(b, -2) * ops.expand_dims(x, -1), c

    def _output(self, h: Any, c: Any, x: Any, z: Any) -> Any:
        y = ops.sum(h * ops.expand_dims(c, -2), axis=-1) + self.skip * x
        return self.out_proj(y * ops.silu(z))

    def call(self, u: Any) -> Any:
        x, z = ops.split(self.in_proj(u), 2, axis=-1)
        steps = x.shape[1]
        padded = ops.pad(x, [(0, 0), (self.d_conv - 1, 0), (0, 0)])
        conv = sum(padded[:, k:k + steps] * self.conv_w[k] for k in range(self.d_conv))
        x = ops.silu(conv + self.conv_b)
        a_bar, bx, c = self._selective(x)
        return self._output(parallel_scan(a_bar, bx), c, x, z)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        inner = self.skip.shape[0]
        return (ops.zeros((batch, self.d_conv - 1, inner)),
                ops.zeros((batch, inner, self.d_state)))

    def step(self, u: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        x, z = ops.split(self.in_proj(u), 2, axis=-1)
        window = ops.concatenate([state[0], ops.expand_dims(x, 1)], axis=1)  # (B, K, E)
        x = ops.silu(ops.sum(window * self.conv_w, axis=1) + self.conv_b)
        a_bar, bx, c = self._selective(x)
        h = a_bar * state[1] + bx
        return self._output(h, c, x, z), (window[:, 1:], h)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "d_state": self.d_state, "expand": self.expand,
                "d_conv": self.d_conv, "dt_min": self.dt_min, "dt_max": self.dt_max}


@keras.saving.register_keras_serializable(package="seqzoo")
class LinearRNNBlock(keras.layers.Layer):
    """Pre-norm residual block: ``x + drop(mixer(LN(x)))``, then, with ``mlp_ratio > 0``,
    ``x + drop(MLP(LN(x)))`` (GELU, hidden ``mlp_ratio * D``).

    Args:
        kind: ``mingru``, ``minlstm``, ``s4d`` or ``mamba``.
        mixer: the mixer's own arguments (see :class:`MinRNN`, :class:`S4D`, :class:`Mamba`).
        mlp_ratio: the MLP's hidden width over D (0: no MLP).
        dropout: after the mixer and the MLP.
    """

    def __init__(self, kind: str, mixer: dict[str, Any] | None = None, mlp_ratio: int = 0,
                 dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind, self.mixer_args = one_of("kind", kind, KINDS), dict(mixer or {})
        self.mlp_ratio, self.dropout = mlp_ratio, dropout
        self.supports_masking = True

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        self.norm = keras.layers.LayerNormalization(epsilon=1e-5, name="norm")
        self.norm.build(input_shape)
        if self.kind in ("mingru", "minlstm"):
            self.mixer = MinRNN(self.kind, name="mixer", **self.mixer_args)
        else:
            # S4D's FFT convolution has no 16-bit kernel: it stays float32 under a mixed policy
            precision = {"dtype": "float32"} if self.kind == "s4d" else {}
            self.mixer = {"s4d": S4D, "mamba": Mamba}[self.kind](name="mixer", **precision,
                                                                 **self.mixer_args)
        self.mixer.build(input_shape)
        self.drop = keras.layers.Dropout(self.dropout)
        if self.mlp_ratio:
            self.mlp_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="mlp_norm")
            self.mlp_norm.build(input_shape)
            self.mlp_in = keras.layers.Dense(self.mlp_ratio * width, activation="gelu",
                                             name="mlp_in")
            self.mlp_in.build(input_shape)
            self.mlp_out = keras.layers.Dense(width, name="mlp_out")
            self.mlp_out.build((*input_shape[:-1], self.mlp_ratio * width))

    def _mlp(self, x: Any, training: bool | None) -> Any:
        if not self.mlp_ratio:
            return x
        return x + self.drop(self.mlp_out(self.mlp_in(self.mlp_norm(x))), training=training)

    def call(self, x: Any, mask: Any = None, training: bool | None = None) -> Any:
        x = x + self.drop(self.mixer(self.norm(x)), training=training)
        return self._mlp(x, training)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        """The mixer's state before the first step."""
        return self.mixer.initial_state(batch)

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """One step ``(B, D)`` at inference: the output and the next state."""
        y, state = self.mixer.step(self.norm(x), state)
        return self._mlp(x + y, False), state

    def compute_mask(self, x: Any, mask: Any = None) -> Any:
        return mask

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "kind": self.kind, "mixer": self.mixer_args,
                "mlp_ratio": self.mlp_ratio, "dropout": self.dropout}
