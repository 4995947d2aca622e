"""Execution settings: ``--jit`` and ``--precision`` reach every cell, change what runs, are
recorded in each record and are part of the resume key; every model trains under a mixed
precision policy."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from shapes import TINY_TASKS, tiny_batch

import zoo
from benchmarks.cell.harness import Budget, run_key
from benchmarks.cell.settings import PRECISIONS, RunSettings, prepare, reset_precision
from benchmarks.cli import main
from benchmarks.perf import scans
from results.store import Store


@pytest.mark.parametrize(("changes", "message"), [
    ({"jit": "fast"}, "jit 'fast' is not allowed; use one of auto, on, off"),
    ({"precision": "float8"}, "precision 'float8' is not allowed; use one of float32"),
])
def test_bad_settings_are_one_line_errors(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunSettings(**changes)


@pytest.mark.parametrize(("argv", "message"), [
    (["--jit", "maybe"], "argument --jit: invalid choice: 'maybe'"),
    (["--precision", "half"], "argument --precision: invalid choice: 'half'"),
])
def test_bad_flags_fail_before_anything_runs(argv: list[str], message: str, tmp_path,
                                             capsys) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["run", "--suite", "smoke", "--store", str(store), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not store.exists()


def test_precision_sets_the_dtype_policy_and_is_reset() -> None:
    for precision in PRECISIONS:
        prepare("lstm", 0, RunSettings(precision=precision), "cpu")
        assert keras.config.dtype_policy().name == precision
        reset_precision()
    assert keras.config.dtype_policy().name == "float32"


def test_settings_other_than_the_defaults_change_the_resume_key() -> None:
    keys = {run_key("lstm", "japanese_vowels", Budget(), None, settings=RunSettings(**s))
            for s in ({}, {"jit": "on"}, {"jit": "off"}, {"precision": "mixed_bfloat16"})}
    assert len(keys) == 4
    assert run_key("lstm", "japanese_vowels", Budget(), None) == run_key(
        "lstm", "japanese_vowels", Budget(), None, settings=RunSettings("auto", "float32"))


#: (model, task) pairs trained under bf16 in the default run; the rest run with -m slow
BF16_DEFAULT_RUN = {("lstm", "tokens->classes"), ("mamba", "tokens->classes")}


@pytest.mark.parametrize(("name", "task"), [
    pytest.param(n, t, marks=[] if (n, t) in BF16_DEFAULT_RUN else pytest.mark.slow)
    for n in zoo.list_models() for t in TINY_TASKS])
def test_every_model_trains_under_mixed_bfloat16(name: str, task: str) -> None:
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        x, y = tiny_batch(TINY_TASKS[task])
        model = zoo.create_model(name, TINY_TASKS[task])
        history = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
        out = model.predict(x, verbose=0)
        assert out.dtype == np.float32 and np.isfinite(out).all()
        assert np.isfinite(history.history["loss"]).all()
    finally:
        reset_precision()


def test_settings_reach_each_worker_and_are_recorded(tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    common = ["run", "--models", "lstm", "--datasets", "japanese_vowels", "--epochs", "1",
              "--no-baselines", "--store", str(store)]
    assert main(common) == 0
    assert main([*common, "--jit", "on", "--precision", "mixed_bfloat16"]) == 0
    runs = Store(store).runs().sort_values("id")
    assert len(runs) == 2 and set(runs["status"]) == {"ok"}
    default, forced = (json.loads(e)["settings"] for e in runs["extra"])
    assert list(runs["precision"]) == ["float32", "mixed_bfloat16"]
    assert default["jit"] == "auto" and default["compute_dtype"] == "float32"
    assert default["jit_compile"] == (zoo.jit_choice("lstm", "cpu") is True)
    assert default["deterministic_ops"] is not default["jit_compile"]
    assert default["steps_per_execution"] == zoo.steps_choice("lstm", "cpu")
    assert forced == {**forced, "jit": "on", "jit_compile": True, "precision": "mixed_bfloat16",
                      "compute_dtype": "bfloat16", "deterministic_ops": False}


def test_measured_table_covers_every_zoo_model_on_tensorflow_cpu() -> None:
    from zoo.fast import measured_table

    entries = measured_table()["tensorflow"]["cpu"]
    for name in zoo.list_models():
        assert isinstance(entries[name]["jit_compile"], bool), name
        assert entries[name]["speedup"] > 0 and set(entries[name]["shapes"]) == {
            "sentiment", "speech", "forecasting"}
        assert zoo.jit_choice(name, "cpu") is entries[name]["jit_compile"]
        execution = entries[name]["execution"]
        assert str(execution["steps_per_execution"]) in execution["speedup"]
        assert zoo.steps_choice(name, "cpu") == execution["steps_per_execution"]


def test_jit_benchmark_times_both_arms() -> None:
    from benchmarks.perf.jit import compare

    result = compare("gru", "forecasting", samples=32, repeats=1)
    assert result["samples_s_on"] > 0 and result["samples_s_off"] > 0
    assert result["ratio"] == pytest.approx(result["samples_s_on"] / result["samples_s_off"])


def test_jit_benchmark_counts_every_compilation_and_finds_the_break_even() -> None:
    from benchmarks.perf.jit import breakeven_samples, choose, compare

    result = compare("gru", "forecasting", samples=32, repeats=1)
    assert result["overhead_s_on"] >= 0 and result["overhead_s_off"] >= 0
    # XLA twice as fast, 10 s more compiling: it pays from 2,000 samples (10 / (1/100 - 1/200))
    figures = {"samples_s_off": 100.0, "samples_s_on": 200.0, "overhead_s_off": 1.0,
               "overhead_s_on": 11.0}
    assert breakeven_samples(figures, margin=0.0) == pytest.approx(2000)
    assert breakeven_samples({**figures, "samples_s_on": 90.0}, margin=0.0) is None
    assert breakeven_samples({**figures, "overhead_s_on": 0.5}, margin=0.0) == 0
    # a margin asks for more: 1.1 * 11 - 1 = 11.1 s over 1/100 - 1.1/200 s per sample
    assert breakeven_samples(figures, margin=0.1) == pytest.approx(11.1 / 0.0045)
    slower = {**figures, "samples_s_on": 90.0, "ratio": 0.9}
    chosen = choose({"sentiment": {**figures, "ratio": 2.0}, "speech": {**figures, "ratio": 2.0},
                     "forecasting": slower}, margin=0.0)
    assert chosen["breakeven_samples"] == 2000  # the median; a never counts as infinite


def test_jit_choice_follows_the_size_of_the_run(monkeypatch) -> None:
    import zoo.fast

    entries = {"gru": {"jit_compile": False, "breakeven_samples": 10_000},
               "lstm": {"jit_compile": True, "breakeven_samples": None},
               "rnn": {"jit_compile": True}}
    monkeypatch.setattr(zoo.fast, "measured_table", lambda: {"tensorflow": {"cpu": entries}})
    assert zoo.jit_choice("gru", "cpu") is False  # run size unknown: the quick-suite choice
    assert zoo.jit_choice("gru", "cpu", train_samples=9_999) is False
    assert zoo.jit_choice("gru", "cpu", train_samples=10_000) is True
    assert zoo.jit_choice("lstm", "cpu", train_samples=10**9) is False  # XLA never pays
    assert zoo.jit_choice("rnn", "cpu", train_samples=10) is True  # no break-even measured
    assert RunSettings().jit_compile("gru", "cpu", 50_000) is True
    assert RunSettings(jit="off").jit_compile("gru", "cpu", 50_000) is False


def test_steps_per_execution_is_taken_from_the_table_or_given(monkeypatch) -> None:
    import zoo.fast

    task = TINY_TASKS["steps->horizon"]
    table = {"tensorflow": {"cpu": {"gru": {"execution": {"steps_per_execution": 8}}}}}
    monkeypatch.setattr(zoo.fast, "measured_table", lambda: table)
    monkeypatch.setattr(zoo.fast, "current_device", lambda: "cpu")
    assert zoo.create_model("gru", task).steps_per_execution == 8
    assert zoo.create_model("lstm", task).steps_per_execution == 1  # not measured: Keras's
    assert zoo.create_model("gru", task, steps_per_execution=2).steps_per_execution == 2
    for bad in (0, "many", True):
        with pytest.raises(ValueError, match=f"steps_per_execution must be a positive integer "
                                             f"or 'auto', got {bad!r}"):
            zoo.create_model("gru", task, steps_per_execution=bad)


def test_several_steps_per_call_give_the_same_weights() -> None:
    task = TINY_TASKS["steps->horizon"]
    x, y = tiny_batch(task)
    weights = []
    for steps in (1, 3):
        keras.utils.set_random_seed(0)
        model = zoo.create_model("lstm", task, steps_per_execution=steps)
        model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for one, three in zip(*weights, strict=True):
        np.testing.assert_allclose(one, three, rtol=1e-6, atol=1e-7)


def test_batch_timer_divides_a_call_by_the_batches_it_ran(monkeypatch) -> None:
    import benchmarks.cell.measure as measure

    clock = iter([0.0, 10.0, 14.0, 12.0, 20.0, 20.0, 28.0])
    monkeypatch.setattr(measure.time, "perf_counter", lambda: next(clock))
    timer = measure.BatchTimer(batch_size=4, warmup=2)
    timer.set_params({"steps": 10})
    timer.on_train_begin()
    timer.on_epoch_begin(0)
    for first, last in ((0, 3), (4, 7), (8, 11)):  # steps_per_execution 4 over 10 batches
        timer.on_train_batch_begin(first)
        timer.on_train_batch_end(last)
    # the first call is warm-up; the last ran only batches 8 and 9 of its 8..11
    assert timer.steady == [2.0, 4.0]
    assert timer.samples_per_second() == 4 / 3.0


def test_execution_benchmark_times_each_candidate_and_chooses_by_margin() -> None:
    from benchmarks.perf.execution import choose, compare

    rates = compare("gru", "forecasting", samples=32, repeats=1, candidates=(1, 2))
    assert set(rates) == {1, 2} and min(rates.values()) > 0
    shapes = {"a": {1: 100.0, 4: 150.0, 16: 140.0}, "b": {1: 100.0, 4: 120.0, 16: 110.0}}
    assert choose(shapes, margin=0.05)["steps_per_execution"] == 4
    assert choose(shapes, margin=0.5)["steps_per_execution"] == 1
    assert choose(shapes, margin=0.05)["speedup"]["1"] == 1.0


def test_jit_and_execution_measurements_keep_each_others_entries(tmp_path, monkeypatch) -> None:
    import zoo.fast
    from benchmarks.perf import jit

    path = tmp_path / "fast.json"
    monkeypatch.setattr(zoo.fast, "TABLE_PATH", path)
    jit.write({"gru": {"jit_compile": True}}, samples=32, repeats=1)
    jit.write({"gru": {"steps_per_execution": 4}}, samples=64, repeats=2, section="execution")
    jit.write({"gru": {"jit_compile": False}}, samples=32, repeats=1)
    entry = json.loads(path.read_text())[keras.backend.backend()]["cpu"]["gru"]
    assert entry["jit_compile"] is False and entry["samples"] == 32
    assert entry["execution"]["steps_per_execution"] == 4 and entry["execution"]["samples"] == 64


@pytest.mark.parametrize("name", sorted(scans.LINEAR_SCAN_MODULES))
def test_the_scan_floor_removes_the_scan_each_family_runs(name: str, monkeypatch) -> None:
    """``benchmarks.perf.scans --floor`` replaces ``linear_scan`` where each family's mixer
    looks it up: the model then calls the replacement, and its output changes."""
    task = TINY_TASKS["frames->classes"]
    x, _ = tiny_batch(task, n=4)
    keras.utils.set_random_seed(0)
    model = zoo.create_model(name, task, scan="doubling")
    model(x)
    before = keras.ops.convert_to_numpy(model(x))
    calls = []

    def no_recurrence(a, b, initial=None, form="doubling"):
        calls.append(form)
        return b

    monkeypatch.setattr(scans.scan_module(name), "linear_scan", no_recurrence)
    after = keras.ops.convert_to_numpy(model(x))
    assert calls and not np.allclose(before, after)


def test_the_scan_floor_is_never_written_to_the_measured_table(tmp_path, monkeypatch) -> None:
    import zoo.fast

    monkeypatch.setattr(zoo.fast, "TABLE_PATH", tmp_path / "fast.json")
    zoo.fast.measured_table.cache_clear()
    figures = {"doubling": {"samples_per_s": 10.0, "peak_mib": 900},
               "sequential": {"samples_per_s": 8.0, "peak_mib": 800},
               "chunked": {"samples_per_s": 9.0, "peak_mib": 850},
               scans.FLOOR: {"samples_per_s": 30.0, "peak_mib": 700}}
    try:
        scans._write({"mamba": {128: figures}})
        entry = json.loads((tmp_path / "fast.json").read_text())["tensorflow"]["cpu"]["mamba"]
    finally:
        zoo.fast.measured_table.cache_clear()
    assert entry["scan"]["form"] == "doubling"
    assert scans.FLOOR not in entry["scan"]["samples_per_s"]["128"]
    assert scans.FLOOR not in entry["scan"]["peak_mib"]["128"]
