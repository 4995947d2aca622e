"""Which recurrent kernel a built model can use: the fused cuDNN path or the generic loop."""

from __future__ import annotations

import keras

_FUSED = (keras.layers.LSTM, keras.layers.GRU)


def _cudnn_blockers(layer: keras.layers.Layer) -> list[str]:
    """Reasons ``layer`` (an LSTM or GRU) cannot take the fused cuDNN path; empty if it can."""
    reasons = []
    if layer.activation is not keras.activations.tanh:
        reasons.append("activation is not tanh")
    if layer.recurrent_activation is not keras.activations.sigmoid:
        reasons.append("recurrent_activation is not sigmoid")
    if layer.recurrent_dropout:
        reasons.append("recurrent_dropout > 0")
    if layer.unroll:
        reasons.append("unroll=True")
    if not layer.use_bias:
        reasons.append("use_bias=False")
    if isinstance(layer, keras.layers.GRU) and not layer.reset_after:
        reasons.append("reset_after=False")
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    return reasons


def recurrent_kernels(model: keras.Model) -> dict[str, str]:
    """Map each recurrent layer's name to ``"cudnn"`` or ``"generic (<reasons>)"``."""
    report: dict[str, str] = {}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Bidirectional):
            continue
        if isinstance(layer, _FUSED):
            blockers = _cudnn_blockers(layer)
            report[layer.name] = "cudnn" if not blockers else f"generic ({', '.join(blockers)})"
        elif isinstance(layer, keras.layers.RNN):
            report[layer.name] = "generic (no fused kernel for this cell)"
    return report


def kernel_summary(model: keras.Model) -> str:
    """One word for the leaderboard: ``cudnn``, ``generic``, ``mixed`` or ``none``."""
    kinds = {value.split(" ")[0] for value in recurrent_kernels(model).values()}
    if not kinds:
        return "none"
    return kinds.pop() if len(kinds) == 1 else "mixed"
