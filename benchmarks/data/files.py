"""Datasets from a user's own files: ``text_csv``, ``text_dir``, ``audio_dir``, ``series_csv``.

Each meets the same contract as the built-in datasets (see :class:`~benchmarks.data.Dataset`):
a TaskSpec, deterministic splits, normalisation or vocabulary fitted on train only,
provenance with the sha256 of every input file, the prepared-array cache, and the baselines of
its family (text -> ``sentiment``, audio -> ``speech``, series -> ``forecasting``). The input
files' digest is part of the cache key, so a changed file is prepared again and gets a new
fingerprint. Every problem with the input is a one-line ``DataError`` naming the file and what
is allowed.

Use one directly (``seqzoo run --datasets text_csv:path=reviews.csv,text=review``) or save a
named config with ``seqzoo data add`` (:mod:`benchmarks.data.user`).
"""

from __future__ import annotations

import hashlib
import wave
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from benchmarks.data.base import SPLITS, Dataset, register_dataset, stratified_split
from benchmarks.data.cache import data_root, params_key
from benchmarks.data.forecasting import window_series
from benchmarks.data.wheels import DataError

GAP_POLICIES = ("error", "interpolate", "drop")
SPLIT_NAMES = {"train": "train", "val": "val", "validation": "val", "valid": "val",
               "dev": "val", "test": "test"}


def digest_files(paths: list[Path], root: Path | None = None) -> str:
    """sha256 over the files' names (relative to ``root``) and bytes, in sorted order."""
    sha = hashlib.sha256()
    for path in sorted(paths):
        sha.update(str(path.relative_to(root) if root else path.name).encode() + b"\0")
        sha.update(path.read_bytes())
    return sha.hexdigest()


class FileDataset(Dataset):
    """A dataset prepared from files under ``params["path"]``."""

    offline = True
    licence = "the input files' own"
    version = "files"
    kind: ClassVar[str] = "file"

    @abstractmethod
    def input_files(self) -> list[Path]:
        """Every file the arrays are prepared from (``DataError`` if there are none)."""

    def source_path(self) -> Path:
        """``params["path"]``, which must exist."""
        if not self.params.get("path"):
            raise DataError(f"dataset {self.name!r} needs path=FILE_OR_FOLDER, e.g. "
                            f"{self.name}:path=my_data.csv")
        path = Path(str(self.params["path"])).expanduser()
        if not path.exists():
            raise DataError(f"{self.name}: {path} does not exist")
        return path

    def cache_path(self) -> Path:
        """The cache file of these parameters *and* these file contents."""
        key = params_key({"dataset": self.name, "seed": self.seed, "revision": self.revision,
                          "files": self.files_digest(), **self.params})
        return data_root() / "prepared" / f"{self.name}-{key}.npz"

    def files_digest(self) -> str:
        """sha256 of the input files (the dataset's fingerprint)."""
        if not hasattr(self, "_digest"):
            root = self.source_path()
            self._digest = digest_files(self.input_files(), root if root.is_dir() else None)
        return self._digest


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV, TSV or Parquet file as a DataFrame; ``DataError`` naming the file otherwise."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".tsv", ".txt"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"{what}: {path} cannot be read: {str(error).splitlines()[0]}") from None
    raise DataError(f"{what}: {path} has suffix {suffix!r}; use .csv, .tsv or .parquet")


def need_columns(frame: pd.DataFrame, columns: list[str], path: Path, what: str) -> None:
    """``DataError`` naming the first missing column and listing those that exist."""
    for column in columns:
        if column not in frame.columns:
            raise DataError(f"{what}: {path} has no column {column!r}; its columns are "
                            f"{', '.join(map(str, frame.columns))}")


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r) for r in rows[:limit])
    return f"{len(rows)} (rows {shown}{', ...' if len(rows) > limit else ''})"


def text_splits(labels: np.ndarray, given: np.ndarray | None, seed: int, where: str
                ) -> dict[str, np.ndarray]:
    """Row indices per split: from ``given`` split names, else a seeded stratified 80/10/10."""
    if given is None:
        return stratified_split(labels, seed)
    names = pd.Series(given).astype(str).str.lower().map(SPLIT_NAMES)
    if names.isna().any():
        bad = sorted(set(pd.Series(given)[names.isna().to_numpy()].astype(str)))[:5]
        raise DataError(f"{where}: split values {bad} are not allowed; use train, val "
                        "(or validation, dev) and test")
    rng = np.random.default_rng(seed)
    return {s: rng.permutation(np.flatnonzero(names.to_numpy() == s)) for s in SPLITS}


def text_arrays(texts: np.ndarray, labels: np.ndarray, index: dict[str, np.ndarray],
                classes: list[str], params: dict[str, Any], where: str
                ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Token ids (``TextVectorization`` fitted on train), labels and the text meta."""
    from benchmarks.data.sentiment import vectorise

    empty = np.array([not str(t).strip() for t in texts])
    if empty.any():
        raise DataError(f"{where}: {_rows(empty)} texts are empty; remove those rows")
    if len(classes) < 2:
        raise DataError(f"{where}: every row has label {classes[0]!r}; a classification "
                        "dataset needs at least 2 classes")
    for split in SPLITS:
        if len(index[split]) == 0:
            raise DataError(f"{where}: the {split} split is empty")
    arrays, task = vectorise({s: texts[i] for s, i in index.items()},
                             {s: labels[i] for s, i in index.items()},
                             params["max_tokens"], params["seq_len"])
    meta = {"task": {**task, "num_outputs": len(classes)}, "classes": classes,
            "class_counts": {c: int((labels == i).sum()) for i, c in enumerate(classes)},
            "preprocessing": "keras TextVectorization (lower-case, strip punctuation, "
                             "whitespace split) adapted on train only; padded/truncated to "
                             f"{task['seq_len']} tokens; vocabulary {task['vocab_size']}"}
    return arrays, meta


@register_dataset
class TextCSV(FileDataset):
    """Your text classification table: a CSV, TSV or Parquet file with text and label columns."""

    name = "text_csv"
    family = "sentiment"
    source = "a CSV, TSV or Parquet file (path)"
    split_definition = ("the split column's train/val/test when split_column is given, else a "
                        "seeded stratified 80/10/10")
    defaults = {"path": None, "text": "text", "label": "label", "split_column": None,
                "max_tokens": 20000, "seq_len": 200}

    def input_files(self) -> list[Path]:
        return [self.source_path()]

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        path = self.source_path()
        where = f"{self.name} {path}"
        frame = read_table(path, self.name)
        split_column = self.params["split_column"]
        need_columns(frame, [self.params["text"], self.params["label"],
                             *([split_column] if split_column else [])], path, self.name)
        missing = frame[self.params["label"]].isna().to_numpy()
        if missing.any():
            raise DataError(f"{where}: {_rows(missing)} labels in column "
                            f"{self.params['label']!r} are missing")
        texts = frame[self.params["text"]].fillna("").astype(str).to_numpy(dtype=object)
        raw = frame[self.params["label"]].astype(str).to_numpy()
        classes = sorted(set(raw))
        labels = np.searchsorted(classes, raw)
        index = text_splits(labels, frame[split_column].to_numpy() if split_column else None,
                            self.seed, where)
        arrays, meta = text_arrays(texts, labels, index, classes, self.params, where)
        return arrays, {**meta, "fingerprint": self.files_digest(), "read_from": str(path)}


@register_dataset
class TextDir(FileDataset):
    """Your text folder in Keras's layout: ``<path>/<class>/*.txt``, optionally under
    ``train/`` and ``test/`` (how ``aclImdb/`` is laid out)."""

    name = "text_dir"
    family = "sentiment"
    source = "a folder of <class>/*.txt (path), read with keras.utils.text_dataset_from_directory"
    split_definition = ("train/ and test/ when present (val: a seeded stratified 10% of train), "
                        "else a seeded stratified 80/10/10")
    defaults = {"path": None, "classes": "", "max_tokens": 20000, "seq_len": 200}

    def _roots(self) -> dict[str, Path]:
        root = self.source_path()
        if not root.is_dir():
            raise DataError(f"{self.name}: {root} is not a folder of <class>/*.txt")
        if (root / "train").is_dir() and (root / "test").is_dir():
            return {"train": root / "train", "test": root / "test"}
        return {"all": root}

    def _classes(self, folder: Path) -> list[str]:
        wanted = [c for c in str(self.params["classes"]).split(",") if c]
        found = sorted(p.name for p in folder.iterdir() if p.is_dir())
        for name in wanted:
            if name not in found:
                raise DataError(f"{self.name}: {folder} has no class folder {name!r}; it has "
                                f"{', '.join(found) or 'none'}")
        return wanted or found

    def input_files(self) -> list[Path]:
        files = []
        for folder in self._roots().values():
            for name in self._classes(folder):
                files += sorted((folder / name).glob("*.txt"))
        if not files:
            raise DataError(f"{self.name}: {self.source_path()} holds no <class>/*.txt files")
        return files

    def _read(self, folder: Path, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        import keras

        if len(classes) < 2:
            raise DataError(f"{self.name}: {folder} has {len(classes)} class folder(s) "
                            f"({', '.join(classes) or 'none'}); use at least 2")
        dataset = keras.utils.text_dataset_from_directory(
            folder, labels="inferred", class_names=classes, batch_size=None, shuffle=False,
            verbose=False)
        texts, labels = [], []
        for text, label in dataset.as_numpy_iterator():
            texts.append(text.decode("utf-8", errors="replace"))
            labels.append(int(label))
        return np.array(texts, dtype=object), np.array(labels)

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        roots = self._roots()
        where = f"{self.name} {self.source_path()}"
        first = next(iter(roots.values()))
        classes = self._classes(first)
        if "all" in roots:
            texts, labels = self._read(roots["all"], classes)
            index = stratified_split(labels, self.seed)
        else:
            train_texts, train_labels = self._read(roots["train"], classes)
            test_texts, test_labels = self._read(roots["test"], classes)
            texts = np.concatenate([train_texts, test_texts])
            labels = np.concatenate([train_labels, test_labels])
            inner = stratified_split(train_labels, self.seed, (0.9, 0.1))
            index = {"train": inner["train"], "val": inner["val"],
                     "test": len(train_labels) + np.arange(len(test_labels))}
        arrays, meta = text_arrays(texts, labels, index, classes, self.params, where)
        return arrays, {**meta, "fingerprint": self.files_digest(),
                        "read_from": str(self.source_path())}


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


@register_dataset
class SeriesCSV(FileDataset):
    """Your time series: a CSV or Parquet file with a time column and numeric columns."""

    name = "series_csv"
    family = "forecasting"
    source = "a CSV or Parquet file with a time column (path)"
    split_definition = ("chronological 70/15/15; val and test start lookback+horizon steps "
                        "after the previous split ends (no shared window); z-scores from train")
    defaults = {"path": None, "time": "time", "target": "target", "features": "",
                "lookback": 24, "horizon": 6, "stride": 1, "resample": "", "gaps": "error",
                "season": 24, "residual": True}

    def input_files(self) -> list[Path]:
        return [self.source_path()]

    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        path = self.source_path()
        where = f"{self.name} {path}"
        gaps, target = self.params["gaps"], self.params["target"]
        if gaps not in GAP_POLICIES:
            raise DataError(f"{self.name}: gaps={gaps!r} is not allowed; use one of "
                            f"{', '.join(GAP_POLICIES)}")
        if "," in target:
            raise DataError(f"{self.name}: target={target!r} names several columns; one "
                            "target column is supported (others can be features)")
        frame = read_table(path, self.name)
        features = [c for c in str(self.params["features"]).split(",") if c]
        need_columns(frame, [self.params["time"], target, *features], path, self.name)
        frame = self._indexed(frame, where)
        columns = [target, *[c for c in (features or frame.columns) if c != target]]
        frame = self._numeric(frame[columns], target, where)
        frame, filled = self._regular(frame, where)
        lookback, horizon = self.params["lookback"], self.params["horizon"]
        if len(frame) < 3 * (lookback + horizon):
            raise DataError(f"{where}: the series has {len(frame)} steps, too short for "
                            f"lookback {lookback} + horizon {horizon} in three splits (need "
                            f"at least {3 * (lookback + horizon)}, more for a useful split)")
        try:
            arrays, meta = window_series(frame.to_numpy(dtype="float64"), 0, lookback, horizon,
                                         stride=self.params["stride"],
                                         residual=self.params["residual"],
                                         season=self.params["season"])
        except DataError as error:
            raise DataError(f"{where}: {error}") from None
        meta.update({
            "task": {"kind": "forecasting", "input": "features", "seq_len": lookback,
                     "num_features": frame.shape[1], "num_outputs": horizon},
            "features": list(frame.columns), "target": target, "read_from": str(path),
            "fingerprint": self.files_digest(), "steps_filled": filled,
            "first_time": str(frame.index[0]), "last_time": str(frame.index[-1]),
            "preprocessing": (f"sorted by {self.params['time']!r}"
                              + (f", resampled to {self.params['resample']} means"
                                 if self.params["resample"] else "")
                              + f", gaps: {gaps} ({filled} steps filled); z-scores fitted on "
                                "the train span"),
        })
        return arrays, meta

    def _indexed(self, frame: pd.DataFrame, where: str) -> pd.DataFrame:
        column = self.params["time"]
        times = pd.to_datetime(frame[column], errors="coerce")
        if times.isna().any():
            raise DataError(f"{where}: {_rows(times.isna().to_numpy())} values of time column "
                            f"{column!r} are not dates or times")
        frame = frame.drop(columns=[column]).set_index(times).sort_index()
        if frame.index.has_duplicates:
            raise DataError(f"{where}: time column {column!r} repeats "
                            f"{int(frame.index.duplicated().sum())} timestamps")
        return frame

    def _numeric(self, frame: pd.DataFrame, target: str, where: str) -> pd.DataFrame:
        for column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() & frame[column].notna()
            if bad.any():
                what = "target" if column == target else "feature"
                raise DataError(f"{where}: {what} column {column!r} is not numeric: "
                                f"{_rows(bad.to_numpy())} values such as "
                                f"{frame[column][bad].iloc[0]!r}")
            frame = frame.assign(**{column: values})
        return frame

    def _regular(self, frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, int]:
        """A regular time grid under the gap policy; how many steps were filled."""
        gaps, target = self.params["gaps"], frame.columns[0]
        if self.params["resample"]:
            try:
                frame = frame.resample(self.params["resample"]).mean()
            except ValueError as error:
                raise DataError(f"{self.name}: resample={self.params['resample']!r} is not a "
                                f"pandas offset alias ({error})") from None
        elif len(frame) > 1:
            step = frame.index.to_series().diff().median()
            frame = frame.reindex(pd.date_range(frame.index[0], frame.index[-1], freq=step))
        missing = frame.isna().any(axis=1).to_numpy()
        if not missing.any():
            return frame, 0
        if gaps == "error":
            in_target = frame[target].isna().to_numpy()
            what = (f"{_rows(in_target)} missing values (NaN or absent steps) in target "
                    f"{target!r}" if in_target.any() else f"{_rows(missing)} steps with "
                    "missing values")
            raise DataError(f"{where}: {what}; pass gaps=interpolate to fill them or "
                            "gaps=drop to drop those steps")
        if gaps == "drop":
            return frame[~missing], 0
        return frame.interpolate(method="time", limit_direction="both"), int(missing.sum())
