"""A run's training budget: epochs, batch, patience, caps and learning rate (no Keras)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.cell.checks import check_int, check_positive


@dataclass(frozen=True)
class Budget:
    """How much training a run gets.

    Attributes:
        epochs: maximum epochs.
        batch_size: training batch size.
        patience: early-stopping patience on validation loss (best weights restored).
        max_seconds: wall-clock cap on training (``None`` = none).
        max_train: use at most this many training examples (``None`` = all).
        max_eval: use at most this many validation and test examples (``None`` = all).
        learning_rate: Adam learning rate.
    """

    epochs: int = 5
    batch_size: int = 64
    patience: int = 2
    max_seconds: float | None = None
    max_train: int | None = None
    max_eval: int | None = None
    learning_rate: float = 1e-3

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            check_int(name, getattr(self, name))
        check_int("patience", self.patience, low=0)
        for name in ("max_train", "max_eval"):
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name))
        if self.max_seconds is not None:
            check_positive("max_seconds", self.max_seconds, "seconds")
        check_positive("learning_rate", self.learning_rate)

    def replace(self, **changes: Any) -> Budget:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        return Budget(**{**asdict(self), **{k: v for k, v in changes.items() if v is not None}})
