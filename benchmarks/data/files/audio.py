"""``audio_dir``: labelled WAV clips, one folder per class."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.data.base import SPLITS, Limit, register_dataset, stratified_split
from benchmarks.data.files.common import (
    FileDataset,
)
from benchmarks.data.wheels import DataError


@register_dataset
class AudioDir(FileDataset):
    """Your audio folder in the Speech Commands layout: ``<path>/<class>/*.wav``, with
    ``validation_list.txt`` and ``testing_list.txt`` honoured when present."""

    name = "audio_dir"
    family = "speech"
    source = "a folder of <class>/*.wav (path), Speech Commands layout"
    split_definition = ("validation_list.txt/testing_list.txt when present, else a seeded "
                        "stratified 80/10/10")
    defaults = {"path": None, "sample_rate": 0, "clip_seconds": 1.0, "mel_bins": 40}
    limits = {"sample_rate": Limit(0), "clip_seconds": Limit(0.01, 600), "mel_bins": Limit(1)}

    def _clips(self) -> list[tuple[str, Path]]:
        root = self.source_path()
        if not root.is_dir():
            raise DataError(f"{self.name}: {root} is not a folder of <class>/*.wav")
        clips = [(folder.name, wav) for folder in sorted(root.iterdir())
                 if folder.is_dir() and not folder.name.startswith("_")
                 for wav in sorted(folder.glob("*.wav"))]
        if not clips:
            raise DataError(f"{self.name}: {root} holds no <class>/*.wav files")
        return clips

    def input_files(self) -> list[Path]:
        root = self.source_path()
        lists = [root / n for n in ("validation_list.txt", "testing_list.txt")
                 if (root / n).is_file()]
        return [wav for _, wav in self._clips()] + lists

    def _read(self, path: Path) -> tuple[np.ndarray, int]:
        try:
            with wave.open(str(path), "rb") as handle:
                rate, width = handle.getframerate(), handle.getsampwidth()
                channels = handle.getnchannels()
                frames = handle.readframes(handle.getnframes())
        except (wave.Error, EOFError, OSError) as error:
            raise DataError(f"{self.name}: {path} is not a readable WAV file ({error})") from None
        if width not in (1, 2, 4):
            raise DataError(f"{self.name}: {path} has {8 * width}-bit samples; use 8, 16 or "
                            "32-bit PCM WAV")
        kind = {1: "uint8", 2: "<i2", 4: "<i4"}[width]
        audio = np.frombuffer(frames, kind).astype("float32").reshape(-1, channels).mean(axis=1)
        audio = (audio - 128) / 128 if width == 1 else audio / float(2 ** (8 * width - 1))
        return audio, rate

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        from scipy.signal import resample_poly

        from benchmarks.data.commands import log_mel

        root, clips = self.source_path(), self._clips()
        waves = [self._read(path) for _, path in clips]
        rates = sorted({rate for _, rate in waves})
        target = int(self.params["sample_rate"]) or rates[0]
        if len(rates) > 1 and not self.params["sample_rate"]:
            raise DataError(f"{self.name}: {root} mixes sample rates {rates} Hz; pass "
                            "sample_rate=HZ to resample every clip to one rate")
        size = int(round(target * float(self.params["clip_seconds"])))
        audio = np.zeros((len(clips), size), "float32")
        for i, (samples, rate) in enumerate(waves):
            if rate != target:
                samples = resample_poly(samples, target, rate).astype("float32")
            audio[i, :min(size, len(samples))] = samples[:size]  # pad with silence or crop
        classes = sorted({name for name, _ in clips})
        if len(classes) < 2:
            raise DataError(f"{self.name}: {root} has only the class folder {classes[0]!r}; "
                            "use at least 2")
        labels = np.array([classes.index(name) for name, _ in clips], "int32")
        index = self._splits(root, clips, labels)
        features = log_mel(audio, self.params["mel_bins"], target)
        train = features[index["train"]].reshape(-1, features.shape[2])
        mean, std = train.mean(axis=0), train.std(axis=0)
        std[std == 0] = 1.0
        arrays = {}
        for split in SPLITS:
            arrays[f"x_{split}"] = ((features[index[split]] - mean) / std).astype("float32")
            arrays[f"y_{split}"] = labels[index[split]]
        meta = {
            "task": {"kind": "classification", "input": "features",
                     "seq_len": int(features.shape[1]), "num_features": int(features.shape[2]),
                     "num_outputs": len(classes)},
            "classes": classes, "fingerprint": self.files_digest(), "read_from": str(root),
            "class_counts": {c: int((labels == i).sum()) for i, c in enumerate(classes)},
            "source_sample_rates": rates,
            "preprocessing": (f"mono, resampled to {target} Hz (scipy resample_poly) where "
                              f"needed, zero-padded or cropped to {size} samples "
                              f"({self.params['clip_seconds']} s); keras MelSpectrogram (25 ms "
                              f"window, 10 ms hop, {self.params['mel_bins']} mel bins, dB), "
                              "z-scored per bin with train statistics"),
        }
        return arrays, meta

    def _splits(self, root: Path, clips: list[tuple[str, Path]], labels: np.ndarray
                ) -> dict[str, np.ndarray]:
        lists = {n: root / f"{n}_list.txt" for n in ("validation", "testing")}
        if not any(p.is_file() for p in lists.values()):
            return stratified_split(labels, self.seed)
        named = {n: set(p.read_text().split()) if p.is_file() else set()
                 for n, p in lists.items()}
        keys = [path.relative_to(root).as_posix() for _, path in clips]
        split = np.array(["val" if k in named["validation"] else
                          "test" if k in named["testing"] else "train" for k in keys])
        rng = np.random.default_rng(self.seed)
        return {s: rng.permutation(np.flatnonzero(split == s)) for s in SPLITS}
