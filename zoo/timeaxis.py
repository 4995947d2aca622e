"""Cuts and shifts along the time axis (axis 1) of ``(B, T, ...)`` tensors, written with
``split`` and ``pad`` rather than slices: TensorFlow's gradient of a slice
(``StridedSliceGrad``) was 40% of Hawk's training step on CPU without XLA (``python -m
benchmarks.perf.profile hawk forecasting``), and a split's gradient is a concatenation.
"""

from __future__ import annotations

from typing import Any

from keras import ops


def head(x: Any, steps: int) -> Any:
    """The first ``steps`` steps of ``(B, T, ...)``."""
    return ops.split(x, [steps], axis=1)[0]


def shift(x: Any, lag: int) -> Any:
    """``(B, T, ...)`` moved ``lag`` steps later along time, zeros first."""
    pad = [(0, 0), (lag, 0)] + [(0, 0)] * (len(x.shape) - 2)
    return ops.pad(head(x, x.shape[1] - lag), pad)
