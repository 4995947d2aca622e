"""The newer diagonal linear recurrences: the LRU and Hawk's RG-LRU.

Shape legend: B batch, T steps, D model width, N the LRU's complex state size, L Hawk's
recurrence width (``expand * D``), H heads of the block-diagonal gates, K conv width.

- ``lru`` (Orvieto et al. 2023, arXiv 2303.06349, Appendix A): per state element
  ``lambda = exp(-exp(nu_log) + i exp(theta_log))``, ring-initialised (``|lambda|`` uniform on
  the ring area between ``r_min`` and ``r_max``, phase uniform in ``[0, max_phase]``);
  ``h_t = lambda h_{t-1} + gamma (B u_t)`` with ``gamma = exp(gamma_log)`` initialised to
  ``sqrt(1 - |lambda|^2)``; ``y = Re(C h) + D u``; then GELU and a GLU output projection, as
  S4D's. The complex scan goes through :func:`zoo.scan.linear_scan` as a (real, imaginary)
  pair.
- ``hawk`` (De et al. 2024, arXiv 2402.19427; google-deepmind/recurrentgemma's
  ``RecurrentBlock`` and ``RGLRU``): a GeLU branch ``gelu(W_y x)``, and ``W_x x`` through a
  width-4 causal conv then the RG-LRU: ``r = sigmoid(W_a u)``, ``i = sigmoid(W_i u)``
  (block-diagonal, H heads), ``log a = -c r softplus(Lambda)`` with ``c = 8``,
  ``h = a h + sqrt(1 - a^2) (i u)``, ``Lambda`` ring-initialised so ``a`` starts in
  ``[0.9, 0.999]``; the product of both branches, then ``W_out``. recurrentgemma bounds the
  derivative of the square root at 1,000, as the floor ``1 - a^2 >= 1 / (4 * 1000^2)`` here
  does; it skips the normalisation at a document's first token, which this zoo (no document
  resets) does not.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from zoo.mixer import CausalConv, Mixer, apply_headwise, dense, headwise, scan_form
from zoo.scan import linear_scan

#: recurrentgemma's bound on the derivative of sqrt(1 - a^2): sqrt is floored at 1 / (2 * 1000)
SQRT_FLOOR = 1.0 / (4 * 1000.0 ** 2)


def check_ring(r_min: float, r_max: float) -> None:
    """Raise ``ValueError`` unless ``0 <= r_min < r_max <= 1`` (the LRU's ring of |lambda|)."""
    if not 0.0 <= r_min < r_max <= 1.0:
        raise ValueError(f"the LRU's ring needs 0 <= r_min < r_max <= 1, got "
                         f"r_min={r_min!r}, r_max={r_max!r}")


def ring_magnitudes(shape: tuple[int, ...], r_min: float, r_max: float) -> Any:
    """``|lambda|^2`` uniform on the ring's area: ``u (r_max^2 - r_min^2) + r_min^2``."""
    return keras.random.uniform(shape) * (r_max ** 2 - r_min ** 2) + r_min ** 2


class LRU(Mixer):
    """The Linear Recurrent Unit over width ``D`` with ``d_state`` complex states.

    Args:
        d_state: N, the number of complex state elements.
        r_min, r_max: the ring of initial ``|lambda|``.
        max_phase: the largest initial phase of ``lambda``.
        scan: the scan form (:data:`zoo.scan.FORMS`), or ``auto`` for the measured fastest.
    """

    def __init__(self, d_state: int = 64, r_min: float = 0.9, r_max: float = 0.999,
                 max_phase: float = math.pi / 10, scan: str = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_ring(r_min, r_max)
        self.d_state, self.r_min, self.r_max = d_state, r_min, r_max
        self.max_phase, self.scan = max_phase, scan
        self.form = scan_form("lru", scan)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width, states = input_shape[-1], self.d_state
        squared = ring_magnitudes((states,), self.r_min, self.r_max)  # |lambda|^2
        self.nu_log = self.add_weight(name="nu_log", shape=(states,), initializer=(
            lambda shape, dtype=None: ops.log(-0.5 * ops.log(squared))))
        self.theta_log = self.add_weight(name="theta_log", shape=(states,), initializer=(
            lambda shape, dtype=None: ops.log(self.max_phase * keras.random.uniform(shape)
                                              + 1e-12)))
        self.gamma_log = self.add_weight(name="gamma_log", shape=(states,), initializer=(
            lambda shape, dtype=None: 0.5 * ops.log(1.0 - squared)))
        normal = keras.initializers.RandomNormal
        self.b = self.add_weight(name="b", shape=(2, width, states),
                                 initializer=normal(stddev=1.0 / math.sqrt(2 * width)))
        self.c = self.add_weight(name="c", shape=(2, states, width),
                                 initializer=normal(stddev=1.0 / math.sqrt(states)))
        self.skip = self.add_weight(name="skip", shape=(width,), initializer=normal(stddev=1.0))
        self.out = dense(2 * width, "glu")
        self.out.build(input_shape)

    def _lambda(self) -> tuple[Any, Any]:
        radius, angle = ops.exp(-ops.exp(self.nu_log)), ops.exp(self.theta_log)
        return radius * ops.cos(angle), radius * ops.sin(angle)

    def _inputs(self, u: Any) -> tuple[Any, Any]:
        """``gamma (B u)`` as a (real, imaginary) pair of ``(..., N)``."""
        gamma = ops.exp(self.gamma_log)
        return ops.matmul(u, self.b[0]) * gamma, ops.matmul(u, self.b[1]) * gamma

    def _readout(self, h: tuple[Any, Any], u: Any) -> Any:
        """``GLU(GELU(Re(C h) + D u))``."""
        y = ops.matmul(h[0], self.c[0]) - ops.matmul(h[1], self.c[1]) + self.skip * u
        left, right = ops.split(self.out(ops.gelu(y)), 2, axis=-1)
        return left * ops.sigmoid(right)

    def call(self, u: Any) -> Any:
        return self._readout(linear_scan(self._lambda(), self._inputs(u), form=self.form), u)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        return ops.zeros((batch, self.d_state)), ops.zeros((batch, self.d_state))

    def step(self, u: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        (ar, ai), (br, bi) = self._lambda(), self._inputs(u)
        h = (ar * state[0] - ai * state[1] + br, ar * state[1] + ai * state[0] + bi)
        return self._readout(h, u), h

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "d_state": self.d_state, "r_min": self.r_min,
                "r_max": self.r_max, "max_phase": self.max_phase, "scan": self.scan}


class RGLRU(Mixer):
    """Hawk's recurrent block around the RG-LRU (the temporal-mixing half of a Hawk block).

    Args:
        heads: H, the blocks of the block-diagonal gate projections (must divide L).
        expand: L / D, the recurrence width factor (Griffin: ``lru_width``, default D).
        d_conv: K, the causal convolution width.
        c: the constant that scales ``log a`` (8 in the paper).
        scan: the scan form (:data:`zoo.scan.FORMS`), or ``auto`` for the measured fastest.
    """

    def __init__(self, heads: int = 4, expand: int = 1, d_conv: int = 4, c: float = 8.0,
                 scan: str = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heads, self.expand, self.d_conv, self.c, self.scan = heads, expand, d_conv, c, scan
        self.form = scan_form("hawk", scan)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        inner = self.expand * width
        if inner % self.heads:
            raise ValueError(f"heads={self.heads} must divide the recurrence width {inner}")
        self.linear_y = dense(inner, "linear_y")
        self.linear_y.build(input_shape)
        self.linear_x = dense(inner, "linear_x")
        self.linear_x.build(input_shape)
        self.conv = CausalConv(self, self.d_conv, inner, keras.initializers.RandomNormal(
            stddev=math.sqrt(0.01 / self.d_conv)))
        gate_init = keras.initializers.RandomNormal(stddev=math.sqrt(self.heads / inner))
        self.input_gate = headwise(self, "input_gate", self.heads, inner, True, gate_init)
        self.a_gate = headwise(self, "a_gate", self.heads, inner, True, gate_init)
        self.a_param = self.add_weight(name="a_param", shape=(inner,), initializer=(
            lambda shape, dtype=None: ops.log(ops.exp(
                -0.5 * ops.log(ring_magnitudes(shape, 0.9, 0.999) + 1e-8)) - 1.0)))
        self.linear_out = dense(width, "linear_out")
        self.linear_out.build((None, inner))

    def coefficients(self, u: Any) -> tuple[Any, Any]:
        """``(a, b)`` of the RG-LRU's ``h = a h + b`` for conv outputs ``u`` of ``(..., L)``."""
        gate_x = ops.sigmoid(apply_headwise(u, *self.input_gate))
        gate_a = ops.sigmoid(apply_headwise(u, *self.a_gate))
        log_a = -self.c * gate_a * ops.softplus(self.a_param)
        multiplier = ops.sqrt(ops.maximum(1.0 - ops.exp(2.0 * log_a), SQRT_FLOOR))
        return ops.exp(log_a), u * gate_x * multiplier

    def call(self, x: Any) -> Any:
        branch = ops.gelu(self.linear_y(x))
        h = linear_scan(*self.coefficients(self.conv(self.linear_x(x))), form=self.form)
        return self.linear_out(h * branch)

    def initial_state(self, batch: int) -> tuple[Any, ...]:
        return self.conv.initial_state(batch), ops.zeros((batch, self.a_param.shape[0]))

    def step(self, x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        u, window = self.conv.step(self.linear_x(x), state[0])
        a, b = self.coefficients(u)
        h = a * state[1] + b
        return self.linear_out(h * ops.gelu(self.linear_y(x))), (window, h)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "heads": self.heads, "expand": self.expand,
                "d_conv": self.d_conv, "c": self.c, "scan": self.scan}
