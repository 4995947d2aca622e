"""Custom layers used by the zoo: attention pooling, positional embedding, transformer block.

All are built from stock Keras 3 layers and ``keras.ops`` so they run on every backend, and
are registered serialisable so ``.keras`` files load without ``custom_objects``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from zoo.checks import one_of


def _masked_softmax(scores: Any, mask: Any) -> Any:
    """Softmax over axis 1 that gives padded steps zero weight."""
    if mask is not None:
        scores = ops.where(ops.cast(mask, "bool"), scores, ops.full_like(scores, -1e9))
    return ops.softmax(scores, axis=1)


@keras.saving.register_keras_serializable(package="seqzoo")
class AttentionPooling(keras.layers.Layer):
    """Pool a sequence ``(B, T, D) -> (B, D)`` with learned attention weights.

    Args:
        score: ``"additive"`` (Bahdanau: ``v^T tanh(W h)``) or ``"dot"`` (scaled dot product
            with a learned query vector).
        attention_units: hidden width of the additive scorer.
        causal: pool every prefix instead, ``(B, T, D) -> (B, T, D)``: position ``t`` gets
            the softmax-weighted mean of steps ``<= t`` (the same scores), for tasks answered
            at every position. Computed with running sums, so memory stays linear in ``T``.
    """

    SCORES = ("additive", "dot")

    def __init__(self, score: str = "additive", attention_units: int = 64, causal: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.score = one_of("attention", score, self.SCORES)
        self.attention_units = attention_units
        self.causal = causal

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        dim = input_shape[-1]
        if self.score == "additive":
            self.w = self.add_weight(name="w", shape=(dim, self.attention_units))
            self.b = self.add_weight(name="b", shape=(self.attention_units,), initializer="zeros")
            self.v = self.add_weight(name="v", shape=(self.attention_units,))
        else:
            self.q = self.add_weight(name="q", shape=(dim,))

    def call(self, x: Any, mask: Any = None) -> Any:
        if self.score == "additive":
            scores = ops.tensordot(ops.tanh(ops.tensordot(x, self.w, 1) + self.b), self.v, 1)
        else:
            scores = ops.tensordot(x, self.q, 1) / ops.sqrt(ops.cast(ops.shape(x)[-1], x.dtype))
        if self.causal:
            return self._prefix_pool(x, scores, mask)
        weights = _masked_softmax(scores, mask)
        return ops.sum(x * ops.expand_dims(weights, -1), axis=1)

    @staticmethod
    def _prefix_pool(x: Any, scores: Any, mask: Any) -> Any:
        """Softmax-weighted mean of every prefix: running sums of ``exp(score - max)``."""
        weights = ops.exp(scores - ops.max(scores, axis=1, keepdims=True))
        if mask is not None:
            weights = weights * ops.cast(mask, weights.dtype)
        total = ops.cumsum(weights, axis=1)
        pooled = ops.cumsum(x * ops.expand_dims(weights, -1), axis=1)
        return pooled / ops.expand_dims(ops.maximum(total, 1e-30), -1)

    def compute_mask(self, x: Any, mask: Any = None) -> Any:
        return mask if self.causal else None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape if self.causal else (input_shape[0], input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "score": self.score,
                "attention_units": self.attention_units, "causal": self.causal}


@keras.saving.register_keras_serializable(package="seqzoo")
class PositionalEmbedding(keras.layers.Layer):
    """Add a learned embedding of each step's position to a ``(B, T, D)`` sequence."""

    def __init__(self, max_len: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_len = max_len

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.positions = self.add_weight(
            name="positions", shape=(self.max_len, input_shape[-1]),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, x: Any) -> Any:
        return x + self.positions[: ops.shape(x)[1]]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_len": self.max_len}


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm encoder block: ``x + MHA(LN(x))`` then ``x + FFN(LN(x))``.

    Args:
        num_heads: attention heads; must divide the model width.
        ff_dim: hidden width of the feed-forward sublayer.
        dropout: dropout rate inside attention and after each sublayer.
    """

    def __init__(self, num_heads: int, ff_dim: int, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_heads, self.ff_dim, self.dropout = num_heads, ff_dim, dropout

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm1")
        self.attn = keras.layers.MultiHeadAttention(
            self.num_heads, width // self.num_heads, dropout=self.dropout, name="attention")
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm2")
        self.ff1 = keras.layers.Dense(self.ff_dim, activation="gelu", name="ff1")
        self.ff2 = keras.layers.Dense(width, name="ff2")
        self.drop = keras.layers.Dropout(self.dropout)
        for layer in (self.norm1, self.norm2):
            layer.build(input_shape)
        self.attn.build(input_shape, input_shape)
        self.ff1.build(input_shape)
        self.ff2.build((*input_shape[:-1], self.ff_dim))

    def call(self, x: Any, mask: Any = None, training: bool | None = None) -> Any:
        attention_mask = None
        if mask is not None:
            m = ops.cast(mask, "bool")
            attention_mask = ops.logical_and(ops.expand_dims(m, 1), ops.expand_dims(m, 2))
        h = self.norm1(x)
        x = x + self.drop(self.attn(h, h, attention_mask=attention_mask, training=training),
                          training=training)
        h = self.ff2(self.ff1(self.norm2(x)))
        return x + self.drop(h, training=training)

    def compute_mask(self, x: Any, mask: Any = None) -> Any:
        return mask

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_heads": self.num_heads, "ff_dim": self.ff_dim,
                "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="seqzoo")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean over the steps of ``(B, T, D)`` that the mask keeps."""

    def call(self, x: Any, mask: Any = None) -> Any:
        if mask is None:
            return ops.mean(x, axis=1)
        w = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        return ops.sum(x * w, axis=1) / ops.maximum(ops.sum(w, axis=1), 1.0)

    def compute_mask(self, x: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[-1])


@keras.saving.register_keras_serializable(package="seqzoo")
class LastStepPooling(keras.layers.Layer):
    """The last step of ``(B, T, D)`` that the mask keeps (the last step if there is no mask)."""

    def call(self, x: Any, mask: Any = None) -> Any:
        if mask is None:
            return x[:, -1]
        last = ops.maximum(ops.sum(ops.cast(mask, "int32"), axis=1) - 1, 0)
        return ops.take_along_axis(x, ops.reshape(last, (-1, 1, 1)), axis=1)[:, 0]

    def compute_mask(self, x: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[-1])
