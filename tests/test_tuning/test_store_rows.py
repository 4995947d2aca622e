"""Every execution and trial lands in the store; TensorBoard gets HParams logs; re-runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

#: one real search of 2 trials x 2 executions and 4 re-runs (~75 s): run with -m slow
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_by_two(tmp_path_factory, prepared):
    """gru: 2 trials x 2 executions, re-run on seeds 0 and 1 (one real search per module)."""
    from shapes import TINY_BUDGET

    from results.store import Store
    from tuning.search import TuneSettings, tune

    prepared("mr_polarity")
    root = tmp_path_factory.mktemp("tune")
    store = Store(root / "s.sqlite")
    settings = TuneSettings(("gru",), "mr_polarity", trials=2, executions=2, seed=5,
                            budget=TINY_BUDGET.replace(epochs=2))
    search_id = tune(settings, store, root / "dir", rerun_seeds=(0, 1))
    return store, search_id, root / "dir"


def test_every_execution_is_a_row(two_by_two) -> None:
    store, search_id, _ = two_by_two
    rows = store.rows("tuning_executions", search_id=search_id)
    assert sorted(zip(rows["trial_id"], rows["execution"], strict=True)) == [
        ("0", 0), ("0", 1), ("1", 0), ("1", 1)]
    assert sorted(rows["seed"]) == [5, 5, 6, 6]  # execution k trains with seed + k
    assert set(rows["status"]) == {"ok"} and (rows["wall_seconds"] > 0).all()
    for row in rows.to_dict("records"):
        history = json.loads(row["history"])
        assert len(history["val_loss"]) == row["epochs_run"] == len(history["val_accuracy"])
        kept = int(np.argmin(history["val_loss"]))  # the epoch early stopping keeps
        assert row["score"] == pytest.approx(history["val_accuracy"][kept])
        assert {"units", "dropout", "embed_dim", "learning_rate"} <= set(json.loads(row["hparams"]))


def test_trial_score_is_the_mean_of_its_stored_executions(two_by_two) -> None:
    store, search_id, _ = two_by_two
    trials = store.rows("tuning_trials", search_id=search_id)
    executions = store.rows("tuning_executions", search_id=search_id)
    assert list(trials["status"]) == ["COMPLETED", "COMPLETED"]
    for trial in trials.to_dict("records"):
        mine = executions[executions["trial_id"] == trial["trial_id"]]
        assert trial["score"] == pytest.approx(mine["score"].mean())
        assert set(mine["hparams"]) == {trial["hparams"]}


def test_best_config_and_default_are_rerun_through_the_harness(two_by_two) -> None:
    store, search_id, _ = two_by_two
    (outcome,) = store.rows("tuning_models", search_id=search_id).to_dict("records")
    trials = store.rows("tuning_trials", search_id=search_id)
    assert outcome["best_trial"] == trials.loc[trials["score"].idxmax(), "trial_id"]
    best = json.loads(trials.loc[trials["score"].idxmax(), "hparams"])
    assert json.loads(outcome["best_hparams"]) == {
        k: best[k] for k in ("units", "dropout", "embed_dim", "learning_rate")}
    runs = store.runs(suite=f"tune:{search_id}")
    assert set(runs["status"]) == {"ok"}
    for key in {outcome["default_hash"], outcome["tuned_hash"]}:
        assert sorted(runs[runs["hparams_hash"] == key]["seed"]) == [0, 1]
    tuned = runs[runs["hparams_hash"] == outcome["tuned_hash"]].iloc[0]
    assert json.loads(tuned["budget"])["learning_rate"] == pytest.approx(best["learning_rate"])


def test_tensorboard_gets_hparams_logs_per_execution(two_by_two) -> None:
    _, _, directory = two_by_two
    for trial in ("0", "1"):
        for execution in ("execution0", "execution1"):
            events = list((directory / "tensorboard" / "gru" / trial / execution).glob(
                "events.out.tfevents.*"))
            assert any(b"_hparams_/session_start_info" in e.read_bytes() for e in events)
