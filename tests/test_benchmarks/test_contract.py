"""The Dataset contract: a minimal dataset defined here, returning exactly what the Dataset
docstring lists, runs every baseline of its family; one that leaves a key out is refused with
a one-line error naming it."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pytest

from benchmarks.cell.baselines import baselines_for
from benchmarks.cell.harness import run
from benchmarks.data import SPLITS, DataError, Dataset

SIZES = {"train": 96, "val": 32, "test": 32}


class Minimal(Dataset):
    """Only the contract's arrays and meta keys, for ``family`` (shape test data)."""

    name = "minimal"
    offline = True
    source = licence = version = split_definition = "test"
    defaults: ClassVar[dict[str, Any]] = {"drop": ""}

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        rng = np.random.default_rng(self.seed)
        arrays: dict[str, np.ndarray] = {}
        for split, n in SIZES.items():
            if self.family == "sentiment":
                words = rng.choice(["good", "bad", "film", "plot", "cast"], (n, 6))
                arrays[f"text_{split}"] = np.array([" ".join(w) for w in words])
                arrays[f"x_{split}"] = rng.integers(1, 50, (n, 12)).astype("int32")
                arrays[f"y_{split}"] = (words == "good").sum(axis=1).clip(0, 1).astype("int32")
            elif self.family == "speech":
                arrays[f"x_{split}"] = rng.normal(size=(n, 20, 5)).astype("float32")
                arrays[f"y_{split}"] = rng.integers(0, 3, n).astype("int32")
            else:
                arrays[f"x_{split}"] = rng.normal(size=(n, 30, 3)).astype("float32")
                arrays[f"y_{split}"] = rng.normal(size=(n, 4)).astype("float32")
        task = {"sentiment": {"kind": "classification", "input": "tokens", "seq_len": 12,
                              "vocab_size": 50, "num_outputs": 2},
                "speech": {"kind": "classification", "input": "features", "seq_len": 20,
                           "num_features": 5, "num_outputs": 3},
                "forecasting": {"kind": "forecasting", "input": "features", "seq_len": 30,
                                "num_features": 3, "num_outputs": 4}}[self.family]
        meta = {"task": task, "fingerprint": "0" * 64}
        if self.family == "forecasting":
            meta.update({"target_index": 1, "target_scale": 2.5, "residual": False,
                         "season": 7})
        arrays.pop(self.params["drop"], None)
        meta.pop(self.params["drop"], None)
        return arrays, meta


def _minimal(family: str, **params: Any) -> Dataset:
    cls = type(f"Minimal{family}", (Minimal,), {"family": family, "name": f"minimal_{family}"})
    return cls(**params)


@pytest.mark.parametrize("family", ["sentiment", "speech", "forecasting"])
def test_every_baseline_runs_on_a_minimal_dataset(family, fresh_data_home) -> None:
    data = _minimal(family)
    for baseline in baselines_for(family):
        record = run(baseline.name, data, seed=0)
        assert record.status == "ok", (baseline.name, record.error)
        assert record.is_baseline and np.isfinite(getattr(record, record.primary_metric))


@pytest.mark.parametrize(("family", "drop"), [("sentiment", "text_val"),
                                              ("forecasting", "season"),
                                              ("speech", "fingerprint")])
def test_a_missing_contract_key_is_named(family, drop, fresh_data_home) -> None:
    with pytest.raises(DataError, match=f"prepare\\(\\) returned no {drop}; see the Dataset"):
        _minimal(family, drop=drop).arrays()


def test_splits_must_be_non_empty_and_aligned(fresh_data_home, monkeypatch) -> None:
    monkeypatch.setitem(SIZES, "val", 0)
    with pytest.raises(DataError, match="has an empty val split"):
        _minimal("speech").arrays()
    assert set(SPLITS) == set(SIZES)


def test_a_cached_file_from_older_code_is_prepared_again(fresh_data_home) -> None:
    data = _minimal("forecasting")
    data.arrays()
    stale = dict(np.load(data.cache_path()))
    meta = json.loads(str(stale["meta"]))
    del meta["target_scale"]  # as written before target_scale joined the contract
    np.savez(data.cache_path(), **{**stale, "meta": np.array(json.dumps(meta))})
    again = _minimal("forecasting")
    assert again.meta["target_scale"] == 2.5
