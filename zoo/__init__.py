"""seqzoo model zoo: fourteen sequence-model families behind one registry.

Importing ``zoo`` is cheap: it imports no deep-learning backend. The first use of a name that
needs Keras (``create_model``, ``list_models``, ...) imports Keras, with the backend chosen by
then (``KERAS_BACKEND``), and registers every family. :class:`TaskSpec` and
:class:`UnknownNameError` need no backend.

Example:
    >>> from zoo import TaskSpec, create_model, list_models
    >>> task = TaskSpec("classification", "tokens", seq_len=64, vocab_size=5000, num_outputs=2)
    >>> model = create_model("lstm", task, units=64)
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the module that defines it
_EXPORTS = {
    "TaskSpec": "zoo.task",
    "UnknownNameError": "zoo.checks",
    "kernel_summary": "zoo.kernels",
    "recurrent_kernels": "zoo.kernels",
    "SeqModel": "zoo.model",
    "adapt_stem": "zoo.model",
    "build_sequence_model": "zoo.model",
    "ModelInfo": "zoo.registry",
    "build_model": "zoo.registry",
    "create_model": "zoo.registry",
    "get_model_info": "zoo.registry",
    "jit_choice": "zoo.registry",
    "list_models": "zoo.registry",
    "register_model": "zoo.registry",
    "resolve_hparams": "zoo.registry",
    "steps_choice": "zoo.registry",
}
#: the names that need no backend
_LIGHT = ("zoo.task", "zoo.checks")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import ``name`` on first use; Keras-bound names register every family first."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    if _EXPORTS[name] not in _LIGHT:
        importlib.import_module("zoo.models")  # registers every family
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
