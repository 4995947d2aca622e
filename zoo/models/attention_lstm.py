"""Attention-LSTM: LSTM outputs pooled by learned additive or dot-product attention."""

from __future__ import annotations

from typing import Any

import keras

from zoo.checks import positive_int
from zoo.layers import AttentionPooling
from zoo.model import build_sequence_model
from zoo.models.recurrent import recurrent_space, recurrent_stack
from zoo.registry import register_model
from zoo.task import TaskSpec


def attention_space(hp: Any) -> dict[str, Any]:
    """Recurrent search space plus the attention score type."""
    return {**recurrent_space(hp), "attention": hp.Choice("attention", ["additive", "dot"])}


@register_model(family="attention-LSTM", search_space=attention_space,
                paper="Bahdanau et al. 2015; Raffel & Ellis 2016, Feed-Forward Networks with "
                      "Attention Can Solve Some Long-Term Memory Problems")
def attention_lstm(task: TaskSpec, units: int = 128, dropout: float = 0.1, embed_dim: int = 64,
                   attention: str = "additive", attention_units: int = 64) -> keras.Model:
    """LSTM whose per-step outputs are pooled by learned attention (additive or dot); for a
    task answered at every position, each position pools its prefix and sees its own step."""
    pool = AttentionPooling(attention, positive_int("attention_units", attention_units),
                            causal=task.per_position, name="attention_pool")

    def backbone(x: Any, mask: Any, sequences: bool = False) -> Any:
        seq = recurrent_stack(x, mask, cell="lstm", units=units, depth=1, dropout=dropout,
                              return_sequences=True)
        if sequences:
            return keras.layers.Concatenate(name="step_and_context")([seq, pool(seq, mask=mask)])
        return pool(seq, mask=mask)

    return build_sequence_model(task, backbone, embed_dim=embed_dim, dropout=dropout,
                                name="attention_lstm")
