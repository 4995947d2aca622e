"""Recurrent families: vanilla RNN, LSTM, GRU, BiLSTM and stacked LSTM.

All five are arguments to one private builder, a stack of recurrent layers whose last
layer's final state (both directions for BiLSTM) feeds the head. Layers keep the fused cuDNN
path eligible: tanh/sigmoid, no recurrent dropout, ``unroll=False``, GRU ``reset_after=True``.
"""

from __future__ import annotations

from typing import Any

import keras

from zoo.checks import positive_int, rate
from zoo.model import build_sequence_model
from zoo.registry import register_model
from zoo.task import TaskSpec

CELLS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def recurrent_layer(cell: str, units: int, dropout: float, return_sequences: bool,
                    name: str) -> keras.layers.Layer:
    """One recurrent layer with cuDNN-eligible settings (input dropout only)."""
    extra = {"reset_after": True} if cell == "gru" else {}
    return CELLS[cell](positive_int("units", units), dropout=rate("dropout", dropout),
                       recurrent_dropout=0.0, unroll=False, return_sequences=return_sequences,
                       name=name, **extra)


def recurrent_stack(x: Any, mask: Any, *, cell: str, units: int, depth: int, dropout: float,
                    bidirectional: bool = False, return_sequences: bool = False) -> Any:
    """Run ``depth`` recurrent layers over ``x``; the last returns its final state."""
    for i in range(positive_int("depth", depth)):
        last = i == depth - 1
        layer = recurrent_layer(cell, units, dropout, return_sequences or not last,
                                name=f"{cell}_{i}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bi{cell}_{i}")
        x = layer(x, mask=mask)
    return x


def recurrent_space(hp: Any) -> dict[str, Any]:
    """Search space shared by the recurrent families."""
    return {
        "units": hp.Choice("units", [32, 64, 128, 256]),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
        "embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
    }


def stacked_space(hp: Any) -> dict[str, Any]:
    """Recurrent search space plus stack depth."""
    return {**recurrent_space(hp), "depth": hp.Int("depth", 2, 4)}


def _create_recurrent(task: TaskSpec, name: str, *, cell: str, units: int, dropout: float,
                      embed_dim: int, depth: int = 1, bidirectional: bool = False
                      ) -> keras.Model:
    def backbone(x: Any, mask: Any, sequences: bool = False) -> Any:
        return recurrent_stack(x, mask, cell=cell, units=units, depth=depth, dropout=dropout,
                               bidirectional=bidirectional, return_sequences=sequences)

    return build_sequence_model(task, backbone, embed_dim=embed_dim, dropout=dropout, name=name)


@register_model(family="RNN", search_space=recurrent_space,
                paper="Elman 1990, Finding Structure in Time")
def rnn(task: TaskSpec, units: int = 128, dropout: float = 0.1, embed_dim: int = 64
        ) -> keras.Model:
    """Vanilla Elman RNN (SimpleRNN); the last hidden state feeds the head."""
    return _create_recurrent(task, "rnn", cell="rnn", units=units, dropout=dropout,
                             embed_dim=embed_dim)


@register_model(family="LSTM", search_space=recurrent_space,
                paper="Hochreiter & Schmidhuber 1997, Long Short-Term Memory")
def lstm(task: TaskSpec, units: int = 128, dropout: float = 0.1, embed_dim: int = 64
         ) -> keras.Model:
    """Single-layer LSTM; the last hidden state feeds the head."""
    return _create_recurrent(task, "lstm", cell="lstm", units=units, dropout=dropout,
                             embed_dim=embed_dim)


@register_model(family="GRU", search_space=recurrent_space,
                paper="Cho et al. 2014, Learning Phrase Representations using RNN Encoder-Decoder")
def gru(task: TaskSpec, units: int = 128, dropout: float = 0.1, embed_dim: int = 64
        ) -> keras.Model:
    """Single-layer GRU (reset_after, cuDNN-compatible); the last hidden state feeds the head."""
    return _create_recurrent(task, "gru", cell="gru", units=units, dropout=dropout,
                             embed_dim=embed_dim)


@register_model(family="BiLSTM", search_space=recurrent_space,
                paper="Graves & Schmidhuber 2005, Framewise Phoneme Classification with "
                      "Bidirectional LSTM")
def bilstm(task: TaskSpec, units: int = 64, dropout: float = 0.1, embed_dim: int = 64
           ) -> keras.Model:
    """Bidirectional LSTM (units per direction); both final states, concatenated, feed the head."""
    return _create_recurrent(task, "bilstm", cell="lstm", units=units, dropout=dropout,
                             embed_dim=embed_dim, bidirectional=True)


@register_model(family="stacked LSTM", search_space=stacked_space,
                paper="Graves et al. 2013, Speech Recognition with Deep Recurrent Neural Networks")
def stacked_lstm(task: TaskSpec, units: int = 128, depth: int = 2, dropout: float = 0.1,
                 embed_dim: int = 64) -> keras.Model:
    """Stack of `depth` LSTM layers (default 2); the top layer's last state feeds the head."""
    return _create_recurrent(task, "stacked_lstm", cell="lstm", units=units, dropout=dropout,
                             embed_dim=embed_dim, depth=depth)
