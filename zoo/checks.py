"""Hyperparameter checks shared by every builder: one clear sentence per bad value."""

from __future__ import annotations

import difflib
from typing import Any


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an integer >= 1, else raise ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def non_negative_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an integer >= 0, else raise ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def rate(name: str, value: Any) -> float:
    """Return ``value`` if it is a number in [0, 1), else raise ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def one_of(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` listing them."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def divides(name: str, divisor: int, width_name: str, width: int) -> None:
    """Raise ``ValueError`` unless ``divisor`` divides ``width`` exactly."""
    if width % divisor:
        raise ValueError(f"{name}={divisor} must divide {width_name}={width} exactly")


class UnknownNameError(KeyError):
    """An id that is not registered; the message lists the closest registered ids."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
        super().__init__(f"unknown {what} {name!r}; {hint}")

    def __str__(self) -> str:
        return str(self.args[0])
