"""Which recurrent kernel a built model runs: the fused cuDNN path or the generic loop.

The rules are those of Keras 3's backends (``keras/src/backend/*/rnn.py``), which try the
fused kernel and fall back to the generic step loop when it does not apply:

- every backend: cuDNN needs a GPU; only ``LSTM`` and ``GRU`` have a fused kernel, and only
  with tanh / sigmoid activations, a bias, no recurrent dropout, ``unroll=False`` and (GRU)
  ``reset_after=True``;
- TensorFlow: a mask is allowed (the kernel takes sequence lengths) when it is right-padded,
  as the zoo's token data is;
- JAX: LSTM only (``jax.experimental.rnn``; there is no fused GRU), and never with a mask;
- PyTorch: LSTM and GRU, never with a mask.

The mixer families (:mod:`zoo.block`) run no Keras recurrent layer; for them the kernel
is the form each mixer runs (:func:`mixer_forms`).
"""

from __future__ import annotations

import keras

from zoo.block import LinearRNNBlock
from zoo.scan import FORMS

_FUSED = (keras.layers.LSTM, keras.layers.GRU)


def _config_blockers(layer: keras.layers.Layer) -> list[str]:
    """Reasons ``layer``'s own settings rule out the fused path on every backend."""
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


def _backend_blockers(layer: keras.layers.Layer, backend: str, masked: bool) -> list[str]:
    """Reasons ``backend`` itself rules out the fused path for ``layer``."""
    if backend == "jax" and isinstance(layer, keras.layers.GRU):
        return ["JAX has no fused GRU kernel"]
    if backend in ("jax", "torch") and masked:
        return [f"{backend} takes the generic loop whenever a mask is passed"]
    return []


def _is_masked(layer: keras.layers.Layer) -> bool:
    """Whether ``layer`` was called with a mask in its model's graph."""
    return any(node.arguments.kwargs.get("mask") is not None
               for node in getattr(layer, "_inbound_nodes", []))


def recurrent_kernels(model: keras.Model, backend: str | None = None,
                      device: str = "gpu") -> dict[str, str]:
    """Map each recurrent layer's name to ``"cudnn"`` or ``"generic (<reasons>)"``.

    Args:
        model: a built model.
        backend: the Keras backend to judge for (default: the active one).
        device: ``cpu``, ``gpu`` or ``tpu``; the default, ``gpu``, asks whether the model
            could use cuDNN on a GPU.
    """
    backend = backend or keras.backend.backend()
    report: dict[str, str] = {}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Bidirectional):
            masked = _is_masked(layer)
            inner = [layer.forward_layer, layer.backward_layer]
        elif isinstance(layer, keras.layers.RNN) and layer.name not in report:
            masked, inner = _is_masked(layer), [layer]
        else:
            continue
        for rnn in inner:
            report[rnn.name] = _kernel(rnn, backend, device, masked)
    return report


def _kernel(layer: keras.layers.Layer, backend: str, device: str, masked: bool) -> str:
    if not isinstance(layer, _FUSED):
        return "generic (no fused kernel for this cell)"
    reasons = _config_blockers(layer) + _backend_blockers(layer, backend, masked)
    if device != "gpu":
        reasons.insert(0, f"cuDNN needs a GPU; running on {device}")
    return "cudnn" if not reasons else f"generic ({', '.join(reasons)})"


def mixer_forms(model: keras.Model) -> dict[str, str]:
    """Map each mixer block's name to how its mixer runs: ``scan:<form>`` for a linear scan
    (:data:`zoo.scan.FORMS`), ``fft``, ``parallel`` (a quadratic form) or ``loop``."""
    return {layer.name: (f"scan:{layer.mixer.form}" if layer.mixer.form in FORMS
                         else layer.mixer.form)
            for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, LinearRNNBlock)}


def kernel_summary(model: keras.Model, backend: str | None = None, device: str = "gpu") -> str:
    """One word for the leaderboard: ``cudnn``, ``generic`` or ``mixed`` for Keras's recurrent
    layers; the mixers' forms (``scan:doubling``, ``loop+parallel``, ...) for the block
    families; ``none`` for a model with neither."""
    kinds = {value.split(" ")[0] for value in recurrent_kernels(model, backend, device).values()}
    if kinds:
        return kinds.pop() if len(kinds) == 1 else "mixed"
    forms = sorted(set(mixer_forms(model).values()))
    return "+".join(forms) if forms else "none"
