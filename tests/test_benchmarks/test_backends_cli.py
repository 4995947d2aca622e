"""``--backend`` from a user's shell (no ``KERAS_BACKEND``): every command that has it runs on
JAX and on PyTorch with TensorFlow unimportable, on datasets already prepared in the cache,
and the store holds the backend that really ran; the resume key knows the backend."""

from __future__ import annotations

import json

import pytest
from clean import ok, one_line_error, seqzoo, user_env

from results.store import Store


@pytest.mark.parametrize("backend", ["jax", pytest.param("torch", marks=pytest.mark.slow)])
def test_every_command_on_a_backend_without_tensorflow(backend, tmp_path, prepared) -> None:
    prepared("japanese_vowels")  # the cache holds it; nothing below prepares text
    env = user_env(tmp_path / "site", blocked=("tensorflow",))
    store = str(tmp_path / "s.sqlite")
    flags = ["--backend", backend, "--store", store]
    grid = ["run", "--models", "gru", "--datasets", "japanese_vowels", "--epochs", "1",
            "--no-baselines", "--store", store]
    # run plans and enqueues; a worker runs the cells
    queued = ok(seqzoo(*grid, "--backend", backend, "--enqueue-only", env=env))
    assert f"backend {backend}" in queued and "enqueued 1 cells" in queued
    ok(seqzoo("worker", *flags, env=env))
    ok(seqzoo("scale", "--models", "mingru", "--lengths", "16", "--steps", "1", "--batch", "4",
              "--width", "8", *flags, env=env))
    ok(seqzoo("diagnose", "--task", "adding", "--models", "mingru", "--lags", "8", "--seeds",
              "0", "--steps", "4", "--batch-size", "8", "--eval-samples", "16", *flags, env=env))
    ok(seqzoo("perf", "--backends", backend, "--models", "gru", "--shapes", "speech",
              "--samples", "32", "--repeats", "1", "--store", store, "--csv",
              str(tmp_path / "peers.csv"), env=env))
    ok(seqzoo("report", "--store", store, "--out", str(tmp_path / "report"), env=env))
    text = (tmp_path / "report" / "leaderboard.md").read_text()
    for heading in ("## Memory length", "### adding: mse vs lag", "### Gradient flow",
                    "## Scaling", "## Speed against PyTorch", "mingru"):
        assert heading in text, heading
    runs = Store(store).runs()
    assert set(runs["status"]) == {"ok"}, runs[["suite", "model", "status", "error"]]
    assert set(runs["backend"]) == {backend}
    assert set(runs["suite"]) == {"adhoc", "scale", "diagnose", "peers"}
    # a run whose fit gave no steady-state batch times steps after fit (and says so)
    grid_rows = runs[runs["suite"].isin(["adhoc", "diagnose"])]
    assert grid_rows["train_samples_per_s"].notna().all()
    assert {json.loads(e)["train_rate_from"] for e in grid_rows["extra"]} <= {
        "fit", "steps after fit"}
    # the resume key knows the backend: done here, to run on TensorFlow
    here = " ".join(ok(seqzoo(*grid, "--backend", backend, "--dry-run", env=env)).split())
    assert "1 runs (1 already in" in here and "skip gru / japanese_vowels" in here
    there = " ".join(ok(seqzoo(*grid, "--backend", "tensorflow", "--dry-run")).split())
    assert "1 runs (0 already in" in there and "run gru / japanese_vowels" in there


@pytest.mark.slow  # ~2 minutes each: a search, then its re-run in a worker
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_tune_on_a_backend_from_a_clean_shell(backend, tmp_path, prepared) -> None:
    prepared("japanese_vowels")
    store = str(tmp_path / "s.sqlite")
    ok(seqzoo("tune", "--models", "gru", "--dataset", "japanese_vowels", "--trials", "1",
              "--epochs", "1", "--rerun-seeds", "0", "--backend", backend, "--store", store,
              "--dir", str(tmp_path / "tuning"), "--out", str(tmp_path / "report")))
    runs = Store(store).runs()
    assert set(runs["backend"]) == {backend} and set(runs["status"]) == {"ok"}
    assert (tmp_path / "report" / "tuning.md").exists()


def test_the_report_keeps_backends_apart(tmp_path) -> None:
    from results.record import RunRecord
    from results.report import write_report

    store = Store(tmp_path / "s.sqlite")
    for backend in ("jax", "tensorflow"):
        for seed in (0, 1):
            store.add(RunRecord(model="rnn", dataset="japanese_vowels", seed=seed,
                                suite="adhoc", backend=backend, device="cpu",
                                hparams_hash=f"h-{backend}", accuracy=0.5 + seed / 10,
                                primary_metric="accuracy", macro_f1=0.5, params=10))
    write_report(store, tmp_path / "report")
    board = (tmp_path / "report" / "leaderboard.md").read_text()
    assert "rnn [jax/cpu]" in board and "rnn [tensorflow/cpu]" in board


def test_stores_before_the_backend_key_still_resume(tmp_path) -> None:
    """A schema-5 row keyed without the backend counts as done for the backend it records."""
    from benchmarks.cell.harness import Budget, run_key
    from benchmarks.grids.plan import plan_grid
    from results.record import RunRecord

    store = Store(tmp_path / "old.sqlite")
    budget = Budget(epochs=1)
    legacy = run_key("rnn", "japanese_vowels", budget, None)
    store.add(RunRecord(model="rnn", dataset="japanese_vowels", seed=0, suite="adhoc",
                        backend="tensorflow", device="cpu", hparams_hash=legacy))
    datasets = {"japanese_vowels": budget}
    on_tf = plan_grid(["rnn"], datasets, [0], "adhoc", store, ("tensorflow", "cpu"), False)
    on_jax = plan_grid(["rnn"], datasets, [0], "adhoc", store, ("jax", "cpu"), False)
    assert [p.done for p in on_tf] == [True] and [p.done for p in on_jax] == [False]
    assert on_tf[0].key != legacy != on_jax[0].key != on_tf[0].key


@pytest.mark.parametrize(("backend", "package"), [("jax", "jax"), ("torch", "torch")])
def test_a_missing_backend_package_names_the_extra(backend, package, tmp_path) -> None:
    env = user_env(tmp_path / "site", blocked=(package,))
    line = one_line_error(seqzoo("run", "--suite", "smoke", "--backend", backend, "--store",
                                 str(tmp_path / "s.sqlite"), env=env))
    assert f"needs the {package} package" in line and f"seqzoo[{backend}]" in line
    assert not (tmp_path / "s.sqlite").exists()


def test_preparing_text_without_tensorflow_is_one_line(tmp_path) -> None:
    env = user_env(tmp_path / "site", blocked=("tensorflow",))
    line = one_line_error(seqzoo("data", "prepare", "mr_polarity:seq_len=17", env=env))
    assert "preparing dataset 'mr_polarity' needs TensorFlow" in line
