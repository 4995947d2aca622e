"""The reference's documents: backend parity, the mean rank's bootstrap interval, what each
board shows in words, and the README's Results section between its markers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from results.leaderboard import leaderboards, summary
from results.memory import findings as memory_findings
from results.memory import markdown, memory_tables
from results.parity import findings as parity_findings
from results.parity import parity_frame
from results.record import RunRecord
from results.reference_doc import (
    check_markers,
    findings,
    progress,
    reference_readme,
    replace_section,
    results_section,
)
from results.report import write_report
from results.stats import bootstrap_mean_ci
from results.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _record(model: str, seed: int, score: float, **extra: object) -> RunRecord:
    fields = {"dataset": "mr_polarity", "suite": "standard", "backend": "tensorflow",
              "device": "cpu", "hparams_hash": "h" + model, "primary_metric": "accuracy",
              "accuracy": score, "macro_f1": score, "params": 1000,
              "train_samples_per_s": 100.0, "peak_host_mib": 900.0, "device_name": "test cpu",
              "git_revision": "abc123", "dataset_fingerprint": "f" * 64,
              "backend_version": "tensorflow 2.21.0", "keras_version": "3.15.1",
              "seqzoo_version": "0.1.0", "python_version": "3.11.7",
              "budget": json.dumps({"epochs": 10, "batch_size": 32, "patience": 2,
                                    "learning_rate": 3e-3, "max_train": 500, "max_eval": None,
                                    "max_seconds": None}), **extra}
    return RunRecord(model=model, seed=seed, **fields)


def _store(tmp_path, boards: dict[str, dict[str, list[float]]]) -> Store:
    store = Store(tmp_path / "s.sqlite")
    store.add_dataset("mr_polarity", "f" * 64, {"family": "sentiment", "sizes": {}})
    for model, scores in boards["models"].items():
        for seed, score in enumerate(scores):
            store.add(_record(model, seed, score))
    for model, scores in boards.get("baselines", {}).items():
        for seed, score in enumerate(scores):
            store.add(_record(model, seed, score, is_baseline=True, backend="sklearn"))
    return store


def test_bootstrap_interval_of_the_mean_rank() -> None:
    ranks = [1, 3, 2, 5, 1, 2]
    low, high = bootstrap_mean_ci(ranks)
    ref = stats.bootstrap((np.asarray(ranks, float),), np.mean, n_resamples=2000,
                          method="percentile", random_state=np.random.default_rng(0))
    assert (low, high) == pytest.approx((ref.confidence_interval.low,
                                         ref.confidence_interval.high))
    assert low <= np.mean(ranks) <= high and bootstrap_mean_ci(ranks) == (low, high)
    assert bootstrap_mean_ci([2, 2, 2]) == (2.0, 2.0)
    assert all(math.isnan(v) for v in bootstrap_mean_ci([1]))


def test_summary_shows_the_mean_rank_interval(tmp_path) -> None:
    store = _store(tmp_path, {"models": {"lstm": [0.8, 0.81, 0.82], "rnn": [0.6, 0.61, 0.6]}})
    table = summary(leaderboards(store.runs()))
    assert table.columns[-1] == "mean_rank_ci" and table["mean_rank_ci"].tolist() == ["", ""]


def test_backend_parity_finds_the_largest_gap_and_its_p_value(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    scores = {"tensorflow": [0.68, 0.67, 0.69], "jax": [0.58, 0.57, 0.59],
              "torch": [0.66, 0.68, 0.67]}
    for backend, values in scores.items():
        for seed, value in enumerate(values):
            store.add(_record("stacked_lstm", seed, value, suite="parity", backend=backend,
                              train_samples_per_s={"jax": 300.0}.get(backend, 100.0)))
    frame = parity_frame(store.runs())
    row = frame.iloc[0]
    assert row["gap_between"] == "jax-tensorflow" and row["gap"] == pytest.approx(0.10)
    assert row["gap_p"] == pytest.approx(stats.ttest_ind(scores["jax"], scores["tensorflow"],
                                                          equal_var=False).pvalue)
    assert row["jax_samples_per_s"] == 300.0 and row["torch_n"] == 3
    md = write_report(store, tmp_path / "out")[0].read_text()
    assert "## Backend parity" in md and "0.1000 (jax-tensorflow)" in md and " *" in md
    assert "## mr_polarity (parity)" not in md  # parity rows make no leaderboard
    assert parity_frame(store.runs(backend="jax")) is None  # one backend: nothing to compare


def test_a_gap_against_a_backend_whose_seeds_all_score_the_same_is_flagged(tmp_path) -> None:
    """Three torch seeds at the majority class give a zero-width interval: the t-test's p is
    then no evidence of a backend difference, and the table and findings say so."""
    store = Store(tmp_path / "s.sqlite")
    scores = {"tensorflow": [0.68, 0.67, 0.69], "torch": [0.5776] * 3}
    for backend, values in scores.items():
        for seed, value in enumerate(values):
            store.add(_record("bilstm", seed, value, suite="parity", backend=backend))
    frame = parity_frame(store.runs())
    assert frame.iloc[0]["gap_constant"] == "torch" and frame.iloc[0]["gap_p"] < 0.05
    text = parity_findings(frame)
    assert ", †: every torch seed scores 0.5776)." in text
    md = write_report(store, tmp_path / "out")[0].read_text()
    assert " * † |" in md and "Marked †: one of the two backends scored the same value" in md
    store.add(_record("bilstm", 3, 0.60, suite="parity", backend="torch"))
    frame = parity_frame(store.runs())
    assert frame.iloc[0]["gap_constant"] == "" and "†:" not in parity_findings(frame)


def test_parity_findings_name_the_significant_gaps_and_the_speed_ratios(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    scores = {"stacked_lstm": {"tensorflow": [0.68, 0.67, 0.69], "jax": [0.58, 0.57, 0.59]},
              "gru": {"tensorflow": [0.70, 0.74, 0.72], "jax": [0.71, 0.73, 0.75]}}
    speed = {("stacked_lstm", "jax"): 300.0, ("gru", "jax"): 50.0}
    for model, by_backend in scores.items():
        for backend, values in by_backend.items():
            for seed, value in enumerate(values):
                store.add(_record(model, seed, value, suite="parity", backend=backend,
                                  train_samples_per_s=speed.get((model, backend), 100.0)))
    text = parity_findings(parity_frame(store.runs()))
    p = stats.ttest_ind(scores["stacked_lstm"]["jax"], scores["stacked_lstm"]["tensorflow"],
                        equal_var=False).pvalue
    assert text.startswith("1 of 2 (dataset, model) pairs differ between backends at p < "
                           "0.05; chance alone would give about 0.1.")
    assert (f"Significant: stacked_lstm on mr_polarity (jax-tensorflow, accuracy 0.1000, "
            f"p = {p:.3f}).") in text
    assert "gru on" not in text
    assert text.endswith("relative to tensorflow over the pairs: jax 1.75x (from 0.50x to "
                         "3.00x).")
    md = write_report(store, tmp_path / "out")[0].read_text()
    assert text in md


def test_findings_name_the_best_and_where_a_baseline_stands(tmp_path) -> None:
    store = _store(tmp_path, {"models": {"lstm": [0.80, 0.81, 0.82], "rnn": [0.60, 0.61, 0.62]},
                              "baselines": {"tfidf": [0.70, 0.70, 0.70]}})
    text = findings(leaderboards(store.runs())[0])
    assert text.startswith("On `mr_polarity` the best is lstm at 0.8100 ± 0.0248 accuracy.")
    assert "The best baseline, tfidf (0.7000 ± 0.0000), ranks 2; 1 of 2 models" in text
    store = _store(tmp_path / "b", {"models": {"rnn": [0.60, 0.61, 0.62]},
                                    "baselines": {"tfidf": [0.70, 0.70, 0.70]}})
    assert "A baseline wins here" in findings(leaderboards(store.runs())[0])
    store = _store(tmp_path / "c", {"models": {"rnn": [0.55, 0.70, 0.80]},
                                    "baselines": {"tfidf": [0.70, 0.70, 0.70]}})
    text = findings(leaderboards(store.runs())[0])
    assert text.startswith("On `mr_polarity` the best is tfidf (baseline) at 0.7000 ± 0.0000 "
                           "accuracy, tied (Welch p >= 0.05) with rnn.")
    assert text.endswith(" A baseline is the best here: no model beats it on average, and "
                         "those tied with it are not significantly better.")


def test_results_section_replaces_only_what_lies_between_the_markers(tmp_path) -> None:
    store = _store(tmp_path, {"models": {"lstm": [0.80, 0.81, 0.82], "rnn": [0.60, 0.61, 0.62]},
                              "baselines": {"tfidf": [0.70, 0.70, 0.70]}})
    for seed in range(3):
        store.add(_record("mamba", seed, 0.0, status="timeout", accuracy=None,
                          error="ran past --timeout-per-run 900"))
    # failed, then rerun ok: it finished, so it is not named
    store.add(_record("rnn", 3, 0.0, status="failed", accuracy=None, error="clash",
                      started_at="2026-12-03T02:00:00+00:00"))
    store.add(_record("rnn", 3, 0.6, started_at="2026-12-03T04:00:00+00:00"))
    section = results_section(store.runs(), store, "results/reference",
                              "Still to run or to finish: scale.")
    assert "Not finished: mamba (timeout, seeds 0, 1, 2)." in section
    assert "rnn (failed" not in section
    assert "command.\n\nStill to run or to finish: scale.\n" in section
    assert "](" not in section  # no link to a file: the docs site builds it --strict
    assert "### Published anchors" in section and "| japanese_vowels | no comparable" in section
    assert "### Summary across datasets" in section and "### Sentiment" in section
    assert "| 1 | lstm | 0.8100 ± 0.0248 | 3 | 0.00 | 100 | 900 |" in section
    readme = ("# seqzoo\n\n## Results\n\n<!-- reference results -->\nold table\n"
              "<!-- /reference results -->\n\n## Next\n")
    new = replace_section(readme, section)
    assert new.startswith("# seqzoo\n\n## Results\n\n<!-- reference results -->\nGenerated")
    assert new.endswith("<!-- /reference results -->\n\n## Next\n") and "old table" not in new
    assert replace_section(new, section) == new
    with pytest.raises(ValueError, match="needs one '<!-- reference results -->' line"):
        check_markers("<!-- /reference results -->\n<!-- reference results -->", "R.md")


def test_the_docs_results_page_holds_the_generated_section() -> None:
    """``seqzoo reference`` writes its Results section into the docs' Results page by
    default; the page must hold the markers once each."""
    from benchmarks.cli import command_parser

    page = ROOT / command_parser("reference")[0].parse_args([]).readme
    assert page == ROOT / "docs" / "results.md"
    check_markers(page.read_text(), page)


def test_every_offline_dataset_has_its_anchor_checked() -> None:
    from benchmarks.data import dataset_class, list_datasets
    from results.anchors import ANCHORS, NONE

    def built_in(cls: type) -> bool:  # not a user's saved dataset another test registered
        return cls.__module__.startswith("benchmarks.data.") and not getattr(
            cls, "config_path", None)

    offline = {name for name in list_datasets() if dataset_class(name).offline
               and dataset_class(name).family != "diagnostic" and built_in(dataset_class(name))}
    assert {a.dataset for a in ANCHORS} == offline
    assert all(a.published == NONE or "(" in a.published for a in ANCHORS)  # a figure: cited


def test_progress_names_the_parts_still_to_run() -> None:
    finished = {"standard": {"returncode": 0}, "scale": {"returncode": 0}}
    assert progress(finished, ["standard", "scale"]) == \
        "Every part finished at its last invocation (2 parts)."
    assert progress({}, ["standard"]).startswith("Finished at their last invocation: none yet.")


def test_reference_readme_states_machine_versions_and_each_part_s_time(tmp_path) -> None:
    store = _store(tmp_path, {"models": {"lstm": [0.80, 0.81, 0.82]}})
    parts = {"standard": {"seconds": 3723.0, "invocations": 2, "returncode": 0,
                          "command": "seqzoo run --suite standard"},
             "scale": {"seconds": 600.0, "invocations": 1, "returncode": 130,
                       "command": "seqzoo scale"}}
    cells = {"standard": 7000.0, "diagnose mqar": 1800.0}
    text = reference_readme(store.runs(), store, parts, "seqzoo reference --workers 2", "def456",
                            cells, ["standard", "diagnose mqar", "scale"])
    assert "| standard | 1h02m | 2 | 0 | 1h57m | `seqzoo run --suite standard` |" in text
    assert "| scale | 0h10m | 1 | 130 (interrupted; resumes) | - | `seqzoo scale` |" in text
    assert "Finished at their last invocation: standard. Still to run or to finish: " \
        "diagnose mqar, scale; the command above resumes them." in text
    assert "| diagnose mqar | not run by seqzoo reference | 0 | - | 0h30m | - |" in text
    assert "Total: 1h12m of wall time; 2h27m of run time in the stored cells." in text
    assert "test cpu" in text and "3.15.1" in text
    assert "revision def456" in text and "from abc123" in text
    assert "| standard | mr_polarity | epochs 10, batch 32, early stopping patience 2, learning " \
        "rate 0.003, at most 500 training samples | 1 |" in text


def _probe_store(tmp_path, mse: dict[str, dict[int, float]]) -> Store:
    """Adding-probe rows: per model, its MSE at each lag (the same for 3 seeds)."""
    store = Store(tmp_path / "probe.sqlite")
    for model, by_lag in mse.items():
        for lag, value in by_lag.items():
            for seed in range(3):
                store.add(RunRecord(model=model, dataset=f"adding:lag={lag}", seed=seed,
                                    suite="diagnose", backend="tensorflow", device="cpu",
                                    hparams_hash="h" + model, primary_metric="mae",
                                    rmse=math.sqrt(value), mae=value))
    return store


def test_memory_findings_group_the_horizons_and_name_what_is_missing(tmp_path) -> None:
    store = _probe_store(tmp_path, {
        "attention_lstm": {400: 0.004, 800: 0.004},  # lags 50-200 not run yet
        "lstm": {50: 0.004, 100: 0.01, 400: 0.17, 800: 0.17},
        "gru": {50: 0.004, 100: 0.01, 200: 0.12, 400: 0.17, 800: 0.17},
        "mamba": {50: 0.07, 100: 0.17, 200: 0.17, 400: 0.17, 800: 0.17}})
    table = memory_tables(store.runs())[0]
    text = memory_findings(table)
    assert text.startswith("On adding (mse < 0.05 counts as remembered; always predict 1")
    assert (", the longest horizon is lag 800, reached by attention_lstm (the longest lag "
            "measured, so it may be longer).") in text
    assert "Horizons by lag: 800: attention_lstm; 100: gru, lstm; below 50: mamba." in text
    assert text.endswith("Not yet measured at every lag: attention_lstm (50, 100, 200); "
                         "lstm (200).")
    for length in (64, 128, 256):  # and a scaling sweep: its findings sit above its table
        store.add(RunRecord(model="lstm", dataset=f"adding:lag={length}", seed=0,
                            suite="scale", backend="tensorflow", device="cpu",
                            hparams_hash="hlstm", extra=json.dumps({"step_ms": float(length)})))
    section = results_section(store.runs(), store, "results/reference")
    assert text in section
    assert ("Step time: grows linearly (the interval holds 1) for lstm (1.00 ± 0.00). "
            "Every model reached T = 256.\n\n| model | time exponent") in section
    nobody = memory_tables(_probe_store(tmp_path / "b", {"rnn": {50: 0.1, 100: 0.17}}).runs())
    assert memory_findings(nobody[0]).endswith(", no model meets the threshold at any lag.")


def test_delayed_recall_says_a_bidirectional_horizon_is_not_a_memory_length(tmp_path) -> None:
    store = Store(tmp_path / "recall.sqlite")
    for model, accuracy in (("bilstm", 1.0), ("lstm", 0.13)):
        for seed in range(3):
            store.add(RunRecord(model=model, dataset="delayed_recall:lag=800", seed=seed,
                                suite="diagnose", backend="tensorflow", device="cpu",
                                hparams_hash="h" + model, primary_metric="accuracy",
                                accuracy=accuracy))
    table = memory_tables(store.runs())[0]
    caveat = ("A bidirectional model's backward pass reads the symbol at step 0 last, so its "
              "horizon here is not a memory length.")
    assert memory_findings(table).endswith(f"below 800: lstm. {caveat}")
    assert f"No-memory baseline: chance: accuracy 1/K. {caveat}" in "\n".join(markdown([table]))
    adding = memory_tables(_probe_store(tmp_path / "a", {"lstm": {50: 0.004}}).runs())[0]
    assert "bidirectional" not in memory_findings(adding) + "".join(markdown([adding]))
