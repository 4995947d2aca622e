"""How a run executes, beyond its budget: XLA (``--jit``) and floating-point precision.

``--jit auto`` takes the setting measured fastest for the model on this backend and device
(:func:`zoo.jit_choice`), ``on`` / ``off`` force it. ``--precision`` sets Keras's global
dtype policy (``mixed_bfloat16`` computes in bfloat16 and keeps float32 weights; the heads
stay float32). Every record stores both, and what actually ran, under ``extra["settings"]``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.cell.checks import check_choice

JIT_MODES = ("auto", "on", "off")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@dataclass(frozen=True)
class RunSettings:
    """Execution settings of a run.

    Attributes:
        jit: ``auto`` (measured fastest, else Keras's choice), ``on`` or ``off``.
        precision: ``float32``, ``mixed_bfloat16`` or ``mixed_float16``.
    """

    jit: str = "auto"
    precision: str = "float32"

    def __post_init__(self) -> None:
        check_choice("jit", self.jit, JIT_MODES)
        check_choice("precision", self.precision, PRECISIONS)

    def key_parts(self) -> dict[str, str]:
        """The settings that differ from the defaults (part of a run's resume key)."""
        return {k: v for k, v in asdict(self).items() if v != getattr(RunSettings, k)}

    def jit_compile(self, model: str, device: str, train_samples: int | None = None
                    ) -> bool | str:
        """``model.compile``'s ``jit_compile`` for ``model`` on ``device``, for a run that
        trains on ``train_samples`` (epochs x samples; :func:`zoo.jit_choice`)."""
        import zoo

        if self.jit != "auto":
            return self.jit == "on"
        choice = zoo.jit_choice(model, device, train_samples)
        return "auto" if choice is None else choice


#: the defaults: XLA as measured fastest, float32
DEFAULT_SETTINGS = RunSettings()


def prepare(model: str, seed: int, settings: RunSettings, device: str,
            train_samples: int | None = None) -> bool | str:
    """Seed everything and set the dtype policy before ``model`` is built; its ``jit_compile``.

    TensorFlow's deterministic ops are asked for unless the model compiles with XLA (Keras
    turns XLA off under them, and XLA's compiled programs are deterministic on the CPU).
    """
    import keras

    jit_compile = settings.jit_compile(model, device, train_samples)
    seed_everything(seed, deterministic_ops=jit_compile is not True)
    keras.config.set_dtype_policy(settings.precision)
    return jit_compile


def reset_precision() -> None:
    """Set Keras's dtype policy back to float32, so a later run in the process starts clean."""
    import keras

    keras.config.set_dtype_policy("float32")


def describe(model: Any, settings: RunSettings) -> dict[str, Any]:
    """What a built, compiled model ran with, for the record's ``extra["settings"]``."""
    import keras

    described = {"jit": settings.jit, "jit_compile": bool(model.jit_compile),
                 "steps_per_execution": int(model.steps_per_execution),
                 "precision": settings.precision,
                 "compute_dtype": model.dtype_policy.compute_dtype}
    if keras.backend.backend() == "tensorflow":
        from tensorflow.python.framework.config import is_op_determinism_enabled

        described["deterministic_ops"] = bool(is_op_determinism_enabled())
        described["onednn"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    return described


def seed_everything(seed: int, deterministic_ops: bool = True) -> None:
    """Seed Python, NumPy and the backend; on TensorFlow also ask for deterministic ops (unless
    ``deterministic_ops`` is false), so a busy machine's thread scheduling cannot change a
    result. TensorFlow's op determinism cannot be turned off again in a process, and Keras
    turns XLA off under it, so a model compiled with XLA skips it."""
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
