"""The gated recurrences the field compares against today: xLSTM (mLSTM, sLSTM, and mixes of
the two), Hawk (Griffin's RG-LRU blocks) and the LRU.

Each is a stack of :class:`zoo.block.LinearRNNBlock` built by
:func:`zoo.models.modern.create_block_stack`, with each paper's block:

- mLSTM: xLSTM's pre-up-projection block (LayerNorm, the mLSTM layer with its own up- and
  down-projection, residual; no MLP);
- sLSTM: xLSTM's post-up-projection block (LayerNorm, the sLSTM layer, residual; LayerNorm,
  a gated GELU MLP of factor 4/3, residual);
- Hawk: Griffin's residual block (RMSNorm, the recurrent block, residual; RMSNorm, a gated
  GELU MLP of factor 3, residual);
- LRU: LayerNorm, the LRU with its GELU + GLU readout, residual; an optional GELU MLP.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from zoo.checks import non_negative_int, positive_int
from zoo.gated import check_ring
from zoo.mixer import check_scan
from zoo.models.modern import create_block_stack
from zoo.registry import register_model
from zoo.task import TaskSpec
from zoo.xlstm import MLSTM_FORMS

XLSTM = "Beck et al. 2024, xLSTM: Extended Long Short-Term Memory (arXiv 2405.04517)"
GRIFFIN = ("De et al. 2024, Griffin: Mixing Gated Linear Recurrences with Local Attention "
           "for Efficient Language Models (arXiv 2402.19427)")
LRU_PAPER = ("Orvieto et al. 2023, Resurrecting Recurrent Neural Networks for Long Sequences "
             "(arXiv 2303.06349)")
#: the sLSTM block's MLP factor (NX-AI/xlstm's FeedForwardConfig proj_factor 1.3, ~4/3)
SLSTM_MLP = 4 / 3
#: Griffin's MLP expansion factor
HAWK_MLP = 3


def _heads(heads: int, embed_dim: int, inner: int = 1) -> int:
    """Check ``heads`` divides ``inner * embed_dim`` (the width its mixer splits)."""
    positive_int("embed_dim", embed_dim)
    positive_int("heads", heads)
    what = "embed_dim" if inner == 1 else f"the inner width {inner}*embed_dim"
    if (inner * embed_dim) % heads:
        raise ValueError(f"heads={heads} must divide {what}={inner * embed_dim} exactly")
    return heads


def mlstm_block(heads: int, scan: str = "auto", expand: int = 2) -> dict[str, Any]:
    """The arguments of one mLSTM (pre-up-projection) block."""
    return {"kind": "mlstm", "mixer": {"heads": heads, "expand": expand,
                                       "scan": check_scan(scan, MLSTM_FORMS)}}


def slstm_block(heads: int) -> dict[str, Any]:
    """The arguments of one sLSTM (post-up-projection) block."""
    return {"kind": "slstm", "mixer": {"heads": heads}, "mlp_ratio": SLSTM_MLP, "mlp": "gated"}


def parse_ratio(ratio: str) -> tuple[int, int]:
    """``"a:b"`` (xLSTM[a:b]: a mLSTM blocks for every b sLSTM blocks) as two integers."""
    parts = str(ratio).split(":")
    try:
        a, b = (int(p) for p in parts)
    except ValueError:
        a = b = -1
    if len(parts) != 2 or a < 0 or b < 0 or a + b == 0:
        raise ValueError(f"ratio={ratio!r} is not allowed; write 'a:b' with non-negative "
                         "integers, e.g. '1:1' or '7:1' (mLSTM:sLSTM blocks)")
    return a, b


def xlstm_space(hp: Any) -> dict[str, Any]:
    """Search space of the xLSTM models."""
    return {"embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
            "depth": hp.Int("depth", 1, 4),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


def hawk_space(hp: Any) -> dict[str, Any]:
    """Search space of Hawk."""
    return {"embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
            "depth": hp.Int("depth", 1, 3),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


def lru_space(hp: Any) -> dict[str, Any]:
    """Search space of the LRU."""
    return {"embed_dim": hp.Choice("embed_dim", [32, 64, 128]),
            "depth": hp.Int("depth", 1, 3),
            "d_state": hp.Choice("d_state", [32, 64, 128]),
            "r_min": hp.Choice("r_min", [0.0, 0.5, 0.9]),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


@register_model(family="xLSTM", search_space=xlstm_space, paper=XLSTM)
def mlstm(task: TaskSpec, embed_dim: int = 64, depth: int = 2, heads: int = 4,
          dropout: float = 0.1, scan: str = "auto") -> keras.Model:
    """mLSTM blocks: matrix memory, exponential gates, stabilised parallel form (xLSTM[1:0]).

    ``scan``: ``parallel`` (O(T^2)), ``chunkwise`` (O(T)) or ``auto`` (the measured fastest
    here)."""
    _heads(heads, embed_dim, inner=2)
    return create_block_stack(task, "mlstm", [mlstm_block(heads, scan)]
                              * positive_int("depth", depth), embed_dim=embed_dim,
                              dropout=dropout)


@register_model(family="xLSTM", search_space=xlstm_space, paper=XLSTM)
def slstm(task: TaskSpec, embed_dim: int = 64, depth: int = 2, heads: int = 4,
          dropout: float = 0.1) -> keras.Model:
    """sLSTM blocks: exponential gates, stabiliser and normaliser, a loop over time (xLSTM[0:1])."""
    _heads(heads, embed_dim)
    return create_block_stack(task, "slstm", [slstm_block(heads)] * positive_int("depth", depth),
                              embed_dim=embed_dim, dropout=dropout)


@register_model(family="xLSTM", search_space=xlstm_space, paper=XLSTM)
def xlstm(task: TaskSpec, embed_dim: int = 64, depth: int = 2, heads: int = 4,
          ratio: str = "1:1", dropout: float = 0.1, scan: str = "auto") -> keras.Model:
    """xLSTM[a:b]: mLSTM and sLSTM blocks mixed in the ratio ``a:b``, sLSTM last in each group
    (``scan``: the mLSTM blocks' form)."""
    a, b = parse_ratio(ratio)
    _heads(heads, embed_dim)
    blocks = [slstm_block(heads) if i % (a + b) >= a else mlstm_block(heads, scan)
              for i in range(positive_int("depth", depth))]
    return create_block_stack(task, "xlstm", blocks, embed_dim=embed_dim, dropout=dropout)


@register_model(family="Hawk", search_space=hawk_space, paper=GRIFFIN)
def hawk(task: TaskSpec, embed_dim: int = 64, depth: int = 2, heads: int = 4,
         dropout: float = 0.1, scan: str = "auto") -> keras.Model:
    """Hawk: RG-LRU blocks (GeLU branch, conv, real-gated linear recurrence), gated MLP."""
    _heads(heads, embed_dim)
    block = {"kind": "hawk", "mixer": {"heads": heads, "scan": check_scan(scan)},
             "mlp_ratio": HAWK_MLP, "mlp": "gated", "norm": "rms"}
    return create_block_stack(task, "hawk", [block] * positive_int("depth", depth),
                              embed_dim=embed_dim, dropout=dropout)


@register_model(family="LRU", search_space=lru_space, paper=LRU_PAPER)
def lru(task: TaskSpec, embed_dim: int = 64, depth: int = 2, d_state: int = 64,
        r_min: float = 0.9, r_max: float = 0.999, max_phase: float = math.pi / 10,
        mlp_ratio: int = 2, dropout: float = 0.1, scan: str = "auto") -> keras.Model:
    """Linear Recurrent Unit blocks: complex diagonal recurrence, ring init, gamma normalisation."""
    check_ring(r_min, r_max)
    positive_int("embed_dim", embed_dim)
    block = {"kind": "lru", "mlp_ratio": non_negative_int("mlp_ratio", mlp_ratio), "mixer": {
        "d_state": positive_int("d_state", d_state), "r_min": r_min, "r_max": r_max,
        "max_phase": max_phase, "scan": check_scan(scan)}}
    return create_block_stack(task, "lru", [block] * positive_int("depth", depth),
                              embed_dim=embed_dim, dropout=dropout)
