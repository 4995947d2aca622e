"""The tuning comparison is computed from the store's rows, and written as MD, CSV and HTML."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from results.record import RunRecord
from results.stats import mean_ci, welch_p
from results.store import Store
from results.tuning import best_so_far, tuning_summaries
from results.tuning_report import write_tuning_report

SEARCH = "mr_polarity-random-0123abcd"
SETTINGS = {"models": ["lstm", "gru"], "dataset": "mr_polarity", "tuner": "random",
            "trials": 3, "max_epochs": None, "executions": 1, "seed": 0,
            "budget": {"epochs": 4}}
DEFAULT = {"lstm": [0.70, 0.72, 0.71], "gru": [0.66, 0.69, 0.68]}
TUNED = {"lstm": [0.74, 0.75, 0.73], "gru": [0.66, 0.69, 0.68]}  # gru's best is its default
TRIALS = {"lstm": [("COMPLETED", 0.71), ("FAILED", None), ("COMPLETED", 0.76)],
          "gru": [("COMPLETED", 0.69), ("COMPLETED", 0.65), ("COMPLETED", 0.68)]}


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "s.sqlite")
    store.put("tuning_searches", {"search_id": SEARCH, "created_at": "2026-11-23T00:00:00",
                                  "objective": "val_accuracy", "direction": "max",
                                  "settings": json.dumps(SETTINGS)})
    for model, trials in TRIALS.items():
        tuned_hash = "samehash" if model == "gru" else f"{model}-tuned"
        store.put("tuning_models", {
            "search_id": SEARCH, "model": model, "status": "ok", "error": None,
            "best_trial": "2" if model == "lstm" else "0", "search_seconds": 30.0,
            "best_hparams": json.dumps({"units": 64, "learning_rate": 0.003}),
            "default_hash": "samehash" if model == "gru" else f"{model}-default",
            "tuned_hash": tuned_hash})
        for number, (status, score) in enumerate(trials):
            store.put("tuning_trials", {
                "search_id": SEARCH, "model": model, "trial_id": str(number),
                "tuner_id": "tuner0", "status": status, "score": score, "hparams": "{}",
                "started_at": "", "wall_seconds": 10.0 + number, "message": None})
        for config, scores in (("default", DEFAULT[model]), ("tuned", TUNED[model])):
            key = "samehash" if model == "gru" else f"{model}-{config}"
            if model == "gru" and config == "tuned":
                continue  # the same config: its runs are the default's
            for seed, accuracy in enumerate(scores):
                store.add(RunRecord(model=model, dataset="mr_polarity", seed=seed,
                                    suite=f"tune:{SEARCH}", backend="tensorflow", device="cpu",
                                    hparams_hash=key, primary_metric="accuracy",
                                    accuracy=accuracy))
    return store


def test_numbers_come_from_the_store(store) -> None:
    (summary,) = tuning_summaries(store)
    rows = summary.table.set_index("model")
    lstm = rows.loc["lstm"]
    assert (lstm["trials"], lstm["completed"], lstm["failed"]) == (3, 2, 1)
    assert lstm["trial_seconds"] == pytest.approx(10 + 11 + 12)
    assert lstm["best_score"] == pytest.approx(0.76)
    assert (lstm["default_mean"], lstm["default_ci95"], lstm["default_n"]) == pytest.approx(
        mean_ci(DEFAULT["lstm"]))
    assert (lstm["tuned_mean"], lstm["tuned_ci95"]) == pytest.approx(mean_ci(TUNED["lstm"])[:2])
    assert lstm["delta"] == pytest.approx(0.74 - 0.71)
    assert lstm["p_value"] == pytest.approx(welch_p(TUNED["lstm"], DEFAULT["lstm"]))
    gru = rows.loc["gru"]
    assert gru["delta"] == 0 and gru["p_value"] == 1.0 and gru["tuned_n"] == 3
    assert summary.metric == "accuracy" and summary.objective == "val_accuracy"
    assert summary.curves["lstm"] == [(1, 0.71), (3, 0.76)]  # the failed trial 2 adds no point
    assert summary.curves["gru"] == [(1, 0.69), (2, 0.69), (3, 0.69)]


def test_best_so_far_follows_the_direction() -> None:
    trials = pd.DataFrame({"trial_id": ["1", "0", "2"], "status": ["COMPLETED"] * 3,
                           "score": [2.0, 3.0, 2.5]})
    assert best_so_far(trials, higher=False) == [(1, 3.0), (2, 2.0), (3, 2.0)]
    assert best_so_far(trials, higher=True) == [(1, 3.0), (2, 3.0), (3, 3.0)]


def test_report_files_show_the_store_numbers(store, tmp_path) -> None:
    md, csv, page = write_tuning_report(store, tmp_path / "out")
    text = md.read_text()
    assert "| lstm | 0.7100 ± 0.0248 | 0.7400 ± 0.0248 | +0.0300 |" in text
    assert "| 2/3 |" in text and "units=64" in text
    frame = pd.read_csv(csv)
    assert list(frame["model"]) == ["lstm", "gru"]
    assert frame.loc[0, "default_mean"] == pytest.approx(0.71)
    html = page.read_text()
    assert html.count("<img") == 1 and "data:image/png;base64," in html
    assert "<td>lstm</td>" in html


def test_unknown_search_is_one_line(store) -> None:
    with pytest.raises(ValueError, match=f"no search 'nope' \\(known: {SEARCH}\\)"):
        tuning_summaries(store, "nope")
