"""Parallel-in-time recurrent families: minGRU, minLSTM, S4D and a Mamba-style selective SSM.

Each is a stack of :class:`zoo.block.LinearRNNBlock` (pre-norm residual blocks around
the family's mixer), a final LayerNorm, and the masked mean + last-step pooling the
transformer uses, built by :func:`create_block_stack`; a variant is its arguments. The newer
gated families (xLSTM, Hawk, LRU) are built the same way in :mod:`zoo.models.gated`.
"""

from __future__ import annotations

from typing import Any

import keras

from zoo.block import LinearRNNBlock
from zoo.checks import non_negative_int, one_of, positive_int, rate
from zoo.layers import LastStepPooling, MaskedMeanPooling
from zoo.linear_rnn import S4D_INITS
from zoo.mixer import check_scan
from zoo.model import build_sequence_model
from zoo.registry import register_model
from zoo.task import TaskSpec

FENG = "Feng et al. 2024, Were RNNs All We Needed? (arXiv 2410.01201)"


def create_block_stack(task: TaskSpec, name: str, blocks: list[dict[str, Any]], *,
                       embed_dim: int, dropout: float) -> keras.Model:
    """A stack of :class:`LinearRNNBlock` (one per dict of its arguments), a final LayerNorm,
    and the masked mean + last-step pooling (none for a per-position task); every mixer family
    of the zoo is built by it."""
    rate("dropout", dropout)
    if task.seq_len is None:
        raise ValueError(f"{name} needs a fixed seq_len (its parallel form is built for one "
                         "length); give TaskSpec(seq_len=...)")

    def backbone(x: Any, mask: Any, sequences: bool = False) -> Any:
        for i, block in enumerate(blocks):
            x = LinearRNNBlock(**block, dropout=dropout, name=f"block_{i}")(x, mask=mask)
        x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
        if sequences:
            return x
        return keras.layers.Concatenate(name="pool")([
            MaskedMeanPooling(name="mean_pool")(x, mask=mask),
            LastStepPooling(name="last_pool")(x, mask=mask)])

    return build_sequence_model(task, backbone, embed_dim=embed_dim, dropout=dropout, name=name)


def _create_linear_rnn(task: TaskSpec, name: str, *, kind: str, embed_dim: int, depth: int,
                       dropout: float, mlp_ratio: int = 0,
                       mixer: dict[str, Any] | None = None) -> keras.Model:
    positive_int("depth", depth)
    block = {"kind": kind, "mixer": mixer, "mlp_ratio": non_negative_int("mlp_ratio", mlp_ratio)}
    return create_block_stack(task, name, [block] * depth, embed_dim=embed_dim, dropout=dropout)


def min_rnn_space(hp: Any) -> dict[str, Any]:
    """Search space of minGRU and minLSTM."""
    return {"embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
            "depth": hp.Int("depth", 1, 3),
            "mlp_ratio": hp.Choice("mlp_ratio", [0, 2, 4]),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


def s4d_space(hp: Any) -> dict[str, Any]:
    """Search space of S4D."""
    return {"embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
            "depth": hp.Int("depth", 1, 3),
            "d_state": hp.Choice("d_state", [16, 32, 64]),
            "init": hp.Choice("init", ["lin", "inv"]),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


def mamba_space(hp: Any) -> dict[str, Any]:
    """Search space of the Mamba-style model."""
    return {"embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
            "depth": hp.Int("depth", 1, 3),
            "d_state": hp.Choice("d_state", [8, 16, 32]),
            "expand": hp.Choice("expand", [1, 2]),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


@register_model(family="minGRU", search_space=min_rnn_space, paper=FENG)
def mingru(task: TaskSpec, embed_dim: int = 64, depth: int = 2, mlp_ratio: int = 2,
           dropout: float = 0.1, scan: str = "auto") -> keras.Model:
    """minGRU blocks (gates from the input alone, parallel scan), pre-norm residual + MLP."""
    return _create_linear_rnn(task, "mingru", kind="mingru", embed_dim=embed_dim, depth=depth,
                              dropout=dropout, mlp_ratio=mlp_ratio,
                              mixer={"scan": check_scan(scan)})


@register_model(family="minLSTM", search_space=min_rnn_space, paper=FENG)
def minlstm(task: TaskSpec, embed_dim: int = 64, depth: int = 2, mlp_ratio: int = 2,
            dropout: float = 0.1, scan: str = "auto") -> keras.Model:
    """minLSTM blocks (normalised input-only forget/input gates), pre-norm residual + MLP."""
    return _create_linear_rnn(task, "minlstm", kind="minlstm", embed_dim=embed_dim,
                              depth=depth, dropout=dropout, mlp_ratio=mlp_ratio,
                              mixer={"scan": check_scan(scan)})


@register_model(family="S4D", search_space=s4d_space,
                paper="Gu et al. 2022, On the Parameterization and Initialization of Diagonal "
                      "State Space Models")
def s4d(task: TaskSpec, embed_dim: int = 64, depth: int = 2, d_state: int = 32,
        init: str = "lin", dropout: float = 0.1) -> keras.Model:
    """Diagonal complex SSM per channel (S4D-Lin/Inv init, learned step), GELU + GLU blocks."""
    return _create_linear_rnn(task, "s4d", kind="s4d", embed_dim=embed_dim, depth=depth,
                              dropout=dropout, mixer={"d_state": positive_int("d_state", d_state),
                                                      "init": one_of("init", init, S4D_INITS)})


@register_model(family="Mamba", search_space=mamba_space, xla=True,
                paper="Gu & Dao 2023, Mamba: Linear-Time Sequence Modeling with Selective "
                      "State Spaces (arXiv 2312.00752)")
def mamba(task: TaskSpec, embed_dim: int = 64, depth: int = 2, d_state: int = 8,
          expand: int = 1, d_conv: int = 4, dropout: float = 0.1,
          scan: str = "auto") -> keras.Model:
    """Selective SSM blocks: input-dependent dt/B/C, causal depthwise conv, gated branch.

    ``d_state`` defaults to 8 and ``expand`` to 1, not the paper's 16 and 2: without a fused
    kernel the doubling scan materialises a ``(B, T, expand * D, d_state)`` state, and the
    paper's values quadrupled its CPU cost (the search space covers d_state 8-32, expand
    1-2). ``scan`` picks the form (``auto``: the measured fastest here)."""
    return _create_linear_rnn(task, "mamba", kind="mamba", embed_dim=embed_dim, depth=depth,
                              dropout=dropout, mixer={
                                  "d_state": positive_int("d_state", d_state),
                                  "expand": positive_int("expand", expand),
                                  "d_conv": positive_int("d_conv", d_conv),
                                  "scan": check_scan(scan)})
