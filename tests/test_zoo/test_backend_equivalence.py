"""Is a Keras model the same model on TensorFlow, JAX and PyTorch? The same weights and the
same batch (right-padded tokens, so the mask is exercised; and a forecasting batch) give the
same outputs, and after one Adam step the same first and second moments (the gradient and its
square), on JAX, on PyTorch, and on TensorFlow once its sparse gradients are read as dense ones.

Stock TensorFlow differs in one place, asserted here so that the day Keras changes it this
test says so: an ``Embedding``'s gradient is a ``tf.IndexedSlices`` with one slice per
occurrence of a token, and Keras's Adam squares it slice by slice, so a token seen k times in a
batch gets the sum of k squared gradients as its second moment, not the square of their sum.
The parity suite's seeds then sample each backend's own random streams (initial weights,
dropout masks, shuffling) on top. See ``results/reference/parity_followup/README.md``.

Behind the ``slow`` marker: each family takes about a minute (four processes), all of them
18 minutes on one core of the 2-core AMD EPYC, which would push the default run past its
15 minutes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from backends import step_on_backend

import zoo

pytest.importorskip("jax")
pytest.importorskip("torch", reason="the equivalence test needs PyTorch: pip install "
                                    "'torch==2.13.*' (a CPU build: see the README)")

#: the stock TensorFlow run saves the weights; the others load them
RUNS = ("tensorflow", "tensorflow-dense", "jax", "torch")
#: the second moment of the token embedding, where stock TensorFlow differs
VELOCITY = "stem_embedding_embeddings_velocity"


def _scales(arrays: np.lib.npyio.NpzFile) -> dict[str, float]:
    """The largest magnitude among all the outputs, all the momenta and all the velocities."""
    kinds: dict[str, float] = {}
    for key in arrays.files:
        kind = key.rpartition("_")[2]
        kinds[kind] = max(kinds.get(kind, 0.0), float(np.abs(arrays[key]).max()))
    return kinds


def _close(actual: np.lib.npyio.NpzFile, desired: np.lib.npyio.NpzFile, key: str,
           floors: dict[str, float], what: str) -> None:
    """``actual[key]`` equals ``desired[key]`` within 1e-4 of its largest magnitude, and
    within the floor of its kind (a millionth of the largest of its kind in the model), so that
    float noise in values near zero, such as the gradient of a bias a softmax cancels, cannot
    fail it."""
    atol = 1e-4 * float(np.abs(desired[key]).max()) + floors[key.rpartition("_")[2]]
    np.testing.assert_allclose(actual[key], desired[key], rtol=0, atol=atol, err_msg=what)


def _compare(names: list[str], folder: Path) -> None:
    for label in RUNS:
        step_on_backend(label, names, str(folder), RUNS[0])
    runs = sorted(folder.glob(f"*.{RUNS[0]}.npz"))
    assert len(runs) == 2 * len(names)
    for run in runs:
        stock, dense = np.load(run), np.load(str(run).replace(".tensorflow.", ".tensorflow-dense."))
        floors = {kind: 1e-6 * scale for kind, scale in _scales(dense).items()}
        for label in RUNS[2:]:
            other = np.load(str(run).replace(".tensorflow.", f".{label}."))
            assert other.files == dense.files and len(other.files) > 2, (run.name, label)
            for key in other.files:  # the outputs, then each weight's momentum and velocity
                _close(other, dense, key, floors, f"{run.name} {label} {key}")
        for key in stock.files:
            if key == VELOCITY:  # repeated tokens: stock TensorFlow's own second moment
                gap = np.abs(stock[key] - dense[key]).max() / np.abs(dense[key]).max()
                assert gap > 0.01, (run.name, gap)
            else:
                _close(stock, dense, key, floors, f"{run.name} stock tensorflow {key}")


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo.list_models())
def test_every_family_is_the_same_model_on_every_backend(name: str, tmp_path) -> None:
    _compare([name], tmp_path)
