"""The harness: train, evaluate and measure one (model, dataset, seed) the same way every time.

``run`` never raises for a model's failure: it returns a record with ``status="failed"`` (and
the error) or ``status="diverged"`` (NaN/inf loss), so a grid always goes on.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from typing import Any

import keras
import numpy as np

import zoo
from benchmarks.cell.baselines import Baseline, get_baseline, naive_forecast
from benchmarks.cell.budget import Budget
from benchmarks.cell.devices import (
    DevicePlan,
    cpu_name,
    peak_device_mib,
    reset_device_peak,
    select_device,
)
from benchmarks.cell.measure import (
    BatchTimer,
    inference_throughput,
    latency_ms,
    peak_host_mib,
    train_steps_per_second,
)
from benchmarks.cell.metrics import (
    PRIMARY,
    classification_metrics,
    forecast_metrics,
    labeling_metrics,
)
from benchmarks.cell.provenance import git_revision, versions
from benchmarks.cell.settings import (
    DEFAULT_SETTINGS,
    RunSettings,
    describe,
    prepare,
    reset_precision,
)
from benchmarks.data import Dataset, dataset_class, get_dataset
from results.record import RunRecord, hparams_hash, utc_now
from zoo.flops import forward_flops


def run_key(model: str, dataset: str, budget: Budget, hparams: dict[str, Any] | None,
            family: str | None = None, settings: RunSettings = DEFAULT_SETTINGS,
            where: tuple[str, str] | None = None) -> str:
    """The hash of resolved hyperparameters + budget that identifies a run for resume.

    ``family`` is the dataset's family (looked up from the registry when not given). Execution
    settings other than the defaults (``--jit``, ``--precision``) are part of the key, and so
    is ``where``, the (Keras backend, device kind) a model ran on; a baseline runs the same
    everywhere, so its key has no ``where``. ``where=None`` gives the key of stores written
    before the key held it (schema 5 and older), whose rows say where they ran in their
    ``backend`` and ``device`` columns.
    """
    family = family or dataset_class(dataset).family
    baseline = get_baseline(model, family) is not None
    return hparams_hash({"hparams": _resolved(model, family, hparams),
                         "budget": asdict(budget), "dataset": dataset,
                         **settings.key_parts(),
                         **({"where": list(where)} if where and not baseline else {})})


def _resolved(model: str, family: str, hparams: dict[str, Any] | None) -> dict[str, Any]:
    if get_baseline(model, family):
        if hparams:
            raise ValueError(f"baseline {model!r} takes no hyperparameters, got {hparams}")
        return {"baseline": model}
    return zoo.resolve_hparams(model, hparams or {})


def run(model: str, dataset: str | Dataset, seed: int, budget: Budget = Budget(),
        device: str | DevicePlan = "auto", suite: str = "adhoc",
        hparams: dict[str, Any] | None = None,
        callbacks: list[keras.callbacks.Callback] | None = None,
        settings: RunSettings = DEFAULT_SETTINGS) -> RunRecord:
    """Train ``model`` on ``dataset`` with ``seed`` under ``budget``; return its record.

    Args:
        model: a zoo model id, or a baseline of the dataset's family (see
            :mod:`benchmarks.cell.baselines`), fitted and scored the same way.
        dataset: a dataset id or instance.
        seed: the training seed (``keras.utils.set_random_seed``); data splits are fixed.
        budget: the training budget.
        device: ``auto|cpu|gpu|tpu`` or an already-resolved :class:`DevicePlan`.
        suite: the suite name recorded with the run.
        hparams: model hyperparameters overriding the zoo defaults.
        callbacks: extra Keras callbacks (e.g. a progress display); one with an ``extra()``
            method (as :class:`benchmarks.cell.gradflow.GradientFlow`) adds its dict to the
            record's ``extra``.
        settings: XLA and precision (see :mod:`benchmarks.cell.settings`).
    """
    plan = device if isinstance(device, DevicePlan) else select_device(device)
    data = get_dataset(dataset) if isinstance(dataset, str) else dataset
    hparams = hparams or {}
    baseline = get_baseline(model, data.family)
    record = new_record(model, data, seed, budget, plan, suite, hparams, settings)
    try:
        if baseline:
            _fit_baseline(record, baseline, data, seed, budget)
        else:
            _train_and_measure(record, model, data, seed, budget, plan, hparams,
                               callbacks or [], settings)
    except Exception as error:  # a failing model is a row, not a crash
        record.status = "failed"
        record.error = error_line(error)
    finally:
        reset_precision()
    return record


def new_record(model: str, data: Dataset, seed: int, budget: Budget, plan: DevicePlan,
               suite: str, hparams: dict[str, Any],
               settings: RunSettings = DEFAULT_SETTINGS) -> RunRecord:
    """A run's record before it runs: its key, budget, device, settings and provenance."""
    baseline = get_baseline(model, data.family)
    record = RunRecord(
        model=model, dataset=data.id, seed=seed, suite=suite,
        backend="sklearn" if baseline else keras.backend.backend(),
        device="cpu" if baseline else plan.kind,
        hparams_hash=run_key(model, data.id, budget, hparams, data.family, settings,
                             (keras.backend.backend(), plan.kind)),
        started_at=utc_now(),
        hparams=json.dumps(_resolved(model, data.family, hparams), sort_keys=True),
        budget=json.dumps(asdict(budget), sort_keys=True), is_baseline=baseline is not None,
        device_name=cpu_name() if baseline else plan.name, git_revision=git_revision(),
        precision=None if baseline else settings.precision, **versions(),
    )
    if baseline:
        import sklearn

        record.backend_version = f"scikit-learn {sklearn.__version__}"
    return record


def error_line(error: BaseException) -> str:
    """``Type: first line of the message``, as records and tuning rows keep errors."""
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def temporary_variable_clash(error: BaseException) -> bool:
    """Whether ``error`` is TensorFlow's Grappler clash of a ``TemporaryVariable`` name.

    Grappler's memory optimizer turns a large gradient ``AddN`` inside a loop into a
    ``TemporaryVariable``; inside the outer loop that ``steps_per_execution`` > 1 adds, the
    variable of one iteration is created twice in one call and the step fails with
    ``AlreadyExistsError`` (tensorflow#23780, #37740). The xLSTM's sLSTM loop at 400 steps
    does it. One batch per call does the same arithmetic and does not clash.
    """
    return type(error).__name__ == "AlreadyExistsError" and "TemporaryVariable" in str(error)


def _train_and_measure(record: RunRecord, name: str, data: Dataset, seed: int, budget: Budget,
                       plan: DevicePlan, hparams: dict[str, Any],
                       callbacks: list[keras.callbacks.Callback], settings: RunSettings) -> None:
    task = data.task_spec()
    record.dataset_fingerprint, record.dataset_version = data.fingerprint, data.version
    (x_train, y_train), (x_val, y_val) = training_data(data, budget)
    x_test, y_test = (a[: budget.max_eval] for a in data.load("test"))

    def build_and_fit(steps_per_execution: int | str
                      ) -> tuple[keras.Model, keras.callbacks.History, BatchTimer]:
        jit_compile = prepare(name, seed, settings, plan.kind, budget.epochs * len(x_train))
        reset_device_peak(plan)
        with plan.scope():
            model = zoo.create_model(name, task, learning_rate=budget.learning_rate,
                                     jit_compile=jit_compile,
                                     steps_per_execution=steps_per_execution, **hparams)
        start = time.perf_counter()
        history, timer = fit_model(model, (x_train, y_train), (x_val, y_val), budget, callbacks)
        record.train_seconds = time.perf_counter() - start
        return model, history, timer

    fallback = None
    try:
        model, history, timer = build_and_fit("auto")
    except Exception as error:
        if not temporary_variable_clash(error):
            raise
        # the same arithmetic one batch per call: the clash needs Keras's multi-step loop
        fallback = f"steps_per_execution 1 after {error_line(error)} (a TemporaryVariable clash)"
        model, history, timer = build_and_fit(1)
    losses = history.history.get("loss", []) + history.history.get("val_loss", [])
    record.epochs_run = len(history.history.get("loss", []))
    record.params = model.count_params()
    record.kernel = zoo.kernel_summary(model, device=plan.kind)
    if not losses or not all(math.isfinite(v) for v in losses):
        record.status, record.error = "diverged", "loss became NaN or inf during training"
        return
    record.best_val_loss = float(min(history.history["val_loss"]))

    output = model.predict(x_test, batch_size=256, verbose=0)
    record.primary_metric = PRIMARY[task.kind][0]
    _score(record, data, task, y_test, output, budget)

    record.train_samples_per_s = timer.samples_per_second()
    rate_from = "fit"
    if record.train_samples_per_s is None:  # fit's one call held the compilation
        record.train_samples_per_s = train_steps_per_second(model, x_train, y_train,
                                                            budget.batch_size)
        rate_from = "steps after fit"
    record.latency_p50_ms, record.latency_p95_ms = latency_ms(model.predict_on_batch, x_test)
    record.infer_samples_per_s = inference_throughput(model.predict_on_batch, x_test)
    record.peak_host_mib = peak_host_mib()
    record.peak_device_mib = peak_device_mib(plan)
    record.flops_per_sample = forward_flops(model, task.seq_len)
    if record.train_samples_per_s:
        # training costs about three forward passes (forward, and backward for two operands)
        record.achieved_gflops = 3 * record.flops_per_sample * record.train_samples_per_s / 1e9
    extra = {"hit_time_cap": timer.hit_time_cap, "settings": describe(model, settings),
             "train_rate_from": rate_from, **({"fallback": fallback} if fallback else {}),
             "kernels": zoo.recurrent_kernels(model, device=plan.kind),
             "history": {k: [float(v) for v in values] for k, values in history.history.items()}}
    for callback in callbacks:  # e.g. benchmarks.cell.gradflow.GradientFlow's curves
        extra.update(callback.extra() if hasattr(callback, "extra") else {})
    record.extra = json.dumps(extra)


def training_data(data: Dataset, budget: Budget
                  ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_val, y_val)`` of ``data``, cut to the budget's limits."""
    x_train, y_train = (a[: budget.max_train] for a in data.load("train"))
    x_val, y_val = (a[: budget.max_eval] for a in data.load("val"))
    return (x_train, y_train), (x_val, y_val)


def fit_model(model: keras.Model, train: tuple[np.ndarray, np.ndarray],
              val: tuple[np.ndarray, np.ndarray], budget: Budget,
              callbacks: list[keras.callbacks.Callback] | None = None,
              epochs: int | None = None, initial_epoch: int = 0
              ) -> tuple[keras.callbacks.History, BatchTimer]:
    """Train a compiled zoo model the way every seqzoo run trains.

    Adapts the input stem on ``train``, then fits under ``budget``: its batch size, early
    stopping on validation loss with the best weights restored, its wall-clock cap, and a stop
    on NaN loss. ``epochs`` and ``initial_epoch`` override the budget's epochs (keras-tuner's
    Hyperband continues a trial that way). Returns the history and the batch timer.
    """
    zoo.adapt_stem(model, train[0])
    timer = BatchTimer(budget.batch_size, max_seconds=budget.max_seconds)
    stop = keras.callbacks.EarlyStopping(patience=budget.patience, restore_best_weights=True)
    history = model.fit(*train, validation_data=val, epochs=epochs or budget.epochs,
                        initial_epoch=initial_epoch, batch_size=budget.batch_size, verbose=0,
                        callbacks=[timer, stop, keras.callbacks.TerminateOnNaN(),
                                   *(callbacks or [])])
    return history, timer


def _fit_baseline(record: RunRecord, baseline: Baseline, data: Dataset, seed: int,
                  budget: Budget) -> None:
    """Fit a non-neural baseline on train and score it on test exactly as models are scored."""
    np.random.seed(seed)
    task = data.task_spec()
    record.dataset_fingerprint, record.dataset_version = data.fingerprint, data.version

    def inputs(split: str) -> tuple[np.ndarray, np.ndarray]:
        limit = budget.max_train if split == "train" else budget.max_eval
        x, y = data.load(split)
        if baseline.inputs == "text":
            x = data.extra("text", split)
        return x[:limit], y[:limit]

    (x_train, y_train), (x_test, y_test) = inputs("train"), inputs("test")
    start = time.perf_counter()
    predict, record.params = baseline.fit(x_train, y_train, data)
    record.train_seconds = time.perf_counter() - start  # no gradient steps: no train samples/s
    output = predict(x_test)
    record.primary_metric = PRIMARY[task.kind][0]
    _score(record, data, task, y_test, output, budget)
    record.latency_p50_ms, record.latency_p95_ms = latency_ms(predict, x_test)
    record.infer_samples_per_s = inference_throughput(predict, x_test)
    record.peak_host_mib = peak_host_mib()
    record.kernel = "none"


def _score(record: RunRecord, data: Dataset, task: zoo.TaskSpec, y_test: np.ndarray,
           output: np.ndarray, budget: Budget) -> None:
    """Quality metrics of test ``output`` into ``record``; non-finite output means diverged."""
    if task.kind == "classification":
        scores = classification_metrics(y_test, output, task.num_outputs)
    elif task.per_position:
        scores = labeling_metrics(y_test, output, task.num_outputs)
    else:
        x_test = data.load("test")[0][: budget.max_eval]
        naive = (data.extra("naive", "test")[: budget.max_eval] if "naive_test" in data.arrays()
                 else naive_forecast(data, x_test))
        scores = forecast_metrics(y_test, output, naive, data.meta.get("target_scale", 1.0))
    for key, value in scores.items():
        setattr(record, key, value)
    if not np.isfinite(output).all():
        record.status, record.error = "diverged", "test predictions contain NaN or inf"
