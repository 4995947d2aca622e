"""Small real-format inputs for the file datasets, written inside the tests: a CSV and a
Parquet table, a text tree, WAV files written with the standard library's ``wave``.

``FILE_INPUTS[kind](folder)`` writes the files under ``folder`` and returns the dataset
parameters that read them; every registered dataset with a ``path`` parameter needs one
(a test checks), so the registry-generated dataset tests run on it.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

WORDS = {"pos": ["good", "great", "fine", "lovely", "superb"],
         "neg": ["bad", "awful", "poor", "dull", "weak"]}


def review_rows(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Short labelled texts; each holds a word of its own (so test rows have unseen words)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = ("pos", "neg")[i % 2]
        words = [*rng.choice(WORDS[label], 3), *rng.choice(WORDS["pos"] + WORDS["neg"], 2),
                 f"word{i}"]
        rows.append({"review": " ".join(rng.permutation(words)), "stars": label})
    return pd.DataFrame(rows)


def text_parquet(folder: Path) -> dict[str, Any]:
    """A Parquet table with ``review`` and ``stars`` columns."""
    path = folder / "reviews.parquet"
    review_rows().to_parquet(path)
    return {"path": str(path), "text": "review", "label": "stars"}


def text_tree(folder: Path) -> dict[str, Any]:
    """``<root>/train/<class>/*.txt`` and ``<root>/test/<class>/*.txt`` (the aclImdb layout)."""
    root = folder / "reviews"
    for i, row in review_rows().iterrows():
        part = "test" if i % 5 == 0 else "train"
        target = root / part / row["stars"]
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{i}.txt").write_text(row["review"])
    return {"path": str(root)}


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """16-bit mono PCM, with the standard library's ``wave``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def tone(freq: float, seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A noisy tone, the stand-in for a spoken word in shape tests."""
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t) + 0.05 * rng.standard_normal(len(t))


def audio_tree(folder: Path, rate: int = 8000) -> dict[str, Any]:
    """``<root>/<class>/*.wav`` with Speech Commands' validation and testing lists."""
    root, rng = folder / "commands", np.random.default_rng(0)
    names = []
    for label, freq in (("low", 300.0), ("high", 1200.0)):
        for i in range(20):
            seconds = rng.uniform(0.5, 1.2)  # shorter clips are padded, longer ones cropped
            write_wav(root / label / f"{i}.wav", tone(freq * rng.uniform(0.9, 1.1), seconds,
                                                      rate, rng), rate)
            names.append(f"{label}/{i}.wav")
    (root / "validation_list.txt").write_text("\n".join(names[0::10]) + "\n")
    (root / "testing_list.txt").write_text("\n".join(names[5::10]) + "\n")
    return {"path": str(root)}


def series_rows(steps: int = 600, seed: int = 0) -> pd.DataFrame:
    """An hourly table: a daily cycle with noise and a second numeric column."""
    rng = np.random.default_rng(seed)
    hours = np.arange(steps)
    temp = 10 + 5 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.5, steps)
    return pd.DataFrame({"when": pd.date_range("2024-01-01", periods=steps, freq="h"),
                         "temp": temp, "wind": rng.gamma(2.0, 2.0, steps)})


def series_csv(folder: Path) -> dict[str, Any]:
    """A CSV with a time column ``when`` and numeric ``temp`` and ``wind``."""
    path = folder / "weather.csv"
    series_rows().to_csv(path, index=False)
    return {"path": str(path), "time": "when", "target": "temp", "lookback": 24,
            "horizon": 6}


FILE_INPUTS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "text_csv": text_parquet, "text_dir": text_tree, "audio_dir": audio_tree,
    "series_csv": series_csv}
