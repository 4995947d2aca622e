"""Probes of selective memory and recall: selective copying, MQAR and induction heads.

The tests by which the modern families are judged, generated from the dataset's seed like the
adding problem, as ``labeling`` tasks: the model answers at every position and only the
positions that carry a label (:data:`zoo.task.IGNORE` elsewhere) count in the loss and the
accuracy. Token id 0 is the zoo's padding, so every token of the original generators is
shifted up by one (the original's token ``t`` is id ``t + 1``); the labels keep the
original's token values as class ids.

- ``selective_copy`` (Gu & Dao 2023, §4.1.1 and Table 1; the generator is state-spaces'
  ``copying.py``, ``torch_copying_data(L, M, A, variable=True)``): ``tokens`` (M) data tokens
  drawn uniformly from ``1..A-2`` (``A`` = ``vocab``) sit, in order, at M positions drawn
  without replacement from the first ``length + tokens`` (L + M) positions; the others hold the
  noise token 0; then M marker tokens ``A-1``. The sequence is L + 2M long; the labels are the
  M data tokens, in order, at the M marker positions. ``variable=false`` is the original
  copying task, the control: the data tokens are the first M positions. Chance 1/(A-2).
- ``mqar`` (Arora et al. 2023, Zoology's ``multiquery_ar`` with one pass): ``kv`` keys drawn
  without replacement from ``1..V/2-1`` and ``kv`` values from ``V/2..V-1`` (``V`` =
  ``vocab``) fill the first 2 kv positions as key, value pairs; each key is queried once in the
  rest, at the even offset ``2 g`` where the gaps ``g`` are drawn without replacement with
  probability proportional to ``a (g+1)^(a-1)`` (``power_a`` = a = 0.01); the other
  positions hold random tokens (``random_non_queries``); the label at a query is its value.
  ``length`` (L) is the input length; V > L and 4 kv <= L are required, as Zoology asserts.
  Chance 2/V (a value drawn among the V/2 values).
- ``induction_heads`` (Olsson et al. 2022; the H3 paper §3.1 and Mamba §4.1.2, vocabulary
  16): ``length`` tokens drawn uniformly from ``1..vocab``, except a special token ``vocab +
  1`` at one position ``p`` drawn uniformly from ``0..length-3`` and at the last position; the
  label at the last position is the token after ``p``. The special token appears nowhere
  else. A model trained at one ``length`` is tested at longer ones with the same weights
  (``seqzoo diagnose --task induction_heads``). Chance 1/vocab.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks.data.base import Limit, register_dataset
from benchmarks.data.diagnostic import SIZE_LIMITS, Probe
from zoo.task import IGNORE

#: split sizes: fewer than the lag probes', as the sequences are longer and labelled densely
SIZES = {"n_train": 4000, "n_val": 500, "n_test": 500}


def _labeling_task(length: int, vocab: int, classes: int) -> dict[str, Any]:
    """The TaskSpec fields of a probe: tokens (shifted ids 1..vocab) -> classes per position."""
    return {"kind": "labeling", "input": "tokens", "seq_len": length, "vocab_size": vocab + 1,
            "num_outputs": classes}


@register_dataset
class SelectiveCopy(Probe):
    """Selective copying: recall M data tokens scattered among noise, in order, after markers."""

    name = "selective_copy"
    source = ("generated: selective copying (Gu & Dao 2023, Mamba §4.1.1; state-spaces "
              "copying.py, torch_copying_data with the params' variable)")
    defaults = {"length": 256, "tokens": 8, "vocab": 16, "variable": True, **SIZES}
    limits = {"length": Limit(1), "tokens": Limit(1), "vocab": Limit(3), **SIZE_LIMITS}
    sweep = "length"

    def sequences(self) -> int:
        """How many distinct inputs the parameters allow: (A-2)^M data tokens, times the
        C(L+M, M) placements when ``variable``."""
        noise, m, a = (self.params[key] for key in ("length", "tokens", "vocab"))
        return (a - 2) ** m * (math.comb(noise + m, m) if self.params["variable"] else 1)

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        noise, m, a = (self.params[key] for key in ("length", "tokens", "vocab"))
        arrays = {}
        for split, n in self._sizes().items():
            rng = self._rng(split)
            data = rng.integers(1, a - 1, (n, m))
            if self.params["variable"]:
                spots = np.sort(rng.random((n, noise + m)).argsort(axis=1)[:, :m], axis=1)
            else:
                spots = np.broadcast_to(np.arange(m), (n, m))
            tokens = np.zeros((n, noise + 2 * m), dtype="int32")
            np.put_along_axis(tokens, spots, data, axis=1)
            tokens[:, noise + m:] = a - 1
            labels = np.full(tokens.shape, IGNORE, dtype="int32")
            labels[:, noise + m:] = data
            arrays[f"x_{split}"], arrays[f"y_{split}"] = tokens + 1, labels
        # the control at a small vocabulary (6^4 = 1,296 inputs at M 4, A 8) has no unseen
        # sequence left for val and test, as the original copying task has none: they share
        return self._finish(arrays, _labeling_task(noise + 2 * m, a, a - 1),
                            disjoint=self.sequences() >= 2 * sum(self._sizes().values()))

    def chance(self) -> float:
        """Accuracy of a model that remembers nothing: one of the A-2 data tokens."""
        return 1.0 / (self.params["vocab"] - 2)


@register_dataset
class MQAR(Probe):
    """Multi-query associative recall: after kv key-value pairs, answer each key's query."""

    name = "mqar"
    source = "generated: multi-query associative recall (Arora et al. 2023, Zoology)"
    defaults = {"length": 64, "kv": 4, "vocab": 8192, "power_a": 0.01,
                "random_non_queries": True, **SIZES}
    limits = {"length": Limit(4), "kv": Limit(1), "vocab": Limit(4),
              "power_a": Limit(0.001, 1.0), **SIZE_LIMITS}
    sweep = "length"

    def __init__(self, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        length, kv, vocab = (self.params[key] for key in ("length", "kv", "vocab"))
        if length % 2:
            raise ValueError(f"dataset 'mqar': length={length} is not allowed; use an even "
                             "length (queries sit at even offsets)")
        if vocab <= length:
            raise ValueError(f"dataset 'mqar': vocab={vocab} is not allowed with length="
                             f"{length}; use vocab > length (Zoology's V > L)")
        if 4 * kv > length:
            raise ValueError(f"dataset 'mqar': kv={kv} is not allowed with length={length}; "
                             f"use kv <= {length // 4} (4 kv <= L: the pairs and one query each)")
        if kv > vocab // 2 - 1:
            raise ValueError(f"dataset 'mqar': kv={kv} is not allowed with vocab={vocab}; use "
                             f"kv <= {vocab // 2 - 1} (distinct keys from 1..V/2-1)")

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        length, kv, vocab, power = (self.params[key]
                                    for key in ("length", "kv", "vocab", "power_a"))
        context, space = 2 * kv, (length - 2 * kv) // 2
        weights = power * np.arange(1, space + 1) ** (power - 1)
        weights /= weights.sum()
        arrays = {}
        for split, n in self._sizes().items():
            rng = self._rng(split)
            keys = np.array([rng.choice(np.arange(1, vocab // 2), kv, replace=False)
                             for _ in range(n)])
            values = np.array([rng.choice(np.arange(vocab // 2, vocab), kv, replace=False)
                               for _ in range(n)])
            gaps = np.array([rng.choice(space, kv, replace=False, p=weights) for _ in range(n)])
            tokens = np.zeros((n, length), dtype="int64")
            tokens[:, 0:context:2], tokens[:, 1:context:2] = keys, values
            np.put_along_axis(tokens, context + 2 * gaps, keys, axis=1)
            labels = np.full((n, length), IGNORE, dtype="int32")
            np.put_along_axis(labels, context + 2 * gaps, values, axis=1)
            if self.params["random_non_queries"]:
                filler = rng.integers(0, vocab, tokens.shape)
                tokens = np.where(tokens == 0, filler, tokens)
            arrays[f"x_{split}"], arrays[f"y_{split}"] = (tokens + 1).astype("int32"), labels
        return self._finish(arrays, _labeling_task(length, vocab, vocab))

    def chance(self) -> float:
        """Accuracy of a model that knows only that answers are values: 1 in V/2."""
        return 2.0 / self.params["vocab"]


@register_dataset
class InductionHeads(Probe):
    """Induction heads: after the special token's second occurrence, recall what followed its
    first."""

    name = "induction_heads"
    source = ("generated: induction heads (Olsson et al. 2022; H3 §3.1; Gu & Dao 2023, "
              "Mamba §4.1.2)")
    defaults = {"length": 256, "vocab": 16, **SIZES}
    limits = {"length": Limit(4), "vocab": Limit(2), **SIZE_LIMITS}
    sweep = "length"

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        length, vocab = self.params["length"], self.params["vocab"]
        special, arrays = vocab + 1, {}
        for split, n in self._sizes().items():
            rng = self._rng(split)
            tokens = rng.integers(1, vocab + 1, (n, length))
            first = rng.integers(0, length - 2, n)
            rows = np.arange(n)
            tokens[rows, first] = tokens[:, -1] = special
            labels = np.full((n, length), IGNORE, dtype="int32")
            labels[:, -1] = tokens[rows, first + 1] - 1
            # the original's tokens are 0..vocab-1 and its special token vocab; shifted by one
            arrays[f"x_{split}"], arrays[f"y_{split}"] = tokens.astype("int32"), labels
        return self._finish(arrays, _labeling_task(length, special, vocab))

    def chance(self) -> float:
        """Accuracy of a model that cannot recall: one of ``vocab`` tokens."""
        return 1.0 / self.params["vocab"]
