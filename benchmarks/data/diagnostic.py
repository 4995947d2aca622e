"""Diagnostic probes of memory length: the adding problem and one-symbol delayed recall.

Both are generated from the dataset's seed (each split from its own stream), with the lag as a
parameter, so a grid over lags is a grid over dataset ids such as ``adding:lag=200``. They are
the standard synthetic tasks for how far back a model remembers, not stand-ins for real data;
each has a no-memory baseline known in closed form (:data:`results.memory.PROBES`, with the
memory-horizon thresholds), which the report shows and the tests check against the arrays.

- ``adding`` (Hochreiter & Schmidhuber 1997, settings of Le et al. 2015): ``lag`` steps of
  ``(value ~ U[0, 1], marker)``; exactly two markers, one in each half; the target is the sum
  of the two marked values. A model that remembers nothing predicts E[sum] = 1, with MSE
  Var[U1 + U2] = 1/6.
- ``delayed_recall`` (one-symbol copy memory, Arjovsky et al. 2016): a symbol from an alphabet
  of ``symbols`` (K) at step 0, then ``lag`` distractors drawn from their own alphabet of
  ``distractors`` (M) tokens (Arjovsky's blanks, varied so that sequences differ), then a cue
  at step ``lag + 1``; the target is the symbol. Tokens: 1..K the symbols, K+1..K+M the
  distractors, K+M+1 the cue (0 stays the padding id). Chance is 1/K.

A sample that repeats an earlier split's sample is dropped, so splits never share a sequence.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from benchmarks.data.base import SPLITS, Dataset, Limit, register_dataset
from results.memory import PROBES

#: the split sizes every probe takes
SIZE_LIMITS = {f"n_{split}": Limit(1) for split in SPLITS}


class Probe(Dataset):
    """Shared checks and split generation of the diagnostic probes; ``sweep`` names the
    parameter a memory sweep varies (``seqzoo diagnose``)."""

    family = "diagnostic"
    offline = True
    licence = "generated locally (no licence needed)"
    version = "1"
    split_definition = "independent samples per split, each split from its own seeded stream"
    sweep = "lag"

    def _sizes(self) -> dict[str, int]:
        return {s: self.params[f"n_{s}"] for s in SPLITS}  # checked by ``limits``

    def _rng(self, split: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, SPLITS.index(split), self.params[self.sweep]])

    def _finish(self, arrays: dict[str, np.ndarray], task: dict[str, Any],
                disjoint: bool = True) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Drop samples already in an earlier split (unless not ``disjoint``: a probe whose
        whole input space is smaller than its samples, where no unseen sequence is left to
        test on); meta with the fingerprint of the arrays."""
        seen: set[bytes] = set()
        for split in SPLITS if disjoint else ():
            rows = [x.tobytes() for x in arrays[f"x_{split}"]]
            keep = np.array([row not in seen for row in rows], dtype=bool)
            seen.update(rows)
            for key in [k for k in arrays if k.endswith(f"_{split}")]:
                arrays[key] = arrays[key][keep]
        digest = hashlib.sha256()
        for key in sorted(arrays):
            digest.update(arrays[key].tobytes())
        splits = ("disjoint: no sequence of a split appears in an earlier one" if disjoint else
                  "shared: the input space is smaller than the samples, so every sequence "
                  "is seen in training and the test measures the function on its whole domain")
        return arrays, {"task": task, "fingerprint": digest.hexdigest(), "target_scale": 1.0,
                        "preprocessing": f"none: generated from the seed; splits {splits}",
                        "no_memory": PROBES[self.name][4]}


@register_dataset
class Adding(Probe):
    """The adding problem: sum the two marked values of a sequence of ``lag`` steps."""

    name = "adding"
    source = "generated: the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015)"
    defaults = {"lag": 100, "n_train": 10000, "n_val": 1000, "n_test": 1000}
    limits = {"lag": Limit(2), **SIZE_LIMITS}

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        lag, arrays = self.params["lag"], {}
        for split, n in self._sizes().items():
            rng = self._rng(split)
            values = rng.uniform(0.0, 1.0, (n, lag)).astype("float32")
            first = rng.integers(0, lag // 2, n)
            second = rng.integers(lag // 2, lag, n)
            markers = np.zeros((n, lag), dtype="float32")
            rows = np.arange(n)
            markers[rows, first] = markers[rows, second] = 1.0
            arrays[f"x_{split}"] = np.stack([values, markers], axis=-1)
            arrays[f"y_{split}"] = (values[rows, first] + values[rows, second])[:, None]
            arrays[f"naive_{split}"] = np.ones((n, 1), dtype="float32")  # the no-memory guess
        task = {"kind": "forecasting", "input": "features", "seq_len": lag, "num_features": 2,
                "num_outputs": 1}
        return self._finish(arrays, task)


@register_dataset
class DelayedRecall(Probe):
    """One-symbol copy memory: recall the first symbol after ``lag`` distractors and a cue."""

    name = "delayed_recall"
    source = "generated: one-symbol copy memory (Arjovsky et al. 2016)"
    defaults = {"lag": 100, "symbols": 8, "distractors": 8, "n_train": 10000, "n_val": 1000,
                "n_test": 1000}
    limits = {"lag": Limit(2), "symbols": Limit(2), "distractors": Limit(2), **SIZE_LIMITS}

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        lag, arrays = self.params["lag"], {}
        k, m = (self.params[key] for key in ("symbols", "distractors"))
        for split, n in self._sizes().items():
            rng = self._rng(split)
            labels = rng.integers(0, k, n)
            tokens = np.empty((n, lag + 2), dtype="int32")
            tokens[:, 0] = labels + 1
            tokens[:, 1:-1] = rng.integers(k + 1, k + m + 1, (n, lag))
            tokens[:, -1] = k + m + 1  # the cue
            arrays[f"x_{split}"], arrays[f"y_{split}"] = tokens, labels.astype("int32")
        task = {"kind": "classification", "input": "tokens", "seq_len": lag + 2,
                "vocab_size": k + m + 2, "num_outputs": k}
        return self._finish(arrays, task)

    def chance(self) -> float:
        """Accuracy of a model that remembers nothing: one of K symbols."""
        return 1.0 / self.params["symbols"]


def no_memory_score(dataset: Probe) -> tuple[str, float]:
    """The closed-form score of a model that remembers nothing: ``(metric, value)``."""
    metric, _, _, value, _ = PROBES[dataset.name]
    return metric, dataset.chance() if value is None else value
