"""Offline speech datasets: JapaneseVowels (human recordings, LPC cepstra)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from benchmarks.data.base import Dataset, Limit, register_dataset, stratified_split
from benchmarks.data.wheels import DataError, PinnedWheel, read_member

SKTIME = PinnedWheel("sktime", "1.2.0", "sktime-1.2.0-py3-none-any.whl",
                     "dbffc6731d2d683b668dceb5e2bbc5804bebc8446b4c580803a281684d90e4ae",
                     "BSD-3-Clause")


def parse_ts(text: str, name: str) -> tuple[list[np.ndarray], list[str]]:
    """Parse a multivariate ``.ts`` file: per case ``(steps, dims)`` arrays and labels."""
    cases, labels, in_data = [], [], False
    for line_no, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() == "@data":
            in_data = True
            continue
        if not in_data:
            continue
        *dims, label = line.split(":")
        try:
            cases.append(np.array([[float(v) for v in d.split(",")] for d in dims]).T)
        except ValueError:
            raise DataError(f"{name} line {line_no} is not a valid .ts data row") from None
        labels.append(label)
    if not cases:
        raise DataError(f"{name} has no @data rows")
    return cases, labels


@register_dataset
class JapaneseVowels(Dataset):
    """Nine male speakers saying /ae/: classify the speaker from 12 LPC cepstra per frame."""

    name = "japanese_vowels"
    family = "speech"
    offline = True
    source = ("UCI Japanese Vowels (Kudo et al. 1999), human recordings, from sktime 1.2.0 "
              "sktime/datasets/data/JapaneseVowels/*.ts")
    licence = "BSD-3-Clause (sktime package); data CC BY 4.0 (UCI)"
    version = "sktime-1.2.0"
    split_definition = ("the archive's TRAIN (270) / TEST (370) split; val is a stratified "
                        "seeded 15% of TRAIN")
    defaults = {"max_frames": 29}
    limits = {"max_frames": Limit(1)}
    revision = 2  # padding excluded from the normalisation statistics
    PREFIX = "sktime/datasets/data/JapaneseVowels/JapaneseVowels_"

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        parts, digest = {}, hashlib.sha256()
        for part in ("TRAIN", "TEST"):
            raw = read_member(SKTIME, f"{self.PREFIX}{part}.ts")
            digest.update(raw)
            parts[part] = parse_ts(raw.decode(), f"JapaneseVowels_{part}.ts")
        classes = sorted(set(parts["TRAIN"][1]), key=int)
        frames = self.params["max_frames"]

        def pack(cases: list[np.ndarray], labels: list[str]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            x = np.zeros((len(cases), frames, cases[0].shape[1]), "float32")
            real = np.zeros((len(cases), frames), bool)
            for i, case in enumerate(cases):
                x[i, : min(len(case), frames)] = case[:frames]
                real[i, : len(case)] = True
            return x, np.array([classes.index(c) for c in labels], "int32"), real

        x_all, y_all, real_all = pack(*parts["TRAIN"])
        index = stratified_split(y_all, self.seed, fractions=(0.85, 0.15))
        x_test, y_test, real_test = pack(*parts["TEST"])
        train_frames = x_all[index["train"]][real_all[index["train"]]]
        mean, std = train_frames.mean(axis=0), train_frames.std(axis=0)

        def norm(x: np.ndarray, real: np.ndarray) -> np.ndarray:
            # real frames are z-scored with train statistics; padding stays exactly zero
            return np.where(real[..., None], (x - mean) / std, 0.0).astype("float32")

        arrays = {"x_test": norm(x_test, real_test), "y_test": y_test}
        for split in ("train", "val"):
            rows = index[split]
            arrays[f"x_{split}"] = norm(x_all[rows], real_all[rows])
            arrays[f"y_{split}"] = y_all[rows]
        lengths = [len(c) for c in parts["TRAIN"][0] + parts["TEST"][0]]
        meta = {
            "task": {"kind": "classification", "input": "features", "seq_len": frames,
                     "num_features": int(x_all.shape[2]), "num_outputs": len(classes)},
            "classes": classes, "fingerprint": digest.hexdigest(),
            "class_counts": {c: int((np.array(parts["TRAIN"][1] + parts["TEST"][1]) == c).sum())
                             for c in classes},
            "preprocessing": f"utterances of {min(lengths)}-{max(lengths)} frames zero-padded "
                             f"at the end to {frames}; z-score per coefficient fitted on "
                             "train frames (padding excluded, left at zero)",
        }
        return arrays, meta
