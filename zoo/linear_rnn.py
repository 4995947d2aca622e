"""The linear-recurrent mixers (minGRU, minLSTM, S4D, Mamba) and the residual block that every
mixer of the zoo sits in.

Shape legend: B batch, T steps, D model width, E = expand * D (Mamba's inner width), N state
size per channel (S4D keeps N/2 complex pairs), K causal convolution width, R = ceil(D / 16)
Mamba's step-size rank.

Every mixer maps ``(B, T, D) -> (B, T, D)`` causally, in parallel over time (``call``): the
input-dependent recurrences through :func:`zoo.scan.linear_scan` in the form measured fastest
for the backend and device (``scan="auto"``), S4D (time-invariant) as the equivalent causal
convolution with its kernel, by FFT, O(T log T). Each offers the same
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
  ``y = (C_t h + D x) * silu(z)``; ``out_proj``. Initialised as state-spaces'
  ``mamba_simple.py``: ``dt_proj`` weight uniform in ``+-R^-0.5``, dt bias the inverse
  softplus of steps log-uniform in ``[dt_min, dt_max]``, the convolution as PyTorch's
  ``Conv1d`` (uniform in ``+-1/sqrt(K)``), ``A_log = log(1..N)``, ``D = 1``. Its sequential
  form contracts the state with ``C_t`` inside the loop (state-spaces' ``selective_scan_ref``),
  and its chunked form loops over chunks of 32 steps with a doubling scan inside each, so
  neither builds a ``(B, T, E, N)`` tensor in the forward pass.

The newer families' mixers live in :mod:`zoo.gated` (LRU, Hawk's RG-LRU) and :mod:`zoo.xlstm`
(mLSTM, sLSTM); :class:`zoo.block.LinearRNNBlock` takes any of them by ``kind``.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from zoo.checks import one_of
from zoo.loop import scan_outputs
from zoo.mixer import CausalConv, Mixer, dense, scan_form
from zoo.scan import linear_scan

S4D_INITS = ("lin", "inv")
#: the steps per chunk of Mamba's chunked form
CHUNK = 32


def fft_size(steps: int) -> int:
    """The FFT length of S4D's causal convolution over ``steps``: a power of two >= 2 steps,
    so the circular convolution never wraps a late input onto an early output."""
    return 1 << (2 * steps - 1).bit_length()


class MinRNN(Mixer):
    """minGRU or minLSTM over width ``D`` (its hidden size is the model width).

    Args:
        cell: ``mingru`` or ``minlstm``.
        scan: the scan form (:data:`zoo.scan.FORMS`), or ``auto`` for the measured fastest.
    """

    def __init__(self, cell: str = "mingru", scan: str = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cell = one_of("cell", cell, ("mingru", "minlstm"))
        self.scan = scan
        self.form = scan_form(self.cell, scan)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        gates = 2 if self.cell == "mingru" else 3  # [z, h~] or [f, i, h~]
        self.proj = dense(gates * width, "gates")
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
        return linear_scan(*self._coefficients(x), form=self.form)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        return (ops.zeros((batch, self.proj.units // (2 if self.cell == "mingru" else 3))),)

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        a, b = self._coefficients(x)
        h = a * state[0] + b
        return h, (h,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cell": self.cell, "scan": self.scan}


class S4D(Mixer):
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

    form = "fft"

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
        # D ~ N(0, 1), as state-spaces' s4d.py (``torch.randn(self.h)``)
        self.skip = self.add_weight(name="skip", shape=(width,),
                                    initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.out = dense(2 * width, "glu")
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


class Mamba(Mixer):
    """The selective SSM mixer of a Mamba block.

    Args:
        d_state: N, the state size per inner channel.
        expand: E / D, the inner width factor.
        d_conv: K, the causal depthwise convolution width.
        dt_min, dt_max: the range of the initial step sizes (log-uniform).
        scan: the scan form (:data:`zoo.scan.FORMS`), or ``auto`` for the measured fastest.
    """

    def __init__(self, d_state: int = 16, expand: int = 2, d_conv: int = 4,
                 dt_min: float = 1e-3, dt_max: float = 1e-1, scan: str = "auto",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.d_state, self.expand, self.d_conv = d_state, expand, d_conv
        self.dt_min, self.dt_max, self.scan = dt_min, dt_max, scan
        self.form = scan_form("mamba", scan)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        inner, rank = self.expand * width, math.ceil(width / 16)
        self.rank = rank
        self.in_proj = dense(2 * inner, "in_proj", bias=False)
        self.in_proj.build(input_shape)
        bound = 1.0 / math.sqrt(self.d_conv)  # PyTorch Conv1d's default, fan_in = K
        uniform = keras.initializers.RandomUniform(-bound, bound)
        self.conv = CausalConv(self, self.d_conv, inner, uniform, uniform)
        self.x_proj = dense(rank + 2 * self.d_state, "x_proj", bias=False)
        self.x_proj.build((None, inner))
        self.dt_proj = keras.layers.Dense(
            inner, name="dt_proj", bias_initializer=self._dt_bias,
            kernel_initializer=keras.initializers.RandomUniform(-rank ** -0.5, rank ** -0.5))
        self.dt_proj.build((None, rank))
        self.a_log = self.add_weight(name="a_log", shape=(inner, self.d_state),
                                     initializer=keras.initializers.Constant(np.log(np.tile(
                                         np.arange(1, self.d_state + 1, dtype="float32"),
                                         (inner, 1)))))
        self.skip = self.add_weight(name="skip", shape=(inner,), initializer="ones")
        self.out_proj = dense(width, "out_proj", bias=False)
        self.out_proj.build((None, inner))

    def _dt_bias(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        """Inverse softplus of step sizes log-uniform in [dt_min, dt_max]."""
        dt = ops.exp(keras.random.uniform(shape, math.log(self.dt_min), math.log(self.dt_max)))
        return ops.cast(dt + ops.log(-ops.expm1(-dt)), dtype or "float32")

    def _selective(self, x: Any) -> tuple[Any, Any, Any]:
        """Step sizes ``(..., E)``, ``B`` and ``C`` ``(..., N)`` from conv outputs ``x``."""
        dt_raw, b, c = ops.split(self.x_proj(x), [self.rank, self.rank + self.d_state], -1)
        return ops.softplus(self.dt_proj(dt_raw)), b, c

    def _update(self, h: Any, dt: Any, b: Any, x: Any) -> Any:
        """``exp(dt A) h + dt B x`` for one step (or broadcast over a time axis)."""
        delta = ops.expand_dims(dt, -1)
        return ops.exp(delta * -ops.exp(self.a_log)) * h + delta * ops.expand_dims(
            b, -2) * ops.expand_dims(x, -1)

    def _contract(self, h: Any, c: Any) -> Any:
        return ops.sum(h * ops.expand_dims(c, -2), axis=-1)

    def _loop(self, dt: Any, b: Any, c: Any, x: Any) -> Any:
        """The sequential form: ``C_t h_t`` inside the loop, one ``(B, E, N)`` state."""

        def step(h: Any, xs: tuple[Any, ...]) -> tuple[Any, Any]:
            dt_t, b_t, c_t, x_t = xs
            h = self._update(h, dt_t, b_t, x_t)
            return h, self._contract(h, c_t)

        h0 = ops.zeros((ops.shape(x)[0], x.shape[-1], self.d_state), dtype=x.dtype)
        _, y = scan_outputs(step, h0, tuple(ops.moveaxis(p, 1, 0) for p in (dt, b, c, x)))
        return ops.moveaxis(y, 0, 1)

    def _chunked(self, dt: Any, b: Any, c: Any, x: Any) -> Any:
        """The chunked form: a loop over chunks of :data:`CHUNK` steps, a doubling scan inside
        each from the carried state, contracted with ``C`` there; only one chunk's
        ``(B, Q, E, N)`` states exist at a time in the forward pass."""
        steps = x.shape[1]
        size = min(CHUNK, 1 << max(0, (steps - 1).bit_length()))
        chunks = -(-steps // size)
        tail = [(0, 0), (0, chunks * size - steps), (0, 0)]  # dt = 0 past the end: no change

        def fold(p: Any) -> Any:  # (B, T, F) -> (C, B, Q, F)
            p = ops.reshape(ops.pad(p, tail), (-1, chunks, size, p.shape[-1]))
            return ops.moveaxis(p, 1, 0)

        def step(h: Any, xs: tuple[Any, ...]) -> tuple[Any, Any]:
            dt_c, b_c, c_c, x_c = xs
            delta = ops.expand_dims(dt_c, -1)
            a_bar = ops.exp(delta * -ops.exp(self.a_log))
            bx = delta * ops.expand_dims(b_c, -2) * ops.expand_dims(x_c, -1)
            states = linear_scan(a_bar, bx, initial=h)
            return states[:, -1], self._contract(states, c_c)

        h0 = ops.zeros((ops.shape(x)[0], x.shape[-1], self.d_state), dtype=x.dtype)
        _, y = scan_outputs(step, h0, tuple(fold(p) for p in (dt, b, c, x)))  # (C, B, Q, E)
        y = ops.reshape(ops.moveaxis(y, 0, 1), (-1, chunks * size, x.shape[-1]))
        return y[:, :steps]

    def _output(self, y: Any, x: Any, z: Any) -> Any:
        return self.out_proj((y + self.skip * x) * ops.silu(z))

    def call(self, u: Any) -> Any:
        x, z = ops.split(self.in_proj(u), 2, axis=-1)
        x = ops.silu(self.conv(x))
        dt, b, c = self._selective(x)
        if self.form in ("sequential", "chunked"):
            form = self._loop if self.form == "sequential" else self._chunked
            return self._output(form(dt, b, c, x), x, z)
        delta = ops.expand_dims(dt, -1)
        a_bar = ops.exp(delta * -ops.exp(self.a_log))
        bx = delta * ops.expand_dims(b, -2) * ops.expand_dims(x, -1)
        return self._output(self._contract(linear_scan(a_bar, bx, form=self.form), c), x, z)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        inner = self.skip.shape[0]
        return self.conv.initial_state(batch), ops.zeros((batch, inner, self.d_state))

    def step(self, u: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        x, z = ops.split(self.in_proj(u), 2, axis=-1)
        x, window = self.conv.step(x, state[0])
        x = ops.silu(x)
        dt, b, c = self._selective(x)
        h = self._update(state[1], dt, b, x)
        return self._output(self._contract(h, c), x, z), (window, h)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "d_state": self.d_state, "expand": self.expand,
                "d_conv": self.d_conv, "dt_min": self.dt_min, "dt_max": self.dt_max,
                "scan": self.scan}
