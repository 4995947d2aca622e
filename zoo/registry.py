"""The model registry: ``@register_model`` and the public lookup functions.

The registered function's name is the model's public id. Its keyword arguments (after
``task``) are the model's hyperparameters and their defaults; the registry resolves them,
validates names, builds the model and compiles it with task-appropriate defaults.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras

from zoo.checks import UnknownNameError
from zoo.metrics import LabeledAccuracy
from zoo.task import IGNORE, INPUTS, KINDS, TaskSpec

SearchSpace = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one model id.

    Attributes:
        name: the public id (the registered function's name).
        family: the architecture family, e.g. ``"LSTM"``.
        description: one line, the first line of the builder's docstring.
        paper: reference paper.
        kinds: task kinds supported.
        inputs: input types supported.
        variable_length: whether ``TaskSpec.seq_len=None`` is supported.
        defaults: default hyperparameters.
        search_space: ``f(hp) -> dict`` of keras-tuner hyperparameters, or ``None``.
        xla: compile with XLA (``jit_compile=True``) on TensorFlow by default where the
            measured table (:mod:`zoo.fast`) does not decide, as for a plugin's model.
        module: the module that registered the builder (where a plugin model comes from).
    """

    name: str
    family: str
    description: str
    paper: str
    kinds: tuple[str, ...]
    inputs: tuple[str, ...]
    variable_length: bool
    defaults: dict[str, Any] = field(default_factory=dict)
    search_space: SearchSpace | None = None
    xla: bool = False
    module: str = ""

    def check_task(self, task: TaskSpec) -> None:
        """Raise ``ValueError`` if this model cannot serve ``task``."""
        if task.kind not in self.kinds:
            raise ValueError(f"model {self.name!r} does not support kind={task.kind!r}; "
                             f"it supports {', '.join(self.kinds)}")
        if task.input not in self.inputs:
            raise ValueError(f"model {self.name!r} does not support input={task.input!r}; "
                             f"it supports {', '.join(self.inputs)}")
        if task.seq_len is None and not self.variable_length:
            raise ValueError(f"model {self.name!r} needs a fixed seq_len; "
                             "the task has seq_len=None")


_BUILDERS: dict[str, Callable[..., keras.Model]] = {}
_INFO: dict[str, ModelInfo] = {}


def register_model(
    fn: Callable[..., keras.Model] | None = None,
    *,
    family: str | None = None,
    paper: str = "",
    search_space: SearchSpace | None = None,
    kinds: tuple[str, ...] = KINDS,
    inputs: tuple[str, ...] = INPUTS,
    variable_length: bool = True,
    xla: bool = False,
) -> Any:
    """Register a model builder under its function name.

    Usable bare (``@register_model``) or with metadata
    (``@register_model(family="LSTM", paper=..., search_space=...)``).
    The builder must take ``task`` first and only keyword hyperparameters with defaults.
    """

    def wrap(builder: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
        name = builder.__name__
        if name in _BUILDERS:
            raise ValueError(f"model id {name!r} is already registered")
        params = list(inspect.signature(builder).parameters.values())[1:]
        _BUILDERS[name] = builder
        _INFO[name] = ModelInfo(
            name=name,
            family=family or name,
            description=(inspect.getdoc(builder) or "").partition("\n")[0],
            paper=paper,
            kinds=kinds,
            inputs=inputs,
            variable_length=variable_length,
            defaults={p.name: p.default for p in params},
            search_space=search_space,
            xla=xla,
            module=builder.__module__,
        )
        return builder

    return wrap(fn) if fn is not None else wrap


def list_models(filter: str = "*") -> list[str]:
    """Registered ids matching a shell-style ``filter`` (e.g. ``"*lstm*"``), sorted."""
    return sorted(n for n in _BUILDERS if fnmatch.fnmatchcase(n, filter))


def get_model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered id; ``KeyError`` naming close ids if unknown."""
    if name not in _INFO:
        raise UnknownNameError("model", name, list_models())
    return _INFO[name]


def resolve_hparams(name: str, hparams: dict[str, Any]) -> dict[str, Any]:
    """The full hyperparameter dict for ``name``: defaults overridden by ``hparams``.

    Raises ``ValueError`` for a hyperparameter name the model does not take.
    """
    info = get_model_info(name)
    unknown = sorted(set(hparams) - set(info.defaults))
    if unknown:
        raise ValueError(f"model {name!r} has no hyperparameter {unknown[0]!r}; "
                         f"allowed: {', '.join(info.defaults)}")
    return {**info.defaults, **hparams}


def default_loss(task: TaskSpec) -> Any:
    """The loss a zoo model of ``task`` trains with: cross-entropy (over the labelled
    positions only, for ``labeling``) or mean squared error."""
    if task.per_position:
        return keras.losses.SparseCategoricalCrossentropy(ignore_class=IGNORE)
    return "sparse_categorical_crossentropy" if task.kind == "classification" else "mse"


def default_metrics(task: TaskSpec) -> list[Any]:
    """The metrics a zoo model of ``task`` reports: accuracy (over the labelled positions, for
    ``labeling``) or mean absolute error."""
    if task.per_position:
        return [LabeledAccuracy(name="accuracy")]
    return ["accuracy"] if task.kind == "classification" else ["mae"]


def jit_choice(name: str, device: str | None = None, train_samples: int | None = None
               ) -> bool | None:
    """Whether ``name`` compiles with XLA by default here, or ``None`` for Keras's own choice.

    The measured table (:mod:`zoo.fast`) decides for the active backend and ``device``
    (default: the one the backend would use), for a run of ``train_samples`` (epochs x
    training samples; default: a quick-suite run), as
    :func:`zoo.fast.measured_jit` says; a model it does not hold compiles with XLA on
    TensorFlow if registered with ``xla=True``. (Keras turns XLA off when TensorFlow's op
    determinism is on, so a run that compiles with XLA leaves it off; XLA's compiled CPU
    programs are deterministic.)
    """
    from zoo.fast import current_device, measured_jit

    backend = keras.backend.backend()
    measured = measured_jit(name, backend, device or current_device(), train_samples)
    if measured is not None:
        return measured
    return True if get_model_info(name).xla and backend == "tensorflow" else None


def steps_choice(name: str, device: str | None = None) -> int:
    """Batches per call of ``name``'s compiled training step by default here
    (``steps_per_execution``): the measured table's (:mod:`zoo.fast`) for the active backend
    and ``device``, else Keras's default, 1. Always 1 inside a TensorFlow distribution
    strategy's scope, where Keras's multi-batch loop fails with a graph execution error."""
    from zoo.fast import current_device, measured_steps

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.distribute.has_strategy():
            return 1
    return measured_steps(name, backend, device or current_device()) or 1


def build_model(name: str, task: TaskSpec, **hparams: Any) -> keras.Model:
    """Build ``name`` for ``task`` without compiling it (used by ``from_config`` too)."""
    info = get_model_info(name)
    if not isinstance(task, TaskSpec):
        raise ValueError(f"task must be a zoo.TaskSpec, got {type(task).__name__}")
    info.check_task(task)
    resolved = resolve_hparams(name, hparams)
    model = _BUILDERS[name](task, **resolved)
    model.set_identity(name, task, resolved)
    return model


def create_model(
    name: str,
    task: TaskSpec,
    *,
    compile: bool = True,
    learning_rate: float = 1e-3,
    optimizer: Any = None,
    loss: Any = None,
    metrics: Any = None,
    jit_compile: bool | str = "auto",
    steps_per_execution: int | str = "auto",
    **hparams: Any,
) -> keras.Model:
    """Build a registered model for ``task``, compiled with defaults for the task kind.

    Classification compiles with Adam, sparse categorical cross-entropy and accuracy;
    forecasting with Adam, mean squared error and mean absolute error. Any of ``optimizer``,
    ``loss`` and ``metrics`` overrides the default; ``compile=False`` skips compiling.

    Args:
        name: a registered id, e.g. ``"lstm"``.
        task: the :class:`TaskSpec` the model must serve.
        compile: whether to compile the model.
        learning_rate: Adam learning rate when ``optimizer`` is not given.
        optimizer: overrides the default Adam in ``model.compile``.
        loss: overrides the task kind's default loss.
        metrics: overrides the task kind's default metrics.
        jit_compile: ``model.compile``'s; ``"auto"`` takes :func:`jit_choice` (the setting
            measured fastest on this backend and device), else Keras's own choice.
        steps_per_execution: ``model.compile``'s, batches per call of the compiled step;
            ``"auto"`` takes :func:`steps_choice` (measured fastest here, else 1). It does not
            change the numbers, only how often Python calls into the step.
        **hparams: model hyperparameters; see ``get_model_info(name).defaults``.

    Example:
        >>> task = TaskSpec("classification", "tokens", seq_len=64, vocab_size=5000, num_outputs=2)
        >>> model = create_model("bilstm", task, units=64)
    """
    model = build_model(name, task, **hparams)
    if compile:
        if not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        if jit_compile == "auto":
            choice = jit_choice(name)
            jit_compile = "auto" if choice is None else choice
        if steps_per_execution == "auto":
            steps_per_execution = steps_choice(name)
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) \
                or steps_per_execution < 1:
            raise ValueError("steps_per_execution must be a positive integer or 'auto', got "
                             f"{steps_per_execution!r}")
        model.compile(
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            optimizer=optimizer or keras.optimizers.Adam(learning_rate),
            loss=loss or default_loss(task),
            metrics=metrics or default_metrics(task),
        )
    return model
