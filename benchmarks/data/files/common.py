"""What the file datasets share: the input digest, the base class, table reading, column
and split checks, and the text splits and arrays."""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from benchmarks.data.base import SPLITS, Dataset, stratified_split
from benchmarks.data.cache import data_root, params_key
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
    file_kind = True

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
