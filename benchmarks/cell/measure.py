"""Cost measurement: per-batch timing, wall-clock cap, latency and throughput, host memory."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np


class BatchTimer(keras.callbacks.Callback):
    """Records each training batch's wall time; excludes warm-up batches from steady state.

    Under ``steps_per_execution`` > 1 a batch's time is its call's time over the batches the
    call ran.

    Args:
        batch_size: the nominal batch size (samples per timed batch).
        warmup: batches at the start of the first epoch (tracing, compile) left out.
        max_seconds: stop training once this much wall time has passed (``None`` = no cap).
    """

    def __init__(self, batch_size: int, warmup: int = 2, max_seconds: float | None = None
                 ) -> None:
        super().__init__()
        self.batch_size, self.warmup, self.max_seconds = batch_size, warmup, max_seconds
        self.steady: list[float] = []
        self.epoch = 0
        self.hit_time_cap = False

    def on_train_begin(self, logs: Any = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._t0, self._first = time.perf_counter(), batch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        # With steps_per_execution > 1 one call runs batches _first..batch, and the epoch's
        # last call stops at the epoch's last batch (Keras passes the end the call would have).
        elapsed = time.perf_counter() - self._t0
        steps = self.params.get("steps") if self.params else None
        last = min(batch, steps - 1) if steps else batch
        if self.epoch > 0 or self._first >= self.warmup:
            self.steady.append(elapsed / (last - self._first + 1))
        if self.max_seconds and time.perf_counter() - self.started > self.max_seconds:
            self.hit_time_cap = True
            self.model.stop_training = True

    def samples_per_second(self) -> float | None:
        """Steady-state training throughput from the median batch time."""
        return self.batch_size / float(np.median(self.steady)) if self.steady else None


def call_seconds(fn: Any, calls: int, warmup: int) -> list[float]:
    """Wall seconds of each of ``calls`` calls of ``fn()``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def latency_ms(predict: Callable[[np.ndarray], Any], x: np.ndarray, calls: int = 50,
               warmup: int = 5) -> tuple[float, float]:
    """p50 and p95 latency of ``predict`` at batch 1, in milliseconds, after warm-up calls."""
    one = x[:1]
    times = np.array(call_seconds(lambda: predict(one), calls, warmup)) * 1000
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def inference_throughput(predict: Callable[[np.ndarray], Any], x: np.ndarray, batch: int = 256,
                         repeats: int = 5) -> float:
    """Samples/s of ``predict`` at a large batch (median of ``repeats`` timed calls)."""
    block = x[: min(batch, len(x))]
    times = call_seconds(lambda: predict(block), repeats, warmup=1)
    return len(block) / float(np.median(times))


def peak_host_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux ``ru_maxrss`` is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_host_mib() -> float | None:
    """Resident set size of this process now, in MiB (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        resident_pages = int(open("/proc/self/statm").read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident_pages * resource.getpagesize() / 2**20


def train_steps_per_second(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int,
                           steps: int = 5, warmup: int = 2) -> float:
    """Steady-state training samples/s of a trained, compiled ``model``: the median of
    ``steps`` timed ``train_on_batch`` calls after ``warmup`` untimed ones, on one batch of
    ``x``/``y``. The weights and optimizer state are put back afterwards, so the model is
    the one it was; for runs whose ``fit`` gave no steady-state batch (one short epoch, whose
    first call holds the compilation)."""
    batch = min(batch_size, len(x))
    xb, yb = x[:batch], y[:batch]
    weights = model.get_weights()
    state = [v.numpy() for v in model.optimizer.variables]
    try:
        times = call_seconds(lambda: model.train_on_batch(xb, yb), steps, warmup)
    finally:
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, state, strict=True):
            variable.assign(value)
    return batch / float(np.median(times))
