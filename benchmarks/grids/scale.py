"""``seqzoo scale``: how each model's cost grows with sequence length.

Each (model, length) is one cell, run through the isolated workers like any grid cell, so its
memory figures are its own. The inputs are the adding problem's sequences at that length (the
standard diagnostic probe; cost does not depend on the values). A cell builds the model at a
fixed batch and width, takes two warm-up training steps (tracing, compilation), then times
``steps`` more and records:

- the median training step time and train tokens/s (``extra``), train samples/s;
- inference latency at batch 1 (``latency_p50_ms``) and at batch B (``extra``);
- peak host memory, and its growth over the worker's memory after imports; peak device memory
  on a GPU;
- analytic forward FLOPs per sample.

A cell that passes ``time_cap`` seconds stops and is stored as ``timeout``; one that runs out
of memory as ``oom``; both are results (the largest length a family reaches), not crashes.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import zoo
from benchmarks.cell.checks import check_int, check_ints, check_positive
from benchmarks.cell.devices import peak_device_mib, reset_device_peak, select_device
from benchmarks.cell.harness import Budget, error_line, new_record
from benchmarks.cell.measure import call_seconds, latency_ms, peak_host_mib
from benchmarks.cell.settings import (
    DEFAULT_SETTINGS,
    RunSettings,
    describe,
    prepare,
    reset_precision,
)
from benchmarks.data import Dataset, canonical_id
from benchmarks.grids.plan import Completed, PlannedRun, keys
from results.record import RunRecord
from results.store import Store
from zoo.flops import forward_flops

SUITE = "scale"
#: warm-up training steps before the timed ones (tracing and compilation)
WARMUP = 2


class OverTimeCap(RuntimeError):
    """A scale cell passed its time cap."""


@dataclass(frozen=True)
class ScaleSettings:
    """A scaling sweep: lengths, and the fixed batch, width, timed steps and time cap."""

    lengths: tuple[int, ...]
    batch: int = 16
    width: int = 64
    steps: int = 5
    time_cap: float = 300.0

    def check(self) -> None:
        """``ValueError`` naming the first bad setting."""
        check_ints("--lengths", self.lengths, 2)
        for flag, value in (("--batch", self.batch), ("--width", self.width),
                            ("--steps", self.steps)):
            check_int(flag, value)
        check_positive("--time-cap", self.time_cap, "seconds")

    def dataset(self, length: int) -> str:
        """The adding-problem dataset id that feeds one length: just the batches needed."""
        return canonical_id(f"adding:lag={length},n_train={self.batch * (WARMUP + self.steps)}"
                            f",n_val={self.batch},n_test={self.batch}")

    def budget(self) -> Budget:
        """The budget a cell's key and record carry (batch and time cap)."""
        return Budget(epochs=1, batch_size=self.batch, max_seconds=self.time_cap)


def width_hparams(model: str, width: int) -> dict[str, int]:
    """The hyperparameter that sets ``model``'s hidden width: ``units`` for the recurrent
    families (per direction for bilstm), else ``embed_dim``."""
    defaults = zoo.get_model_info(model).defaults
    return {"units": width} if "units" in defaults else {"embed_dim": width}


def plan_scale(models: list[str], settings: ScaleSettings, seed: int, store: Store,
               where: tuple[str, str], run_settings: RunSettings = DEFAULT_SETTINGS
               ) -> list[PlannedRun]:
    """One cell per (model, length) on ``where`` (backend, device kind), marked done if the
    store holds it with status ok there."""
    settings.check()
    done, budget, job = Completed(store, SUITE, where), settings.budget(), \
        {"scale": asdict(settings)}
    plan = []
    for model in models:
        hparams = width_hparams(model, settings.width)
        for length in sorted(set(settings.lengths)):
            dataset = settings.dataset(length)
            key, legacy = keys(model, dataset, budget, hparams, run_settings, where)
            plan.append(PlannedRun(model, dataset, seed, budget, key,
                                   done(model, dataset, seed, key, legacy), hparams, job))
    return plan


def measure(model: str, data: Dataset, seed: int, settings: dict[str, Any], device: str,
            hparams: dict[str, Any], run_settings: RunSettings = DEFAULT_SETTINGS) -> RunRecord:
    """Run one scale cell (in a worker); its record, ``ok``, ``timeout``, ``oom`` or
    ``failed``."""
    sweep = ScaleSettings(**{**settings, "lengths": tuple(settings["lengths"])})
    plan = select_device(device)
    record = new_record(model, data, seed, sweep.budget(), plan, SUITE, hparams, run_settings)
    try:
        _measure(record, model, data, seed, sweep, plan, hparams, run_settings)
    except OverTimeCap as error:
        record.status, record.error = "timeout", str(error)
    except Exception as error:
        out_of_memory = isinstance(error, MemoryError) or any(
            mark in f"{type(error).__name__} {error}"
            for mark in ("ResourceExhausted", "RESOURCE_EXHAUSTED", "out of memory"))
        record.status, record.error = "oom" if out_of_memory else "failed", error_line(error)
    finally:
        reset_precision()
    record.peak_host_mib = peak_host_mib()
    return record


def _measure(record: RunRecord, name: str, data: Dataset, seed: int, sweep: ScaleSettings,
             plan: Any, hparams: dict[str, Any], run_settings: RunSettings) -> None:
    start = time.monotonic()

    def check_time(what: str) -> None:
        if time.monotonic() - start > sweep.time_cap:
            raise OverTimeCap(f"passed --time-cap {sweep.time_cap:g} s {what} "
                              f"(after {time.monotonic() - start:.1f} s)")

    jit_compile = prepare(name, seed, run_settings, plan.kind)
    task = data.task_spec()
    record.dataset_fingerprint, record.dataset_version = data.fingerprint, data.version
    x, y = data.load("train")
    reset_device_peak(plan)
    with plan.scope():
        model = zoo.create_model(name, task, jit_compile=jit_compile, **hparams)
    zoo.adapt_stem(model, x)
    record.params = model.count_params()
    batch, times = sweep.batch, []
    for i in range(WARMUP + sweep.steps):
        begun = time.perf_counter()
        model.train_on_batch(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])
        if i >= WARMUP:
            times.append(time.perf_counter() - begun)
        check_time(f"in training step {i + 1} of {WARMUP + sweep.steps}")
    step = statistics.median(times)
    record.train_samples_per_s = batch / step
    record.train_seconds = sum(times)
    record.latency_p50_ms, record.latency_p95_ms = latency_ms(model.predict_on_batch, x,
                                                              calls=10, warmup=2)
    check_time("measuring batch-1 latency")
    batch_ms = 1000 * float(np.median(call_seconds(lambda: model.predict_on_batch(x[:batch]),
                                                   5, warmup=1)))
    record.infer_samples_per_s = batch / batch_ms * 1000
    record.peak_device_mib = peak_device_mib(plan)
    record.flops_per_sample = forward_flops(model, task.seq_len)
    record.achieved_gflops = 3 * record.flops_per_sample * record.train_samples_per_s / 1e9
    record.kernel = zoo.kernel_summary(model, device=plan.kind)
    record.extra = json.dumps({
        "length": task.seq_len, "batch": batch, "width": sweep.width,
        "step_ms": step * 1000, "step_ms_all": [t * 1000 for t in times],
        "train_tokens_per_s": batch * task.seq_len / step, "latency_batch_ms": batch_ms,
        "settings": describe(model, run_settings),
        "kernels": zoo.recurrent_kernels(model, device=plan.kind)})
