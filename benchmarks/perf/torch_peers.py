"""Hand-written PyTorch equivalents of the zoo's rnn, lstm, gru, bilstm, stacked_lstm and
transformer, written the way a PyTorch user would, for ``seqzoo perf``
(:mod:`benchmarks.perf.peers`).

Each has the zoo model's stem, width, backbone, pooling and head, and the same trainable
parameter count: Keras's SimpleRNN and LSTM keep one bias per gate where ``nn.RNN`` and
``nn.LSTM`` keep two, so the peer's ``bias_hh`` is held at zero and frozen (the same function;
the fused kernel adds it either way). Token inputs are right-padded with id 0: the
unidirectional peers read the output at each sequence's last real step, BiLSTM packs the
batch, the transformer masks the padding as keys, exactly what the zoo's masks do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

import zoo

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU, "bilstm": nn.LSTM,
          "stacked_lstm": nn.LSTM}


class Stem(nn.Module):
    """Tokens: an embedding (id 0 pads). Features: fixed z-scores, then a linear projection."""

    def __init__(self, task: zoo.TaskSpec, width: int, x_train: np.ndarray) -> None:
        super().__init__()
        self.tokens = task.input == "tokens"
        if self.tokens:
            self.embed = nn.Embedding(task.vocab_size, width)
        else:
            flat = x_train.reshape(-1, x_train.shape[-1])
            self.register_buffer("mean", torch.tensor(flat.mean(axis=0), dtype=torch.float32))
            self.register_buffer("std", torch.tensor(flat.std(axis=0) + 1e-7,
                                                     dtype=torch.float32))
            self.project = nn.Linear(task.num_features, width)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(B, T, width)`` and the number of real steps per sequence (tokens only)."""
        if self.tokens:
            return self.embed(x), (x != 0).sum(dim=1).clamp(min=1)
        return self.project((x - self.mean) / self.std), None


class Head(nn.Module):
    """Dropout, then linear logits (classes) or a linear forecast."""

    def __init__(self, task: zoo.TaskSpec, width: int, dropout: float) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(width, task.num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(x))


def _last(outputs: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Each sequence's output at its last real step (the last step without a mask)."""
    if lengths is None:
        return outputs[:, -1]
    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.shape[-1])
    return outputs.gather(1, index).squeeze(1)


class RecurrentPeer(nn.Module):
    """Stem, input dropout, ``depth`` recurrent layers, the final state, the head."""

    def __init__(self, name: str, task: zoo.TaskSpec, hparams: dict[str, Any],
                 x_train: np.ndarray) -> None:
        super().__init__()
        width, units = hparams["embed_dim"], hparams["units"]
        self.bidirectional = name == "bilstm"
        self.stem = Stem(task, width, x_train)
        self.drop = nn.Dropout(hparams["dropout"])
        depth = hparams.get("depth", 1)
        self.rnn = _CELLS[name](width, units, num_layers=depth, batch_first=True,
                                bidirectional=self.bidirectional,
                                dropout=hparams["dropout"] if depth > 1 else 0.0)
        if name != "gru":  # Keras keeps one bias: hold the second at zero
            for param_name, param in self.rnn.named_parameters():
                if param_name.startswith("bias_hh"):
                    nn.init.zeros_(param)
                    param.requires_grad_(False)
        self.head = Head(task, units * (2 if self.bidirectional else 1), hparams["dropout"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, lengths = self.stem(x)
        h = self.drop(h)
        if self.bidirectional:
            if lengths is not None:
                h = nn.utils.rnn.pack_padded_sequence(h, lengths.cpu(), batch_first=True,
                                                      enforce_sorted=False)
            _, (h_n, _) = self.rnn(h)
            return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))
        outputs, _ = self.rnn(h)
        return self.head(_last(outputs, lengths))


class TransformerPeer(nn.Module):
    """Stem, learned positions, pre-norm encoder layers, final norm, mean + last pooling."""

    def __init__(self, task: zoo.TaskSpec, hparams: dict[str, Any], x_train: np.ndarray
                 ) -> None:
        super().__init__()
        width = hparams["embed_dim"]
        self.stem = Stem(task, width, x_train)
        self.positions = nn.Parameter(torch.randn(task.seq_len, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, hparams["num_heads"], hparams["ff_dim"],
                                           hparams["dropout"], activation="gelu",
                                           layer_norm_eps=1e-5, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, hparams["num_layers"],
                                             enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width, eps=1e-5)
        self.head = Head(task, 2 * width, hparams["dropout"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, lengths = self.stem(x)
        h = h + self.positions[: h.shape[1]]
        pad = None
        if lengths is not None:
            pad = torch.arange(h.shape[1], device=h.device)[None, :] >= lengths[:, None]
        h = self.norm(self.encoder(h, src_key_padding_mask=pad))
        if pad is None:
            mean = h.mean(dim=1)
        else:
            keep = (~pad).unsqueeze(-1).to(h.dtype)
            mean = (h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        return self.head(torch.cat([mean, _last(h, lengths)], dim=-1))


def build_peer(name: str, task: zoo.TaskSpec, hparams: dict[str, Any],
               x_train: np.ndarray) -> nn.Module:
    """The PyTorch peer of zoo model ``name`` with the zoo's resolved ``hparams``."""
    if name not in (*_CELLS, "transformer"):
        raise ValueError(f"model {name!r} has no PyTorch peer; peers exist for "
                         f"{', '.join((*_CELLS, 'transformer'))}")
    if name == "transformer":
        return TransformerPeer(task, hparams, x_train)
    return RecurrentPeer(name, task, hparams, x_train)


def trainable_count(module: nn.Module) -> int:
    """Trainable parameters of a peer (the zoo's count is its trainable weights)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
