"""The scans of every linear recurrence in the zoo: ``h_t = a_t * h_{t-1} + b_t``, in three forms.

Shapes: ``a`` and ``b`` are ``(B, T, ...)`` (any trailing dims, broadcast alike), the scan runs
over axis 1, and ``h_0 = 0`` (or ``initial``). minGRU, minLSTM and the Mamba-style selective
SSM reduce to it; a complex diagonal state (as S4D's) goes through as a (real, imaginary)
pair.

The doubling form (:func:`parallel_scan`) is the classic recursive-doubling scan (Blelloch's
work-efficient variant): combine neighbouring pairs ``(a1, b1), (a2, b2) -> (a2 a1, a2 b1 + b2)``,
scan the half-length sequence of pairs, then fill in the even positions. It takes
``2 log2 T`` steps of whole-tensor ``keras.ops`` (a Python loop over levels, never over time
steps), O(T) work and memory, and only multiplies decays (|a| <= 1 in every family here), so
nothing overflows at long T. It needs a static T: the sequence is padded at the end to a power
of two with ``a = 1, b = 0``, which changes no earlier output. ``keras.ops.associative_scan``
is not used: on TensorFlow it fails inside ``model.fit`` (an unknown static shape).
:func:`sequential_scan` is the loop over time; :func:`chunked_scan` runs the doubling scan
inside chunks and a short loop across them. Which is fastest depends on the backend and
device; :func:`linear_scan` takes the form by name and :mod:`zoo.fast` holds the measured
choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from keras import ops

from zoo.loop import scan_outputs
from zoo.timeaxis import head, shift

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
    """Even and odd time steps of ``(B, T, ...)`` with T even: two ``(B, T/2, ...)`` (split,
    not sliced: see :mod:`zoo.timeaxis`)."""
    shape = x.shape
    folded = ops.reshape(x, (-1, shape[1] // 2, 2, *shape[2:]))
    even, odd = ops.split(folded, 2, axis=2)
    return ops.squeeze(even, 2), ops.squeeze(odd, 2)


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
    previous = _map(lambda p: shift(p, 1), h_odd)
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
    h = tuple(head(p, steps) for p in _scan(a_term, b_term))
    return h if complex_ else h[0]


def sequential_scan(a: Term, b: Term, initial: Term | None = None) -> Term:
    """The same recurrence one step at a time (:func:`zoo.loop.scan_outputs`, a loop over T).

    O(T) sequential steps of O(1) work each: slowest to trace deep, but the least memory per
    step and no static length needed. recurrentgemma runs this form everywhere except TPU.
    """
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
    _, hs = scan_outputs(step, h0, swapped)
    h = tuple(ops.moveaxis(p, 0, 1) for p in hs)
    return h if complex_ else h[0]


def chunked_scan(a: Term, b: Term, initial: Term | None = None, chunk: int = 32) -> Term:
    """The same recurrence in chunks of ``chunk`` steps: a doubling scan inside every chunk
    (all chunks at once), a short scan across the chunks' ends, then one multiply-add.

    ``h = local + P * H_prev``: ``local`` is each chunk's scan from a zero state, ``P`` the
    running product of the decays inside the chunk, ``H_prev`` the true state at the end of
    the previous chunk. Fewer levels than one doubling scan over T (``log2 chunk`` instead of
    ``log2 T``), and no padding of T to a power of two.
    """
    complex_ = isinstance(b, (tuple, list))
    a_term, b_term = (tuple(a), tuple(b)) if complex_ else ((a,), (b,))
    a_term = tuple(ops.broadcast_to(p, ops.shape(b_term[0])) for p in a_term)
    steps = b_term[0].shape[1]
    if steps is None:
        raise ValueError("chunked_scan needs a static sequence length; build the model with "
                         "TaskSpec(seq_len=...)")
    size = 1 << max(0, (min(chunk, steps) - 1).bit_length())
    chunks = -(-steps // size)
    rest = b_term[0].shape[2:]
    tail = [(0, 0), (0, chunks * size - steps)] + [(0, 0)] * len(rest)
    a_term = tuple(ops.pad(p, tail, constant_values=1.0 if i == 0 else 0.0)
                   for i, p in enumerate(a_term))
    b_term = _map(lambda p: ops.pad(p, tail), b_term)

    def fold(p: Any) -> Any:  # (B, C*Q, ...) -> (B*C, Q, ...)
        return ops.reshape(p, (-1, size, *rest))

    def unfold(p: Any) -> Any:  # (B*C, Q, ...) -> (B, C, Q, ...)
        return ops.reshape(p, (-1, chunks, size, *rest))

    a_chunks = _map(fold, a_term)
    local = _map(unfold, _scan(a_chunks, _map(fold, b_term)))
    # the running product of the decays: the same scan with b = (a_1, 0, 0, ...)
    first_only = [(0, 0), (0, size - 1)] + [(0, 0)] * len(rest)
    products = _map(unfold, _scan(a_chunks, tuple(
        ops.pad(head(p, 1), first_only) for p in a_chunks)))
    ends = sequential_scan(_map(_last_step, products), _map(_last_step, local),
                           None if initial is None else tuple(initial) if complex_ else (initial,))
    first = (tuple(initial) if complex_ else (initial,)) if initial is not None else tuple(
        ops.zeros_like(p[:, 0]) for p in ends)
    before = tuple(ops.concatenate([ops.expand_dims(f, 1), head(e, chunks - 1)], axis=1)
                   for f, e in zip(first, ends, strict=True))
    h = _add(local, _mul(products, _map(lambda p: ops.expand_dims(p, 2), before)))
    h = tuple(head(ops.reshape(p, (-1, chunks * size, *rest)), steps) for p in h)
    return h if complex_ else h[0]


def _last_step(x: Any) -> Any:
    """``(B, C, Q, ...)`` -> ``(B, C, ...)``: each chunk's last step (split, not sliced)."""
    return ops.squeeze(ops.split(x, [x.shape[2] - 1], axis=2)[1], 2)


#: the forms of :func:`linear_scan`
FORMS = ("doubling", "sequential", "chunked")


def linear_scan(a: Term, b: Term, initial: Term | None = None, form: str = "doubling") -> Term:
    """``h_t = a_t h_{t-1} + b_t`` in the named form (see :data:`FORMS`); all give the same
    ``h`` up to float rounding, at different speed and memory per backend and device."""
    if form == "sequential":
        return sequential_scan(a, b, initial)
    if form == "chunked":
        return chunked_scan(a, b, initial)
    return parallel_scan(a, b, initial)
