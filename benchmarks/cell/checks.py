"""One-line checks of user-given settings, shared by the command line and the settings
dataclasses (``Budget``, ``RunSettings``, ``DiagnoseSettings``, ``ScaleSettings``): each
raises ``ValueError`` naming the setting, the bad value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name: str, value: object, low: int = 1) -> None:
    """``value`` must be an integer >= ``low``."""
    if not _is_int(value) or value < low:  # type: ignore[operator]
        allowed = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name} {value!r} is not allowed; use {allowed}")


def check_ints(name: str, values: Iterable[object], low: int) -> None:
    """``values`` must be a non-empty list of integers >= ``low``."""
    values = list(values)
    if not values or not all(_is_int(v) and v >= low for v in values):  # type: ignore[operator]
        raise ValueError(f"{name} {','.join(map(str, values))} is not allowed; use integers "
                         f">= {low}")


def check_positive(name: str, value: object, unit: str = "number") -> None:
    """``value`` must be a number > 0 (``unit`` names what it counts, e.g. seconds)."""
    if _is_int(value) or isinstance(value, float):
        if value > 0:  # type: ignore[operator]
            return
    what = "a positive number" if unit == "number" else f"a positive number of {unit}"
    raise ValueError(f"{name} {value!r} is not allowed; use {what}")


def check_choice(name: str, value: object, allowed: Iterable[str],
                 why: str = "is not allowed") -> None:
    """``value`` must be one of ``allowed``; the error reads ``{name} {value!r} {why}; use
    one of ...``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} {value!r} {why}; use one of {', '.join(allowed)}")
