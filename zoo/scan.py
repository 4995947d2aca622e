"""One parallel scan for every linear recurrence in the zoo: ``h_t = a_t * h_{t-1} + b_t``.

Shapes: ``a`` and ``b`` are ``(B, T, ...)`` (any trailing dims, broadcast alike), the scan runs
over axis 1, and ``h_0 = 0`` (or ``initial``). minGRU, minLSTM and the Mamba-style selective
SSM reduce to it; a complex diagonal state (as S4D's) goes through as a (real, imaginary)
pair.

The parallel form is the classic recursive-doubling scan (Blelloch's work-efficient variant):
combine neighbouring pairs ``(a1, b1), (a2, b2) -> (a2 a1, a2 b1 + b2)``, scan the half-length
sequence of pairs, then fill in the even positions. It takes ``2 log2 T`` steps of whole-tensor
``keras.ops`` (a Python loop over levels, never over time steps), O(T) work and memory, and only
multiplies decays (|a| <= 1 in every family here), so nothing overflows at long T. It needs a
static T: the sequence is padded at the end to a power of two with ``a = 1, b = 0``, which
changes no earlier output. ``keras.ops.associative_scan`` is not used: on TensorFlow it fails
inside ``model.fit`` (an unknown static shape). :func:`reference_scan` is the short sequential
definition the tests hold the parallel form to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from keras import ops

#: a term of the scan: one real tensor, or a (real, imaginary) pair
Term = Any


def _mul(x: Sequence[Any], y: Sequence[Any]) -> tuple[Any, ...]:
    """Elementwise product of two real (1-tuple) or complex (2-tuple) terms."""
    if len(x) == 1:
        return (x[0] * y[0],)
    return (x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0])


def _add(x: Sequence[Any], y: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(p + q for p, q in zip(x, y, strict=True))


def _map(fn: Callable[[Any], Any], term: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(fn(part) for part in term)


def _pairs(x: Any) -> tuple[Any, Any]:
    """Even and odd time steps of ``(B, T, ...)`` with T even: two ``(B, T/2, ...)``."""
    shape = x.shape
    folded = ops.reshape(x, (-1, shape[1] // 2, 2, *shape[2:]))
    return folded[:, :, 0], folded[:, :, 1]


def _interleave(even: Any, odd: Any) -> Any:
    """Inverse of :func:`_pairs`."""
    shape = even.shape
    return ops.reshape(ops.stack([even, odd], axis=2), (-1, shape[1] * 2, *shape[2:]))


def _scan(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """Inclusive scan of terms whose time length is a power of two."""
    if b[0].shape[1] == 1:
        return b
    a_even, a_odd = zip(*(_pairs(p) for p in a), strict=True)
    b_even, b_odd = zip(*(_pairs(p) for p in b), strict=True)
    # h at odd steps: the scan of the pairs (a_odd a_even, a_odd b_even + b_odd)
    h_odd = _scan(_mul(a_odd, a_even), _add(_mul(a_odd, b_even), b_odd))
    # h at even steps: a_even * h at the previous odd step + b_even (h_{-1} = 0)
    previous = _map(lambda p: ops.pad(p[:, :-1], [(0, 0), (1, 0)] + [(0, 0)] * (
        len(p.shape) - 2)), h_odd)
    h_even = _add(_mul(a_even, previous), b_even)
    return tuple(_interleave(e, o) for e, o in zip(h_even, h_odd, strict=True))


def parallel_scan(a: Term, b: Term, initial: Term | None = None) -> Term:
    """``h_t = a_t h_{t-1} + b_t`` over axis 1 of ``(B, T, ...)`` tensors, in parallel.

    Args:
        a: the decays, real or a (real, imaginary) pair, broadcastable to ``b``.
        b: the inputs ``(B, T, ...)``, real or a pair.
        initial: ``h_0`` of shape ``(B, ...)`` (zero if ``None``).

    Returns:
        ``h`` with the shape of ``b`` (a pair if ``b`` is one).
    """
    complex_ = isinstance(b, (tuple, list))
    a_term, b_term = (tuple(a), tuple(b)) if complex_ else ((a,), (b,))
    a_term = tuple(ops.broadcast_to(p, ops.shape(b_term[0])) for p in a_term)
    if initial is not None:  # fold h_0 into the first input: b_1 += a_1 h_0
        h0 = tuple(initial) if complex_ else (initial,)
        first = _mul(_map(lambda p: p[:, :1], a_term), _map(lambda p: ops.expand_dims(p, 1), h0))
        b_term = tuple(ops.concatenate([p[:, :1] + f, p[:, 1:]], axis=1)
                       for p, f in zip(b_term, first, strict=True))
    steps = b_term[0].shape[1]
    if steps is None:
        raise ValueError("parallel_scan needs a static sequence length; build the model with "
                         "TaskSpec(seq_len=...)")
    padded = 1 << max(0, (steps - 1).bit_length())
    if padded != steps:
        tail = [(0, 0), (0, padded - steps)] + [(0, 0)] * (len(b_term[0].shape) - 2)
        a_term = tuple(ops.pad(p, tail, constant_values=1.0 if i == 0 else 0.0)
                       for i, p in enumerate(a_term))
        b_term = _map(lambda p: ops.pad(p, tail), b_term)
    h = tuple(p[:, :steps] for p in _scan(a_term, b_term))
    return h if complex_ else h[0]


def reference_scan(a: Term, b: Term, initial: Term | None = None) -> Term:
    """The same recurrence, one step at a time with ``keras.ops.scan`` (for tests)."""
    complex_ = isinstance(b, (tuple, list))
    a_term, b_term = (tuple(a), tuple(b)) if complex_ else ((a,), (b,))
    a_term = tuple(ops.broadcast_to(p, ops.shape(b_term[0])) for p in a_term)
    h0 = (tuple(initial) if complex_ else (initial,)) if initial is not None else tuple(
        ops.zeros_like(p[:, 0]) for p in b_term)

    def step(carry: tuple[Any, ...], xs: tuple[Any, ...]) -> tuple[Any, Any]:
        half = len(xs) // 2
        h = _add(_mul(xs[:half], carry), xs[half:])
        return h, h

    swapped = tuple(ops.moveaxis(p, 1, 0) for p in (*a_term, *b_term))
    _, hs = ops.scan(step, h0, swapped)
    h = tuple(ops.moveaxis(p, 0, 1) for p in hs)
    return h if complex_ else h[0]
