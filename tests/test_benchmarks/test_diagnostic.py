"""The diagnostic probes (generated from the registry), dataset ids with parameters, and the
gradient-flow measurement."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from benchmarks.cell.gradflow import gradient_norms
from benchmarks.data import SPLITS, dataset_class, get_dataset, list_datasets
from benchmarks.data.base import split_spec
from benchmarks.data.diagnostic import no_memory_score

#: the probes swept over a lag (the recall probes, swept over length, are tested in
#: test_recall_probes.py)
PROBES = [name for name in list_datasets(family="diagnostic")
          if dataset_class(name).sweep == "lag"]


def test_every_probe_is_registered() -> None:
    assert PROBES == ["adding", "delayed_recall"]
    assert list_datasets(family="diagnostic") == [
        "adding", "delayed_recall", "induction_heads", "mqar", "selective_copy"]


@pytest.mark.parametrize("name", PROBES)
@pytest.mark.parametrize("lag", [7, 40])
def test_the_lag_sets_the_distance_between_cue_and_target(name, lag) -> None:
    data = get_dataset(f"{name}:lag={lag},n_train=300,n_val=50,n_test=50")
    x, y = data.load("train")
    if name == "adding":
        assert x.shape == (300, lag, 2)
        markers = x[:, :, 1]
        assert (markers.sum(axis=1) == 2).all()
        positions = np.array([np.flatnonzero(row) for row in markers])
        assert (positions[:, 0] < lag // 2).all() and (positions[:, 1] >= lag // 2).all()
        # the target is the sum of the two marked values; the first lies over lag/2 back
        values = x[:, :, 0]
        np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), rtol=1e-6)
        assert (lag - positions[:, 0] > lag / 2).all()
    else:
        k, m = data.params["symbols"], data.params["distractors"]
        assert x.shape == (300, lag + 2)
        np.testing.assert_array_equal(x[:, 0], y + 1)  # the symbol to recall, at step 0
        assert (x[:, -1] == k + m + 1).all()  # the cue, lag + 1 steps after it
        assert ((x[:, 1:-1] > k) & (x[:, 1:-1] <= k + m)).all()  # only distractors between
        assert x[:, 1:-1].shape[1] == lag


@pytest.mark.parametrize("name", PROBES)
def test_the_no_memory_baseline_matches_theory(name) -> None:
    data = get_dataset(f"{name}:lag=20,n_test=10000")
    _, y = data.load("test")
    metric, expected = no_memory_score(data)
    if metric == "mse":  # always predicting E[sum] = 1
        assert abs(float(np.mean((y - 1.0) ** 2)) - expected) < 0.01
        assert expected == pytest.approx(1 / 6)
    else:  # the best constant guess is right 1/K of the time
        best_guess = np.bincount(y).max() / len(y)
        assert abs(best_guess - expected) < 0.02 and expected == 1 / 8


@pytest.mark.parametrize("name", PROBES)
def test_a_seed_gives_byte_identical_probes_and_another_seed_differs(name) -> None:
    spec = f"{name}:lag=16,n_train=64,n_val=16,n_test=16"
    first, again, other = (get_dataset(spec, seed=s) for s in (0, 0, 1))
    for split in SPLITS:
        assert first.load(split)[0].tobytes() == again.load(split)[0].tobytes()
    assert first.load("train")[0].tobytes() != other.load("train")[0].tobytes()


def test_dataset_ids_carry_their_parameters() -> None:
    assert split_spec("adding:lag=64,n_train=10") == ("adding", {"lag": 64, "n_train": 10})
    assert get_dataset("adding:lag=64").id == "adding:lag=64"
    assert get_dataset("adding:lag=100").id == "adding:lag=100"  # given, so kept
    assert get_dataset("adding").id == "adding"
    with pytest.raises(ValueError, match="dataset parameter 'width=3' in 'adding:width=3' is "
                                         "not allowed; use key=value with keys lag"):
        split_spec("adding:width=3")
    with pytest.raises(ValueError, match="lag='long' in 'adding:lag=long' is not a int"):
        split_spec("adding:lag=long")
    with pytest.raises(Exception, match="lag=1 is not allowed; use an integer >= 2"):
        get_dataset("adding:lag=1").load("train")


def _adding_batch(lag: int) -> tuple[np.ndarray, np.ndarray, zoo.TaskSpec]:
    data = get_dataset(f"adding:lag={lag},n_train=64,n_val=64,n_test=64")
    x, y = data.load("val")
    return x, y, data.task_spec()


def test_gradient_flow_has_one_finite_value_per_step() -> None:
    x, y, task = _adding_batch(30)
    for name in ("lstm", "mingru"):
        model = zoo.create_model(name, task)
        zoo.adapt_stem(model, x)
        norms = gradient_norms(model, x, y)
        assert norms.shape == (30,) and np.isfinite(norms).all() and (norms > 0).all()


def test_an_untrained_small_weight_rnn_forgets_with_distance() -> None:
    x, y, task = _adding_batch(60)
    model = zoo.create_model("rnn", task, dropout=0.0)
    zoo.adapt_stem(model, x)
    for layer in model._flatten_layers():
        if hasattr(layer, "cell") and hasattr(layer.cell, "recurrent_kernel"):
            kernel = layer.cell.recurrent_kernel
            kernel.assign(np.asarray(kernel) * 0.5)  # contractive: gradients must vanish
    norms = gradient_norms(model, x, y)
    assert np.isfinite(norms).all() and (norms > 0).all()
    distance = np.arange(len(norms))[::-1]  # step t is T-1-t steps before the output
    slope = np.polyfit(distance, np.log(norms), 1)[0]
    assert slope < 0 and norms[-1] > 100 * norms[0]


def test_gradient_flow_refuses_token_inputs() -> None:
    with pytest.raises(ValueError, match="gradient flow needs float features"):
        gradient_norms(None, np.zeros((2, 5), dtype="int32"), np.zeros(2))
