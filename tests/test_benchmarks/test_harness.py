"""The harness: records, failures as rows, divergence, reproducibility, devices."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
import zoo.registry as registry
from benchmarks.cell.baselines import BASELINES
from benchmarks.cell.devices import select_backend, select_device
from benchmarks.cell.harness import Budget, run
from benchmarks.data.base import Dataset

TINY = Budget(epochs=2, batch_size=32, max_train=96, max_eval=64)


class _NaNTargets(Dataset):
    """Forecasting arrays whose targets contain NaN: training must diverge (shape test data)."""

    name, family, offline, version = "nan_targets", "forecasting", True, "test"
    source = licence = split_definition = "test"

    def prepare(self):
        rng = np.random.default_rng(0)
        arrays = {}
        for split in ("train", "val", "test"):
            arrays[f"x_{split}"] = rng.normal(size=(64, 8, 3)).astype("float32")
            arrays[f"y_{split}"] = np.full((64, 2), np.nan, "float32")
        meta = {"task": {"kind": "forecasting", "input": "features", "seq_len": 8,
                         "num_features": 3, "num_outputs": 2},
                "fingerprint": "0" * 64, "target_index": 0, "target_scale": 1.0,
                "residual": False, "season": 4}
        return arrays, meta


def test_ok_record_has_quality_cost_and_provenance(prepared) -> None:
    record = run("gru", prepared("japanese_vowels"), seed=0, budget=TINY, device="cpu")
    assert record.status == "ok", record.error
    assert record.primary_metric == "accuracy" and 0 <= record.accuracy <= 1
    assert 0 <= record.macro_f1 <= 1
    assert record.params == zoo.build_model("gru", prepared("japanese_vowels").task_spec()
                                            ).count_params()
    for field in ("train_seconds", "train_samples_per_s", "latency_p50_ms", "latency_p95_ms",
                  "infer_samples_per_s", "peak_host_mib", "flops_per_sample",
                  "achieved_gflops"):
        assert getattr(record, field) > 0, field
    assert record.latency_p95_ms >= record.latency_p50_ms
    assert record.kernel == "generic" and record.device == "cpu"
    assert record.backend == "tensorflow" and record.keras_version and record.python_version
    assert record.dataset_fingerprint == prepared("japanese_vowels").fingerprint
    assert record.peak_device_mib is None


def test_forecasting_record_relative_to_naive(prepared) -> None:
    record = run("lstm", prepared("appliances_energy"), seed=0, budget=TINY, device="cpu")
    assert record.status == "ok", record.error
    assert record.primary_metric == "mae" and record.mae > 0 and record.rmse >= record.mae
    assert record.rel_mae == pytest.approx(record.mae / _naive_mae(prepared("appliances_energy")),
                                           rel=1e-4)


def _naive_mae(data) -> float:
    x, y = (a[: TINY.max_eval] for a in data.load("test"))
    last = x[:, -1:, data.meta["target_index"]]  # targets are residual: naive predicts 0
    assert data.meta["residual"] and np.abs(last).max() > 0
    return float(np.mean(np.abs(y)) * data.meta["target_scale"])


def test_same_seed_same_numbers_on_cpu(prepared) -> None:
    first = run("lstm", prepared("japanese_vowels"), seed=3, budget=TINY, device="cpu")
    second = run("lstm", prepared("japanese_vowels"), seed=3, budget=TINY, device="cpu")
    assert first.status == second.status == "ok"
    assert first.accuracy == second.accuracy
    assert first.best_val_loss == second.best_val_loss


def test_failing_model_is_a_record_and_the_next_run_happens(prepared, monkeypatch) -> None:
    def broken(task, units=4):
        """Always fails."""
        raise RuntimeError("deliberate failure\nsecond line")

    monkeypatch.setitem(zoo.registry._BUILDERS, "broken", broken)
    monkeypatch.setitem(zoo.registry._INFO, "broken", zoo.ModelInfo(
        "broken", "test", "Always fails.", "", ("classification", "forecasting"),
        ("tokens", "features"), True, {"units": 4}))
    failed = run("broken", prepared("japanese_vowels"), seed=0, budget=TINY, device="cpu")
    assert failed.status == "failed"
    assert failed.error == "RuntimeError: deliberate failure"
    after = run("rnn", prepared("japanese_vowels"), seed=0, budget=TINY, device="cpu")
    assert after.status == "ok"


def test_nan_loss_is_a_diverged_record() -> None:
    record = run("gru", _NaNTargets(), seed=0, budget=TINY, device="cpu")
    assert record.status == "diverged"
    assert "NaN" in record.error


def test_device_errors() -> None:
    with pytest.raises(ValueError, match="device 'gpu' requested but TensorFlow sees none"):
        select_device("gpu")
    with pytest.raises(ValueError, match="device 'quantum' is not allowed; use one of auto"):
        select_device("quantum")
    assert select_device("cpu").kind == "cpu"
    assert select_device("auto").kind == "cpu"


def test_backend_errors() -> None:
    with pytest.raises(ValueError, match="backend 'mxnet' is not allowed"):
        select_backend("mxnet")
    with pytest.raises(ValueError, match="Keras is already running 'tensorflow' in this process"):
        select_backend("jax")
    assert select_backend("tensorflow") == "tensorflow"


FAMILY_DATASET = {"sentiment": "mr_polarity", "speech": "japanese_vowels",
                  "forecasting": "appliances_energy"}


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: f"{b.family}-{b.name}")
def test_baseline_is_an_ordinary_record(baseline, prepared) -> None:
    data = prepared(FAMILY_DATASET[baseline.family])
    record = run(baseline.name, data, seed=0, budget=Budget(max_train=2000), device="cpu")
    assert record.status == "ok", record.error
    assert record.is_baseline and record.backend == "sklearn" and record.kernel == "none"
    assert record.latency_p50_ms > 0 and record.train_seconds >= 0 and record.params >= 0
    assert record.train_samples_per_s is None  # no gradient steps
    y = data.load("test")[1]
    if baseline.name == "majority":
        train = data.load("train")[1][:2000]
        assert record.accuracy == pytest.approx(np.mean(y == np.bincount(train).argmax()))
    elif baseline.name == "naive":
        assert record.rel_mae == pytest.approx(1.0)
    elif baseline.family == "forecasting":
        assert record.rel_mae < 1.0  # the day's cycle and linear AR beat the last value
    else:
        assert record.accuracy > np.bincount(y).max() / len(y) + 0.05


def test_baselines_take_no_hyperparameters(prepared) -> None:
    with pytest.raises(ValueError, match="baseline 'naive' takes no hyperparameters"):
        run("naive", prepared("appliances_energy"), seed=0, hparams={"units": 3})


def test_steps_after_fit_leave_the_model_as_it_was() -> None:
    from shapes import TINY_TASKS, tiny_batch

    from benchmarks.cell.measure import train_steps_per_second

    task = TINY_TASKS["frames->classes"]
    x, y = tiny_batch(task)
    model = zoo.create_model("gru", task, units=8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    state = [v.numpy().copy() for v in model.optimizer.variables]
    assert train_steps_per_second(model, x, y, batch_size=8, steps=3, warmup=1) > 0
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))
    assert all(np.array_equal(a, v.numpy())
               for a, v in zip(state, model.optimizer.variables, strict=True))


def test_a_one_call_epoch_still_has_its_train_rate(prepared) -> None:
    budget = Budget(epochs=1, batch_size=32, max_train=64, max_eval=64)
    record = run("gru", prepared("japanese_vowels"), seed=0, budget=budget, device="cpu")
    assert record.status == "ok", record.error
    assert record.train_samples_per_s > 0
    assert '"train_rate_from": "steps after fit"' in record.extra


def _clash_first_fit(monkeypatch, message: str) -> list[int]:
    """Make the harness's first ``fit_model`` call fail with TensorFlow's ``AlreadyExistsError``
    carrying ``message``; returns the ``steps_per_execution`` of every call."""
    import tensorflow as tf

    from benchmarks.cell import harness

    calls: list[int] = []
    fit = harness.fit_model

    def clashing(model, *args, **kwargs):
        calls.append(int(model.steps_per_execution))
        if len(calls) == 1:
            raise tf.errors.AlreadyExistsError(None, None, message)
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(harness, "fit_model", clashing)
    return calls


CLASH = ("Graph execution error:\n\nResource __per_step_0/while/gradients/AddN_6/tmp_var/iter:399/"
         "N10tensorflow19TemporaryVariableOp6TmpVarE")


def test_a_temporary_variable_clash_trains_again_one_batch_per_call(prepared,
                                                                     monkeypatch) -> None:
    data = prepared("japanese_vowels")
    monkeypatch.setattr(registry, "steps_choice", lambda name, device=None: 4)
    calls = _clash_first_fit(monkeypatch, CLASH)
    retried = run("gru", data, seed=1, budget=TINY, device="cpu")
    assert calls == [4, 1]
    assert retried.status == "ok", retried.error
    extra = json.loads(retried.extra)
    assert extra["settings"]["steps_per_execution"] == 1
    assert extra["fallback"].startswith("steps_per_execution 1 after AlreadyExistsError")

    monkeypatch.undo()
    monkeypatch.setattr(registry, "steps_choice", lambda name, device=None: 1)
    clean = run("gru", data, seed=1, budget=TINY, device="cpu")
    assert "fallback" not in json.loads(clean.extra)
    assert (retried.accuracy, retried.best_val_loss) == (clean.accuracy, clean.best_val_loss)


def test_another_already_exists_error_is_a_failed_row(prepared, monkeypatch) -> None:
    calls = _clash_first_fit(monkeypatch, "Resource model/weights already exists")
    record = run("gru", prepared("japanese_vowels"), seed=0, budget=TINY, device="cpu")
    assert len(calls) == 1
    assert record.status == "failed"
    assert record.error == "AlreadyExistsError: Resource model/weights already exists"


@pytest.mark.slow
def test_xlstm_at_lag_400_trains_despite_tensorflows_clash() -> None:
    """The clash itself (~30 s): the xLSTM's sLSTM loop on the adding probe at lag 400."""
    from benchmarks.grids.diagnose import DiagnoseSettings

    sweep = DiagnoseSettings(task="adding", lags=(400,), steps=20)
    record = run("xlstm", sweep.dataset(400), seed=0, budget=sweep.budget(), device="cpu")
    assert record.status == "ok", record.error
    assert "TemporaryVariable clash" in json.loads(record.extra)["fallback"]
