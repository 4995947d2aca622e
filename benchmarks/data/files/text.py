"""``text_csv`` and ``text_dir``: labelled texts from one CSV or one folder per class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.data.base import register_dataset, stratified_split
from benchmarks.data.files.common import (
    FileDataset,
    _rows,
    need_columns,
    read_table,
    text_arrays,
    text_splits,
)
from benchmarks.data.sentiment import TEXT_LIMITS
from benchmarks.data.wheels import DataError


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
    limits = TEXT_LIMITS

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
    limits = TEXT_LIMITS

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
