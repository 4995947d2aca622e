"""Canonical datasets, downloaded for users with internet: IMDB, Speech Commands, Jena climate.

Each loader also reads a local copy of the original archive (``data_dir``), found by its
published file name, so it works offline; the canonical suite uses these loaders.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.io import wavfile

from benchmarks.data.archives import find_source, fingerprint, iter_members
from benchmarks.data.base import SPLITS, Dataset, Limit, register_dataset, stratified_split
from benchmarks.data.cache import data_root
from benchmarks.data.commands import COMMANDS, SAMPLE_RATE, log_mel
from benchmarks.data.forecasting import WINDOW_LIMITS, _HourlyForecast, hourly_means
from benchmarks.data.sentiment import TEXT_LIMITS, vectorise
from benchmarks.data.wheels import DataError


def _download(origin: str, name: str) -> Path:
    """The canonical archive at ``origin``, downloaded once into ``$SEQZOO_DATA/downloads``."""
    import keras

    try:
        return Path(keras.utils.get_file(name, origin=origin,
                                         cache_dir=str(data_root()), cache_subdir="downloads"))
    except Exception as error:  # get_file raises bare Exception subclasses for network errors
        raise DataError(f"cannot download {origin} ({type(error).__name__}: {error}); without "
                        "internet, pass data_dir with a local copy") from None


def _content_digest(*parts: np.ndarray) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


IMDB_MEMBER = re.compile(r"^(?:.*/)?(train|test)/(pos|neg)/\d+_\d+\.txt$")


def read_aclimdb(source: Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """``{"train"|"test": (texts, labels)}`` from ``aclImdb_v1.tar.gz`` or an ``aclImdb`` tree."""
    rows: dict[str, list[tuple[str, str, int]]] = {"train": [], "test": []}
    digests = []
    for name, data in iter_members(source, lambda n: IMDB_MEMBER.match(n) is not None):
        split, polarity = IMDB_MEMBER.match(name).groups()
        rows[split].append((name, data.decode("utf-8"), int(polarity == "pos")))
        digests.append((name, hashlib.sha256(data).digest()))
    for split, found in rows.items():
        if not found:
            raise DataError(f"{source} has no aclImdb/{split}/pos|neg/*.txt reviews")
    parts = {split: (np.array([t for _, t, _ in sorted(found)], dtype=object),
                     np.array([y for _, _, y in sorted(found)], "int32"))
             for split, found in rows.items()}
    return parts, fingerprint(source, digests)


@register_dataset
class IMDB(Dataset):
    """50,000 IMDB movie reviews, positive vs negative (Maas et al. 2011)."""

    name = "imdb"
    family = "sentiment"
    offline = False
    source = ("Large Movie Review Dataset v1 (Maas et al. 2011): TFDS imdb_reviews/plain_text, "
              "or aclImdb_v1.tar.gz / aclImdb/ in data_dir")
    licence = "research use; see https://ai.stanford.edu/~amaas/data/sentiment/"
    version = "aclImdb_v1"
    split_definition = ("official 25,000 train / 25,000 test; val is a stratified seeded 10% "
                        "of train")
    defaults = {"data_dir": None, "max_tokens": 20000, "seq_len": 600}
    limits = TEXT_LIMITS
    ARCHIVES = ("aclImdb_v1.tar.gz", "aclImdb")

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        if self.params["data_dir"]:
            source = find_source(self.params["data_dir"], self.ARCHIVES, self.name)
            parts, digest = read_aclimdb(source)
            origin = str(source)
        else:
            import tensorflow_datasets as tfds

            loaded = tfds.as_numpy(tfds.load("imdb_reviews", split=["train", "test"],
                                              as_supervised=True, batch_size=-1,
                                              data_dir=str(data_root() / "tfds")))
            parts = {s: (np.array([t.decode() for t in x], dtype=object), y.astype("int32"))
                     for s, (x, y) in zip(("train", "test"), loaded, strict=True)}
            digest = _content_digest(*(p[1] for p in parts.values()))
            origin = "tensorflow_datasets imdb_reviews"
        texts, labels = parts["train"]
        index = stratified_split(labels, self.seed, fractions=(0.9, 0.1))
        by_split = {"train": index["train"], "val": np.concatenate([index["val"], index["test"]])}
        arrays, task = vectorise(
            {**{s: texts[i] for s, i in by_split.items()}, "test": parts["test"][0]},
            {**{s: labels[i] for s, i in by_split.items()}, "test": parts["test"][1]},
            self.params["max_tokens"], self.params["seq_len"])
        meta = {
            "task": {**task, "num_outputs": 2}, "classes": ["neg", "pos"], "read_from": origin,
            "fingerprint": digest,
            "preprocessing": "keras TextVectorization (lower-case, strip punctuation) adapted on "
                             f"train only; padded/truncated to {task['seq_len']} tokens; "
                             f"vocabulary {task['vocab_size']}",
        }
        return arrays, meta


SC_LISTS = ("validation_list.txt", "testing_list.txt")


def _wave(data: bytes, name: str) -> np.ndarray:
    try:
        rate, wave = wavfile.read(io.BytesIO(data))
    except ValueError as error:
        raise DataError(f"{name} is not a readable WAV file ({error})") from None
    if rate != SAMPLE_RATE:
        raise DataError(f"{name} is sampled at {rate} Hz; Speech Commands is {SAMPLE_RATE} Hz")
    return wave.astype("float32") / 32768.0


def read_speech_commands(source: Path, seed: int, silence_fraction: float, bins: int
                         ) -> tuple[dict[str, np.ndarray], str]:
    """Log-mel features and labels per split from ``speech_commands_v0.02.tar.gz`` or its folder.

    The split follows the archive's ``validation_list.txt`` and ``testing_list.txt``; words
    outside the ten commands are "unknown"; "silence" clips are 1 s cut from
    ``_background_noise_`` at random volume, ``silence_fraction`` of each split.
    """
    lists: dict[str, set[str]] = {}
    rows: list[tuple[str, int, int]] = []  # (word/file.wav, label, feature row = its index)
    noise, digests, pending = [], [], []
    features: list[np.ndarray] = []

    def flush() -> None:
        if pending:
            features.append(log_mel(np.stack(pending), bins))
            pending.clear()

    for name, data in iter_members(source, lambda n: n.endswith((".wav", *SC_LISTS))):
        digests.append((name, hashlib.sha256(data).digest()))
        key = "/".join(name.split("/")[-2:])
        if name.endswith(SC_LISTS):
            lists[key.split("/")[-1]] = set(data.decode().split())
        elif key.startswith("_background_noise_/"):
            noise.append(_wave(data, name))
        else:
            wave = _wave(data, name)[:SAMPLE_RATE]
            pending.append(np.pad(wave, (0, SAMPLE_RATE - len(wave))))
            word = key.split("/")[0]
            label = COMMANDS.index(word) if word in COMMANDS else len(COMMANDS)
            rows.append((key, label, len(rows)))
            if len(pending) == 512:
                flush()
    flush()
    missing = [n for n in SC_LISTS if n not in lists]
    if missing or not noise or not rows:
        raise DataError(f"{source} lacks {', '.join(missing) or '_background_noise_/*.wav'}; "
                        "it is not the Speech Commands archive")
    every = np.concatenate(features)
    clips: dict[str, list[tuple[str, int, int]]] = {s: [] for s in SPLITS}
    for row in rows:
        split = ("val" if row[0] in lists["validation_list.txt"] else
                 "test" if row[0] in lists["testing_list.txt"] else "train")
        clips[split].append(row)
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        chosen = sorted(clips[split])
        count = int(round(len(chosen) * silence_fraction))
        silence = []
        for _ in range(count):
            source_noise = noise[rng.integers(len(noise))]
            start = rng.integers(0, max(1, len(source_noise) - SAMPLE_RATE))
            cut = source_noise[start:start + SAMPLE_RATE] * rng.uniform(0, 1)
            silence.append(np.pad(cut, (0, SAMPLE_RATE - len(cut))))
        x = every[[r for _, _, r in chosen]]
        if silence:
            x = np.concatenate([x, log_mel(np.stack(silence), bins)])
        y = np.array([label for _, label, _ in chosen] + [len(COMMANDS) + 1] * count, "int32")
        order = rng.permutation(len(y))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x[order], y[order]
    return arrays, fingerprint(source, digests)


@register_dataset
class SpeechCommands(Dataset):
    """Speech Commands v0.02, 12 classes (Warden 2018): 10 words, unknown and silence."""

    name = "speech_commands"
    family = "speech"
    offline = False
    source = ("Speech Commands v0.02 (Warden 2018): speech_commands_v0.02.tar.gz from "
              "download.tensorflow.org or data_dir (split='official'), or TFDS speech_commands "
              "(split='tfds')")
    licence = "CC BY 4.0"
    version = "v0.02"
    split_definition = ("split='official': the archive's validation_list.txt/testing_list.txt; "
                        "split='tfds': TFDS train/validation/test (its test is the separate "
                        "speech_commands_test_set_v0.02, not testing_list.txt)")
    defaults = {"data_dir": None, "split": "official", "mel_bins": 40, "silence_fraction": 0.1}
    limits = {"split": Limit(choices=("official", "tfds")), "mel_bins": Limit(1),
              "silence_fraction": Limit(0, 1, open_high=True)}
    ARCHIVES = ("speech_commands_v0.02.tar.gz", "speech_commands_v0.02")
    ORIGIN = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        split, bins = self.params["split"], self.params["mel_bins"]
        if split == "tfds":
            if self.params["data_dir"]:
                raise ValueError("data_dir reads the raw archive, which has the official split; "
                                 "use split='official' with data_dir")
            arrays, digest = self._from_tfds(bins)
            origin = "tensorflow_datasets speech_commands"
        else:
            source = (find_source(self.params["data_dir"], self.ARCHIVES, self.name)
                      if self.params["data_dir"] else _download(self.ORIGIN, self.ARCHIVES[0]))
            arrays, digest = read_speech_commands(source, self.seed,
                                                  self.params["silence_fraction"], bins)
            origin = str(source)
        classes = [*COMMANDS, "unknown", "silence"]
        labels = np.concatenate([arrays[f"y_{s}"] for s in SPLITS])
        meta = {
            "task": {"kind": "classification", "input": "features",
                     "seq_len": int(arrays["x_train"].shape[1]), "num_features": bins,
                     "num_outputs": len(classes)},
            "classes": classes, "read_from": origin, "fingerprint": digest,
            "class_counts": {c: int((labels == i).sum()) for i, c in enumerate(classes)},
            "preprocessing": "16 kHz clips padded/cropped to 1 s; keras MelSpectrogram (25 ms "
                             f"window, 10 ms hop, {bins} mel bins, dB), z-scored per bin with "
                             "train statistics",
        }
        mean = arrays["x_train"].mean(axis=(0, 1))
        std = arrays["x_train"].std(axis=(0, 1))
        for s in SPLITS:
            arrays[f"x_{s}"] = ((arrays[f"x_{s}"] - mean) / std).astype("float32")
        return arrays, meta

    @staticmethod
    def _from_tfds(bins: int) -> tuple[dict[str, np.ndarray], str]:
        import tensorflow_datasets as tfds

        arrays, digest = {}, hashlib.sha256()
        for split, tfds_split in zip(SPLITS, ("train", "validation", "test"), strict=True):
            waves, labels = [], []
            for audio, label in tfds.as_numpy(tfds.load(
                    "speech_commands", split=tfds_split, as_supervised=True,
                    data_dir=str(data_root() / "tfds"))):
                wave = audio.astype("float32")[:SAMPLE_RATE] / 32768.0
                waves.append(np.pad(wave, (0, SAMPLE_RATE - len(wave))))
                labels.append(label)
                digest.update(audio.tobytes())
            # TFDS orders labels as the ten words, then _silence_, then _unknown_
            y = np.array(labels, "int32")
            arrays[f"y_{split}"] = np.where(y == 10, 11, np.where(y == 11, 10, y)).astype("int32")
            arrays[f"x_{split}"] = np.concatenate([log_mel(np.stack(waves[i:i + 512]), bins)
                                                   for i in range(0, len(waves), 512)])
        return arrays, digest.hexdigest()


JENA_COLUMNS = ["p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)",
                "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)",
                "wv (m/s)", "max. wv (m/s)", "wd (deg)"]


def read_jena(data: bytes, name: str) -> pd.DataFrame:
    """The 10-minute Jena climate table, indexed by time, from its CSV bytes."""
    frame = pd.read_csv(io.BytesIO(data))
    missing = [c for c in ["Date Time", *JENA_COLUMNS] if c not in frame.columns]
    if missing:
        raise DataError(f"{name} is not the Jena climate CSV: no column {missing[0]!r}")
    stamps = pd.to_datetime(frame.pop("Date Time"), format="%d.%m.%Y %H:%M:%S")
    return frame.set_index(stamps)[JENA_COLUMNS].astype("float64")


@register_dataset
class JenaClimate(_HourlyForecast):
    """Jena climate 2009-2016 (Max Planck Institute for Biogeochemistry), as in Keras examples."""

    name = "jena_climate"
    offline = False
    source = ("Jena climate 2009-2016, MPI for Biogeochemistry weather station: the Keras copy "
              "jena_climate_2009_2016.csv.zip via keras.utils.get_file, or that zip / CSV in "
              "data_dir")
    licence = "MPI-BGC weather data, free for research; see https://www.bgc-jena.mpg.de/wetter/"
    version = "2009-2016"
    defaults = {"data_dir": None, "target": "T (degC)", "lookback": 120, "horizon": 24,
                "stride": 1, "residual": True}
    limits = WINDOW_LIMITS
    ARCHIVES = ("jena_climate_2009_2016.csv.zip", "jena_climate_2009_2016.csv")
    ORIGIN = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
              "jena_climate_2009_2016.csv.zip")

    def frame(self) -> tuple[pd.DataFrame, bytes, dict[str, Any]]:
        source = (find_source(self.params["data_dir"], self.ARCHIVES, self.name)
                  if self.params["data_dir"] else _download(self.ORIGIN, self.ARCHIVES[0]))
        if source.suffix == ".zip":
            found = list(iter_members(source, lambda n: n.endswith(self.ARCHIVES[1])))
            if not found:
                raise DataError(f"{source} holds no {self.ARCHIVES[1]}")
            name, raw = found[0]
        else:
            name, raw = source.name, source.read_bytes()
        frame = read_jena(raw, name)
        broken = frame[["wv (m/s)", "max. wv (m/s)"]] == -9999.0
        bad = int(broken.sum().sum())
        frame[broken] = 0.0
        hourly, gaps = hourly_means(frame)
        return hourly, raw, {
            "preprocessing": (f"10-minute rows averaged to hours; {bad} wind-speed readings of "
                              "-9999 set to 0 (as the TensorFlow time-series tutorial does); "
                              f"{gaps} empty hours interpolated in time; z-score per feature "
                              "fitted on train"),
            "raw_steps": int(len(frame)), "read_from": str(source),
        }
