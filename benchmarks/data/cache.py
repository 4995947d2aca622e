"""The prepared-data cache: ``$SEQZOO_DATA`` (default ``~/.cache/seqzoo``), atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def data_root() -> Path:
    """The cache directory: ``$SEQZOO_DATA`` or ``~/.cache/seqzoo``.

    Raises:
        ValueError: ``$SEQZOO_DATA`` names something that is not a folder.
    """
    root = Path(os.environ.get("SEQZOO_DATA") or Path.home() / ".cache" / "seqzoo")
    for path in (root, *root.parents):
        if path.exists():
            if not path.is_dir():
                raise ValueError(f"SEQZOO_DATA={root} is not allowed: {path} is a file; "
                                 "point it at a folder (created if missing)")
            break
    return root


def params_key(params: dict[str, Any]) -> str:
    """A short stable hash of preprocessing parameters (the cache key)."""
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def atomic_save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` via a temp file and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_npz(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays in ``path``, or ``None`` if it is missing or unreadable (then re-prepare)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError):
        return None
