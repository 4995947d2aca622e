"""The execution settings measured fastest per backend and device, per model: XLA on or off,
how many batches one call of the compiled training step runs, and which scan form each linear
recurrence runs.

``python -m benchmarks.perf.jit --write`` trains every registered model with
``jit_compile`` on and off, and ``python -m benchmarks.perf.execution --write`` with several
``steps_per_execution``, side by side in one process, on the quick suite's three task shapes;
both write what they measured and chose to ``zoo/fast_settings.json``, as does
``python -m benchmarks.perf.scans --write`` for the scan forms (:data:`zoo.scan.FORMS`). A
model, backend or device that the table does not hold keeps Keras's own choice.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("fast_settings.json")


@functools.cache
def measured_table() -> dict[str, Any]:
    """The measured table: ``{backend: {device: {model: {"jit_compile": bool, ...}}}}``."""
    if not TABLE_PATH.exists():
        return {}
    return json.loads(TABLE_PATH.read_text())


def measured_entry(name: str, backend: str, device: str) -> dict[str, Any]:
    """What the table holds for ``name`` on ``backend`` and ``device`` (``cpu``, ``gpu``,
    ``tpu``); empty where nothing was measured."""
    return measured_table().get(backend, {}).get(device, {}).get(name, {})


def measured_jit(name: str, backend: str, device: str, train_samples: int | None = None
                 ) -> bool | None:
    """Whether ``name`` trains faster with XLA on ``backend`` and ``device``, as measured;
    ``None`` where it was not.

    XLA's compilations (every batch shape of training, validation and prediction) cost a fixed
    time that only a long enough run earns back. Given the run's ``train_samples`` (epochs x
    training samples), the answer is whether they reach the measured ``breakeven_samples``
    (``null`` there: XLA never trains faster); without them, or where no break-even was
    measured, it is the choice for a quick-suite run (``jit_compile``).
    """
    entry = measured_entry(name, backend, device)
    if "jit_compile" not in entry:
        return None
    if train_samples is not None and "breakeven_samples" in entry:
        breakeven = entry["breakeven_samples"]
        return breakeven is not None and train_samples >= breakeven
    return bool(entry["jit_compile"])


def measured_steps(name: str, backend: str, device: str) -> int | None:
    """The ``steps_per_execution`` that trained ``name`` fastest on ``backend`` and ``device``
    when it was measured; ``None`` where it was not."""
    entry = measured_entry(name, backend, device).get("execution")
    return None if entry is None else int(entry["steps_per_execution"])


def measured_scan(kind: str, backend: str, device: str) -> str | None:
    """The scan form that trained the ``kind`` mixer fastest on ``backend`` and ``device``
    when it was measured; ``None`` where it was not."""
    entry = measured_entry(kind, backend, device).get("scan")
    return None if entry is None else str(entry["form"])


def current_device() -> str:
    """``gpu``, ``tpu`` or ``cpu``: the accelerator the active Keras backend would use."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.default_backend()
    if backend == "torch":
        import torch

        return "gpu" if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
