"""Encoder-only transformer baseline: learned positions, pre-norm blocks, masked mean pool."""

from __future__ import annotations

from typing import Any

import keras

from zoo.checks import divides, positive_int, rate
from zoo.layers import LastStepPooling, MaskedMeanPooling, PositionalEmbedding, TransformerBlock
from zoo.model import build_sequence_model
from zoo.registry import register_model
from zoo.task import TaskSpec


def transformer_space(hp: Any) -> dict[str, Any]:
    """Search space for the transformer (every head count divides every width)."""
    return {
        "embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
        "num_heads": hp.Choice("num_heads", [2, 4]),
        "num_layers": hp.Int("num_layers", 1, 3),
        "ff_dim": hp.Choice("ff_dim", [64, 128, 256]),
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
    }


@register_model(family="transformer", search_space=transformer_space, variable_length=False,
                paper="Vaswani et al. 2017, Attention Is All You Need")
def transformer(task: TaskSpec, embed_dim: int = 64, num_heads: int = 4, num_layers: int = 1,
                ff_dim: int = 128, dropout: float = 0.1) -> keras.Model:
    """Encoder-only transformer: learned positions, pre-norm MHA blocks, mean + last pooling."""
    divides("num_heads", positive_int("num_heads", num_heads), "embed_dim",
            positive_int("embed_dim", embed_dim))
    positive_int("ff_dim", ff_dim)
    rate("dropout", dropout)

    def backbone(x: Any, mask: Any, sequences: bool = False) -> Any:
        x = PositionalEmbedding(task.seq_len, name="positions")(x)
        for i in range(positive_int("num_layers", num_layers)):
            x = TransformerBlock(num_heads, ff_dim, dropout, name=f"block_{i}")(x, mask=mask)
        x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
        if sequences:
            return x
        # the mean summarises the sequence; the last step carries what is most recent, which
        # forecasting needs and a mean blurs away
        return keras.layers.Concatenate(name="pool")([
            MaskedMeanPooling(name="mean_pool")(x, mask=mask),
            LastStepPooling(name="last_pool")(x, mask=mask)])

    return build_sequence_model(task, backbone, embed_dim=embed_dim, dropout=dropout,
                                name="transformer")
