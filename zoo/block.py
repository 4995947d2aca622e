"""The residual block every mixer of the zoo sits in, and the table of mixers by kind.

A model of a mixer family is a stack of :class:`LinearRNNBlock`: pre-norm (LayerNorm or
RMSNorm), the mixer, a residual; then, optionally, a GELU or gated GELU MLP with its own norm
and residual. The mixers are in :mod:`zoo.linear_rnn` (minGRU, minLSTM, S4D, Mamba),
:mod:`zoo.gated` (LRU, Hawk) and :mod:`zoo.xlstm` (mLSTM, sLSTM).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from zoo.checks import one_of
from zoo.gated import LRU, RGLRU
from zoo.linear_rnn import S4D, Mamba, MinRNN
from zoo.mixer import Mixer
from zoo.xlstm import MLSTM, SLSTM

KINDS = ("mingru", "minlstm", "s4d", "mamba", "lru", "hawk", "mlstm", "slstm")
NORMS = ("layer", "rms")
MLPS = ("gelu", "gated")


#: each kind's mixer class; S4D's FFT convolution has no 16-bit kernel, so it stays float32
MIXERS: dict[str, type[Mixer]] = {"mingru": MinRNN, "minlstm": MinRNN, "s4d": S4D,
                                  "mamba": Mamba, "lru": LRU, "hawk": RGLRU, "mlstm": MLSTM,
                                  "slstm": SLSTM}


@keras.saving.register_keras_serializable(package="seqzoo")
class LinearRNNBlock(keras.layers.Layer):
    """Pre-norm residual block: ``x + drop(mixer(norm(x)))``, then, with ``mlp_ratio > 0``,
    ``x + drop(MLP(norm(x)))``.

    Args:
        kind: one of :data:`KINDS`.
        mixer: the mixer's own arguments (see :data:`MIXERS`).
        mlp_ratio: the MLP's hidden width over D (0: no MLP).
        dropout: after the mixer and the MLP.
        norm: ``layer`` (LayerNorm) or ``rms`` (RMSNorm, as Griffin's blocks).
        mlp: ``gelu`` (``W2 gelu(W1 x)``) or ``gated`` (``W3 (gelu(W1 x) * W2 x)``, as
            Griffin's MLP block and xLSTM's post-up-projection).
    """

    def __init__(self, kind: str, mixer: dict[str, Any] | None = None,
                 mlp_ratio: float = 0, dropout: float = 0.0, norm: str = "layer",
                 mlp: str = "gelu", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind, self.mixer_args = one_of("kind", kind, KINDS), dict(mixer or {})
        self.mlp_ratio, self.dropout = mlp_ratio, dropout
        self.norm_kind, self.mlp_kind = one_of("norm", norm, NORMS), one_of("mlp", mlp, MLPS)
        self.supports_masking = True

    def _norm(self, name: str) -> keras.layers.Layer:
        if self.norm_kind == "rms":
            norm = keras.layers.RMSNormalization(epsilon=1e-6, name=name)
            norm.supports_masking = True  # per step: a mask passes through unchanged
            return norm
        return keras.layers.LayerNormalization(epsilon=1e-5, name=name)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        self.norm = self._norm("norm")
        self.norm.build(input_shape)
        args = dict(self.mixer_args)
        if self.kind in ("mingru", "minlstm"):
            args["cell"] = self.kind
        if self.kind == "s4d":
            args["dtype"] = "float32"
        self.mixer = MIXERS[self.kind](name="mixer", **args)
        self.mixer.build(input_shape)
        self.drop = keras.layers.Dropout(self.dropout)
        if self.mlp_ratio:
            hidden = max(1, round(self.mlp_ratio * width))
            gated = self.mlp_kind == "gated"
            self.mlp_norm = self._norm("mlp_norm")
            self.mlp_norm.build(input_shape)
            self.mlp_in = keras.layers.Dense((2 if gated else 1) * hidden,
                                             activation=None if gated else "gelu",
                                             name="mlp_in")
            self.mlp_in.build(input_shape)
            self.mlp_out = keras.layers.Dense(width, name="mlp_out")
            self.mlp_out.build((*input_shape[:-1], hidden))

    def _mlp(self, x: Any, training: bool | None) -> Any:
        if not self.mlp_ratio:
            return x
        hidden = self.mlp_in(self.mlp_norm(x))
        if self.mlp_kind == "gated":
            gate, value = ops.split(hidden, 2, axis=-1)
            hidden = ops.gelu(gate) * value
        return x + self.drop(self.mlp_out(hidden), training=training)

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
                "mlp_ratio": self.mlp_ratio, "dropout": self.dropout,
                "norm": self.norm_kind, "mlp": self.mlp_kind}
