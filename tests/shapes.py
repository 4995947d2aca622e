"""Tiny task shapes, matching fixed batches and a tiny real budget, shared by the tests."""

from __future__ import annotations

import numpy as np

import zoo
from benchmarks.cell.budget import Budget

#: The three task shapes every model must serve, at tiny sizes.
TINY_TASKS = {
    "tokens->classes": zoo.TaskSpec("classification", "tokens", seq_len=12, vocab_size=40,
                                    num_outputs=3),
    "frames->classes": zoo.TaskSpec("classification", "features", seq_len=10, num_features=5,
                                    num_outputs=4),
    "steps->horizon": zoo.TaskSpec("forecasting", "features", seq_len=10, num_features=5,
                                   num_outputs=6),
}


def tiny_batch(task: zoo.TaskSpec, n: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch for shape tests (right-padded tokens, Gaussian features)."""
    rng = np.random.default_rng(seed)
    if task.input == "tokens":
        x = rng.integers(1, task.vocab_size, size=(n, task.seq_len)).astype("int32")
        lengths = rng.integers(task.seq_len // 2, task.seq_len + 1, size=n)
        x[np.arange(task.seq_len)[None, :] >= lengths[:, None]] = 0
    else:
        x = rng.normal(size=(n, task.seq_len, task.num_features)).astype("float32")
    if task.kind == "classification":
        y = rng.integers(0, task.num_outputs, size=n)
    else:
        y = rng.normal(size=(n, task.num_outputs)).astype("float32")
    return x, y

#: a real training budget cut down so one run or tuning trial takes a few seconds
TINY_BUDGET = Budget(epochs=1, batch_size=32, max_train=96, max_eval=48)
