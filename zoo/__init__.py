"""seqzoo model zoo: eleven sequence-model families behind one registry.

Example:
    >>> from zoo import TaskSpec, create_model, list_models
    >>> task = TaskSpec("classification", "tokens", seq_len=64, vocab_size=5000, num_outputs=2)
    >>> model = create_model("lstm", task, units=64)
"""

from zoo import models as _models  # noqa: F401  (registers every family)
from zoo.kernels import kernel_summary, recurrent_kernels
from zoo.model import SeqModel, adapt_stem, build_sequence_model
from zoo.registry import (
    ModelInfo,
    UnknownNameError,
    build_model,
    create_model,
    get_model_info,
    jit_choice,
    list_models,
    register_model,
    steps_choice,
)
from zoo.task import TaskSpec

__all__ = [
    "ModelInfo",
    "SeqModel",
    "TaskSpec",
    "UnknownNameError",
    "adapt_stem",
    "build_model",
    "build_sequence_model",
    "create_model",
    "get_model_info",
    "jit_choice",
    "kernel_summary",
    "list_models",
    "recurrent_kernels",
    "register_model",
    "steps_choice",
]
