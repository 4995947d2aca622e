"""The task contract between datasets and models."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

KINDS = ("classification", "forecasting", "labeling")
#: the label of a position that has none (``labeling`` tasks); PyTorch's and Zoology's -100
IGNORE = -100
INPUTS = ("tokens", "features")


@dataclass(frozen=True)
class TaskSpec:
    """What a model must consume and produce.

    Args:
        kind: ``"classification"`` (softmax over ``num_outputs`` classes),
            ``"forecasting"`` (``num_outputs`` = horizon x targets real values) or
            ``"labeling"`` (softmax over ``num_outputs`` classes at every position; labels
            are ``(B, T)`` class ids, :data:`IGNORE` where a position has none, and the loss
            and accuracy count only the labelled positions).
        input: ``"tokens"`` (int token ids, 0 = padding) or ``"features"``
            (float steps x features).
        seq_len: steps per example; ``None`` means variable length.
        num_features: features per step (``input="features"`` only).
        vocab_size: vocabulary size including padding id 0 (``input="tokens"`` only).
        num_outputs: number of classes, or horizon x targets.

    Example:
        >>> TaskSpec("classification", "tokens", seq_len=64, vocab_size=5000, num_outputs=2)
    """

    kind: Literal["classification", "forecasting", "labeling"]
    input: Literal["tokens", "features"]
    seq_len: int | None = None
    num_features: int | None = None
    vocab_size: int | None = None
    num_outputs: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"TaskSpec.kind={self.kind!r} is not allowed; use one of {KINDS}")
        if self.input not in INPUTS:
            raise ValueError(f"TaskSpec.input={self.input!r} is not allowed; use one of {INPUTS}")
        _check_count("seq_len", self.seq_len, allow_none=True)
        _check_count("num_outputs", self.num_outputs)
        if self.input == "tokens":
            if self.vocab_size is None or _check_count("vocab_size", self.vocab_size) < 2:
                raise ValueError(
                    f"TaskSpec with input='tokens' needs vocab_size >= 2, got {self.vocab_size!r}"
                )
            if self.num_features is not None:
                raise ValueError(
                    "TaskSpec with input='tokens' must not set num_features "
                    f"(got {self.num_features!r}); token ids have no feature axis"
                )
        else:
            if self.num_features is None:
                raise ValueError("TaskSpec with input='features' needs num_features >= 1, got None")
            _check_count("num_features", self.num_features)
            if self.vocab_size is not None:
                raise ValueError(
                    "TaskSpec with input='features' must not set vocab_size "
                    f"(got {self.vocab_size!r})"
                )
        if self.kind != "forecasting" and self.num_outputs < 2:
            raise ValueError(
                f"TaskSpec {self.kind} needs num_outputs >= 2 classes, got {self.num_outputs}"
            )
        if self.kind == "labeling" and self.seq_len is None:
            raise ValueError("TaskSpec labeling needs a fixed seq_len (labels are per position)")
        if self.kind == "forecasting" and self.input != "features":
            raise ValueError("TaskSpec forecasting needs input='features', got input='tokens'")

    @property
    def per_position(self) -> bool:
        """Whether the model answers at every position (``labeling``), not once per sequence."""
        return self.kind == "labeling"

    @property
    def shape(self) -> str:
        """The task shape name: ``tokens->classes``, ``frames->classes``, ``steps->horizon``
        or ``tokens->labels``."""
        if self.per_position:
            return f"{'tokens' if self.input == 'tokens' else 'steps'}->labels"
        if self.input == "tokens":
            return "tokens->classes"
        return "frames->classes" if self.kind == "classification" else "steps->horizon"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, suitable for JSON and ``TaskSpec(**d)``."""
        return asdict(self)


def _check_count(name: str, value: Any, allow_none: bool = False) -> int:
    if value is None and allow_none:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"TaskSpec.{name} must be a positive integer, got {value!r}")
    return value
